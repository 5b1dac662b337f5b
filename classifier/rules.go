package classifier

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// termList is a list of terms that may also be written as a single string,
// so `any: "@core"` and `any: [a, b]` both read naturally.
type termList []string

func (t *termList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = termList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*t = l
	return nil
}

// rulesFile is configs/rules.yaml as written by operators.
type rulesFile struct {
	Options options             `yaml:"options"`
	Groups  map[string]termList `yaml:"groups"`
	Rules   []ruleSpec          `yaml:"rules"`
}

type options struct {
	Threshold       float64             `yaml:"relevance_threshold"`
	TitleFactor     float64             `yaml:"title_factor"`
	TitleVoteFactor float64             `yaml:"title_vote_factor"` // 0: same as title_factor
	LooseMinRunes   int                 `yaml:"loose_min_runes"`
	Traditional     bool                `yaml:"traditional"`
	BaseLevel       taxonomy.Level      `yaml:"base_level"`
	DefaultCategory taxonomy.Category   `yaml:"default_category"`
	CategoryOrder   []taxonomy.Category `yaml:"category_order"`
	Engagement      []engagementTier    `yaml:"engagement"`
	DictFreq        float64             `yaml:"dict_freq"`
	// Model is the learned model file (`yuqing train`), relative to the
	// rules file's directory; "" grades with the rules alone.
	Model string `yaml:"model"`
}

// engagementTier raises the level of posts that reached any of its counts.
// Replies, Views and Reposts are absolute floors; with TimesTypical > 0 a
// count must also reach TimesTypical × the source's typical count (when
// known), so a tier means "unusual for this source", not just "big".
type engagementTier struct {
	Note         string         `yaml:"note"`
	Replies      int            `yaml:"replies"`
	Views        int            `yaml:"views"`
	Reposts      int            `yaml:"reposts"`
	TimesTypical float64        `yaml:"times_typical"`
	Raise        int            `yaml:"raise"`
	Highest      taxonomy.Level `yaml:"highest"`
}

type nearSpec struct {
	A      termList `yaml:"a"`
	B      termList `yaml:"b"`
	Within int      `yaml:"within"`
}

type levelSpec struct {
	RaiseTo       taxonomy.Level `yaml:"raise_to"`
	Lower         int            `yaml:"lower"`
	KeepAtOrAbove taxonomy.Level `yaml:"keep_at_or_above"`
}

type ruleSpec struct {
	ID       string            `yaml:"id"`
	Name     string            `yaml:"name"`
	Note     string            `yaml:"note"`
	Scope    string            `yaml:"scope"`
	Any      termList          `yaml:"any"`
	All      []termList        `yaml:"all"`
	Near     []nearSpec        `yaml:"near"`
	None     termList          `yaml:"none"`
	MinCount int               `yaml:"min_count"`
	PerTerm  int               `yaml:"count_terms"`
	Weight   float64           `yaml:"weight"`
	Category taxonomy.Category `yaml:"category"`
	Votes    *float64          `yaml:"votes"`
	Level    *levelSpec        `yaml:"level"`
	// Sentiment sets the post's sentiment (negative, neutral, positive)
	// when the rule fires: an operator's word on tone, over the model's.
	Sentiment string `yaml:"sentiment"`
	Disabled  bool   `yaml:"disabled"`
}

func defaultRulesFile() rulesFile {
	return rulesFile{Options: options{
		Threshold:     2,
		TitleFactor:   1.5,
		LooseMinRunes: 4,
		Traditional:   true,
		BaseLevel:     taxonomy.LevelIV,
		DictFreq:      200,
	}}
}

// Scopes.
const (
	scopeBoth  = 0
	scopeTitle = 1
	scopeBody  = 2
)

// term is one compiled keyword.
type term struct {
	text    string         // as written in the rules (shown to people)
	key     string         // folded form searched for
	re      *regexp.Regexp // for /regex/ terms
	startOK bool           // may start inside a token
	endOK   bool           // may end inside a token
	whole   bool           // "=词": a whole token, not a part of a domain word
}

