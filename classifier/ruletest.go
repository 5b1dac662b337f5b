package classifier

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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
	Expect       struct {
		Relevant *bool    `yaml:"relevant"`
		Category *string  `yaml:"category"`
		Level    *int     `yaml:"level"`
		Terms    []string `yaml:"terms"`
		NotTerms []string `yaml:"not_terms"`
		Rules    []string `yaml:"rules"`
		NotRules []string `yaml:"not_rules"`
	} `yaml:"expect"`
}

// RunRuleTests grades every case of file with e and prints a readable diff
// for each failure (and a summary) to out. err is for an unreadable or
// invalid test file, not for failing cases.
func RunRuleTests(e *Engine, file string, out io.Writer) (failed int, err error) {
	var cases []ruleCase
	doc, err := yamlfile.ReadFile(file, &cases)
	if err != nil {
		return 0, err
	}
	var errs []error
	for i, c := range cases {
		p := fmt.Sprintf("[%d]", i)
		if c.Name == "" {
			errs = append(errs, doc.Errorf(p, "用例缺少 name"))
		}
		if c.Title == "" && c.Body == "" {
			errs = append(errs, doc.Errorf(p, "用例「%s」的 title 和 body 都是空的", c.Name))
		}
		x := c.Expect
		if x.Relevant == nil && x.Category == nil && x.Level == nil && len(x.Terms)+len(x.NotTerms)+len(x.Rules)+len(x.NotRules) == 0 {
			errs = append(errs, doc.Errorf(p+".expect", "用例「%s」没有任何期望", c.Name))
		}
		if x.Category != nil && *x.Category != "" && !taxonomy.ValidCategory(*x.Category) {
			errs = append(errs, doc.Errorf(p+".expect.category", "未知类别 %q", *x.Category))
		}
		if x.Level != nil && *x.Level != 0 && !taxonomy.ValidLevel(*x.Level) {
			errs = append(errs, doc.Errorf(p+".expect.level", "等级必须是 0 到 4，实际为 %d", *x.Level))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	for i, c := range cases {
		res := e.Grade(Post{Title: c.Title, Body: c.Body, Source: c.Source, SourceWeight: c.SourceWeight,
			Replies: c.Replies, Views: c.Views, Reposts: c.Reposts})
		diffs := checkCase(c, res)
		if len(diffs) == 0 {
			continue
		}
		failed++
		fmt.Fprintf(out, "✗ %s:%d 用例「%s」\n", file, doc.Line(fmt.Sprintf("[%d]", i)), c.Name)
		for _, d := range diffs {
			fmt.Fprintf(out, "    %s\n", d)
		}
		fmt.Fprintf(out, "    判定依据：\n")
		for _, r := range res.Reasons {
			fmt.Fprintf(out, "      %s\n", r)
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", len(cases)-failed, failed)
	return failed, nil
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
		d = append(d, fmt.Sprintf("等级：期望 %s，实际 %s", taxonomy.LevelLabel(*x.Level), taxonomy.LevelLabel(res.Level)))
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

func catLabel(k string) string {
	if k == "" {
		return "（无）"
	}
	return k + "（" + taxonomy.CategoryName(k) + "）"
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
