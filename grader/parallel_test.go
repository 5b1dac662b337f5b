package grader

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

// jitterGrader grades as keywordGrader after a pause that is longest for
// the first posts, so that with several workers later posts finish first.
type jitterGrader struct{ keywordGrader }

func (g jitterGrader) Grade(p classifier.Post) classifier.Result {
	var n int
	fmt.Sscanf(p.Title, "#%d", &n)
	time.Sleep(time.Duration(40-n%40) * 100 * time.Microsecond)
	return g.keywordGrader.Grade(p)
}

// openStore returns a fresh SQLite store that the test closes.
func openStore(t testing.TB) store.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// savePosts stores posts #0..#n-1: reposts of a few complaints, fraud
// reports and unrelated chatter, so that filing creates, joins and raises.
func savePosts(t testing.TB, st store.Store, n int, now time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	topics := []string{"医保报销慢，材料交了三个月", "骗保团伙冒用医保卡", "医保卡被盗刷了两千元", "养老金调整", "异地就医备案医保办不了"}
	for i := range n {
		topic := topics[rng.IntN(len(topics))]
		p := &model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/%d", i), Title: fmt.Sprintf("#%d %s", i, topic),
			Body: topic + "，大家怎么看？", FetchedAt: now, Replies: rng.IntN(2000)}
		if _, err := st.SavePost(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
}

// incidentsOf describes every open incident: number, level, post ids.
func incidentsOf(t testing.TB, st store.Store) []string {
	ctx := context.Background()
	open, err := st.OpenIncidents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, inc := range open {
		d, err := st.IncidentDetail(ctx, inc.Number)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, p := range d.Posts {
			ids = append(ids, p.Post.ID)
		}
		slices.Sort(ids)
		out = append(out, fmt.Sprintf("%s level %d posts %v", inc.Number, inc.Level, ids))
	}
	slices.Sort(out)
	return out
}

// TestParallelGradingFilesLikeOneWorker grades the same 80 posts with 1,
// 3 and 8 workers (grades finishing out of order) and finds the same
// incidents: numbers, levels and the posts in each. CI runs it under the
// race detector.
func TestParallelGradingFilesLikeOneWorker(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var want []string
	for _, workers := range []int{1, 3, 8} {
		st := openStore(t)
		savePosts(t, st, 80, now)
		reg := prometheus.NewPedanticRegistry()
		w := New(Options{Store: st, Grader: jitterGrader{}, Incidents: incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil),
			Registerer: reg, Batch: 30, Workers: workers, Now: func() time.Time { return now }})
		total := 0
		for {
			n, err := w.ProcessBatch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if total += n; n == 0 {
				break
			}
		}
		got := incidentsOf(t, st)
		if total != 80 || len(got) < 3 {
			t.Fatalf("%d workers: %d posts graded, incidents %v", workers, total, got)
		}
		if want == nil {
			want = got
		} else if !slices.Equal(got, want) {
			t.Errorf("%d workers filed\n%s\none worker filed\n%s", workers, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if n := testutil.CollectAndCount(reg, "yuqing_posts_graded_total"); n == 0 {
			t.Errorf("%d workers: no graded posts counted", workers)
		}
	}
}

// blockingGrader stops on the post titled "#block" until release is
// closed, telling started when it gets there.
type blockingGrader struct {
	keywordGrader
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (g *blockingGrader) Grade(p classifier.Post) classifier.Result {
	if strings.HasPrefix(p.Title, "#block") {
		g.once.Do(func() { close(g.started) })
		<-g.release
	}
	return g.keywordGrader.Grade(p)
}

// TestCancelLeavesUngradedPostsQueued cancels a batch while a post is
// being graded: the posts before it are filed, it and the posts after it
// (some already graded by other workers) stay queued, and the next batch
// files them.
func TestCancelLeavesUngradedPostsQueued(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, title := range []string{"#0 医保报销慢", "#1 骗保", "#block 医保卡被盗刷", "#3 医保", "#4 养老金"} {
		p := &model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/%d", i), Title: title, Body: "正文", FetchedAt: now}
		if _, err := st.SavePost(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	g := &blockingGrader{started: make(chan struct{}), release: make(chan struct{})}
	w := New(Options{Store: st, Grader: g, Incidents: incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil),
		Registerer: prometheus.NewRegistry(), Batch: 10, Workers: 3, Now: func() time.Time { return now }})
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := w.ProcessBatch(ctx)
		done <- result{n, err}
	}()
	<-g.started
	time.Sleep(50 * time.Millisecond) // let the other workers grade #3 and #4
	cancel()
	time.AfterFunc(50*time.Millisecond, func() { close(g.release) })
	r := <-done
	if r.err != nil || r.n > 2 {
		t.Fatalf("cancelled batch filed %d posts (%v), want at most the 2 before the blocked one", r.n, r.err)
	}
	if _, ungraded, _ := st.CountPosts(context.Background()); ungraded != 5-r.n {
		t.Fatalf("%d posts left ungraded after filing %d of 5", ungraded, r.n)
	}
	if n, err := w.ProcessBatch(context.Background()); err != nil || n != 5-r.n {
		t.Fatalf("next batch filed %d (%v), want %d", n, err, 5-r.n)
	}
}

// filedAt records when each transaction commits.
type filedAt struct {
	store.Store
	mu    sync.Mutex
	times []time.Time
}

func (f *filedAt) InRowTx(ctx context.Context, fn func(store.Tx) error) error {
	err := f.Store.InRowTx(ctx, fn)
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
	return err
}

// TestHugePostDoesNotHoldUpShortOnes queues an 800,000-character dense
// complaint between short posts and grades them with the shipped rules
// and the default time budget, as the daemon does: the huge post is graded
// and filed in under 10 s, and every short post, before or after it in the
// queue, within a few seconds of the start.
func TestHugePostDoesNotHoldUpShortOnes(t *testing.T) {
	if testing.Short() {
		t.Skip("loads gse and grades 2.4 MB")
	}
	eng, err := classifier.Load(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), nil)
	if err != nil {
		t.Fatal(err)
	}
	bench, err := os.ReadFile(filepath.Join("..", "classifier", "testdata", "bench_post.txt"))
	if err != nil {
		t.Fatal(err)
	}
	huge := []rune(strings.Repeat(string(bench), 800_000/len([]rune(string(bench)))+1))[:800_000]
	st := &filedAt{Store: openStore(t)}
	now := time.Now()
	posts := []struct{ title, body string }{
		{"住院报销材料交上去两个月了还没到账", "出院后把发票交到区医保中心手工报销，现在两个月了还没到账。"},
		{"异地住院手工报销材料交了五个月", string(huge)},
	}
	for i := range 6 {
		posts = append(posts, struct{ title, body string }{fmt.Sprintf("医保电子凭证扫码失败 %d", i), "在药店买药用医保电子凭证扫码，提示网络异常，只能自费。"})
	}
	for i, p := range posts {
		if _, err := st.SavePost(context.Background(), &model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/%d", i),
			Title: p.title, Body: p.body, FetchedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	w := New(Options{Store: st, Grader: classifier.New(eng), Incidents: incident.New(st, incident.DefaultPolicy(), nil, nil),
		Registerer: reg, Batch: 100, Workers: 2})
	start := time.Now()
	n, err := w.ProcessBatch(context.Background())
	if err != nil || n != len(posts) {
		t.Fatalf("filed %d of %d: %v", n, len(posts), err)
	}
	for i, at := range st.times {
		took := at.Sub(start)
		t.Logf("post %d filed after %v", i, took.Round(time.Millisecond))
		if took > 10*time.Second || i != 1 && took > 5*time.Second {
			t.Errorf("post %d filed after %v", i, took)
		}
	}
	cut := testutil.ToFloat64(w.cutShort)
	d, err := st.IncidentDetail(context.Background(), mustIncidentOf(t, st, 2))
	if err != nil {
		t.Fatal(err)
	}
	if reasons := strings.Join(d.Posts[0].Grade.Reasons, "\n"); cut == 1 && !strings.Contains(reasons, "研判超时") {
		t.Errorf("cut short, but the reasons do not say so: %s", reasons)
	}
	t.Logf("huge post cut short: %v", cut == 1)
}

// BenchmarkGradeAndFileHugePost grades and files an 800,000-character
// dense complaint with the shipped rules and the default budget, as the
// daemon does. Goal: well under 10 s per post, i.e. about the budget.
func BenchmarkGradeAndFileHugePost(b *testing.B) {
	eng, err := classifier.Load(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), nil)
	if err != nil {
		b.Fatal(err)
	}
	bench, err := os.ReadFile(filepath.Join("..", "classifier", "testdata", "bench_post.txt"))
	if err != nil {
		b.Fatal(err)
	}
	huge := string([]rune(strings.Repeat(string(bench), 800_000/len([]rune(string(bench)))+1))[:800_000])
	st := openStore(b)
	w := New(Options{Store: st, Grader: classifier.New(eng), Incidents: incident.New(st, incident.DefaultPolicy(), nil, nil),
		Registerer: prometheus.NewRegistry(), Batch: 10})
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		p := &model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/huge/%d", i), Title: "异地住院手工报销材料交了五个月",
			Body: huge + strings.Repeat("。", i), FetchedAt: time.Now()}
		if _, err := st.SavePost(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err := w.ProcessBatch(context.Background()); err != nil || n != 1 {
			b.Fatalf("filed %d: %v", n, err)
		}
	}
	b.ReportMetric(testutil.ToFloat64(w.cutShort), "cut-short")
}

// mustIncidentOf returns the number of the incident post id was filed in.
func mustIncidentOf(t testing.TB, st store.Store, id int64) string {
	open, err := st.OpenIncidents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range open {
		d, err := st.IncidentDetail(context.Background(), inc.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Posts {
			if p.Post.ID == id {
				return inc.Number
			}
		}
	}
	t.Fatalf("post %d is in no open incident", id)
	return ""
}
