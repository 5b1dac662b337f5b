package suggest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/suggest"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// rules knows 医保 (relevance) and 骗保 (a category vote); the training
// posts teach the model 报销 (reimbursement, ordinary) and 套现
// (institution, major), which no rule has.
const rules = `options:
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
`

func trainingPosts() []classifier.Labeled {
	var out []classifier.Labeled
	add := func(n int, title, body string, relevant bool, cat taxonomy.Category, level taxonomy.Level) {
		for i := range n {
			out = append(out, classifier.Labeled{ID: title + string(rune('a'+i)), Post: classifier.Post{Title: title, Body: strings.Repeat(body, i%2+1)},
				Relevant: relevant, Category: cat, Level: level})
		}
	}
	add(4, "药店刷卡套现", "有人组织刷卡套现，倒卖药品", true, taxonomy.Institution, taxonomy.LevelII)
	add(4, "诊所团伙套现", "团伙套现倒卖，金额巨大", true, taxonomy.Institution, taxonomy.LevelII)
	add(4, "报销太慢", "报销材料交了很久还没到账", true, taxonomy.Reimbursement, taxonomy.LevelIV)
	add(4, "报销进度", "报销拖了三个月，材料一直在审", true, taxonomy.Reimbursement, taxonomy.LevelIV)
	add(4, "周末出游", "天气很好，去公园看花", false, "", 0)
	add(4, "美食推荐", "这家面馆好吃，推荐大家去", false, "", 0)
	return out
}

