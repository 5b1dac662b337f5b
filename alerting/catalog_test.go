package alerting

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCatalogExporter(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	sources := []Named{{"lanchuan-bbs", "岚川论坛·民生杂谈"}, {"mayor-mailbox", "市长信箱"}}
	rules := []Named{{"core_title", "标题出现医保核心词"}}
	if _, err := NewCatalogExporter(reg, Catalog{
		Sources: func() []Named { return sources },
		Rules:   func() []Named { return rules },
	}); err != nil {
		t.Fatal(err)
	}
	want := `# HELP yuqing_rule_name_info One series per grading rule with a Chinese name: name is how staff know the rule (rules.yaml name, else the head of its note), for alert text.
# TYPE yuqing_rule_name_info gauge
yuqing_rule_name_info{name="标题出现医保核心词",rule="core_title"} 1
# HELP yuqing_source_info One series per configured source: title is the name staff see (sources.yaml title), for alert text.
# TYPE yuqing_source_info gauge
yuqing_source_info{source="lanchuan-bbs",title="岚川论坛·民生杂谈"} 1
yuqing_source_info{source="mayor-mailbox",title="市长信箱"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}

	// Read at every scrape: a reload that renames a source, drops one and
	// adds a rule shows at once. Keys without a name, and a key listed
	// twice, export nothing that would fail the scrape.
	sources = []Named{{"lanchuan-bbs", "岚川论坛"}, {"lanchuan-bbs", "重复"}, {"no-title", ""}}
	rules = append(rules, Named{"fraud", "骗保线索"})
	want = `# HELP yuqing_rule_name_info One series per grading rule with a Chinese name: name is how staff know the rule (rules.yaml name, else the head of its note), for alert text.
# TYPE yuqing_rule_name_info gauge
yuqing_rule_name_info{name="标题出现医保核心词",rule="core_title"} 1
yuqing_rule_name_info{name="骗保线索",rule="fraud"} 1
# HELP yuqing_source_info One series per configured source: title is the name staff see (sources.yaml title), for alert text.
# TYPE yuqing_source_info gauge
yuqing_source_info{source="lanchuan-bbs",title="岚川论坛"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogExporterWithoutLists(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewCatalogExporter(reg, Catalog{}); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Fatalf("series %d, err %v; want none", n, err)
	}
}
