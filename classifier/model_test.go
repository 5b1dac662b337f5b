package classifier

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// modelRules is a tiny rule set: 医保 makes a post relevant, 骗保 votes
// for a category, 死亡 escalates to Ⅱ, 联名 and 致谢 de-escalate and 广告
// excludes.
const modelRules = `options:
  relevance_threshold: 2
  default_category: enrollment
rules:
  - id: core
    any: [医保]
    weight: 2
  - id: cat_fraud
    any: [骗保]
    category: institution
    votes: 1
  - id: death
    any: [死亡]
    level: {raise_to: 2}
  - id: petition
    any: [联名]
    level: {lower: 1}
  - id: thanks
    any: [致谢]
    level: {lower: 2}
  - id: advert
    any: [广告]
    weight: -3
`

// modelTrainingPosts are synthetic labelled posts: 套现 is major fraud,
// 拒付 an elevated treatment problem, 报销 an ordinary reimbursement
// complaint, and the rest irrelevant chatter. None names 医保, so the
// model learns the words the rules do not have.
func modelTrainingPosts() []Labeled {
	var out []Labeled
	add := func(n int, title, body string, relevant bool, cat taxonomy.Category, level taxonomy.Level) {
		for i := range n {
			out = append(out, Labeled{ID: title + string(rune('a'+i)), Post: Post{Title: title, Body: strings.Repeat(body, i%2+1)},
				Relevant: relevant, Category: cat, Level: level})
		}
	}
	add(4, "药店刷卡套现", "有人组织刷卡套现，倒卖药品", true, taxonomy.Institution, taxonomy.LevelII)
	add(4, "诊所团伙套现", "团伙套现倒卖，金额巨大", true, taxonomy.Institution, taxonomy.LevelII)
	add(4, "住院被拒付", "医院拒付押金，不给结算", true, taxonomy.Treatment, taxonomy.LevelIII)
	add(4, "结算被拒付", "药店拒付，不给结算", true, taxonomy.Treatment, taxonomy.LevelIII)
	add(4, "报销太慢", "报销材料交了很久还没到账", true, taxonomy.Reimbursement, taxonomy.LevelIV)
	add(4, "报销进度", "报销拖了三个月，材料一直在审", true, taxonomy.Reimbursement, taxonomy.LevelIV)
	add(4, "周末出游", "天气很好，去公园看花", false, "", 0)
	add(4, "美食推荐", "这家面馆好吃，推荐大家去", false, "", 0)
	add(4, "球赛直播", "今晚球赛精彩，进了三个球", false, "", 0)
	return out
}

// sentimentOf labels the synthetic posts: complaints negative, chatter positive.
func sentimentOf(l Labeled) string {
	if l.Relevant {
		return learn.Negative
	}
	return learn.Positive
}

