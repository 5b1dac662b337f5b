package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// layout copies the shipped configs into a temporary directory.
func layout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "configs"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckAcceptsShippedConfig(t *testing.T) {
	dir := layout(t)
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", filepath.Join(dir, "yuqing.yaml")}, nil, &out, &errb); code != 0 {
		t.Fatalf("check exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "配置检查通过") || !strings.Contains(out.String(), "版本") {
		t.Errorf("check output: %s", out.String())
	}
}

// `yuqing check` judges the calendar as of the env's clock: in December
// 2026 the shipped 2027 holidays are still provisional; in June they are
// beyond the next 60 days.
func TestCheckWarnsAboutProvisionalYearAsOfNow(t *testing.T) {
	dir := layout(t)
	check := func(now time.Time) string {
		var out, errb bytes.Buffer
		e := env{stdout: &out, stderr: &errb, now: func() time.Time { return now }}
		if code := runCheck(e, []string{"-config", filepath.Join(dir, "yuqing.yaml")}); code != 0 {
			t.Fatalf("check exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	cst := time.FixedZone("CST", 8*3600)
	const warning = "2027 年的节假日是按《全国年节及纪念日放假办法》推算的"
	if out := check(time.Date(2026, 12, 7, 10, 0, 0, 0, cst)); !strings.Contains(out, warning) {
		t.Errorf("no provisional warning on 2026-12-07:\n%s", out)
	}
	if out := check(time.Date(2026, 6, 1, 10, 0, 0, 0, cst)); strings.Contains(out, warning) {
		t.Errorf("provisional warning on 2026-06-01:\n%s", out)
	}
}

// TestCheckWarnsAboutOpenMetrics: /metrics needs a token by default (the
// generated file is named); opening it while listening beyond loopback
// gets a warning; an operator's token file is named.
func TestCheckWarnsAboutOpenMetrics(t *testing.T) {
	dir := layout(t)
	cfg := filepath.Join(dir, "yuqing.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	check := func(text string) string {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := run([]string{"check", "-config", cfg}, nil, &out, &errb); code != 0 {
			t.Fatalf("check exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	const warning = "/metrics 不需令牌（metrics.open: true），其中的事件标题和摘要任何人都能读取"
	wide := strings.Replace(string(b), "listen: 127.0.0.1:8080", "listen: 0.0.0.0:8080", 1)
	if out := check(wide); strings.Contains(out, warning) || !strings.Contains(out, "首次启动时生成令牌文件") {
		t.Errorf("default (token generated at first start): %s", out)
	}
	open := strings.Replace(wide, "open: false", "open: true", 1)
	if out := check(open); !strings.Contains(out, warning) {
		t.Errorf("no warning for 0.0.0.0 with metrics.open: %s", out)
	}
	if out := check(strings.Replace(string(b), "open: false", "open: true", 1)); strings.Contains(out, warning) {
		t.Errorf("loopback listener with metrics.open warned: %s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.token"), []byte("9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := check(strings.Replace(wide, `token_file: ""`, "token_file: prometheus.token", 1))
	if strings.Contains(out, warning) || !strings.Contains(out, "需令牌（"+filepath.Join(dir, "prometheus.token")) {
		t.Errorf("with a token file: %s", out)
	}
}

func TestCheckRejectsBrokenFiles(t *testing.T) {
	cases := []struct {
		name, file string
		edit       func(string) string
		want       *regexp.Regexp
	}{
		{"unknown field in rules", "rules.yaml", func(s string) string {
			return strings.Replace(s, "options:\n", "options:\n  relevance_treshold: 2\n", 1)
		}, regexp.MustCompile(`rules\.yaml:\d+: .*relevance_treshold.*未知字段`)},
		{"yaml syntax in rules", "rules.yaml", func(s string) string { return s + "\n  - [unclosed\n" },
			regexp.MustCompile(`rules\.yaml:\d+: .*YAML 语法错误`)},
		{"bad level deadline", "yuqing.yaml", func(s string) string {
			return strings.Replace(s, "    followup: 24h", "    followup: 0s", 1)
		}, regexp.MustCompile(`yuqing\.yaml:\d+: levels\.1\.followup: .*跟进回复时限必须大于 0`)},
		{"bad source", "sources.yaml", func(s string) string {
			return strings.Replace(s, "sources: []", "sources:\n  - name: Bad Name\n    kind: html\n    url: ftp://x\n", 1)
		}, regexp.MustCompile(`sources\.yaml:\d+: sources\[0\]\.name: `)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := layout(t)
			path := filepath.Join(dir, c.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			edited := c.edit(string(b))
			if edited == string(b) {
				t.Fatal("the edit did not apply; update the test to the shipped file")
			}
			if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run([]string{"check", "-config", filepath.Join(dir, "yuqing.yaml")}, nil, &out, &errb)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !c.want.MatchString(errb.String()) {
				t.Errorf("stderr does not match %s:\n%s", c.want, errb.String())
			}
		})
	}
}

func TestClassifyContract(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","title":"康福医院组织老人挂床住院骗取医保基金，被电视台曝光","body":"村里几十个老人被拉去住院","replies":3}`,
		`not json`,
		`{"id":7,"body":"今年养老金涨了多少？晒一下"}`,
		`{"id":"no-text"}`,
		`{"id":"c","title":"医保电子凭证扫码一直失败","body":"在药店扫码提示网络异常","unknown":"ignored"}`,
	}, "\n") + "\n"
	// The shipped rules name a model: three more fields. The same rules
	// without it: exactly the six.
	withModel := classifyStrict(t, filepath.Join("..", "..", "configs", "rules.yaml"), in, true)
	for _, r := range withModel {
		if r.Sentiment == nil || r.DecidedBy == nil || r.Review == nil {
			t.Errorf("with the shipped model, line %v lacks sentiment, decided_by or review", r.ID)
		}
	}
	dir := layout(t)
	rules := filepath.Join(dir, "rules.yaml")
	b, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	plain := strings.Replace(string(b), "\n  model: model/yuqing.model.gz\n", "\n", 1)
	if plain == string(b) {
		t.Fatal("the shipped rules name no model/yuqing.model.gz; update the test")
	}
	os.WriteFile(rules, []byte(plain), 0o644)
	classifyStrict(t, rules, in, false)
}

type classifyMatch struct {
	Rule, Term, Field string
	Start, End        int
}

type classifyResult struct {
	ID        any             `json:"id"`
	Relevant  bool            `json:"relevant"`
	Category  string          `json:"category"`
	Level     int             `json:"level"`
	Score     float64         `json:"score"`
	Matches   []classifyMatch `json:"matches"`
	Sentiment *string         `json:"sentiment"`
	DecidedBy *string         `json:"decided_by"`
	Review    *bool           `json:"review"`
}

// classifyStrict runs classify with rules on in and checks the contract:
// the six fields, plus sentiment, decided_by and review when model says
// the rules name a model (any other field fails).
func classifyStrict(t *testing.T, rules, in string, model bool) []classifyResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run([]string{"classify", "-rules", rules}, strings.NewReader(in), &out, &errb)
	if code != 1 {
		t.Errorf("exit %d with bad lines, want 1", code)
	}
	for _, line := range []string{"第 2 行", "第 4 行"} {
		if !strings.Contains(errb.String(), line) {
			t.Errorf("stderr does not report %s:\n%s", line, errb.String())
		}
	}
	var got []classifyResult
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var r classifyResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		if !model && (r.Sentiment != nil || r.DecidedBy != nil || r.Review != nil) {
			t.Errorf("without a model, output line %q has more than the six fields", sc.Text())
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("%d output lines, want 3 (one per good input, in order)", len(got))
	}
	if got[0].ID != "a" || !got[0].Relevant || got[0].Category != "institution" || got[0].Level > 2 || len(got[0].Matches) == 0 {
		t.Errorf("fraud exposure graded %+v", got[0])
	}
	if got[1].ID != float64(7) || got[1].Relevant || got[1].Level != 0 || got[1].Category != "" || got[1].Matches == nil {
		t.Errorf("pension post graded %+v", got[1])
	}
	if got[2].ID != "c" || got[2].Category != "system" || got[2].Level != 4 {
		t.Errorf("e-voucher post graded %+v", got[2])
	}
	title := "康福医院组织老人挂床住院骗取医保基金，被电视台曝光"
	// A term is the keyword as written in the rules (wildcards included);
	// the offsets point at the text it matched.
	for _, m := range got[0].Matches {
		if m.Field != "title" || strings.HasPrefix(m.Term, "/") || strings.HasPrefix(m.Term, "@") {
			continue
		}
		if kw := strings.Trim(m.Term, "*"); !strings.Contains(title[m.Start:m.End], kw) {
			t.Errorf("match %+v does not point at its term in the title (%q)", m, title[m.Start:m.End])
		}
	}
	return got
}

func TestEvalCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "labeled.jsonl")
	lines := `{"id":"x1","title":"医保电子凭证扫码一直失败","body":"在药店扫码提示网络异常","relevant":true,"category":"system","level":4}
{"id":"x2","title":"今年养老金涨了多少","body":"企业退休的晒一下","relevant":false,"category":"","level":0}
{"id":"x3","title":"小区保安招聘","body":"包吃住","relevant":false,"category":"","level":0}
`
	if err := os.WriteFile(data, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "-rules", rules, "-data", data, "-json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("eval exit %d: %s", code, errb.String())
	}
	var got struct {
		RulesVersion string `json:"rules_version"`
		Results      []struct {
			Name   string         `json:"name"`
			Report map[string]any `json:"report"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval -json output: %v\n%s", err, out.String())
	}
	if got.RulesVersion == "" || len(got.Results) != 1 || got.Results[0].Name != data || len(got.Results[0].Report) == 0 {
		t.Errorf("eval -json = %+v", got)
	}
	if !strings.Contains(out.String(), `"warning"`) {
		t.Errorf("eval -json with the shipped model gives no in-sample warning:\n%.300s", out.String())
	}
	out.Reset()
	if code := run([]string{"eval", "-rules", rules, "-data", data}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "相关性") {
		t.Errorf("eval text exit %d:\n%s", code, out.String())
	}
	// The shipped rules grade with a model trained on labelled files:
	// figures on those are in-sample, and eval says so.
	if !strings.Contains(out.String(), "样本内") || !strings.Contains(out.String(), "eval -cv 5") {
		t.Errorf("eval with the shipped model gives no in-sample warning:\n%s", out.String())
	}
	dir := layout(t)
	b, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(strings.Replace(string(b), "\n  model: model/yuqing.model.gz\n", "\n", 1)), 0o644)
	out.Reset()
	if code := run([]string{"eval", "-rules", filepath.Join(dir, "rules.yaml"), "-data", data}, nil, &out, &errb); code != 0 || strings.Contains(out.String(), "样本内") {
		t.Errorf("eval of rules without a model, exit %d, warns of in-sample figures:\n%s", code, out.String())
	}
	if code := run([]string{"eval", "-rules", rules, "-data", filepath.Join(t.TempDir(), "missing.jsonl")}, nil, &out, &errb); code != 1 {
		t.Errorf("eval on a missing file exit %d", code)
	}
}

func TestRulesTestCommand(t *testing.T) {
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	var out, errb bytes.Buffer
	// The shipped test file names its rules (rule_files: [rules.yaml]).
	if code := run([]string{"rules", "test", filepath.Join("..", "..", "configs", "rules_test.yaml")}, nil, &out, &errb); code != 0 {
		t.Fatalf("shipped rule tests exit %d:\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "（规则 "+rules+"，") {
		t.Errorf("shipped rule tests did not run against %s:\n%s", rules, out.String())
	}
	bad := filepath.Join(t.TempDir(), "bad_test.yaml")
	os.WriteFile(bad, []byte(`- name: 养老金不是医保
  title: 今年养老金涨了多少
  body: 企业退休的晒一下
  expect:
    relevant: true
    category: policy
`), 0o644)
	out.Reset()
	if code := run([]string{"rules", "test", "-rules", rules, bad}, nil, &out, &errb); code != 1 {
		t.Errorf("failing rule test exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "养老金不是医保") {
		t.Errorf("failure output does not name the case:\n%s", out.String())
	}
}

// TestRulesTestUsesNamedRules checks that, like `promtool test rules`, each
// test file runs against the rules it names (rule_files or its alias rules,
// relative to the test file; the rules.yaml beside it when it names none)
// and that -rules overrides them.
func TestRulesTestUsesNamedRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rule := func(id string) string {
		return "rules:\n  - id: " + id + "\n    any: [医保]\n    weight: 3\n"
	}
	if err := os.Mkdir(filepath.Join(dir, "dict"), 0o755); err != nil { // no domain words
		t.Fatal(err)
	}
	write("rules.yaml", rule("only_default"))
	write("rules_a.yaml", rule("only_a"))
	write("rules_b.yaml", rule("only_b"))
	caseFor := func(id string) string {
		return "- name: 用例_" + id + "\n  body: 医保 缴费\n  expect: {relevant: true, rules: [" + id + "]}\n"
	}
	a := write("a_test.yaml", "rule_files: [rules_a.yaml]\ntests:\n"+caseFor("only_a"))
	b := write("sub/b_test.yaml", "rules: [../rules_b.yaml]\ntests:\n"+caseFor("only_b"))
	c := write("c_test.yaml", caseFor("only_default"))

	var out, errb bytes.Buffer
	if code := run([]string{"rules", "test", a, b, c}, nil, &out, &errb); code != 0 {
		t.Fatalf("rules test exit %d:\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		"（规则 " + filepath.Join(dir, "rules_a.yaml"),
		"（规则 " + filepath.Join(dir, "rules_b.yaml"),
		"（规则 " + filepath.Join(dir, "rules.yaml"),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// -rules overrides what the files name: b's and c's cases now fail.
	out.Reset()
	errb.Reset()
	if code := run([]string{"rules", "test", "-rules", filepath.Join(dir, "rules_a.yaml"), a, b, c}, nil, &out, &errb); code != 1 {
		t.Fatalf("rules test -rules exit %d, want 1:\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"用例「用例_only_b」", "用例「用例_only_default」"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "用例「用例_only_a」") {
		t.Errorf("a's case failed against the rules it names:\n%s", out.String())
	}

	// A test file naming a missing rules file is an error (exit 1, on stderr).
	missing := write("m_test.yaml", "rule_files: [nope.yaml]\ntests:\n"+caseFor("only_a"))
	out.Reset()
	errb.Reset()
	if code := run([]string{"rules", "test", missing}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "nope.yaml") {
		t.Errorf("missing named rules: exit %d, stderr %q", code, errb.String())
	}
}

// TestCrawlUnreachableSourceSaysSoOnce: an unreachable source exits 1 with
// the failure and its kind in the summary, and the error is not printed a
// second time on stderr.
func TestCrawlUnreachableSourceSaysSoOnce(t *testing.T) {
	dir := layout(t)
	sources := "sources:\n  - name: down-bbs\n    title: 不可达论坛\n    url: http://127.0.0.1:9/forum.php\n" +
		"    list: {item: tbody, link: a.xst}\n    detail: {body: td.t_f}\n"
	if err := os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte(sources), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"crawl", "-config", filepath.Join(dir, "yuqing.yaml"), "-source", "down-bbs", "-once"}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out.String())
	}
	if got := strings.Count(out.String()+errb.String(), "connection refused"); got != 1 ||
		!strings.Contains(out.String(), "抓取失败（网络错误）") {
		t.Errorf("the failure shown %d times\nstdout: %s\nstderr: %s", got, out.String(), errb.String())
	}
}
