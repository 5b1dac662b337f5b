package classifier

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// refusalRule is a rule on 拒付, one of the words modelTrainingPosts teach
// the model: with it, 拒付 is the rules' business and no suggestion.
const refusalRule = `  - id: refusal
    any: [拒付]
    category: treatment
    votes: 1
`

// suggestEngine loads rules with a model trained on modelTrainingPosts
// through those rules, as `yuqing train` would.
func suggestEngine(t *testing.T, rules string) *Engine {
	t.Helper()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(plain, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	trainTestModel(t, e, modelTrainingPosts(), tinyOptions(1e-3), filepath.Join(dir, "test.model"))
	file := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(file, []byte(withModel(rules, "test.model")), 0o644); err != nil {
		t.Fatal(err)
	}
	if e, err = Load(file, "", nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// termsOf returns the suggested terms of one class.
func termsOf(t *testing.T, groups []ClassTerms, head, class string) []string {
	t.Helper()
	for _, g := range groups {
		if g.Head == head && g.Class == class {
			var out []string
			for _, tw := range g.Terms {
				out = append(out, tw.Term)
			}
			return out
		}
	}
	t.Fatalf("no group %s/%s in %+v", head, class, groups)
	return nil
}

func TestModelTermsLeaveOutWhatRulesHave(t *testing.T) {
	without := suggestEngine(t, modelRules)
	with := suggestEngine(t, modelRules+refusalRule)
	for _, c := range []struct {
		e     *Engine
		rules string
	}{{without, "without the 拒付 rule"}, {with, "with the 拒付 rule"}} {
		groups, err := c.e.ModelTerms(8)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != len(taxonomy.Categories)+3 {
			t.Errorf("%s: %d groups, want one per category and band", c.rules, len(groups))
		}
		// 套现 is learnt for institution and the major band; no rule has it.
		if ts := termsOf(t, groups, learn.HeadCategory, string(taxonomy.Institution)); !slices.Contains(ts, "套现") {
			t.Errorf("%s: institution terms %v lack 套现", c.rules, ts)
		}
		if ts := termsOf(t, groups, learn.HeadSeverity, learn.Major); !slices.Contains(ts, "套现") {
			t.Errorf("%s: major terms %v lack 套现", c.rules, ts)
		}
		for _, g := range groups {
			for i, tw := range g.Terms {
				if tw.Weight <= 0 || i > 0 && tw.Weight > g.Terms[i-1].Weight {
					t.Errorf("%s: %s terms not strongest first with positive weights: %+v", c.rules, g.Class, g.Terms)
				}
				// Rule keywords (医保, 骗保, 死亡, 联名, 广告), words holding
				// one and single characters never come back.
				if strings.Contains(tw.Term, "医保") || tw.Term == "骗保" || len([]rune(tw.Term)) < 2 {
					t.Errorf("%s: %s suggests %q", c.rules, g.Class, tw.Term)
				}
			}
		}
		// 大团 is a character pair of 金额巨大|团伙 (a body said twice),
		// never a word: as a keyword it would match nowhere.
		if ts := termsOf(t, groups, learn.HeadCategory, string(taxonomy.Institution)); slices.Contains(ts, "大团") {
			t.Errorf("%s: institution terms %v list the pair 大团", c.rules, ts)
		}
		// No training post is about policy: its weights are all near
		// zero, and nothing is suggested for it.
		if ts := termsOf(t, groups, learn.HeadCategory, string(taxonomy.Policy)); len(ts) != 0 {
			t.Errorf("%s: policy terms %v from a model that never saw policy", c.rules, ts)
		}
		treatment := termsOf(t, groups, learn.HeadCategory, string(taxonomy.Treatment))
		if want := c.e == without; slices.Contains(treatment, "拒付") != want {
			t.Errorf("%s: treatment terms %v, 拒付 listed should be %v", c.rules, treatment, want)
		}
		if ts := termsOf(t, groups, learn.HeadSeverity, learn.Elevated); c.e == with && slices.Contains(ts, "拒付") {
			t.Errorf("%s: elevated terms %v list 拒付", c.rules, ts)
		}
	}
	rulesOnly, err := Load(writeTemp(t, modelRules), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rulesOnly.ModelTerms(5); !errors.Is(err, ErrNoModel) {
		t.Errorf("without a model: %v", err)
	}
	if _, err := rulesOnly.Compare(Post{Title: "医保"}); !errors.Is(err, ErrNoModel) {
		t.Errorf("Compare without a model: %v", err)
	}
}

func writeTemp(t *testing.T, rules string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(f, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRuleCoverage(t *testing.T) {
	small, err := Load(writeTemp(t, modelRules+`  - id: use
    any: [用, 骗保团伙, "/[0-9]+名/"]
    weight: 0.5
`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	rc := small.ruleCover()
	for term, want := range map[string]bool{
		"骗保":   true,  // a keyword
		"团伙":   true,  // inside the keyword 骗保团伙
		"医保局长": true,  // holds the keyword 医保
		"费用":   false, // holds 用, a one-character keyword: not the rules' word
		"挂面":   false,
		"3名":   true, // a regular expression matches it
	} {
		if got := rc.covers(term); got != want {
			t.Errorf("covers(%q) = %v, want %v", term, got, want)
		}
	}
	if ts := small.RuleTerms(); !slices.Equal(ts, []string{"/[0-9]+名/", "医保", "广告", "死亡", "用", "联名", "致谢", "骗保", "骗保团伙"}) {
		t.Errorf("RuleTerms %q", ts)
	}
	for s, want := range map[string]bool{"挂面": true, "app": true, "12393": false, "，。": false, "的": false, "我们": false} {
		if got := suggestible(s); got != want {
			t.Errorf("suggestible(%q) = %v, want %v", s, got, want)
		}
	}
}

// A model trained through the shipped rules gives a snippet that, pasted
// at the end of a copy of configs/rules.yaml, loads with the real loader,
// and every rule in it fires on its own terms.
func TestSuggestedRulesPasteIntoShippedRules(t *testing.T) {
	base, err := os.ReadFile(shippedRules)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	eng := shipped(t)
	trainTestModel(t, eng, modelTrainingPosts(), tinyOptions(1e-3), filepath.Join(dir, "test.model"))
	withM := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(withM, []byte(withModel(string(base), "test.model")), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(withM, shippedDict, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := e.ModelTerms(12)
	if err != nil {
		t.Fatal(err)
	}
	// Twelve words no shipped rule has, as for a class with many: two rules.
	policy := ClassTerms{Head: learn.HeadCategory, Class: string(taxonomy.Policy), Name: "政策执行"}
	for i, w := range strings.Fields("挂面 宝宝 老家 县城 客服 二楼 单子 卡里 西区 辰溪 石门 福寿") {
		policy.Terms = append(policy.Terms, learn.TermWeight{Term: w, Weight: 2 - float64(i)/10, Word: true})
	}
	groups = slices.DeleteFunc(groups, func(g ClassTerms) bool { return g.Class == string(taxonomy.Policy) })
	groups = append(groups, policy)
	snippet, err := e.SuggestedRules(groups)
	if err != nil || snippet == "" {
		t.Fatalf("snippet %q, %v", snippet, err)
	}
	pasted := filepath.Join(dir, "pasted.yaml")
	// (The shipped rules name the shipped model, not beside this copy.)
	if err := os.WriteFile(pasted, []byte(withModel(string(base), "test.model")+snippet), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(pasted, shippedDict, nil)
	if err != nil {
		t.Fatalf("the pasted snippet does not load: %v\n%s", err, snippet)
	}
	fired := 0
	for _, g := range groups {
		for i, tw := range g.Terms {
			id := "suggest_" + g.Class + "_" + []string{"1", "2"}[i/suggestPerRule]
			if !strings.Contains(snippet, "id: "+id+"\n") {
				t.Fatalf("snippet lacks %s:\n%s", id, snippet)
			}
			r := p.Grade(Post{Title: "关于" + tw.Term + "的反映", Body: "我想反映一下" + tw.Term + "的情况。"})
			if !slices.ContainsFunc(r.Matches, func(m model.Match) bool { return m.Rule == id && m.Term == tw.Term }) {
				t.Errorf("pasted rule %s does not fire on its term %q: %+v", id, tw.Term, r.Matches)
			}
			fired++
		}
	}
	if fired <= len(policy.Terms) {
		t.Fatalf("the model suggested nothing:\n%s", snippet)
	}
	// Pasting the snippet makes its terms the rules' own: nothing is
	// suggested twice, and new ids do not collide with the pasted ones.
	trainTestModel(t, p, modelTrainingPosts(), tinyOptions(1e-3), filepath.Join(dir, "again.model"))
	again := filepath.Join(dir, "again.yaml")
	if err := os.WriteFile(again, []byte(withModel(string(base)+snippet, "again.model")), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Load(again, shippedDict, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups2, err := a.ModelTerms(12)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups2 {
		for _, tw := range g.Terms {
			if strings.Contains(snippet, " "+tw.Term+",") || strings.Contains(snippet, " "+tw.Term+"]") {
				t.Errorf("%q suggested again after it was pasted", tw.Term)
			}
		}
	}
	snippet2, err := a.SuggestedRules(groups2)
	if err != nil {
		t.Fatal(err)
	}
	if snippet2 != "" {
		if _, err := Load(writeTemp(t, string(base)+snippet+snippet2), shippedDict, nil); err != nil {
			t.Errorf("a second snippet does not load after the first: %v", err)
		}
	}
}

func TestCompare(t *testing.T) {
	e := suggestEngine(t, modelRules)
	// The rules miss it (no 医保); the model knows 报销 as reimbursement.
	c, err := e.Compare(Post{Title: "报销拖了三个月", Body: "报销材料交了很久还没到账"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules.Relevant || c.Rules.DecidedBy != DecidedByRules || c.Rules.Sentiment != "" {
		t.Errorf("rules alone: %+v", c.Rules)
	}
	if !c.Model.Relevant || c.Model.PRelevant < modelThreshold || c.Model.Category != taxonomy.Reimbursement ||
		c.Model.Band != learn.Ordinary || c.Model.Level != taxonomy.LevelIV {
		t.Errorf("model alone: %+v", c.Model)
	}
	if g := e.Grade(Post{Title: "报销拖了三个月", Body: "报销材料交了很久还没到账"}); c.Final.DecidedBy != DecidedByModel ||
		!c.Final.Relevant || c.Final.Level != g.Level || c.Final.Category != g.Category {
		t.Errorf("final %+v, Grade gives %+v", c.Final, g)
	}
	c, err = e.Compare(Post{Title: "周末出游", Body: "天气很好，去公园看花"})
	if err != nil || c.Model.Relevant || c.Model.Level != 0 || c.Final.DecidedBy != DecidedByRules {
		t.Errorf("chatter: %+v %v", c, err)
	}
}

func TestRuleNamesList(t *testing.T) {
	e, err := Load(writeTemp(t, modelRules+`  - id: noted
    note: 标题出现医保核心词（说明）
    any: [参保]
    weight: 1
`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.RuleNames(); !slices.Equal(got, []NamedRule{{ID: "noted", Name: "标题出现医保核心词"}}) {
		t.Errorf("RuleNames = %q, want only the rule with a name", got)
	}
}