// trainTestModel trains a model on posts through Engine.Example, as
// `yuqing train` does, and writes it to path.
func trainTestModel(t testing.TB, e *Engine, posts []Labeled, opts learn.Options, path string) {
	t.Helper()
	exs := make([]learn.Example, len(posts))
	for i, l := range posts {
		exs[i] = e.Example(l.Post)
		exs[i].ID, exs[i].Relevant, exs[i].Category, exs[i].Level, exs[i].Sentiment = l.ID, l.Relevant, l.Category, l.Level, sentimentOf(l)
	}
	m, err := learn.Train(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Meta.Command, m.Meta.DataSHA256 = "test", strings.Repeat("0", 64)
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
}

// tinyOptions suit a handful of posts: every word counts.
func tinyOptions(l2 float64) learn.Options {
	opts := learn.DefaultOptions()
	opts.Features.MinDF = 1
	opts.L2 = l2
	return opts
}

// withModel makes options.model of rules name modelName: the line
// replaced where there is one (the shipped rules have it), added otherwise.
func withModel(rules, modelName string) string {
	if modelLine.MatchString(rules) {
		return modelLine.ReplaceAllLiteralString(rules, "  model: "+modelName)
	}
	return optionsLine.ReplaceAllLiteralString(rules, "options:\n  model: "+modelName+"\n")
}

var (
	optionsLine = regexp.MustCompile(`(?m)^options:\n`)
	modelLine   = regexp.MustCompile(`(?m)^  model: .*$`)
)

// modelEngines returns the rules alone, and the same rules with a model
// trained on modelTrainingPosts, loaded from a temp dir.
func modelEngines(t *testing.T) (rulesOnly, both *Engine, dir string) {
	t.Helper()
	dir = t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte(modelRules), 0o644)
	rulesOnly, err := Load(plain, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	trainTestModel(t, rulesOnly, modelTrainingPosts(), tinyOptions(1e-3), filepath.Join(dir, "m", "test.model"))
	file := filepath.Join(dir, "rules.yaml")
	os.WriteFile(file, []byte(withModel(modelRules, "m/test.model")), 0o644)
	both, err = Load(file, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return rulesOnly, both, dir
}

func TestModelCombinesWithRules(t *testing.T) {
	rulesOnly, e, _ := modelEngines(t)
	if rulesOnly.HasModel() || !e.HasModel() {
		t.Fatal("HasModel wrong")
	}
	termLine := regexp.MustCompile(`^模型判断：相关可能性 \d+%，重大可能性 \d+%，情感(负面|中性|正面)（\d+%）；主要依据：[^（]+（[+-]\d+\.\d\d）`)
	cases := []struct {
		name, title, body string
		relevant          bool
		category          taxonomy.Category
		level             taxonomy.Level
		review            bool
		decidedBy         string
		reason            string // a reason containing this
	}{
		{name: "model adds a post the rules missed", title: "报销拖了三个月", body: "报销材料交了很久还没到账",
			relevant: true, category: taxonomy.Reimbursement, level: taxonomy.LevelIV, decidedBy: DecidedByModel, reason: "模型判为相关"},
		{name: "an exclusion rule wins", title: "报销拖了三个月", body: "报销材料交了很久还没到账，广告",
			relevant: false, decidedBy: DecidedByRules, reason: "排除规则 advert 已生效"},
		{name: "the more severe level", title: "医保结算被拒付", body: "医院拒付押金，不给结算",
			relevant: true, category: taxonomy.Treatment, level: taxonomy.LevelIII, decidedBy: DecidedByBoth, reason: "重于规则的Ⅳ级"},
		{name: "a rule's category stays", title: "医保结算被拒付", body: "医院拒付押金，不给结算，骗保",
			relevant: true, category: taxonomy.Institution, level: taxonomy.LevelIII, decidedBy: DecidedByBoth},
		{name: "a de-escalator's level stays", title: "医保结算被拒付", body: "医院拒付押金，不给结算，联名",
			relevant: true, category: taxonomy.Treatment, level: taxonomy.LevelIV, decidedBy: DecidedByBoth, reason: "等级由规则设定为Ⅳ级"},
		{name: "model says major, rules do not: review at Ⅱ", title: "医保：刷卡套现", body: "团伙套现倒卖，金额巨大",
			relevant: true, category: taxonomy.Institution, level: taxonomy.LevelII, review: true, decidedBy: DecidedByBoth, reason: "意见不一"},
		{name: "rules say Ⅱ, model does not: review", title: "医保报销太慢", body: "报销材料交了很久，老人已死亡",
			relevant: true, category: taxonomy.Reimbursement, level: taxonomy.LevelII, review: true, decidedBy: DecidedByBoth, reason: "规则：Ⅱ级 重大"},
		{name: "a de-escalator took the rules' Ⅱ below Ⅱ: the model's major does not reopen it", title: "医保：刷卡套现", body: "团伙套现倒卖，金额巨大，老人死亡，致谢",
			relevant: true, category: taxonomy.Institution, level: taxonomy.LevelIV, decidedBy: DecidedByBoth, reason: "降级规则已把重大线索降为Ⅳ级"},
		{name: "both irrelevant", title: "周末出游", body: "天气很好，去公园看花",
			relevant: false, decidedBy: DecidedByRules},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Post{Title: c.title, Body: c.body}
			r := e.Grade(p)
			if r.Relevant != c.relevant || r.Category != c.category || r.Level != c.level || r.Review != c.review || r.DecidedBy != c.decidedBy {
				t.Errorf("got relevant=%v %s %d review=%v by %s, want %v %s %d %v %s\n%s", r.Relevant, r.Category, r.Level, r.Review, r.DecidedBy,
					c.relevant, c.category, c.level, c.review, c.decidedBy, strings.Join(r.Reasons, "\n"))
			}
			if !slices.Contains([]string{learn.Negative, learn.Neutral, learn.Positive}, r.Sentiment) {
				t.Errorf("sentiment %q", r.Sentiment)
			}
			if c.reason != "" && !slices.ContainsFunc(r.Reasons, func(s string) bool { return strings.Contains(s, c.reason) }) {
				t.Errorf("no reason with %q:\n%s", c.reason, strings.Join(r.Reasons, "\n"))
			}
			i := slices.IndexFunc(r.Reasons, termLine.MatchString)
			if i < 0 {
				t.Fatalf("no model reason with terms and weights:\n%s", strings.Join(r.Reasons, "\n"))
			}
			if strings.Contains(r.Reasons[i], "w:") || strings.Contains(r.Reasons[i], "c:") || strings.Contains(r.Reasons[i], "rule:") {
				t.Errorf("raw feature names shown to staff: %s", r.Reasons[i])
			}
			if c.review != strings.HasSuffix(r.Reasons[len(r.Reasons)-1], "（疑似，待人工确认）") {
				t.Errorf("conclusion %q, review %v", r.Reasons[len(r.Reasons)-1], c.review)
			}
			// The rules' own evidence is the same with and without the model.
			if ro := rulesOnly.Grade(p); !slices.Equal(ro.Matches, r.Matches) || ro.Score != r.Score {
				t.Errorf("the model changed the rules' matches or score")
			}
		})
	}
	if r := e.Grade(Post{Title: "药店刷卡套现", Body: "有人组织刷卡套现"}); r.Sentiment != learn.Negative {
		t.Errorf("a fraud complaint's sentiment is %q", r.Sentiment)
	}
	if r := e.Grade(Post{Title: "美食推荐", Body: "这家面馆好吃"}); r.Sentiment != learn.Positive {
		t.Errorf("praise of a noodle shop's sentiment is %q", r.Sentiment)
	}
	if r := rulesOnly.Grade(Post{Title: "报销拖了三个月"}); r.Sentiment != "" || r.DecidedBy != DecidedByRules || r.Review {
		t.Errorf("rules alone: sentiment %q by %q review %v", r.Sentiment, r.DecidedBy, r.Review)
	}
}

