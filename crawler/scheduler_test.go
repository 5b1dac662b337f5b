package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// watchState returns a channel closed when ms saves a state of the named
// source that cond accepts, for a test to wait on the save itself rather
// than poll the store. Call it before the scheduler runs, so that the save
// cannot come first.
func watchState(ms *memStore, name string, cond func(store.SourceState) bool) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	ms.mu.Lock()
	ms.savedState = func(st store.SourceState) {
		if st.Name == name && cond(st) {
			once.Do(func() { close(ch) })
		}
	}
	ms.mu.Unlock()
	return ch
}

// waitFor waits until ch is closed, failing after a minute on the
// synctest bubble's fake clock: waiting for what never comes would
// otherwise just advance that clock for ever while the scheduler polls.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestSchedulerRestartResumes runs in a synctest bubble, so that "nothing
// else is due" is checked over an exact number of polls of the fake
// clock, not over however many a real 50 ms allowed. The fixtures are
// httptest servers, whose sockets would keep the bubble's clock from
// advancing: they are created outside it and reached in memory.
func TestSchedulerRestartResumes(t *testing.T) {
	f := newForum(t)
	board, boardRequests := newBoard(t)
	srcs := []Source{discuzSource(f), boardSource(board)}
	transport := inMemory(f.srv, board)
	synctest.Test(t, func(t *testing.T) {
		ms := newMemStore()
		clk := &clock{t: testNow}
		// The board was crawled before the "restart" and is not due for an hour.
		ms.states["board"] = store.SourceState{Name: "board", NextCheckAt: testNow.Add(time.Hour), LastSuccessAt: testNow.Add(-9 * time.Minute)}

		run := func() {
			c, _ := newTestCrawler(t, Options{Now: clk.now, Transport: transport})
			s := NewScheduler(c, ms, nil, clk.now)
			s.poll = 10 * time.Millisecond
			s.SetSources(srcs)
			saved := watchState(ms, "discuz", func(st store.SourceState) bool { return !st.LastCheckAt.IsZero() })
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			waitFor(t, "discuz state saved", saved)
			time.Sleep(5 * s.poll) // five more polls: nothing else may be due
			synctest.Wait()        // and whatever the last one started has run
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := testutil.ToFloat64(c.m.lastSuccess.WithLabelValues("board")); got != float64(testNow.Add(-9*time.Minute).Unix()) {
				t.Errorf("last success of board exported as %v after restart", got)
			}
		}
		run()
		st := ms.state("discuz")
		if !st.NextCheckAt.Equal(testNow.Add(DefaultInterval)) || st.ConsecutiveFailures != 0 || st.LastItems != 4 {
			t.Errorf("discuz state after crawl = %+v", st)
		}
		if boardRequests.Load() != 0 {
			t.Errorf("board not due but got %d requests", boardRequests.Load())
		}
		if ms.postCount() != 4 {
			t.Errorf("stored %d posts, want 4", ms.postCount())
		}
		listHits := f.hit("/forum-2-1.html")

		// Restart: discuz is not due any more; nothing is fetched.
		ms.mu.Lock()
		st = ms.states["discuz"]
		st.LastCheckAt = time.Time{}
		ms.states["discuz"] = st
		ms.mu.Unlock()
		c, _ := newTestCrawler(t, Options{Now: clk.now, Transport: transport})
		s := NewScheduler(c, ms, nil, clk.now)
		s.poll = 10 * time.Millisecond
		s.SetSources(srcs)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond) // ten polls
		defer cancel()
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if f.hit("/forum-2-1.html") != listHits || boardRequests.Load() != 0 {
			t.Errorf("restarted scheduler crawled sources that were not due")
		}

		// Eleven minutes later discuz is due again; the board is not.
		clk.add(11 * time.Minute)
		run()
		if f.hit("/forum-2-1.html") != listHits+1 || boardRequests.Load() != 0 {
			t.Errorf("list hits %d (want %d), board requests %d", f.hit("/forum-2-1.html"), listHits+1, boardRequests.Load())
		}
	})
}