type near struct {
	a, b   []int
	within int
}

type rule struct {
	id   string
	note string
	// label is how reasons name the rule to staff: 「name」, the name
	// being `name:` or the note up to its first bracket or colon; the id
	// only when there is neither.
	label     string
	scope     int
	any       []int
	all       [][]int
	near      []near
	none      []int
	minCount  int
	perTerm   int
	weight    float64
	category  taxonomy.Category
	votes     float64
	raiseTo   taxonomy.Level
	lower     int
	keepAt    taxonomy.Level
	sentiment string
	index     int
}

// compiled is the rules file after validation.
type compiled struct {
	opts   options
	terms  []term
	rules  []rule
	unused []string // groups no enabled rule references
	// byTerm[t] lists (ascending) the rules that can only fire when term t
	// occurs: a post's hits select its candidate rules, so grading cost
	// follows the text, not the size of the rule set.
	byTerm [][]int32
}

// indexRules fills byTerm with each rule's trigger list: any when present,
// else the first all list, else the first near's a list. Every one of them
// is necessary for the rule to fire.
func (cp *compiled) indexRules() {
	cp.byTerm = make([][]int32, len(cp.terms))
	for ri := range cp.rules {
		r := &cp.rules[ri]
		var trig []int
		switch {
		case len(r.any) > 0:
			trig = r.any
		case len(r.all) > 0:
			trig = r.all[0]
		case len(r.near) > 0:
			trig = r.near[0].a
		}
		for _, id := range trig {
			if l := cp.byTerm[id]; len(l) == 0 || l[len(l)-1] != int32(ri) {
				cp.byTerm[id] = append(l, int32(ri))
			}
		}
	}
}

type compiler struct {
	used   map[string]bool // groups referenced by some rule
	doc    *yamlfile.Doc
	f      *rulesFile
	fold   foldTable
	terms  []term
	byText map[string]int
	errs   []error
}

func compileRules(doc *yamlfile.Doc, f *rulesFile, fold foldTable) (*compiled, error) {
	c := &compiler{doc: doc, f: f, fold: fold, byText: map[string]int{}, used: map[string]bool{}}
	c.checkOptions(&f.Options)
	for name := range f.Groups {
		if name == "" || strings.ContainsAny(name, "@ ") {
			c.errf("groups", "词组名 %q 不能为空，也不能含有 @ 或空格", name)
		}
	}
	out := &compiled{opts: f.Options}
	ids := map[string]int{}
	for i, rs := range f.Rules {
		if rs.Disabled {
			continue
		}
		p := fmt.Sprintf("rules[%d]", i)
		c.checkID(p, rs.ID, i, ids)
		out.rules = append(out.rules, c.rule(p, i, &rs))
	}
	if len(out.rules) == 0 && len(c.errs) == 0 {
		c.errf("rules", "没有任何启用的规则")
	}
	out.terms = c.terms
	for name := range f.Groups {
		if !c.used[name] {
			out.unused = append(out.unused, name)
		}
	}
	sort.Strings(out.unused)
	if len(c.errs) == 0 {
		out.indexRules()
	}
	return out, errors.Join(c.errs...)
}

// ruleName is the Chinese name of a rule for staff: its name, else its
// note up to the first bracket, colon or comma that starts the details;
// "" when it has neither.
func ruleName(rs *ruleSpec) string {
	if n := strings.TrimSpace(rs.Name); n != "" {
		return n
	}
	note := strings.TrimSpace(rs.Note)
	if i := strings.IndexAny(note, "（(：:，,；;"); i > 0 {
		note = note[:i]
	}
	return note
}