// The model's features are the rules' tokens (with a domain word's parts)
// and the rules that fired: what Segment and Grade show.
func TestExampleIsWhatGradingSees(t *testing.T) {
	e := shipped(t)
	p := Post{Title: "异地就医医保报销难", Body: "在定点药店刷医保卡被拒，骗保的事没人管。", Replies: 3, Views: 40}
	ex := e.Example(p)
	var toks []string
	for _, text := range []string{p.Title, p.Body} {
		for _, tk := range e.Segment(text) {
			toks = append(append(toks, tk.Text), tk.Parts...)
		}
	}
	if !slices.Equal(ex.Tokens, toks) {
		t.Errorf("tokens %q, Segment gives %q", ex.Tokens, toks)
	}
	var rules []string
	for _, m := range e.Grade(p).Matches {
		rules = append(rules, "rule:"+m.Rule)
	}
	slices.Sort(rules)
	if rules = slices.Compact(rules); len(rules) == 0 || !slices.Equal(ex.Rules, rules) {
		t.Errorf("rules %q, Grade fired %q", ex.Rules, rules)
	}
	if ex.Text != p.Title+"\n"+p.Body || ex.Replies != 3 || ex.Views != 40 {
		t.Errorf("example %+v", ex)
	}
}

func TestModelVersionCoversModelBytes(t *testing.T) {
	rulesOnly, e, dir := modelEngines(t)
	if e.Version() == rulesOnly.Version() {
		t.Error("the version does not change when a model is added")
	}
	file := filepath.Join(dir, "rules.yaml")
	again, err := Load(file, "", nil)
	if err != nil || again.Version() != e.Version() {
		t.Fatalf("same files, version %s then %v (%v)", e.Version(), again, err)
	}
	trainTestModel(t, rulesOnly, modelTrainingPosts(), tinyOptions(1e-2), filepath.Join(dir, "m", "test.model"))
	changed, err := Load(file, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Version() == e.Version() {
		t.Error("the version does not change with the model's bytes")
	}
	if r := changed.Grade(Post{Title: "医保报销"}); r.RulesVersion != changed.Version() {
		t.Errorf("grade records version %s, engine %s", r.RulesVersion, changed.Version())
	}
}

func TestLoadRefusesBadModel(t *testing.T) {
	_, _, dir := modelEngines(t)
	good, err := os.ReadFile(filepath.Join(dir, "m", "test.model"))
	if err != nil {
		t.Fatal(err)
	}
	// A model trained on rules that had a rule these do not.
	other := filepath.Join(dir, "other.yaml")
	os.WriteFile(other, []byte(modelRules+"  - id: extra_rule\n    any: [套现]\n    weight: 0.5\n"), 0o644)
	otherEng, err := Load(other, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	trainTestModel(t, otherEng, modelTrainingPosts(), tinyOptions(1e-3), filepath.Join(dir, "m", "other.model"))

	cases := []struct {
		name  string
		model []byte // written to m/bad.model; nil: not written
		want  []string
	}{
		{"missing", nil, []string{"无法读取"}},
		{"not gzip", []byte("这不是模型"), []string{"不可用", "模型文件已损坏", "gzip"}},
		{"truncated", good[:len(good)/2], []string{"不可用", "截断"}},
		{"mismatched rules", mustRead(t, filepath.Join(dir, "m", "other.model")), []string{"与规则不匹配", "extra_rule", "重新训练"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := filepath.Join(dir, "m", "bad.model")
			os.Remove(bad)
			if c.model != nil {
				os.WriteFile(bad, c.model, 0o644)
			}
			file := filepath.Join(dir, "bad.yaml")
			os.WriteFile(file, []byte(withModel(modelRules, "m/bad.model")), 0o644)
			_, err := Load(file, "", nil)
			if err == nil {
				t.Fatal("Load accepted the model")
			}
			for _, w := range append(c.want, "bad.yaml:2: options.model", bad) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// With a model, classify adds sentiment, decided_by and review after the
// documented fields; without one its output is unchanged (the golden file
// of TestClassify).
func TestClassifyWithModel(t *testing.T) {
	_, e, _ := modelEngines(t)
	in := `{"id":1,"title":"医保：刷卡套现","body":"团伙套现倒卖，金额巨大"}` + "\n" + `{"id":"x","title":"美食推荐","body":"这家面馆好吃"}` + "\n"
	var out, errOut bytes.Buffer
	if bad, err := Classify(context.Background(), e, strings.NewReader(in), &out, &errOut); bad != 0 || err != nil {
		t.Fatal(bad, err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out.String())
	}
	keys := regexp.MustCompile(`"([a-z_]+)":`)
	var top []string
	for _, m := range keys.FindAllStringSubmatch(regexp.MustCompile(`"matches":\[.*?\]`).ReplaceAllString(lines[0], `"matches":[]`), -1) {
		top = append(top, m[1])
	}
	want := []string{"id", "relevant", "category", "level", "score", "matches", "sentiment", "decided_by", "review"}
	if !slices.Equal(top, want) {
		t.Errorf("fields %v, want %v", top, want)
	}
	var a, b struct {
		Level     int    `json:"level"`
		Sentiment string `json:"sentiment"`
		DecidedBy string `json:"decided_by"`
		Review    *bool  `json:"review"`
	}
	json.Unmarshal([]byte(lines[0]), &a)
	json.Unmarshal([]byte(lines[1]), &b)
	if a.Level != 2 || a.Sentiment != learn.Negative || a.DecidedBy != DecidedByBoth || a.Review == nil || !*a.Review {
		t.Errorf("first line %s", lines[0])
	}
	if b.Sentiment != learn.Positive || b.DecidedBy != DecidedByRules || b.Review == nil || *b.Review {
		t.Errorf("second line %s", lines[1])
	}
}

// WithModel grades as an engine loaded with options.model naming the same
// model: cross-validation scores the daemon's combined grade with it.
func TestWithModelGradesAsLoaded(t *testing.T) {
	rulesOnly, both, dir := modelEngines(t)
	m, err := learn.Load(filepath.Join(dir, "m", "test.model"))
	if err != nil {
		t.Fatal(err)
	}
	cv := rulesOnly.WithModel(m)
	if !cv.HasModel() || rulesOnly.WithModel(nil).HasModel() {
		t.Fatal("HasModel wrong")
	}
	for _, p := range []Post{{Title: "报销拖了三个月", Body: "报销材料交了很久还没到账"}, {Title: "医保：刷卡套现", Body: "团伙套现倒卖，金额巨大"},
		{Title: "医保报销太慢", Body: "报销材料交了很久，老人已死亡"}, {Title: "周末出游", Body: "天气很好"}} {
		got, want := cv.Grade(p), both.Grade(p)
		got.RulesVersion, want.RulesVersion = "", ""
		if got.Relevant != want.Relevant || got.Category != want.Category || got.Level != want.Level || got.Review != want.Review ||
			got.DecidedBy != want.DecidedBy || got.Sentiment != want.Sentiment || !slices.Equal(got.Reasons, want.Reasons) {
			t.Errorf("%s: WithModel %+v\nloaded %+v", p.Title, got, want)
		}
		if ro := rulesOnly.Grade(p); ro.Sentiment != "" || ro.Review {
			t.Errorf("%s: WithModel changed the rules-only engine", p.Title)
		}
	}
}

// The shipped model keeps an official notice of the enrolment drive and a
// thank-you as 舆情信息, and files complaints and plain 一般 posts it is
// unsure of as incidents.
func TestShippedModelInformation(t *testing.T) {
	for _, tc := range []struct {
		title, body string
		info        bool
	}{
		{"新一年度城乡居民医保集中缴费启动", "记者从市医疗保障局获悉，新一年度城乡居民基本医疗保险集中缴费即日启动，至12月31日结束。参保群众可通过小程序、合作银行网点或所在社区缴费。", true},
		{"感谢医保窗口的工作人员", "今天去办异地就医备案，窗口的工作人员很耐心，十分钟就办好了，点赞！", true},
		{"医保电子凭证扫码一直失败", "在药店买药扫码一直提示网络异常，试了好几次都不行，太耽误事了", false},
		{"医保报销材料交了两个月还没到账", "住院报销的材料交上去两个月了，打电话问也说不清楚，到底什么时候能到？", false},
	} {
		res := shipped(t).Grade(Post{Title: tc.title, Body: tc.body})
		if !res.Relevant || res.Level != taxonomy.LevelIV || res.Information != tc.info {
			t.Errorf("%s: relevant %v level %d sentiment %s information %v, want information %v\n%s",
				tc.title, res.Relevant, res.Level, res.Sentiment, res.Information, tc.info, strings.Join(res.Reasons, "\n"))
		}
	}
}

// A rule's sentiment has the last word over the model's, and makes a
// neutral 一般 post information even without a model; a grievance beside
// the notice phrasing keeps the rule silent.
func TestRuleSentiment(t *testing.T) {
	notice := Post{Title: "新一年度城乡居民医保集中缴费启动", Body: "记者从市医疗保障局获悉，新一年度城乡居民基本医疗保险集中缴费即日启动。市医保局提醒，集中缴费期结束后参保的，将设置待遇等待期。"}
	for name, eng := range map[string]*Engine{"rules": shippedRulesOnly(t), "rules+model": shipped(t)} {
		res := eng.Grade(notice)
		if res.Sentiment != taxonomy.Neutral || !res.Information || !strings.Contains(strings.Join(res.Reasons, "\n"), "规则「官方通知、公告、新闻通稿的语气」判定为中性的一般信息") {
			t.Errorf("%s: notice graded sentiment %q information %v\n%s", name, res.Sentiment, res.Information, strings.Join(res.Reasons, "\n"))
		}
		near := notice
		near.Body += "可是我们去年交了钱到现在还报不了，窗口互相推诿。"
		if res := eng.Grade(near); res.Information || res.Sentiment == taxonomy.Neutral && name == "rules" {
			t.Errorf("%s: a notice quoted in a complaint graded sentiment %q information %v", name, res.Sentiment, res.Information)
		}
	}
	bad := strings.Replace(modelRules, "    any: [联名]\n", "    any: [联名]\n    sentiment: angry\n", 1)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(bad), 0o644)
	if _, err := Load(filepath.Join(dir, "r.yaml"), "", nil); err == nil || !strings.Contains(err.Error(), "情感只能是 negative（负面）、neutral（中性）或 positive（正面），实际为 \"angry\"") {
		t.Errorf("bad sentiment: %v", err)
	}
	only := modelRules + "  - id: tone\n    any: [公告]\n    sentiment: neutral\n"
	os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(only), 0o644)
	if _, err := Load(filepath.Join(dir, "r.yaml"), "", nil); err != nil {
		t.Errorf("a rule with only a sentiment: %v", err)
	}
}