func TestSchedulerCancelKeepsStoredItemsAndResumes(t *testing.T) {
	f := newForum(t)
	ms := newMemStore()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var saves atomic.Int32
	ms.beforeSave = func(sctx context.Context, p *model.Post) {
		if saves.Add(1) == 1 {
			cancel() // shutdown begins while the first item is being stored
		}
	}
	c, _ := newTestCrawler(t, Options{})
	s := NewScheduler(c, ms, nil, fixedNow)
	s.SetSources([]Source{discuzSource(f)})
	err := s.CrawlNow(ctx, "discuz")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if ms.postCount() != 1 {
		t.Fatalf("stored %d posts, want the one in flight", ms.postCount())
	}
	if st := ms.state("discuz"); !st.NextCheckAt.IsZero() || st.ConsecutiveFailures != 0 {
		t.Errorf("an interrupted crawl must leave the schedule alone: %+v", st)
	}
	first := f.hit("/forum.php?mod=viewthread&tid=101&extra=page%3D1")

	// Restart: only what is missing is fetched.
	ms.beforeSave = nil
	c2, _ := newTestCrawler(t, Options{})
	s2 := NewScheduler(c2, ms, nil, fixedNow)
	s2.SetSources([]Source{discuzSource(f)})
	if err := s2.CrawlNow(t.Context(), "discuz"); err != nil {
		t.Fatal(err)
	}
	if ms.postCount() != 4 {
		t.Errorf("stored %d posts after resume, want 4", ms.postCount())
	}
	if got := f.hit("/forum.php?mod=viewthread&tid=101&extra=page%3D1"); got != first {
		t.Errorf("thread 101 refetched after restart (%d -> %d)", first, got)
	}
	if got := testutil.ToFloat64(c2.m.items.WithLabelValues("discuz", ResultNew)); got != 3 {
		t.Errorf("new items after resume = %v, want 3", got)
	}
}

