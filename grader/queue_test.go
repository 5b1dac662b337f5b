package grader

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// instances opens n stores on the PostgreSQL schema dsn, each with a
// Worker claiming as its own holder: n instances of the daemon's grading.
func instances(t testing.TB, dsn string, n int, now func() time.Time) []*Worker {
	ws := make([]*Worker, n)
	for i := range ws {
		st, err := postgres.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ws[i] = New(Options{Store: st, Grader: keywordGrader{}, Incidents: incident.New(st, incident.DefaultPolicy(), now, nil),
			Holder: fmt.Sprintf("instance-%d", i), Batch: 25, Workers: 2, Now: now,
			SearchText: splitSearch})
	}
	return ws
}

// drain runs every worker's ProcessBatch side by side until the queue is
// empty and returns how many posts each filed.
func drain(t testing.TB, ws []*Worker) []int {
	filed := make([]int, len(ws))
	var wg sync.WaitGroup
	errs := make(chan error, len(ws))
	for i, w := range ws {
		wg.Go(func() {
			for {
				n, err := w.ProcessBatch(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if n == 0 {
					if _, backlog, err := w.opts.Store.CountPosts(context.Background()); err != nil || backlog == 0 {
						return
					}
					time.Sleep(5 * time.Millisecond) // the rest is claimed by others
				}
				filed[i] += n
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return filed
}

// TestInstancesShareTheGradingQueue: three workers, each on its own
// store on one PostgreSQL schema, grade a backlog side by side: every
// post is graded once (one grade row each), each post is in at most one
// incident (the schema's constraint) and every relevant one in one, and
// the incident numbers run from 1 without a gap.
func TestInstancesShareTheGradingQueue(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dsn := pgtest.Schema(t)
	ws := instances(t, dsn, 3, clock)
	savePosts(t, ws[0].opts.Store, 120, now)
	filed := drain(t, ws)
	if filed[0]+filed[1]+filed[2] != 120 {
		t.Errorf("filed %v, want 120 in all", filed)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var grades, posts, dupPosts int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM grades), (SELECT count(DISTINCT post_id) FROM grades),
		(SELECT count(*) - count(DISTINCT post_id) FROM incident_posts)`).Scan(&grades, &posts, &dupPosts); err != nil {
		t.Fatal(err)
	}
	if grades != 120 || posts != 120 || dupPosts != 0 {
		t.Errorf("%d grades of %d posts, %d posts in two incidents; want 120 of 120, 0", grades, posts, dupPosts)
	}
	// Which incident a post joins can depend on the order posts are
	// filed in (a story's first post opens it): the instances file in
	// some serial order, not post id order, so only the counts are fixed.
	var relevant, inIncidents int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM grades WHERE relevant AND NOT information),
		(SELECT count(*) FROM incident_posts)`).Scan(&relevant, &inIncidents); err != nil {
		t.Fatal(err)
	}
	if relevant == 0 || inIncidents != relevant {
		t.Errorf("%d posts in incidents, want every relevant one: %d", inIncidents, relevant)
	}
	got := incidentsOf(t, ws[1].opts.Store)
	for i, inc := range got {
		if !strings.HasPrefix(inc, fmt.Sprintf("YQ-20261123-%04d ", i+1)) {
			t.Errorf("incident numbers are not 1..%d: %s", len(got), strings.Join(got, "\n"))
			break
		}
	}
}

// BenchmarkFilingInstances measures the filing throughput of 1, 2 and 3
// instances (each a store with its own pools and a Worker) on one
// PostgreSQL schema: each iteration files a fixed backlog of 400 posts.
// In "quarter" a quarter are relevant reposts of 10 stories, the rest
// chatter the grader files as irrelevant; in "all" every post is a
// repost of one of 40 stories, so every grade files into an incident. The
// grader is a keyword match, so what is timed is claiming, filing and
// committing.
func BenchmarkFilingInstances(b *testing.B) {
	const posts = 400
	for _, mix := range []struct {
		name           string
		every, stories int // every every-th post is a repost of one of stories
	}{{"quarter", 4, 10}, {"all", 1, 40}} {
		for _, n := range []int{1, 2, 3} {
			b.Run(fmt.Sprintf("%s/instances=%d", mix.name, n), func(b *testing.B) {
				now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
				clock := func() time.Time { return now }
				ws := instances(b, pgtest.Schema(b), n, clock)
				st := ws[0].opts.Store
				var elapsed time.Duration
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					for j := range posts {
						p := &model.Post{Source: fmt.Sprintf("site-%d", j%7), URL: fmt.Sprintf("http://bench/%d/%d", i, j), FetchedAt: now,
							Title: fmt.Sprintf("%d 号楼电梯又坏了，物业不管", j), Body: "小区里的事，大家怎么看？"}
						if j%mix.every == 0 {
							story := fmt.Sprintf("第%d件：医保报销材料交了三个月", j/mix.every%mix.stories)
							p.Title, p.Body = story, story+"，转自第"+fmt.Sprint(j)+"个网站。"
						}
						if _, err := st.SavePost(context.Background(), p); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					start := time.Now()
					filed := drain(b, ws)
					elapsed += time.Since(start)
					total := 0
					for _, f := range filed {
						total += f
					}
					if total != posts {
						b.Fatalf("filed %v, want %d", filed, posts)
					}
				}
				b.ReportMetric(float64(posts*b.N)/elapsed.Seconds(), "posts/s")
			})
		}
	}
}

// takeoverGrader, grading its first post, lets another worker run a
// batch: the claim has lapsed by the other's clock, so it takes the post.
type takeoverGrader struct {
	keywordGrader
	other *Worker
	filed int
}

func (g *takeoverGrader) Grade(p classifier.Post) classifier.Result {
	if g.other != nil {
		other := g.other
		g.other = nil
		n, err := other.ProcessBatch(context.Background())
		if err != nil {
			panic(err)
		}
		g.filed = n
	}
	return g.keywordGrader.Grade(p)
}

// TestLapsedClaimIsNotFiledTwice: a worker whose claim lapsed while it
// graded, and another took the post over and filed it, files nothing:
// the post has one grade, and the loss is counted.
func TestLapsedClaimIsNotFiledTwice(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st := openStore(t)
	savePosts(t, st, 1, now)
	inc := incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil)
	later := New(Options{Store: st, Grader: keywordGrader{}, Incidents: inc, Holder: "b",
		Now: func() time.Time { return now.Add(2 * DefaultClaimTTL) }})
	g := &takeoverGrader{other: later}
	reg := prometheus.NewPedanticRegistry()
	first := New(Options{Store: st, Grader: g, Incidents: inc, Holder: "a", Registerer: reg, Workers: 1,
		Now: func() time.Time { return now }})
	n, err := first.ProcessBatch(context.Background())
	if err != nil || n != 0 || g.filed != 1 {
		t.Fatalf("first filed %d (%v), the one that took over %d; want 0, 1", n, err, g.filed)
	}
	if lost := testutil.ToFloat64(first.lost); lost != 1 {
		t.Errorf("claims lost: %v, want 1", lost)
	}
	posts, err := st.GradedPosts(context.Background(), time.Time{}, 0, 10)
	if err != nil || len(posts) != 1 || !posts[0].Graded {
		t.Fatalf("graded posts %+v, %v", posts, err)
	}
	if got := testutil.ToFloat64(first.graded.WithLabelValues(string(posts[0].Grade.Category), fmt.Sprint(int(posts[0].Grade.Level)))); got != 0 {
		t.Errorf("the worker that lost its claim counted %v graded posts", got)
	}
}
