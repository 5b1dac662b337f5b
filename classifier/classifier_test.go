package classifier

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

const (
	smallRules = "testdata/rules.yaml"
	smallDict  = "testdata/dict"
)

var (
	smallOnce sync.Once
	smallEng  *Engine
	smallErr  error
)

// small is an engine with the fixed test rules, independent of tuning.
func small(t testing.TB) *Engine {
	t.Helper()
	smallOnce.Do(func() { smallEng, smallErr = Load(smallRules, smallDict, nil) })
	if smallErr != nil {
		t.Fatalf("加载测试规则失败: %v", smallErr)
	}
	return smallEng
}

func terms(r Result) []string {
	var out []string
	for _, m := range r.Matches {
		out = append(out, m.Term)
	}
	return out
}

func rulesOf(r Result) []string {
	var out []string
	for _, m := range r.Matches {
		if !slices.Contains(out, m.Rule) {
			out = append(out, m.Rule)
		}
	}
	return out
}

func TestSingleCharTermsOnlyMatchWholeTokens(t *testing.T) {
	e := small(t)
	for _, body := range []string{"小区门口的保安一天换三个人", "带猫去看兽医花了一千二"} {
		r := e.Grade(Post{Body: body})
		if slices.Contains(rulesOf(r), "guard") {
			t.Errorf("%q: 单字词「保/医」不应命中词内部: %v", body, r.Matches)
		}
	}
}

func TestPrefixSuffixAndSplitTerms(t *testing.T) {
	e := small(t)
	cases := []struct {
		body string
		want []string
	}{
		{"去医保局问了", []string{"医保*"}},            // prefix of a longer token
		{"费用由医保支付", []string{"*医保"}},           // suffix (gse's word 由医保)
		{"交了职工医保", []string{"医保*"}},            // an inner boundary of the domain word 职工医保
		{"新农合报销比例太低", []string{"新农合", "报销比例"}}, // whole words
	}
	for _, c := range cases {
		r := e.Grade(Post{Body: c.body})
		got := terms(r)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: want term %s, got %v", c.body, w, got)
			}
		}
	}
	// 骗保 must not fire across 诈骗|保健品.
	r := e.Grade(Post{Body: "老人被诈骗保健品骗了一万"})
	if slices.Contains(terms(r), "骗保") {
		t.Errorf("骗保 fired across a token boundary: %v", r.Matches)
	}
}

func TestOffsetsPointIntoOriginalText(t *testing.T) {
	e := small(t)
	title := "請問醫保卡刷不了怎麼辦"
	r := e.Grade(Post{Title: title, Body: "ＤＲＧ 医保"})
	if len(r.Matches) == 0 {
		t.Fatalf("no matches: %v", r.Reasons)
	}
	for _, m := range r.Matches {
		src := title
		if m.Field == fieldBody {
			src = "ＤＲＧ 医保"
		}
		if m.Start < 0 || m.End > len(src) || m.Start >= m.End {
			t.Fatalf("bad span %+v", m)
		}
		frag := src[m.Start:m.End]
		if e.fold.foldString(frag) != e.fold.foldString(strings.Trim(m.Term, "*")) && !strings.HasPrefix(e.fold.foldString(frag), e.fold.foldString(strings.Trim(m.Term, "*"))) {
			t.Errorf("match %+v covers %q", m, frag)
		}
	}
	if !slices.Contains(terms(r), "刷不了") || !slices.Contains(rulesOf(r), "card_near") {
		t.Errorf("traditional 醫保卡…刷不了 should satisfy the near rule: %v", r.Reasons)
	}
	if r.Category != "treatment" {
		t.Errorf("category = %q, want treatment", r.Category)
	}
}

