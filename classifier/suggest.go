package classifier

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Rule suggestions (`yuqing rules suggest`, the console's /rules/suggest):
// where the rules and the learned model part ways on a post, and which
// words the model weighs heavily that no rule has yet, written as rules
// an operator can review and paste into rules.yaml.

// ErrNoModel is returned by what needs the learned model when the rules
// name none.
var ErrNoModel = errors.New("规则建议需要学习模型：请先用 yuqing train 训练模型，并在 rules.yaml 的 options.model 中写明模型文件")

// ModelVerdict is the model's own verdict on a post, before it is laid
// over the rules.
type ModelVerdict struct {
	PRelevant float64           // probability that the post is relevant
	Relevant  bool              // PRelevant ≥ the threshold grading uses
	Category  taxonomy.Category // most probable category (presuming relevance)
	PCategory float64
	Band      string // learn.Major, learn.Elevated or learn.Ordinary
	PBand     float64
	// Level is the band's level (Ⅱ, Ⅲ, Ⅳ) when Relevant, else 0.
	Level taxonomy.Level
}

// Comparison is one post graded three ways: by the rules alone, by the
// model alone, and both combined as grading does.
type Comparison struct {
	Rules Result // the rules alone (no model fields set)
	Model ModelVerdict
	Final Result // what Grade gives
}

// Compare grades p by the rules alone, by the model alone and combined.
// It needs a model (ErrNoModel otherwise).
func (e *Engine) Compare(p Post) (Comparison, error) {
	if e.model == nil {
		return Comparison{}, ErrNoModel
	}
	var c Comparison
	var ex learn.Example
	c.Rules = e.grade(p, 0, &ex)
	c.Rules.Words = nil
	pred := e.model.Input(&ex).Predict()
	cat, band := pred.Category.Top(), pred.Severity.Top()
	c.Model = ModelVerdict{PRelevant: pred.Relevance.Of(learn.Relevant), Category: taxonomy.Category(cat.Class), PCategory: cat.P,
		Band: band.Class, PBand: band.P}
	c.Model.Relevant = c.Model.PRelevant >= modelThreshold
	if c.Model.Relevant {
		c.Model.Level = learn.BandLevel(band.Class)
	}
	c.Final = e.Grade(p)
	c.Final.Words = nil
	return c, nil
}

// RuleTerms returns the folded text of every keyword the enabled rules
// contain (regular expressions as written, between slashes), sorted.
func (e *Engine) RuleTerms() []string {
	out := make([]string, 0, len(e.rules.terms))
	for _, t := range e.rules.terms {
		if t.re != nil {
			out = append(out, t.text)
		} else {
			out = append(out, t.key)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ruleCover tells whether a term is already the rules' business: equal
// to a rule keyword, inside one, containing one (of two characters or
// more: single-character keywords such as 用 or 刷 match whole tokens
// only, so 费用 is not theirs), or matched by a rule's regular expression.
type ruleCover struct {
	inside map[string]bool // every substring of every keyword
	keys   map[string]bool // keywords of two characters or more
	res    []*regexp.Regexp
}

func (e *Engine) ruleCover() *ruleCover {
	rc := &ruleCover{inside: map[string]bool{}, keys: map[string]bool{}}
	for _, t := range e.rules.terms {
		if t.re != nil {
			rc.res = append(rc.res, t.re)
			continue
		}
		rs := []rune(t.key)
		if len(rs) >= 2 {
			rc.keys[t.key] = true
		}
		for i := range rs {
			for j := i + 1; j <= len(rs); j++ {
				rc.inside[string(rs[i:j])] = true
			}
		}
	}
	return rc
}

// covers reports whether the folded term s is covered by a rule.
func (rc *ruleCover) covers(s string) bool {
	if rc.inside[s] {
		return true
	}
	rs := []rune(s)
	for i := range rs {
		for j := i + 2; j <= len(rs); j++ {
			if rc.keys[string(rs[i:j])] {
				return true
			}
		}
	}
	for _, re := range rc.res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// stopWords are frequent function words and pronouns: heavy in a model
// now and then by chance, never a useful rule term.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`我们 你们 他们 她们 它们 大家 自己 这个 那个 这些 那些 这样 那样 这里 那里 这么 那么 怎么 怎样 什么 为什么 哪里
		一个 一些 一下 一直 一样 已经 还是 还有 就是 不是 没有 可以 可能 应该 因为 所以 但是 而且 如果 然后 虽然 或者 以及 还要 只是 只有
		现在 今天 昨天 明天 今年 去年 时候 之后 之前 以后 以前 的话 一次 这次 真的 非常 比较 特别 还是 之类 目前 情况 问题 事情 东西
		您好 你好 谢谢 请问 希望 觉得 知道 告诉 需要 进行 表示 认为 通过 由于 对于 关于 根据 其中 以上 以下 左右 等等 有关 相关 是否 能否
		这种 那种 这家 那家 一项 一堆 下面 上面 上去 下去 下来 起来 回去 开始 就要 才能 同时 相同 一般 普通 正常 不行 不对 不用
		一共 如此 为啥 非要 明明 咱们 本人 其实 期间 一年 三个 一点 有点 好像 感觉 确实 直接 马上 立即 终于 居然 竟然 到底`) {
		stopWords[w] = true
	}
}

// suggestible reports whether the folded term s could be a rule keyword:
// two characters or more, letters or digits only and not digits alone,
// and not a stop-word.
func suggestible(s string) bool {
	n, letters := 0, false
	for _, r := range s {
		n++
		switch {
		case unicode.IsDigit(r):
		case unicode.IsLetter(r):
			letters = true
		default:
			return false
		}
	}
	return n >= 2 && letters && !stopWords[s]
}

// ClassTerms are the strongest terms no rule contains for one class of a
// model head: a category or a severity band.
type ClassTerms struct {
	Head  string             `json:"head"`  // learn.HeadCategory or learn.HeadSeverity
	Class string             `json:"class"` // category key or band
	Name  string             `json:"name"`  // Chinese name of the class
	Terms []learn.TermWeight `json:"terms"`
}

// BandName is the Chinese name of a severity band.
func BandName(band string) string {
	switch band {
	case learn.Major:
		return "重大（Ⅰ/Ⅱ级）"
	case learn.Elevated:
		return "较大（Ⅲ级）"
	case learn.Ordinary:
		return "一般（Ⅳ级）"
	}
	return band
}

// ModelTerms returns up to n terms with the largest model weight (at
// least minSuggestWeight) for each category and each severity band,
// leaving out every term the rules
// already cover (ruleCover), those no keyword could use (suggestible) and
// character pairs the model never saw as a word: a pair that straddles
// two words (付押 in 拒付|押金) would never match as a keyword, which
// must start and end on word boundaries. Terms are in folded form
// (simplified, lower case), as rules are written. It needs a model
// (ErrNoModel otherwise).
func (e *Engine) ModelTerms(n int) ([]ClassTerms, error) {
	if e.model == nil {
		return nil, ErrNoModel
	}
	rc := e.ruleCover()
	var out []ClassTerms
	for _, head := range []string{learn.HeadCategory, learn.HeadSeverity} {
		for _, class := range e.model.Classes(head) {
			seen := map[string]bool{}
			// Several model terms can fold to one (a traditional and a
			// simplified spelling): keep the first, strongest, of them.
			ts, err := e.model.TopTerms(head, class, n, func(tw learn.TermWeight) bool {
				f := e.fold.foldString(tw.Term)
				if tw.Weight < minSuggestWeight || !tw.Word || seen[f] || !suggestible(f) || rc.covers(f) {
					return false
				}
				seen[f] = true
				return true
			})
			if err != nil {
				return nil, err
			}
			for i := range ts {
				ts[i].Term = e.fold.foldString(ts[i].Term)
			}
			name := taxonomy.Category(class).Name()
			if head == learn.HeadSeverity {
				name = BandName(class)
			}
			out = append(out, ClassTerms{Head: head, Class: class, Name: name, Terms: ts})
		}
	}
	return out, nil
}

// minSuggestWeight is the least weight worth a suggestion: a class the
// training data never had leaves every weight near zero, and such terms
// say nothing about it.
const minSuggestWeight = 0.05

// suggestPerRule is how many terms one suggested rule lists.
const suggestPerRule = 10

// suggestedRule is one rule of the snippet, in the rules.yaml format.
type suggestedRule struct {
	ID       string            `yaml:"id"`
	Note     string            `yaml:"note"`
	Any      []string          `yaml:"any,flow"`
	Weight   float64           `yaml:"weight,omitempty"`
	Category taxonomy.Category `yaml:"category,omitempty"`
	Votes    float64           `yaml:"votes,omitempty"`
	Level    *suggestedLevel   `yaml:"level,omitempty,flow"`
}

type suggestedLevel struct {
	RaiseTo       taxonomy.Level `yaml:"raise_to,omitempty"`
	Lower         int            `yaml:"lower,omitempty"`
	KeepAtOrAbove taxonomy.Level `yaml:"keep_at_or_above,omitempty"`
}

// SuggestedRules writes the terms as rules in the rules.yaml format,
// indented to be pasted at the end of its rules: list: for a category, a
// rule that votes for it and adds a little relevance; for the major and
// elevated bands an escalator to Ⅱ or Ⅲ; for the ordinary band a
// de-escalator that leaves Ⅰ/Ⅱ alone, as the shipped deesc_ rules do.
// Ids are suggest_<class>_<n>, numbered past any id the rules already
// use. "" when there are no terms.
func (e *Engine) SuggestedRules(groups []ClassTerms) (string, error) {
	used := map[string]bool{}
	for _, r := range e.rules.rules {
		used[r.id] = true
	}
	var rules []suggestedRule
	for _, g := range groups {
		n := 1
		for part := range slices.Chunk(g.Terms, suggestPerRule) {
			id := ""
			for id == "" || used[id] {
				id = "suggest_" + g.Class + "_" + strconv.Itoa(n)
				n++
			}
			used[id] = true
			r := suggestedRule{ID: id}
			for _, t := range part {
				r.Any = append(r.Any, t.Term)
			}
			span := "模型权重 " + weightText(part[0].Weight)
			if lo := weightText(part[len(part)-1].Weight); lo != weightText(part[0].Weight) {
				span = "模型权重 " + lo + "～" + weightText(part[0].Weight)
			}
			switch {
			case g.Head == learn.HeadCategory:
				r.Weight, r.Category, r.Votes = 0.5, taxonomy.Category(g.Class), 1
				r.Note = fmt.Sprintf("模型建议：%s类帖子中权重高而规则尚未包含的词（%s），逐词核对后启用", g.Name, span)
			case g.Class == learn.Major:
				r.Level = &suggestedLevel{RaiseTo: taxonomy.LevelII}
				r.Note = fmt.Sprintf("模型建议：判为重大（Ⅰ/Ⅱ级）的帖子中权重高而规则尚未包含的词（%s）；升为Ⅱ级影响大，请先用 yuqing rules test 和 replay 验证", span)
			case g.Class == learn.Elevated:
				r.Level = &suggestedLevel{RaiseTo: taxonomy.LevelIII}
				r.Note = fmt.Sprintf("模型建议：判为较大（Ⅲ级）的帖子中权重高而规则尚未包含的词（%s），逐词核对后启用", span)
			default:
				r.Level = &suggestedLevel{Lower: 1, KeepAtOrAbove: taxonomy.LevelII}
				r.Note = fmt.Sprintf("模型建议：判为一般（Ⅳ级）的帖子中权重高而规则尚未包含的词（%s）：降一级，已达Ⅱ级及以上不降；逐词核对后启用", span)
			}
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return "", nil
	}
	var sb strings.Builder
	enc := yaml.NewEncoder(&sb)
	enc.SetIndent(2)
	if err := enc.Encode(rules); err != nil {
		return "", fmt.Errorf("生成规则片段: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("生成规则片段: %w", err)
	}
	var out strings.Builder
	out.WriteString("  # 以下规则由 yuqing rules suggest 根据学习模型生成，粘贴到 rules.yaml 的 rules: 列表末尾；\n")
	out.WriteString("  # 每个词都请人工核对（可删去不合适的词，或改写成 near、all 条件），再用 yuqing rules test 验证。\n")
	for _, line := range strings.SplitAfter(strings.TrimRight(sb.String(), "\n"), "\n") {
		out.WriteString("  " + line)
	}
	out.WriteString("\n")
	return out.String(), nil
}

// weightText shows a model weight with two decimals.
func weightText(w float64) string {
	return strconv.FormatFloat(math.Round(w*100)/100, 'f', 2, 64)
}

// WeightText shows a model weight as suggestions list it: +1.24.
func WeightText(w float64) string {
	if w >= 0 {
		return "+" + weightText(w)
	}
	return weightText(w)
}