// engine loads rules with a model trained through them, as `yuqing
// train` does.
func engine(t *testing.T) *classifier.Engine {
	t.Helper()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte(rules), 0o644)
	e, err := classifier.Load(plain, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var exs []learn.Example
	for _, l := range trainingPosts() {
		ex := e.Example(l.Post)
		ex.ID, ex.Relevant, ex.Category, ex.Level, ex.Sentiment = l.ID, l.Relevant, l.Category, l.Level, learn.Neutral
		exs = append(exs, ex)
	}
	opts := learn.DefaultOptions()
	opts.Features.MinDF, opts.L2 = 1, 1e-3
	m, err := learn.Train(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Meta.Command, m.Meta.DataSHA256 = "test", strings.Repeat("0", 64)
	if err := m.SaveFile(filepath.Join(dir, "test.model")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "rules.yaml")
	os.WriteFile(file, []byte(strings.Replace(rules, "options:\n", "options:\n  model: test.model\n", 1)), 0o644)
	if e, err = classifier.Load(file, "", nil); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLabelled(t *testing.T) {
	e := engine(t)
	items := []classifier.Labeled{
		// The rules miss it, the model finds it: the model is right.
		{ID: "a", Post: classifier.Post{Title: "报销拖了三个月，电话13812345678", Body: "报销材料交了很久还没到账"},
			Relevant: true, Category: taxonomy.Reimbursement, Level: taxonomy.LevelIV},
		// The same text labelled irrelevant: the rules are right.
		{ID: "b", Post: classifier.Post{Title: "报销拖了三个月", Body: "报销材料交了很久还没到账"}},
		// Both say relevant; the rules default to enrollment, the model
		// says institution and major: the model is right on both.
		{ID: "c", Post: classifier.Post{Title: "医保：刷卡套现", Body: "团伙套现倒卖，金额巨大"},
			Relevant: true, Category: taxonomy.Institution, Level: taxonomy.LevelII},
		// Both irrelevant: no disagreement.
		{ID: "d", Post: classifier.Post{Title: "周末出游", Body: "天气很好"}},
	}
	rep, err := suggest.Labelled(e, items)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Posts != 4 || len(rep.Cases) != 3 {
		t.Fatalf("report %+v", rep)
	}
	byID := map[string]suggest.LabelledCase{}
	for _, c := range rep.Cases {
		byID[c.ID] = c
	}
	if c := byID["a"]; c.Right != suggest.RightModel || !slices.Equal(c.Aspects, []string{suggest.AspectRelevance}) ||
		c.Rules.Relevant || !c.Model.Relevant || c.PRelevant < 0.5 {
		t.Errorf("a: %+v", c)
	}
	if c := byID["a"]; strings.Contains(c.Excerpt, "13812345678") || !strings.Contains(c.Excerpt, "138****5678") {
		t.Errorf("excerpt not masked: %q", c.Excerpt)
	}
	if c := byID["b"]; c.Right != suggest.RightRules {
		t.Errorf("b: %+v", c)
	}
	if c := byID["c"]; c.Right != suggest.RightModel || !slices.Equal(c.Aspects, []string{suggest.AspectCategory, suggest.AspectBand}) ||
		c.Rules.Category != taxonomy.Enrollment || c.Model.Category != taxonomy.Institution || c.Model.Level != taxonomy.LevelII {
		t.Errorf("c: %+v", c)
	}
	if rep.Right[suggest.RightModel] != 2 || rep.Right[suggest.RightRules] != 1 {
		t.Errorf("tally %v", rep.Right)
	}
	if got := (model.Verdict{Relevant: true, Category: taxonomy.Institution, Level: 2}).Text(); got != "Ⅱ级 重大·定点机构管理" {
		t.Errorf("verdict text %q", got)
	}
}

func TestStoredNewestFirstPaged(t *testing.T) {
	ctx := context.Background()
	e := engine(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	texts := []struct{ title, body string }{
		{"报销拖了三个月", "报销材料交了很久还没到账"}, // the model makes it relevant
		{"周末出游", "天气很好，去公园看花"},      // nobody's business
		{"医保：报销太慢", "报销材料交了很久"},     // no rule votes: the model gives the category
		{"医保：刷卡套现", "团伙套现倒卖，金额巨大"},  // the model: institution, major, 疑似
	}
	var ids []int64
	for round := range 3 {
		for i, tx := range texts {
			p := model.Post{Source: "bbs", URL: "http://bbs/" + string(rune('a'+round)) + string(rune('a'+i)), Title: tx.title,
				Body: tx.body, FetchedAt: now}
			if _, err := st.SavePost(ctx, &p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
			if round == 2 && i == 3 {
				continue // not graded yet: left out
			}
			g := grader.ToGrade(p.ID, e.Grade(grader.ClassifierPost(p, grader.SourceGrading{Weight: 1}, store.Engagement{})), now, false)
			switch {
			case round == 0 && i == 0:
				g.DecidedBy = "" // graded before there was a model: left out
			case round == 0 && i == 1:
				g.Review = true // marked 疑似 then: listed
			}
			if err := st.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, g) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := suggest.Stored(ctx, st, e, suggest.StoredQuery{Since: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, c := range all.Cases {
		got = append(got, c.PostID)
	}
	want := []int64{ids[10], ids[8], ids[7], ids[6], ids[4], ids[3], ids[2], ids[1]}
	if !slices.Equal(got, want) || all.Scanned != 11 || all.Total != 8 || all.More || all.Capped {
		t.Fatalf("cases %v (scanned %d, total %d, more %v), want %v", got, all.Scanned, all.Total, all.More, want)
	}
	for _, c := range all.Cases {
		switch c.PostID {
		case ids[8], ids[4]:
			if c.DecidedBy != classifier.DecidedByModel || c.Rules.Relevant || !c.Model.Relevant || !c.Final.Relevant || c.Final.Category != taxonomy.Reimbursement {
				t.Errorf("post %d: %+v", c.PostID, c)
			}
		case ids[10], ids[6], ids[2]:
			if c.DecidedBy != classifier.DecidedByBoth || c.Review || c.Rules.Category != taxonomy.Enrollment || c.Final.Category != taxonomy.Reimbursement {
				t.Errorf("post %d: %+v", c.PostID, c)
			}
		case ids[7], ids[3]:
			if !c.Review || c.Final.Level != taxonomy.LevelII || c.Model.Category != taxonomy.Institution || c.DecidedBy != classifier.DecidedByBoth {
				t.Errorf("post %d: %+v", c.PostID, c)
			}
		default: // the stored 疑似 mark counts, whatever the model says now
			if !c.Review || c.DecidedBy != classifier.DecidedByRules || c.Model.Relevant {
				t.Errorf("post %d: %+v", c.PostID, c)
			}
		}
	}
	p1, err := suggest.Stored(ctx, st, e, suggest.StoredQuery{Since: now.Add(-time.Hour), Limit: 2})
	if err != nil || !p1.More || len(p1.Cases) != 2 || p1.Cases[0].PostID != ids[10] || p1.Total != 8 {
		t.Errorf("page 1: %+v %v", p1, err)
	}
	p4, err := suggest.Stored(ctx, st, e, suggest.StoredQuery{Since: now.Add(-time.Hour), Offset: 6, Limit: 2})
	if err != nil || p4.More || len(p4.Cases) != 2 || p4.Cases[1].PostID != ids[1] {
		t.Errorf("offset 6: %+v %v", p4, err)
	}
	p8, err := suggest.Stored(ctx, st, e, suggest.StoredQuery{Since: now.Add(-time.Hour), Offset: 8, Limit: 2})
	if err != nil || p8.More || len(p8.Cases) != 0 {
		t.Errorf("offset 8: %+v %v", p8, err)
	}
	capped, err := suggest.Stored(ctx, st, e, suggest.StoredQuery{Since: now.Add(-time.Hour), MaxScan: 4})
	if err != nil || !capped.Capped || capped.Total != 4 || len(capped.Cases) != 4 || capped.Cases[3].PostID != ids[6] {
		t.Errorf("the newest 4: %+v %v", capped, err)
	}
	plain := filepath.Join(t.TempDir(), "plain.yaml")
	os.WriteFile(plain, []byte(rules), 0o644)
	rulesOnly, err := classifier.Load(plain, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := suggest.Stored(ctx, st, rulesOnly, suggest.StoredQuery{}); !errors.Is(err, classifier.ErrNoModel) {
		t.Errorf("rules without a model: %v", err)
	}
}