func TestRuleSemantics(t *testing.T) {
	e := small(t)
	grade := func(p Post) Result { return e.Grade(p) }

	// Title factor: 2 × weight 2 = 4 in the title; body alone = 2.
	if r := grade(Post{Title: "医保"}); r.Score != 4 || !r.Relevant {
		t.Errorf("title score = %v relevant=%v, want 4 true", r.Score, r.Relevant)
	}
	if r := grade(Post{Body: "医保"}); r.Score != 2 {
		t.Errorf("body score = %v, want 2", r.Score)
	}
	// Source weight scales the score.
	if r := grade(Post{Body: "医保", SourceWeight: 0.5}); r.Relevant {
		t.Errorf("source weight 0.5 should make a 2-point post irrelevant: %v", r.Score)
	}
	// all: both groups needed; negative weight.
	if r := grade(Post{Body: "医保 招聘 月薪五千"}); r.Relevant {
		t.Errorf("advert should be irrelevant: %v", r.Reasons)
	}
	if r := grade(Post{Body: "医保 招聘"}); !r.Relevant {
		t.Errorf("half an advert should not count: %v", r.Reasons)
	}
	// min_count.
	if r := grade(Post{Body: "医保，医保，医保"}); !slices.Contains(rulesOf(r), "many") {
		t.Errorf("min_count 3 not met: %v", r.Reasons)
	}
	if r := grade(Post{Body: "医保，医保"}); slices.Contains(rulesOf(r), "many") {
		t.Errorf("min_count 3 met with 2: %v", r.Reasons)
	}
	// count_terms doubles votes: reimbursement 2 beats default policy.
	if r := grade(Post{Body: "医保 报销 报销比例"}); r.Category != "reimbursement" {
		t.Errorf("category = %q", r.Category)
	}
	// Default category without votes; base level 4.
	if r := grade(Post{Body: "医保"}); r.Category != "policy" || r.Level != 4 {
		t.Errorf("got %s/%d, want policy/4", r.Category, r.Level)
	}
	// Escalator, exclusion, de-escalator with keep_at_or_above.
	if r := grade(Post{Body: "医保 骗保团伙"}); r.Level != 2 || r.Category != "institution" {
		t.Errorf("gang: got %s/%d", r.Category, r.Level)
	}
	if r := grade(Post{Body: "医保 足球团伙"}); r.Level != 4 {
		t.Errorf("none should veto the escalator: level %d %v", r.Level, r.Reasons)
	}
	if r := grade(Post{Title: "请问", Body: "医保 30名职工"}); r.Level != 4 {
		t.Errorf("question should lower Ⅲ to Ⅳ: %d", r.Level)
	}
	if r := grade(Post{Title: "请问", Body: "医保 团伙"}); r.Level != 2 {
		t.Errorf("question must not lower Ⅱ: %d", r.Level)
	}
	// Engagement: one level up, not beyond Ⅱ.
	if r := grade(Post{Body: "医保", Replies: 5000}); r.Level != 3 {
		t.Errorf("engagement: level %d, want 3", r.Level)
	}
	if r := grade(Post{Body: "医保 团伙", Reposts: 5000}); r.Level != 2 {
		t.Errorf("engagement must not make Ⅰ: level %d", r.Level)
	}
	// Irrelevant: level 0, no category, matches never nil.
	r := grade(Post{Body: "今天天气不错"})
	if r.Relevant || r.Level != 0 || r.Category != "" || r.Matches == nil {
		t.Errorf("irrelevant result = %+v", r)
	}
	if r.RulesVersion != e.Version() || len(r.RulesVersion) != 16 {
		t.Errorf("rules version %q", r.RulesVersion)
	}
}

func TestReasonsAreChinese(t *testing.T) {
	r := small(t).Grade(Post{Body: "医保 骗保团伙"})
	joined := strings.Join(r.Reasons, "\n")
	for _, want := range []string{"规则 gang 命中「团伙」(正文)", "等级升至Ⅱ", "相关性得分", "结论：定点机构管理，Ⅱ级 重大"} {
		if !strings.Contains(joined, want) {
			t.Errorf("reasons lack %q:\n%s", want, joined)
		}
	}
}

func TestSegmentKeepsDomainWordsAndOriginalText(t *testing.T) {
	e := shipped(t)
	toks := e.Segment("異地就醫備案和門診共濟")
	var texts []string
	for _, tk := range toks {
		texts = append(texts, tk.Text)
	}
	for _, w := range []string{"異地就醫備案", "門診共濟"} {
		if !slices.Contains(texts, w) {
			t.Errorf("want token %s, got %v", w, texts)
		}
	}
	// The examples of multi-word terms that must stay whole.
	for text, words := range map[string][]string{
		"医院挂床住院被查":      {"挂床住院"},
		"用医保电子凭证结算":     {"医保电子凭证"},
		"实行DRG/DIP付费改革": {"DRG", "DIP"},
		"药品集采降价后买不到":    {"集采"},
	} {
		var got []string
		for _, tk := range e.Segment(text) {
			got = append(got, tk.Text)
		}
		for _, w := range words {
			if !slices.Contains(got, w) {
				t.Errorf("%s: want token %s, got %v", text, w, got)
			}
		}
	}
	src := "異地就醫備案和門診共濟"
	for _, tk := range toks {
		if src[tk.Start:tk.End] != tk.Text {
			t.Errorf("token %+v does not match the source", tk)
		}
	}
}