// checkOptions validates the options block and fills title_vote_factor's
// default (the title factor).
func (c *compiler) checkOptions(o *options) {
	if o.Threshold <= 0 {
		c.errf("options.relevance_threshold", "相关性阈值必须大于 0，实际为 %v", o.Threshold)
	}
	if o.TitleFactor <= 0 {
		c.errf("options.title_factor", "标题倍数必须大于 0，实际为 %v", o.TitleFactor)
	}
	if o.TitleVoteFactor < 0 {
		c.errf("options.title_vote_factor", "标题计票倍数不能为负数，实际为 %v", o.TitleVoteFactor)
	}
	if o.TitleVoteFactor == 0 {
		o.TitleVoteFactor = o.TitleFactor
	}
	if o.LooseMinRunes < 0 {
		c.errf("options.loose_min_runes", "不能为负数")
	}
	if !o.BaseLevel.Valid() {
		c.errf("options.base_level", "等级必须是 1 到 4，实际为 %d", o.BaseLevel)
	}
	if o.DefaultCategory != "" && !o.DefaultCategory.Valid() {
		c.errf("options.default_category", "未知类别 %q，可选：%s", o.DefaultCategory, strings.Join(taxonomy.CategoryKeys(), "、"))
	}
	for i, k := range o.CategoryOrder {
		if !k.Valid() {
			c.errf(fmt.Sprintf("options.category_order[%d]", i), "未知类别 %q", k)
		}
	}
	if o.DictFreq <= 0 {
		c.errf("options.dict_freq", "词频必须大于 0")
	}
	for i, t := range o.Engagement {
		p := fmt.Sprintf("options.engagement[%d]", i)
		if t.Replies <= 0 && t.Views <= 0 && t.Reposts <= 0 {
			c.errf(p, "至少要设置 replies、views、reposts 中的一个门槛")
		}
		if t.TimesTypical < 0 {
			c.errf(p+".times_typical", "倍数不能为负数，实际为 %v", t.TimesTypical)
		}
		if t.Raise < 1 || t.Raise > 3 {
			c.errf(p+".raise", "升级数必须是 1 到 3，实际为 %d", t.Raise)
		}
		if t.Highest != 0 && !t.Highest.Valid() {
			c.errf(p+".highest", "等级必须是 1 到 4，实际为 %d", t.Highest)
		}
	}
}

// checkID reports a missing, malformed or repeated rule id; ids maps the
// ids seen to their rule index.
func (c *compiler) checkID(p, id string, i int, ids map[string]int) {
	switch {
	case id == "":
		c.errf(p, "缺少 id")
	case !validID(id):
		c.errf(p+".id", "id %q 只能包含小写字母、数字和下划线", id)
	default:
		if j, dup := ids[id]; dup {
			c.errf(p+".id", "id %q 与 rules[%d] 重复", id, j)
		}
		ids[id] = i
	}
}

// rule compiles rules[i] (at path p): its scope, its conditions and its
// effects, every problem reported.
func (c *compiler) rule(p string, i int, rs *ruleSpec) rule {
	r := rule{id: rs.ID, note: rs.Note, weight: rs.Weight, category: rs.Category, index: i, label: " " + rs.ID + " "}
	if name := ruleName(rs); name != "" {
		r.label = "「" + name + "」"
	}
	switch rs.Scope {
	case "", "both":
		r.scope = scopeBoth
	case "title":
		r.scope = scopeTitle
	case "body":
		r.scope = scopeBody
	default:
		c.errf(p+".scope", "范围必须是 title、body 或 both，实际为 %q", rs.Scope)
	}
	c.conditions(p, rs, &r)
	c.effects(p, rs, &r)
	return r
}

