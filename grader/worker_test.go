package grader

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// keywordGrader marks posts mentioning 医保 relevant; 骗保 makes them Ⅱ and
// a thousand replies Ⅲ.
type keywordGrader struct{}

func (g keywordGrader) Grade(p classifier.Post) classifier.Result {
	res := g.grade(p)
	if p.Search { // as the classifier does when asked
		res.SearchText = splitSearch(p.Title, p.Body)
	}
	return res
}

func (keywordGrader) grade(p classifier.Post) classifier.Result {
	text := p.Title + p.Body
	switch {
	case strings.Contains(text, "骗保"):
		return classifier.Result{Grade: model.Grade{Relevant: true, Category: "institution", Level: 2, Score: 5, RulesVersion: "t1",
			Matches: []model.Match{{Rule: "fraud", Term: "骗保", Field: "title", Start: 0, End: 6}}}}
	case strings.Contains(text, "医保") && p.Replies >= 1000:
		return classifier.Result{Grade: model.Grade{Relevant: true, Category: "reimbursement", Level: 3, Score: 3, RulesVersion: "t1"}}
	case strings.Contains(text, "医保"):
		return classifier.Result{Grade: model.Grade{Relevant: true, Category: "reimbursement", Level: 4, Score: 2, RulesVersion: "t1"}}
	}
	return classifier.Result{Grade: model.Grade{Category: "policy", Level: 4, RulesVersion: "t1"}} // irrelevant: category/level dropped
}

// failingStore fails every transaction while fail is set.
type failingStore struct {
	store.Store
	fail bool
}

func (f *failingStore) InRowTx(ctx context.Context, fn func(store.Tx) error) error {
	if f.fail {
		return errors.New("database is locked")
	}
	return f.Store.InRowTx(ctx, fn)
}