// TestShippedRuleTests runs the shipped rule tests as `yuqing rules test`
// does: with the rules alone.
func TestShippedRuleTests(t *testing.T) {
	var out bytes.Buffer
	failed, err := RunRuleTestFiles([]string{"../configs/rules_test.yaml"}, "", &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed > 0 {
		t.Errorf("%d rule tests failed:\n%s", failed, out.String())
	}
}

// TestShippedRulesCovered fails when a rule of configs/rules.yaml has no
// case in configs/rules_test.yaml declaring that it fires, or when an
// escalator or de-escalator has no case declaring that it does not fire.
// (TestShippedRuleTests makes those declarations hold.)
func TestShippedRulesCovered(t *testing.T) {
	e := shipped(t)
	noFiring, noQuiet, err := RuleCoverage(e, "../configs/rules_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(noFiring) > 0 {
		t.Errorf("rules with no case in configs/rules_test.yaml expecting them to fire (add one with expect.rules): %v", noFiring)
	}
	if len(noQuiet) > 0 {
		t.Errorf("level rules with no case in configs/rules_test.yaml expecting them not to fire (add one with expect.not_rules): %v", noQuiet)
	}
	if len(e.rules.rules) < 40 {
		t.Errorf("only %d shipped rules compiled", len(e.rules.rules))
	}
}

func TestRuleCoverageFindsUncoveredRules(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cases.yaml")
	os.WriteFile(file, []byte(`- name: 只覆盖两条
  body: 医保 骗保团伙
  expect: {rules: [ins, gang], not_rules: [question]}
`), 0o644)
	noFiring, noQuiet, err := RuleCoverage(small(t), file)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range small(t).rules.rules {
		all = append(all, r.id)
	}
	var wantFiring []string
	for _, id := range all {
		if id != "ins" && id != "gang" {
			wantFiring = append(wantFiring, id)
		}
	}
	if !slices.Equal(noFiring, wantFiring) {
		t.Errorf("noFiring = %v, want %v", noFiring, wantFiring)
	}
	// Level rules of testdata/rules.yaml: gang, crowd, question.
	if want := []string{"gang", "crowd"}; !slices.Equal(noQuiet, want) {
		t.Errorf("noQuiet = %v, want %v", noQuiet, want)
	}
	var out bytes.Buffer
	if _, err := RunRuleTests(small(t), file, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "没有用例在 rules 中写明其生效") || !strings.Contains(out.String(), "not_rules 中写明其不生效：gang、crowd") {
		t.Errorf("rules test output lacks the coverage hints:\n%s", out.String())
	}
}

func TestRunRuleTestsReportsDiffs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cases.yaml")
	os.WriteFile(file, []byte(`- name: 故意写错的期望
  body: 医保 骗保团伙
  expect:
    relevant: true
    category: system
    level: 3
    terms: [不存在的词]
- name: 正确的用例
  body: 医保
  expect: {relevant: true, level: 4}
`), 0o644)
	var out bytes.Buffer
	failed, err := RunRuleTests(small(t), file, &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed != 1 {
		t.Fatalf("failed = %d, want 1\n%s", failed, out.String())
	}
	for _, want := range []string{"cases.yaml:1 用例「故意写错的期望」", "类别：期望 system（系统技术），实际 institution（定点机构管理）",
		"等级：期望 Ⅲ级 较大，实际 Ⅱ级 重大", "命中词：期望包含「不存在的词」", "1 passed, 1 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	os.WriteFile(file, []byte("- name: x\n  expect: {level: 9}\n"), 0o644)
	if _, err := RunRuleTests(small(t), file, &out); err == nil || !strings.Contains(err.Error(), "cases.yaml:") {
		t.Errorf("invalid case file: err = %v", err)
	}
}

func TestClassifyGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/classify_in.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	bad, err := Classify(context.Background(), shipped(t), bytes.NewReader(in), &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 4 {
		t.Errorf("bad = %d, want 4\n%s", bad, errOut.String())
	}
	golden(t, "testdata/classify_out.jsonl", out.Bytes())
	golden(t, "testdata/classify_err.txt", errOut.Bytes())
}

func TestClassifyLongLineAndCancel(t *testing.T) {
	long := `{"id":7,"body":"` + strings.Repeat("医保报销太慢了。", 20000) + `"}` + "\n"
	var out, errOut bytes.Buffer
	bad, err := Classify(context.Background(), small(t), strings.NewReader(long), &out, &errOut)
	if err != nil || bad != 0 {
		t.Fatalf("bad=%d err=%v %s", bad, err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), `{"id":7,"relevant":true`) {
		t.Errorf("out = %.80s", out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Classify(ctx, small(t), strings.NewReader(long), &out, &errOut); err == nil {
		t.Error("cancelled context: want error")
	}
}

// A line over MaxLineBytes is skipped with its number and never held
// whole; the lines around it are graded.
func TestClassifyCapsALine(t *testing.T) {
	huge := `{"id":2,"body":"` + strings.Repeat("医保", MaxLineBytes/6+1000) + `"}` + "\n"
	in := `{"id":1,"body":"医保报销太慢了"}` + "\n" + huge + `{"id":3,"body":"医保卡被盗刷"}`
	var out, errOut bytes.Buffer
	bad, err := Classify(context.Background(), small(t), strings.NewReader(in), &out, &errOut)
	if err != nil || bad != 1 {
		t.Fatalf("bad=%d err=%v", bad, err)
	}
	if !strings.Contains(errOut.String(), "第 2 行该行超过 4 MiB，已跳过") {
		t.Errorf("stderr = %q", errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"id":1,`) || !strings.HasPrefix(lines[1], `{"id":3,`) {
		t.Errorf("out = %q", out.String())
	}
}

func TestReadLabeledRefusesNothing(t *testing.T) {
	for _, in := range []string{"", "\n  \n"} {
		if items, err := ReadLabeled(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "没有任何标注条目") {
			t.Errorf("ReadLabeled(%q) = %d items, %v", in, len(items), err)
		}
	}
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

// TestSwapDuringGrade grades on four goroutines while engines are swapped
// in, among them engines freshly loaded with a changed domain dictionary,
// as SIGHUP does (CI runs it under the race detector).
func TestSwapDuringGrade(t *testing.T) {
	a, b := shipped(t), small(t)
	c := New(a)
	dict := t.TempDir()
	known := map[string]bool{a.Version(): true, b.Version(): true}
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				r := c.Grade(Post{Title: "医保卡刷不了", Body: "定点药店说系统故障，骗保团伙"})
				mu.Lock()
				ok := known[r.RulesVersion]
				mu.Unlock()
				if !ok {
					t.Errorf("unknown version %q", r.RulesVersion)
					return
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		next := a
		if i%2 == 0 {
			next = b
		}
		if i%10 == 5 {
			if err := os.WriteFile(filepath.Join(dict, "d.txt"), fmt.Appendf(nil, "系统故障%d 300\n", i), 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := Load(shippedRules, dict, nil)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			known[e.Version()] = true
			mu.Unlock()
			next = e
		}
		if old := c.Swap(next); old == nil {
			t.Fatal("Swap returned nil")
		}
	}
	cancel()
	wg.Wait()
	if c.Engine() != a {
		t.Errorf("Engine() is not the last swapped-in engine")
	}
}

// TestClassifyLineChannel: a line's platform (the labelled data's channel
// field) reaches the grade as the post's channel, a feature of the model.
func TestClassifyLineChannel(t *testing.T) {
	p, _, err := parseClassifyLine([]byte(`{"id":"a1","body":"医保卡刷不了","source":"x","platform":"weibo"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Channel != "weibo" || p.Source != "x" {
		t.Errorf("channel %q, source %q; want weibo, x", p.Channel, p.Source)
	}
	if ex := small(t).Example(p); ex.Channel != "weibo" {
		t.Errorf("example channel %q, want weibo", ex.Channel)
	}
}

// Staff see a rule by its Chinese name: `name`, else the head of its
// note; reasons name it so, never by its id.
func TestRuleNames(t *testing.T) {
	e := shippedRulesOnly(t)
	if got := e.RuleName("core_title"); got != "标题出现医保核心词" {
		t.Errorf("core_title is named %q", got)
	}
	if got := e.RuleName("no_such_rule"); got != "" {
		t.Errorf("an unknown rule is named %q", got)
	}
	res := e.Grade(Post{Title: "医保报销三个月还没到账", Body: "住院报销材料交了三个月，款还没到，窗口互相推诿。"})
	reasons := strings.Join(res.Reasons, "\n")
	if !strings.Contains(reasons, "规则「标题出现医保核心词」命中「") || strings.Contains(reasons, "core_title") {
		t.Errorf("reasons name rules by id or not at all:\n%s", reasons)
	}
	file := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(file, []byte(`
rules:
  - {id: plain, any: [医保], weight: 2}
  - {id: named, name: 医保词, note: 出现医保（长说明）, any: [医保], weight: 1}
  - {id: noted, note: 出现医保：说明, any: [医保], weight: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	named, err := LoadRules(file, smallDict, nil)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"plain": "", "named": "医保词", "noted": "出现医保"} {
		if got := named.RuleName(id); got != want {
			t.Errorf("%s is named %q, want %q", id, got, want)
		}
	}
}
