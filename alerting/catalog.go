package alerting

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Named is a key the metrics carry (a source name, a rule id) and the
// Chinese name staff know it by.
type Named struct{ Key, Name string }

// Catalog says, at scrape time, what the configured sources and rules are
// called. Either function may be nil.
type Catalog struct {
	// Sources lists the configured sources: name and title.
	Sources func() []Named
	// Rules lists the grading rules that have a Chinese name: id and name.
	Rules func() []Named
}

// CatalogExporter exports the Chinese names alert text needs where the
// alerting series carry only a key: the source health series of the
// crawler carry the source name (lanchuan-bbs), the false-positive counts
// the rule id (core_title). The rules in configs/prometheus/ look the
// names up in yuqing_source_info and yuqing_rule_name_info with a template
// query, so a name changed on reload never changes an alert's identity.
// Series follow the configuration in force (read at every scrape), so
// cardinality is that of the sources and rules files.
type CatalogExporter struct {
	cat          Catalog
	source, rule *prometheus.Desc
}

// NewCatalogExporter creates the exporter and registers it on reg.
func NewCatalogExporter(reg prometheus.Registerer, cat Catalog) (*CatalogExporter, error) {
	e := &CatalogExporter{cat: cat,
		source: prometheus.NewDesc("yuqing_source_info",
			"One series per configured source: title is the name staff see (sources.yaml title), for alert text.",
			[]string{"source", "title"}, nil),
		rule: prometheus.NewDesc("yuqing_rule_name_info",
			"One series per grading rule with a Chinese name: name is how staff know the rule (rules.yaml name, else the head of its note), for alert text.",
			[]string{"rule", "name"}, nil),
	}
	if err := reg.Register(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Describe implements prometheus.Collector.
func (e *CatalogExporter) Describe(ch chan<- *prometheus.Desc) {
	ch <- e.source
	ch <- e.rule
}

// Collect implements prometheus.Collector.
func (e *CatalogExporter) Collect(ch chan<- prometheus.Metric) {
	collectNamed(ch, e.source, e.cat.Sources)
	collectNamed(ch, e.rule, e.cat.Rules)
}

// collectNamed sends one series per key with a name; a key listed twice
// keeps its first name (two series with one key would fail the scrape).
func collectNamed(ch chan<- prometheus.Metric, desc *prometheus.Desc, list func() []Named) {
	if list == nil {
		return
	}
	seen := map[string]bool{}
	for _, n := range list() {
		if n.Key == "" || n.Name == "" || seen[n.Key] {
			continue
		}
		seen[n.Key] = true
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, n.Key, n.Name)
	}
}
