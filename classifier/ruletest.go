package classifier

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// ruleCase is one case of configs/rules_test.yaml.
type ruleCase struct {
	Name         string  `yaml:"name"`
	Title        string  `yaml:"title"`
	Body         string  `yaml:"body"`
	Source       string  `yaml:"source"`
	SourceWeight float64 `yaml:"source_weight"`
	Replies      int     `yaml:"replies"`
	Views        int     `yaml:"views"`
	Reposts      int     `yaml:"reposts"`
	// The source's typical engagement, for relative engagement tiers.
	TypicalReplies float64 `yaml:"typical_replies"`
	TypicalViews   float64 `yaml:"typical_views"`
	TypicalReposts float64 `yaml:"typical_reposts"`
	Expect         struct {
		Relevant *bool              `yaml:"relevant"`
		Category *taxonomy.Category `yaml:"category"`
		Level    *taxonomy.Level    `yaml:"level"`
		// Sentiment is the rules' sentiment: a fired tone rule's, or ""
		// when no rule sets one (the model's is not consulted here).
		Sentiment *string  `yaml:"sentiment"`
		Terms     []string `yaml:"terms"`
		NotTerms  []string `yaml:"not_terms"`
		Rules     []string `yaml:"rules"`
		NotRules  []string `yaml:"not_rules"`
	} `yaml:"expect"`
}

// ruleTestFile is a rules test file in its full form, like promtool's:
// the rules it tests and the cases. A file that is just a list of cases
// tests the rules.yaml beside it.
type ruleTestFile struct {
	RuleFiles termList   `yaml:"rule_files"`
	Rules     termList   `yaml:"rules"` // alias of rule_files
	Tests     []ruleCase `yaml:"tests"`
}

// parsedTests is a decoded, validated test file.
type parsedTests struct {
	doc    *yamlfile.Doc
	cases  []ruleCase
	prefix string // YAML path of the case list: "" or "tests"
	rules  string // rules file the test file names (resolved), or ""
}