// conditions compiles a rule's term lists (any, all, near, none) and their
// counts.
func (c *compiler) conditions(p string, rs *ruleSpec, r *rule) {
	termErrs := len(c.errs)
	r.any = c.list(p+".any", rs.Any)
	for j, l := range rs.All {
		ids := c.list(fmt.Sprintf("%s.all[%d]", p, j), l)
		if len(ids) == 0 {
			c.errf(fmt.Sprintf("%s.all[%d]", p, j), "词表不能为空")
		}
		r.all = append(r.all, ids)
	}
	for j, n := range rs.Near {
		np := fmt.Sprintf("%s.near[%d]", p, j)
		nn := near{a: c.list(np+".a", n.A), b: c.list(np+".b", n.B), within: n.Within}
		if len(nn.a) == 0 || len(nn.b) == 0 {
			c.errf(np, "a 和 b 两个词表都不能为空")
		}
		if n.Within < 0 {
			c.errf(np+".within", "距离不能为负数")
		}
		r.near = append(r.near, nn)
	}
	r.none = c.list(p+".none", rs.None)
	r.minCount = rs.MinCount
	r.perTerm = rs.PerTerm
	if rs.PerTerm < 0 {
		c.errf(p+".count_terms", "不能为负数")
	}
	if rs.PerTerm > 0 && len(r.any) == 0 {
		c.errf(p+".count_terms", "count_terms 统计的是 any 中命中的不同词数，需要同时写 any")
	}
	if rs.MinCount < 0 {
		c.errf(p+".min_count", "不能为负数")
	}
	if rs.MinCount > 0 && len(r.any) == 0 {
		c.errf(p+".min_count", "min_count 统计的是 any 的命中次数，需要同时写 any")
	}
	// A rule whose only terms were rejected above is not also "without
	// conditions": that error would only hide the real one.
	if len(r.any) == 0 && len(r.all) == 0 && len(r.near) == 0 && len(c.errs) == termErrs {
		c.errf(p, "规则没有任何条件：至少需要 any、all 或 near 之一")
	}
}

// effects compiles what a firing rule does: its category votes, level
// change and sentiment (its weight is copied as written).
func (c *compiler) effects(p string, rs *ruleSpec, r *rule) {
	if rs.Category != "" && !rs.Category.Valid() {
		c.errf(p+".category", "未知类别 %q，可选：%s", rs.Category, strings.Join(taxonomy.CategoryKeys(), "、"))
	}
	if rs.Votes != nil {
		r.votes = *rs.Votes
		if r.votes < 0 {
			c.errf(p+".votes", "票数不能为负数")
		}
		if rs.Category == "" {
			c.errf(p+".votes", "设置了 votes 但没有 category")
		}
	} else if rs.Category != "" {
		r.votes = max(rs.Weight, 1)
	}
	if lv := rs.Level; lv != nil {
		if lv.RaiseTo != 0 && !lv.RaiseTo.Valid() {
			c.errf(p+".level.raise_to", "等级必须是 1 到 4，实际为 %d", lv.RaiseTo)
		}
		if lv.Lower < 0 || lv.Lower > 3 {
			c.errf(p+".level.lower", "降级数必须是 0 到 3，实际为 %d", lv.Lower)
		}
		if lv.KeepAtOrAbove != 0 && !lv.KeepAtOrAbove.Valid() {
			c.errf(p+".level.keep_at_or_above", "等级必须是 1 到 4，实际为 %d", lv.KeepAtOrAbove)
		}
		if lv.RaiseTo != 0 && lv.Lower != 0 {
			c.errf(p+".level", "raise_to 与 lower 不能写在同一条规则里")
		}
		if lv.RaiseTo == 0 && lv.Lower == 0 {
			c.errf(p+".level", "level 需要 raise_to 或 lower")
		}
		r.raiseTo, r.lower, r.keepAt = lv.RaiseTo, lv.Lower, lv.KeepAtOrAbove
	}
	if rs.Sentiment != "" && !slices.Contains(taxonomy.Sentiments, rs.Sentiment) {
		c.errf(p+".sentiment", "情感只能是 negative（负面）、neutral（中性）或 positive（正面），实际为 %q", rs.Sentiment)
	}
	r.sentiment = rs.Sentiment
	if rs.Weight == 0 && rs.Category == "" && rs.Level == nil && rs.Sentiment == "" {
		c.errf(p, "规则不起任何作用：请设置 weight、category、level 或 sentiment")
	}
}