func TestSchedulerBackoffAndRetryAfter(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusTooManyRequests)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		if st := int(status.Load()); st != http.StatusOK {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(st)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<ul><li><a href="/1">一条留言</a></li></ul>`))
	}))
	defer srv.Close()
	ms := newMemStore()
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	s := NewScheduler(c, ms, nil, clk.now)
	src := Source{Name: "b", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
	s.SetSources([]Source{src})

	check := func(step string, wantFails int, wantNext time.Duration) {
		t.Helper()
		st := ms.state("b")
		if st.ConsecutiveFailures != wantFails || !st.NextCheckAt.Equal(clk.now().Add(wantNext)) {
			t.Errorf("%s: failures %d next %v, want %d and now+%v", step, st.ConsecutiveFailures, st.NextCheckAt.Sub(clk.now()), wantFails, wantNext)
		}
		if got := testutil.ToFloat64(c.m.consecFails.WithLabelValues("b")); got != float64(wantFails) {
			t.Errorf("%s: consecutive failures gauge = %v", step, got)
		}
	}
	var ra *RetryAfterError
	if err := s.CrawlNow(t.Context(), "b"); !errors.As(err, &ra) {
		t.Fatalf("err = %v", err)
	}
	check("429", 1, time.Hour) // Retry-After beats the 10m interval
	status.Store(http.StatusInternalServerError)
	s.CrawlNow(t.Context(), "b")
	check("500", 2, 20*time.Minute)
	s.CrawlNow(t.Context(), "b")
	check("500 again", 3, 40*time.Minute)
	if st := ms.state("b"); st.LastError == "" {
		t.Error("last error not recorded")
	}
	status.Store(http.StatusOK)
	clk.add(time.Hour)
	if err := s.CrawlNow(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	check("success", 0, DefaultInterval)
	if st := ms.state("b"); st.LastError != "" || !st.LastSuccessAt.Equal(clk.now()) {
		t.Errorf("after success: %+v", st)
	}
	if got := testutil.ToFloat64(c.m.lastSuccess.WithLabelValues("b")); got != float64(clk.now().Unix()) {
		t.Errorf("last success gauge = %v", got)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		fails    int
		want     time.Duration
	}{
		{10 * time.Minute, 1, 10 * time.Minute},
		{10 * time.Minute, 2, 20 * time.Minute},
		{10 * time.Minute, 5, 160 * time.Minute},
		{10 * time.Minute, 50, maxBackoff},
		{24 * time.Hour, 3, 24 * time.Hour},
	} {
		if got := backoff(tc.interval, tc.fails); got != tc.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tc.interval, tc.fails, got, tc.want)
		}
	}
}

func TestSetSourcesDropsRemovedSeries(t *testing.T) {
	srv, _ := newBoard(t)
	ms := newMemStore()
	c, reg := newTestCrawler(t, Options{})
	s := NewScheduler(c, ms, nil, fixedNow)
	a := boardSource(srv)
	s.SetSources([]Source{a})
	if err := s.CrawlNow(t.Context(), "board"); err != nil {
		t.Fatal(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "yuqing_crawl_runs_total"); n != 1 {
		t.Fatalf("runs series = %d", n)
	}
	b := a
	b.Name = "board2"
	s.SetSources([]Source{b})
	if n, _ := testutil.GatherAndCount(reg, "yuqing_crawl_runs_total", "yuqing_source_last_success_timestamp_seconds"); n != 0 {
		t.Errorf("series of the removed source remain: %d", n)
	}
	if err := s.CrawlNow(t.Context(), "board"); err == nil {
		t.Error("CrawlNow of a removed source should fail")
	}
}

// blockingStore holds the first SavePost until released, so a test can
// change the configuration while a crawl is in flight.
type blockingStore struct {
	*memStore
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingStore) SavePost(ctx context.Context, p *model.Post) (store.SaveResult, error) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	return b.memStore.SavePost(ctx, p)
}

func TestSourceRemovedMidCrawlLeavesNoSeries(t *testing.T) {
	srv, _ := newBoard(t)
	bs := &blockingStore{memStore: newMemStore(), entered: make(chan struct{}), release: make(chan struct{})}
	c, reg := newTestCrawler(t, Options{})
	s := NewScheduler(c, bs, nil, fixedNow)
	a := boardSource(srv)
	s.SetSources([]Source{a})
	done := make(chan error, 1)
	go func() { done <- s.CrawlNow(t.Context(), "board") }()
	<-bs.entered
	other := a
	other.Name = "board2"
	s.SetSources([]Source{other}) // "board" leaves the configuration mid-crawl
	close(bs.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == "board" {
					t.Errorf("%s{source=\"board\"} exported after the source was removed", mf.GetName())
				}
			}
		}
	}
}

// TestSlowHostDoesNotStarveOthers: four sources on a host whose detail
// pages take 25 s each (50 threads: 21 minutes per crawl) neither hold
// more than one crawl slot nor run past their 5-minute budget, so a
// 1-minute source on another host is crawled on time throughout; the slow
// crawls are cut short, not failed, keep what they stored and do not
// advance their validators.
func TestSlowHostDoesNotStarveOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var titles []string
		for i := range 50 {
			titles = append(titles, fmt.Sprintf("慢站帖子 %d", i))
		}
		slow := newFakeBoard(titles...)
		slow.delay, slow.etag = 25*time.Second, `"v1"`
		fast := newFakeBoard("快站帖子")
		var fastLists []time.Time
		var mu sync.Mutex
		fastHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/list" {
				mu.Lock()
				fastLists = append(fastLists, time.Now())
				mu.Unlock()
			}
			fast.ServeHTTP(w, r)
		})
		c, _ := newTestCrawler(t, Options{Now: time.Now, Timeout: 30 * time.Second,
			Transport: hostsTransport{"slow.example": slow, "fast.example": fastHandler}})
		ms := newMemStore()
		s := NewScheduler(c, ms, nil, nil)
		var srcs []Source
		for i := range 4 {
			srcs = append(srcs, slow.source(fmt.Sprintf("slow%d", i), "slow.example", 10*time.Minute))
		}
		srcs = append(srcs, fast.source("fast", "fast.example", time.Minute))
		s.SetSources(srcs)
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(12 * time.Minute)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(fastLists) < 11 || fastLists[0].Sub(start) > time.Minute {
			t.Fatalf("fast source crawled %d times in 12 minutes, first after %v", len(fastLists), fastLists[0].Sub(start))
		}
		for i := 1; i < len(fastLists); i++ {
			if gap := fastLists[i].Sub(fastLists[i-1]); gap > 2*time.Minute {
				t.Errorf("fast source waited %v between crawls %d and %d (interval 1m)", gap, i-1, i)
			}
		}
		st := ms.state("slow0")
		if st.LastCheckAt.IsZero() || st.LastCheckAt.Sub(start) > 6*time.Minute || st.ConsecutiveFailures != 0 || st.ETag != "" {
			t.Errorf("slow0 after its crawl: %+v; want cut short at 5m, not failed, ETag not advanced", st)
		}
		if got := testutil.ToFloat64(c.m.cutShort.WithLabelValues("slow0")); got != 1 {
			t.Errorf("cut-short crawls of slow0 = %v, want 1", got)
		}
		stored := 0
		for u := range ms.posts {
			if strings.Contains(u, "slow.example") {
				stored++
			}
		}
		// Two slow sources ran (5m each, one after the other), ~12 pages each.
		if stored < 10 || stored > 50 {
			t.Errorf("stored %d posts of the slow host", stored)
		}
	})
}

// heldSet is an Owner holding the sources in it.
type heldSet struct {
	mu   sync.Mutex
	held map[string]bool
}

func (h *heldSet) Holds(name string) bool { h.mu.Lock(); defer h.mu.Unlock(); return h.held[name] }
func (h *heldSet) set(names ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = map[string]bool{}
	for _, n := range names {
		h.held[n] = true
	}
}

// TestSchedulerCrawlsOnlyHeldSources: with an Owner (cluster leases) the
// scheduler crawls and exports only the sources it holds; a source it
// loses has its series dropped, and one it gains is read afresh from the
// store (another instance crawled it meanwhile).
func TestSchedulerCrawlsOnlyHeldSources(t *testing.T) {
	srvA, hitsA := newBoard(t)
	srvB, hitsB := newBoard(t)
	a, b := boardSource(srvA), boardSource(srvB)
	b.Name = "board2"
	ms := newMemStore()
	// Another instance crawled board2 an hour ago.
	ms.states["board2"] = store.SourceState{Name: "board2", LastSuccessAt: testNow.Add(-time.Hour), NextCheckAt: testNow.Add(-time.Minute)}
	c, reg := newTestCrawler(t, Options{})
	s := NewScheduler(c, ms, nil, fixedNow)
	s.poll = 10 * time.Millisecond
	owner := &heldSet{}
	owner.set("board")
	s.SetOwner(owner)
	s.SetSources([]Source{a, b})
	s.Prime(t.Context())
	if n, _ := testutil.GatherAndCount(reg, "yuqing_source_last_success_timestamp_seconds"); n != 0 {
		t.Errorf("primed %d last-success series, want none (board never succeeded, board2 is not ours)", n)
	}
	savedA := watchState(ms, "board", func(st store.SourceState) bool { return !st.LastCheckAt.IsZero() })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "board crawled", savedA)
	time.Sleep(10 * s.poll)
	if hitsB.Load() != 0 {
		t.Errorf("board2 is not held but got %d requests", hitsB.Load())
	}
	if hitsA.Load() == 0 {
		t.Error("board, which is held, got no request")
	}

	// The lease moves: board's series go, board2 is crawled.
	savedB := watchState(ms, "board2", func(st store.SourceState) bool { return st.LastCheckAt.Equal(testNow) })
	owner.set("board2")
	waitFor(t, "board2 crawled", savedB)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(c.m.lastSuccess.WithLabelValues("board2")); got != float64(testNow.Unix()) {
		t.Errorf("board2 last success exported as %v", got)
	}
	if n, _ := testutil.GatherAndCount(reg, "yuqing_crawl_runs_total"); n != 1 {
		t.Errorf("runs series = %d, want board2's only", n)
	}
}