// readRuleTests reads and validates a test file in either form.
func readRuleTests(file string) (*parsedTests, error) {
	data, err := yamlfile.Read(file)
	if err != nil {
		return nil, err
	}
	var probe yaml.Node
	if err := yaml.Unmarshal(data, &probe); err != nil {
		_, derr := yamlfile.Decode(file, data, &probe)
		return nil, derr
	}
	pt := &parsedTests{}
	if len(probe.Content) > 0 && probe.Content[0].Kind == yaml.MappingNode {
		var tf ruleTestFile
		if pt.doc, err = yamlfile.Decode(file, data, &tf); err != nil {
			return nil, err
		}
		pt.cases, pt.prefix = tf.Tests, "tests"
		names := append(tf.RuleFiles, tf.Rules...)
		switch {
		case len(tf.RuleFiles) > 0 && len(tf.Rules) > 0:
			return nil, pt.doc.Errorf("rules", "rule_files 与 rules 是同一个设置，只能写一个")
		case len(names) > 1:
			return nil, pt.doc.Errorf("rule_files", "一个测试文件只能对应一个规则文件，实际写了 %d 个", len(names))
		case len(names) == 1:
			pt.rules = names[0]
		default:
			pt.rules = "rules.yaml"
		}
		if !filepath.IsAbs(pt.rules) {
			pt.rules = filepath.Join(filepath.Dir(file), pt.rules)
		}
		if len(pt.cases) == 0 {
			return nil, pt.doc.Errorf("tests", "没有任何用例")
		}
	} else {
		if pt.doc, err = yamlfile.Decode(file, data, &pt.cases); err != nil {
			return nil, err
		}
		pt.rules = filepath.Join(filepath.Dir(file), "rules.yaml")
	}
	var errs []error
	for i, c := range pt.cases {
		p := pt.path(i)
		if c.Name == "" {
			errs = append(errs, pt.doc.Errorf(p, "用例缺少 name"))
		}
		if c.Title == "" && c.Body == "" {
			errs = append(errs, pt.doc.Errorf(p, "用例「%s」的 title 和 body 都是空的", c.Name))
		}
		x := c.Expect
		if x.Relevant == nil && x.Category == nil && x.Level == nil && x.Sentiment == nil && len(x.Terms)+len(x.NotTerms)+len(x.Rules)+len(x.NotRules) == 0 {
			errs = append(errs, pt.doc.Errorf(p+".expect", "用例「%s」没有任何期望", c.Name))
		}
		if x.Category != nil && *x.Category != "" && !taxonomy.Category(*x.Category).Valid() {
			errs = append(errs, pt.doc.Errorf(p+".expect.category", "未知类别 %q", *x.Category))
		}
		if x.Level != nil && *x.Level != 0 && !taxonomy.Level(*x.Level).Valid() {
			errs = append(errs, pt.doc.Errorf(p+".expect.level", "等级必须是 0 到 4，实际为 %d", *x.Level))
		}
		if x.Sentiment != nil && *x.Sentiment != "" && !slices.Contains(taxonomy.Sentiments, *x.Sentiment) {
			errs = append(errs, pt.doc.Errorf(p+".expect.sentiment", "情感只能是 negative、neutral、positive 或空（没有规则定情感），实际为 %q", *x.Sentiment))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pt, nil
}

func (pt *parsedTests) path(i int) string {
	if pt.prefix == "" {
		return fmt.Sprintf("[%d]", i)
	}
	return fmt.Sprintf("%s[%d]", pt.prefix, i)
}

// RunRuleTests grades every case of file with e, whatever rules file the
// test file names (the caller's rules override them, like promtool's), and
// prints a readable diff for each failure (and a summary) to out. err is
// for an unreadable or invalid test file, not for failing cases.
func RunRuleTests(e *Engine, file string, out io.Writer) (failed int, err error) {
	pt, err := readRuleTests(file)
	if err != nil {
		return 0, err
	}
	return runCases(e, file, pt, out), nil
}

// RunRuleTestFiles runs each test file against the rules file it names
// (rule_files, relative to the test file; default the rules.yaml beside
// it), loaded with the dictionaries in dictDir ("" means the dict
// directory beside the rules file) and without its model (LoadRules):
// rule tests test the rules, and retraining the model must not break
// them (the model is judged out of fold by `yuqing eval -cv`). Each rules
// file is loaded once. It stops at the first unreadable or invalid file.
func RunRuleTestFiles(files []string, dictDir string, out io.Writer) (failed int, err error) {
	engines := map[string]*Engine{}
	for _, file := range files {
		pt, err := readRuleTests(file)
		if err != nil {
			return failed, err
		}
		dd := dictDir
		if dd == "" {
			dd = filepath.Join(filepath.Dir(pt.rules), "dict")
		}
		key := pt.rules + "\x00" + dd
		e := engines[key]
		if e == nil {
			if e, err = LoadRules(pt.rules, dd, nil); err != nil {
				return failed, fmt.Errorf("%s 引用的规则文件无法加载: %w", file, err)
			}
			engines[key] = e
		}
		fmt.Fprintf(out, "%s（规则 %s，版本 %s）\n", file, pt.rules, e.Version())
		failed += runCases(e, file, pt, out)
	}
	return failed, nil
}

// runCases runs pt's cases with e, reports failures and coverage hints on
// out and returns how many cases failed.
func runCases(e *Engine, file string, pt *parsedTests, out io.Writer) (failed int) {
	for i, c := range pt.cases {
		res := e.Grade(Post{Title: c.Title, Body: c.Body, Source: c.Source, SourceWeight: c.SourceWeight,
			Replies: c.Replies, Views: c.Views, Reposts: c.Reposts,
			TypicalReplies: c.TypicalReplies, TypicalViews: c.TypicalViews, TypicalReposts: c.TypicalReposts})
		diffs := checkCase(c, res)
		if len(diffs) == 0 {
			continue
		}
		failed++
		fmt.Fprintf(out, "✗ %s:%d 用例「%s」\n", file, pt.doc.Line(pt.path(i)), c.Name)
		for _, d := range diffs {
			fmt.Fprintf(out, "    %s\n", d)
		}
		fmt.Fprintf(out, "    判定依据：\n")
		for _, r := range res.Reasons {
			fmt.Fprintf(out, "      %s\n", r)
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", len(pt.cases)-failed, failed)
	noFiring, noQuiet := coverage(e, pt.cases)
	if len(noFiring) > 0 {
		fmt.Fprintf(out, "提示：%d 条规则没有用例在 rules 中写明其生效：%s\n", len(noFiring), strings.Join(noFiring, "、"))
	}
	if len(noQuiet) > 0 {
		fmt.Fprintf(out, "提示：%d 条升级/降级规则没有用例在 not_rules 中写明其不生效：%s\n", len(noQuiet), strings.Join(noQuiet, "、"))
	}
	return failed
}

// RuleCoverage checks that the cases of the test files cover every enabled
// rule of e: noFiring lists the rules no case names in expect.rules (a
// case where the rule must fire), noQuiet the level rules (escalators and
// de-escalators) no case names in expect.not_rules (a case where it must
// not fire). Whether the cases pass is RunRuleTests' business.
func RuleCoverage(e *Engine, files ...string) (noFiring, noQuiet []string, err error) {
	var cases []ruleCase
	for _, file := range files {
		pt, err := readRuleTests(file)
		if err != nil {
			return nil, nil, err
		}
		cases = append(cases, pt.cases...)
	}
	noFiring, noQuiet = coverage(e, cases)
	return noFiring, noQuiet, nil
}

func coverage(e *Engine, cases []ruleCase) (noFiring, noQuiet []string) {
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, c := range cases {
		for _, id := range c.Expect.Rules {
			fires[id] = true
		}
		for _, id := range c.Expect.NotRules {
			quiet[id] = true
		}
	}
	for _, r := range e.rules.rules {
		if !fires[r.id] {
			noFiring = append(noFiring, r.id)
		}
		if (r.raiseTo != 0 || r.lower != 0) && !quiet[r.id] {
			noQuiet = append(noQuiet, r.id)
		}
	}
	return noFiring, noQuiet
}

func checkCase(c ruleCase, res Result) []string {
	var d []string
	x := c.Expect
	if x.Relevant != nil && *x.Relevant != res.Relevant {
		d = append(d, fmt.Sprintf("相关：期望 %v，实际 %v（得分 %.2f）", *x.Relevant, res.Relevant, res.Score))
	}
	if x.Category != nil && *x.Category != res.Category {
		d = append(d, fmt.Sprintf("类别：期望 %s，实际 %s", catLabel(*x.Category), catLabel(res.Category)))
	}
	if x.Level != nil && *x.Level != res.Level {
		d = append(d, fmt.Sprintf("等级：期望 %s，实际 %s", taxonomy.Level(*x.Level).Label(), res.Level.Label()))
	}
	if x.Sentiment != nil && *x.Sentiment != res.Sentiment {
		d = append(d, fmt.Sprintf("情感：期望 %s，实际 %s", sentimentLabel(*x.Sentiment), sentimentLabel(res.Sentiment)))
	}
	var terms, rules []string
	for _, m := range res.Matches {
		terms = append(terms, m.Term)
		rules = append(rules, m.Rule)
	}
	for _, t := range x.Terms {
		if !slices.Contains(terms, t) {
			d = append(d, fmt.Sprintf("命中词：期望包含「%s」，实际为「%s」", t, strings.Join(uniq(terms), "、")))
		}
	}
	for _, t := range x.NotTerms {
		if slices.Contains(terms, t) {
			d = append(d, fmt.Sprintf("命中词：不应包含「%s」", t))
		}
	}
	for _, r := range x.Rules {
		if !slices.Contains(rules, r) {
			d = append(d, fmt.Sprintf("规则：期望 %s 生效，实际生效的是 %s", r, strings.Join(uniq(rules), "、")))
		}
	}
	for _, r := range x.NotRules {
		if slices.Contains(rules, r) {
			d = append(d, fmt.Sprintf("规则：%s 不应生效", r))
		}
	}
	return d
}

func sentimentLabel(k string) string {
	if k == "" {
		return "（规则未定）"
	}
	return k + "（" + taxonomy.SentimentName(k) + "）"
}

func catLabel(k taxonomy.Category) string {
	if k == "" {
		return "（无）"
	}
	return string(k) + "（" + k.Name() + "）"
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