func (c *compiler) errf(path, format string, args ...any) {
	c.errs = append(c.errs, c.doc.Errorf(path, format, args...))
}

var idRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func validID(s string) bool { return idRe.MatchString(s) }

// list resolves a term list (with @group references) into term ids.
func (c *compiler) list(path string, l termList) []int {
	var out []int
	seen := map[int]bool{}
	var walk func(path string, l termList, stack []string)
	walk = func(path string, l termList, stack []string) {
		for i, s := range l {
			p := fmt.Sprintf("%s[%d]", path, i)
			if strings.HasPrefix(s, "@") {
				name := s[1:]
				g, ok := c.f.Groups[name]
				if !ok {
					c.errf(p, "引用了不存在的词组 %q", name)
					continue
				}
				for _, st := range stack {
					if st == name {
						c.errf(p, "词组循环引用：%s → %s", strings.Join(stack, " → "), name)
						return
					}
				}
				c.used[name] = true
				walk("groups."+name, g, append(stack, name))
				continue
			}
			id, ok := c.term(p, s)
			if ok && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	walk(path, l, nil)
	return out
}

// term compiles one keyword. Syntax: "词" must start and end on token
// boundaries (a domain word's inner boundaries count); "=词" must be a
// whole token; "词*" may end inside a token; "*词" may start inside one;
// "/re/" is a regular expression on the folded text.
func (c *compiler) term(path, s string) (int, bool) {
	s = strings.TrimSpace(s)
	if id, ok := c.byText[s]; ok {
		return id, true
	}
	t := term{text: s}
	switch {
	case s == "" || s == "*" || s == "**":
		c.errf(path, "关键词不能为空")
		return 0, false
	case len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/':
		re, err := regexp.Compile(c.fold.foldString(s[1 : len(s)-1]))
		if err != nil {
			c.errf(path, "正则表达式 %s 有误：%v", s, err)
			return 0, false
		}
		if re.MatchString("") {
			c.errf(path, "正则表达式 %s 能匹配空串", s)
			return 0, false
		}
		t.re = re
	case strings.HasPrefix(s, "="):
		k := strings.TrimSpace(s[1:])
		if k == "" || strings.ContainsAny(k, "*@/=") {
			c.errf(path, "关键词 %q 有误：「=词」表示整个词，不能再加 * 或写成正则", s)
			return 0, false
		}
		t.key, t.whole = c.fold.foldString(k), true
	default:
		k := s
		if strings.HasPrefix(k, "*") {
			t.startOK, k = true, k[1:]
		}
		if strings.HasSuffix(k, "*") {
			t.endOK, k = true, k[:len(k)-1]
		}
		if strings.ContainsAny(k, "*@/") {
			c.errf(path, "关键词 %q 含有特殊字符（* 只能在首尾，正则要写成 /.../）", s)
			return 0, false
		}
		t.key = c.fold.foldString(strings.TrimSpace(k))
		if t.key == "" {
			c.errf(path, "关键词不能为空")
			return 0, false
		}
		if min := c.f.Options.LooseMinRunes; min > 0 && utf8.RuneCountInString(t.key) >= min {
			t.startOK, t.endOK = true, true
		}
	}
	id := len(c.terms)
	c.terms = append(c.terms, t)
	c.byText[s] = id
	return id, true
}

// categoryRank orders categories for tie-breaking.
func (cp *compiled) categoryRank() map[taxonomy.Category]int {
	rank := map[taxonomy.Category]int{}
	for i, k := range cp.opts.CategoryOrder {
		if _, ok := rank[k]; !ok {
			rank[k] = i
		}
	}
	n := len(rank)
	for _, k := range taxonomy.Categories {
		if _, ok := rank[k]; !ok {
			rank[k] = n
			n++
		}
	}
	return rank
}

// sortedTierIdx returns engagement tiers from the strongest raise down.
func sortedTierIdx(ts []engagementTier) []int {
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ts[idx[a]].Raise > ts[idx[b]].Raise })
	return idx
}