func TestWorkerGradesFilesAndRetries(t *testing.T) {
	ctx := context.Background()
	base, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	st := &failingStore{Store: base, fail: true}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, title := range []string{"骗保团伙被曝光", "医保报销慢", "养老金调整"} {
		p := &model.Post{Source: "bbs", URL: "http://bbs/" + string(rune('a'+i)), Title: title, Body: "正文", FetchedAt: now}
		if _, err := st.SavePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	w := New(Options{Store: st, Grader: keywordGrader{}, Incidents: incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil),
		Registerer: reg, Batch: 10, Now: func() time.Time { return now }})

	// A database failure loses nothing: every post stays queued.
	n, err := w.ProcessBatch(ctx)
	if err == nil || n != 0 {
		t.Fatalf("batch during failure: %d, %v", n, err)
	}
	if _, ungraded, _ := st.CountPosts(ctx); ungraded != 3 {
		t.Fatalf("ungraded after failure = %d, want 3", ungraded)
	}
	if got := testutil.ToFloat64(w.errs); got != 3 {
		t.Errorf("grading errors = %v, want 3", got)
	}

	st.fail = false
	if n, err := w.ProcessBatch(ctx); err != nil || n != 3 {
		t.Fatalf("batch after recovery: %d, %v", n, err)
	}
	open, _ := st.OpenIncidents(ctx)
	if len(open) != 2 || open[0].Level != 2 || open[0].AckDueAt.IsZero() || open[1].Level != 4 {
		t.Errorf("open incidents %+v", open)
	}
	err = testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP yuqing_posts_graded_total Posts graded, by category and level (category "" and level 0: not relevant).
# TYPE yuqing_posts_graded_total counter
yuqing_posts_graded_total{category="",level="0"} 1
yuqing_posts_graded_total{category="institution",level="2"} 1
yuqing_posts_graded_total{category="reimbursement",level="4"} 1
# HELP yuqing_grading_backlog Posts waiting to be graded.
# TYPE yuqing_grading_backlog gauge
yuqing_grading_backlog 0
`), "yuqing_posts_graded_total", "yuqing_grading_backlog")
	if err != nil {
		t.Error(err)
	}
	d, err := st.IncidentDetail(ctx, open[0].Number)
	if err != nil || len(d.Posts) != 1 || d.Posts[0].Grade.RulesVersion != "t1" || d.Posts[0].Grade.Matches[0].Term != "骗保" {
		t.Errorf("stored grade %+v %v", d.Posts, err)
	}
	if n, _ := w.ProcessBatch(ctx); n != 0 {
		t.Errorf("second pass graded %d posts again", n)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	base, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	w := New(Options{Store: base, Grader: keywordGrader{}, Incidents: incident.New(base, incident.DefaultPolicy(), nil, nil),
		Registerer: prometheus.NewRegistry(), Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	p := &model.Post{Source: "bbs", URL: "http://bbs/x", Title: "医保卡丢了怎么补办", Body: "正文"}
	if _, err := base.SavePost(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	w.Kick()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, u, _ := base.CountPosts(context.Background()); u == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("post not graded within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// BenchmarkGradeAndFile measures the whole grading stage per post: the
// shipped rules on gse, the grade and incident filing committed to SQLite.
func BenchmarkGradeAndFile(b *testing.B) {
	ctx := context.Background()
	eng, err := classifier.Load(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "y.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	texts := []struct{ title, body string }{
		{"住院报销材料交上去两个月了还没到账", "我爸八月份在市一医院住院，出院后把发票、费用清单都交到区医保中心手工报销，说好一个月，现在两个月了还没到账，打电话一直没人接。"},
		{"今年养老金涨了多少？晒一下", "企业退休的，七月底补发到账了，我涨了63块。你们那边怎么算的？定额调整那部分是不是大家都一样。"},
		{"曝光：康福医院组织老人挂床住院骗取医保基金", "康福医院派车到村里拉老人免费住院体检，住进去天天不见医生，出院时医保卡被刷了好几千。村里几十个老人都去过，电视台已经曝光了。"},
		{"医保电子凭证扫码一直失败", "在药店买药用医保电子凭证扫码，提示网络异常，试了好几次都不行，只能自费。"},
	}
	inc := incident.New(st, incident.DefaultPolicy(), nil, func(text string) []string { // as the daemon does
		toks := eng.Segment(text)
		out := make([]string, len(toks))
		for i, t := range toks {
			out[i] = t.Text
		}
		return out
	})
	w := New(Options{Store: st, Grader: classifier.New(eng), Incidents: inc,
		Registerer: prometheus.NewRegistry(), Batch: 100})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t := texts[i%len(texts)]
		p := &model.Post{Source: "bbs", URL: "http://bbs/t" + strings.Repeat("x", i%7) + "/" + time.Now().Format("150405.000000000"),
			Title: t.title, Body: t.body + strings.Repeat("。", i%13)}
		if _, err := st.SavePost(ctx, p); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err := w.ProcessBatch(ctx); err != nil || n != 1 {
			b.Fatalf("graded %d: %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

func TestClassifierPostTypicalEngagement(t *testing.T) {
	p := model.Post{Title: "t", Source: "s", Replies: 50}
	few := ClassifierPost(p, SourceGrading{Weight: 1}, store.Engagement{Replies: 3, Views: 100, Posts: MinNormPosts - 1})
	if few.TypicalReplies != 0 || few.TypicalViews != 0 {
		t.Errorf("median over %d posts used as typical: %+v", MinNormPosts-1, few)
	}
	enough := ClassifierPost(p, SourceGrading{}, store.Engagement{Replies: 3, Views: 100, Reposts: 1, Posts: MinNormPosts})
	if enough.TypicalReplies != 3 || enough.TypicalViews != 100 || enough.TypicalReposts != 1 {
		t.Errorf("typical engagement not passed on: %+v", enough)
	}
	if enough.SourceWeight != 1 {
		t.Errorf("zero weight should default to 1, got %v", enough.SourceWeight)
	}
}

// A thread whose replies keep growing is graded again with its new counts,
// and its incident rises with it: engagement is part of the level.
func TestGrowingThreadIsRegradedAndRaisesItsIncident(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	w := New(Options{Store: st, Grader: keywordGrader{}, Incidents: incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil),
		Registerer: prometheus.NewPedanticRegistry(), Batch: 10, Now: func() time.Time { return now }})
	save := func(replies int) {
		p := &model.Post{Source: "bbs", URL: "http://bbs/hot", Title: "医保报销慢", Body: "正文", FetchedAt: now, Replies: replies}
		if _, err := st.SavePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	save(12)
	if n, err := w.ProcessBatch(ctx); err != nil || n != 1 {
		t.Fatalf("first grading: %d, %v", n, err)
	}
	now = now.Add(2 * time.Hour)
	save(2400) // the thread blew up between two crawls
	if n, err := w.ProcessBatch(ctx); err != nil || n != 1 {
		t.Fatalf("regrading the grown thread: %d, %v", n, err)
	}
	open, _ := st.OpenIncidents(ctx)
	if len(open) != 1 || open[0].Level != 3 || open[0].PostCount != 1 {
		t.Fatalf("open incidents after growth = %+v, want one Ⅲ incident with its one post", open)
	}
	d, err := st.IncidentDetail(ctx, open[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	if last := d.Events[len(d.Events)-1]; last.Kind != model.EventLevelChanged {
		t.Errorf("last event %q, want the level change", last.Kind)
	}
}
