package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

func openSQLite(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// flaky serves a one-item board whose list answers with status (200: the
// page) and counts list requests.
type flaky struct {
	status atomic.Int32
	lists  atomic.Int32
	srv    *httptest.Server
}

func newFlaky(t *testing.T) *flaky {
	f := &flaky{}
	f.status.Store(http.StatusOK)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			f.lists.Add(1)
			if st := int(f.status.Load()); st != http.StatusOK {
				w.WriteHeader(st)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<ul><li><a href="/1">一条留言</a></li></ul>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestCircuitBreaker runs in a synctest bubble, so that "the scheduler
// sends nothing while the breaker is open" is checked over an exact number
// of polls of the fake clock, not over however many a real 60 ms allowed.
// The flaky server, whose socket would keep the bubble's clock from
// advancing, is created outside it and reached in memory.
func TestCircuitBreaker(t *testing.T) {
	f := newFlaky(t)
	f.status.Store(http.StatusInternalServerError)
	transport := inMemory(f.srv)
	synctest.Test(t, func(t *testing.T) {
		ms := newMemStore()
		clk := &clock{t: testNow}
		c, _ := newTestCrawler(t, Options{Now: clk.now, Transport: transport})
		s := NewScheduler(c, ms, nil, clk.now)
		s.poll = 5 * time.Millisecond
		src := Source{Name: "b", URL: f.srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"},
			BreakerAfter: 2, BreakerCooldown: time.Hour}
		s.SetSources([]Source{src})
		breaker := func() float64 { return testutil.ToFloat64(c.m.breaker.WithLabelValues("b")) }

		s.CrawlNow(t.Context(), "b")
		if st := ms.state("b"); !st.BreakerOpenUntil.IsZero() || breaker() != 0 {
			t.Fatalf("breaker open after one failure: %+v", st)
		}
		s.CrawlNow(t.Context(), "b")
		st := ms.state("b")
		if !st.BreakerOpenUntil.Equal(testNow.Add(time.Hour)) || !st.NextCheckAt.Equal(st.BreakerOpenUntil) || breaker() != 1 {
			t.Fatalf("after 2 failures: breaker until %v, next %v, gauge %v; want open for the 1h cooldown",
				st.BreakerOpenUntil, st.NextCheckAt, breaker())
		}
		if st.LastErrorKind != ErrorKindHTTP {
			t.Errorf("last error kind = %q", st.LastErrorKind)
		}
		if got := testutil.ToFloat64(c.m.sourceError.WithLabelValues("b", ErrorKindHTTP)); got != 2 {
			t.Errorf("yuqing_source_error{kind=http} = %v, want 2", got)
		}

		// While open, the scheduler sends nothing, even though the site is back.
		f.status.Store(http.StatusOK)
		before := f.lists.Load()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Millisecond) // twelve polls
		s.Run(ctx)
		cancel()
		if f.lists.Load() != before {
			t.Fatalf("%d requests while the breaker was open", f.lists.Load()-before)
		}

		// Half-open probe fails: one list request, open again for twice as long.
		f.status.Store(http.StatusBadGateway)
		clk.add(time.Hour)
		s.CrawlNow(t.Context(), "b")
		if n := f.lists.Load() - before; n != 1 {
			t.Errorf("failed probe made %d requests, want 1", n)
		}
		st = ms.state("b")
		if want := clk.now().Add(2 * time.Hour); !st.BreakerOpenUntil.Equal(want) || st.ConsecutiveFailures != 3 {
			t.Errorf("after failed probe: until %v (want %v), failures %d", st.BreakerOpenUntil, want, st.ConsecutiveFailures)
		}

		// Probe succeeds: the breaker closes and the full crawl follows; the
		// scheduler does it by itself once the cooldown is over.
		f.status.Store(http.StatusOK)
		clk.add(2 * time.Hour)
		before = f.lists.Load()
		recovered := watchState(ms, "b", func(st store.SourceState) bool { return st.ConsecutiveFailures == 0 })
		ctx, cancel = context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		waitFor(t, "recovery", recovered)
		cancel()
		<-done
		st = ms.state("b")
		if !st.BreakerOpenUntil.IsZero() || breaker() != 0 || st.LastErrorKind != "" || st.LastItems != 1 || ms.postCount() != 1 {
			t.Errorf("after recovery: %+v, gauge %v, posts %d", st, breaker(), ms.postCount())
		}
		if n := f.lists.Load() - before; n != 2 {
			t.Errorf("recovery made %d list requests, want 2 (probe + crawl)", n)
		}
		if n := testutil.CollectAndCount(c.m.sourceError); n != 0 {
			t.Errorf("yuqing_source_error still has %d series after recovery", n)
		}
	})
}

func TestBreakerCooldown(t *testing.T) {
	src := Source{BreakerAfter: 3, BreakerCooldown: 30 * time.Minute}
	for fails, want := range map[int]time.Duration{3: 30 * time.Minute, 4: time.Hour, 6: 4 * time.Hour, 40: maxBreakerCooldown} {
		if got := breakerCooldown(src, fails); got != want {
			t.Errorf("breakerCooldown(%d) = %v, want %v", fails, got, want)
		}
	}
}

// TestHotThreadRevisited: a thread whose replies grew between two
// observations is revisited after it drops off the sampled list pages, and
// every change of its counts is kept in the store's engagement history.
func TestHotThreadRevisited(t *testing.T) {
	f := newForum(t)
	db := openSQLite(t, filepath.Join(t.TempDir(), "y.db"))
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	s := NewScheduler(c, db, nil, clk.now)
	src := presetSource(t, fmt.Sprintf("  - {name: bbs, preset: discuz-x3, url: %q, board: \"2\"}\n", f.srv.URL+"/"))
	s.SetSources([]Source{src})
	crawl := func(step string) {
		t.Helper()
		if err := s.CrawlNow(t.Context(), "bbs"); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	setReplies := func(n int, offList bool) {
		f.mu.Lock()
		th := f.threadByID(103)
		th.Replies, th.Views, th.NotOnFirstPage = n, th.Views+100, offList
		f.mu.Unlock()
	}
	url103 := f.srv.URL + "/forum.php?mod=viewthread&tid=103"
	detail103 := func() int { return f.hit("/thread-103-1-1.html") + f.hit("/forum.php?mod=viewthread&tid=103") }

	crawl("first crawl") // replies 12
	clk.add(11 * time.Minute)
	setReplies(15, false)
	crawl("replies 15") // two observations, rising: hot
	if detail103() != 2 {
		t.Fatalf("thread 103 fetched %d times while listed with growing replies, want 2", detail103())
	}
	// The thread drops to page 2 (not sampled) and keeps growing.
	setReplies(25, true)
	clk.add(10 * time.Minute) // not yet due for a revisit (hot_interval 30m)
	crawl("too early")
	if detail103() != 2 {
		t.Fatalf("revisited before hot_interval")
	}
	clk.add(25 * time.Minute)
	crawl("revisit")
	if detail103() != 3 || testutil.ToFloat64(c.m.hot.WithLabelValues("bbs")) != 1 {
		t.Fatalf("hot thread not revisited: %d fetches", detail103())
	}
	p, ok, err := db.PostByURL(t.Context(), url103)
	if err != nil || !ok || p.Replies != 25 {
		t.Fatalf("stored thread = %+v, %v, %v", p, ok, err)
	}
	h, err := db.EngagementHistory(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, e := range h {
		got = append(got, e.Replies)
	}
	if fmt.Sprint(got) != "[12 15 25]" {
		t.Errorf("engagement history = %v, want [12 15 25]", got)
	}
	// It stops growing: one more revisit sees that, then it has cooled down.
	clk.add(31 * time.Minute)
	crawl("revisit, unchanged")
	clk.add(31 * time.Minute)
	crawl("cooled down")
	if detail103() != 4 {
		t.Errorf("thread 103 fetched %d times, want 4 (one revisit finding no growth, then none)", detail103())
	}
}

// TestScheduleSurvivesRestartWithSQLite: the whole schedule (next check,
// validators, failures, breaker, health) is read back by a new process,
// and the daemon exports it before crawling anything.
func TestScheduleSurvivesRestartWithSQLite(t *testing.T) {
	f := newForum(t)
	f.etag = `"e1"`
	path := filepath.Join(t.TempDir(), "y.db")
	clk := &clock{t: testNow}
	bad := newFlaky(t)
	bad.status.Store(http.StatusForbidden)
	srcs := []Source{discuzSource(f)}
	b := Source{Name: "bad", URL: bad.srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}, BreakerAfter: 1}
	b.ApplyDefaults()
	srcs = append(srcs, b)
	{
		db, err := sqlite.Open(t.Context(), path, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := newTestCrawler(t, Options{Now: clk.now})
		s := NewScheduler(c, db, nil, clk.now)
		s.SetSources(srcs)
		if err := s.CrawlNow(t.Context(), "discuz"); err != nil {
			t.Fatal(err)
		}
		s.CrawlNow(t.Context(), "bad")
		db.Close()
	}
	clk.add(5 * time.Minute)
	db := openSQLite(t, path)
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	s := NewScheduler(c, db, nil, clk.now)
	s.poll = 5 * time.Millisecond
	s.SetSources(srcs)
	hits := f.hit("total")
	badHits := bad.lists.Load()
	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Millisecond)
	s.Run(ctx)
	cancel()
	if f.hit("total") != hits || bad.lists.Load() != badHits {
		t.Errorf("restarted scheduler fetched sources that were not due")
	}
	if got := testutil.ToFloat64(c.m.lastSuccess.WithLabelValues("discuz")); got != float64(testNow.Unix()) {
		t.Errorf("last success after restart = %v, want %v", got, testNow.Unix())
	}
	if got := testutil.ToFloat64(c.m.breaker.WithLabelValues("bad")); got != 1 {
		t.Errorf("breaker of bad after restart = %v, want 1", got)
	}
	if got := testutil.ToFloat64(c.m.lastItems.WithLabelValues("discuz")); got != 4 {
		t.Errorf("last items after restart = %v", got)
	}
	st, _ := db.SourceState(t.Context(), "discuz")
	if st.ETag != `"e1"` || !st.NextCheckAt.Equal(testNow.Add(DefaultInterval)) || !st.LastNewItemAt.Equal(testNow) {
		t.Errorf("stored state = %+v", st)
	}
	// Due again: page 1 answers 304 to the stored ETag, and page 2 is not
	// due (the deep sample of the first process is remembered): no
	// unchanged thread and no deeper page is fetched.
	clk.add(DefaultInterval)
	if err := s.CrawlNow(t.Context(), "discuz"); err != nil {
		t.Fatal(err)
	}
	if f.hit("total") != hits+2 || f.hit("/forum-2-1.html") != 2 || f.hit("/forum-2-2.html") != 1 {
		t.Errorf("resumed crawl made %d requests, want 2 (robots.txt and a 304)", f.hit("total")-hits)
	}
	if st, _ := db.SourceState(t.Context(), "discuz"); !st.LastDeepAt.Equal(testNow) {
		t.Errorf("last deep sample = %v, want the first crawl's %v", st.LastDeepAt, testNow)
	}
}

func TestNewItemGapTracked(t *testing.T) {
	srv, _ := newBoard(t)
	ms := newMemStore()
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	s := NewScheduler(c, ms, nil, clk.now)
	src := boardSource(srv)
	s.SetSources([]Source{src})
	if err := s.CrawlNow(t.Context(), "board"); err != nil {
		t.Fatal(err)
	}
	if st := ms.state("board"); !st.LastNewItemAt.Equal(testNow) || st.NewItemGap != 0 {
		t.Fatalf("after first crawl: %+v", st)
	}
	// Nothing new for 2 hours, then a new post.
	clk.add(time.Hour)
	s.CrawlNow(t.Context(), "board")
	ms.mu.Lock()
	for u, p := range ms.posts {
		if strings.HasSuffix(u, "/msg/1") {
			delete(ms.posts, u)
			_ = p
		}
	}
	ms.mu.Unlock()
	clk.add(time.Hour)
	s.CrawlNow(t.Context(), "board")
	st := ms.state("board")
	if !st.LastNewItemAt.Equal(clk.now()) || st.NewItemGap != 2*time.Hour {
		t.Errorf("gap = %v, last new %v", st.NewItemGap, st.LastNewItemAt)
	}
	if got := testutil.ToFloat64(c.m.newItemGap.WithLabelValues("board")); got != 7200 {
		t.Errorf("gap gauge = %v", got)
	}
}

func TestSlowServer(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/slowlist":
			slow(w, r)
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<ul><li><a href="/fast">快</a></li><li><a href="/slow">慢</a></li></ul>`)
		case "/fast":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<div class="b">正文</div>`)
		case "/slow":
			slow(w, r)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{Timeout: 200 * time.Millisecond})

	t.Run("slow detail page is skipped", func(t *testing.T) {
		src := Source{Name: "s", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}, Detail: DetailSelectors{Body: "div.b"}}
		src.ApplyDefaults()
		var items []Item
		start := time.Now()
		_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
		if err != nil || len(items) != 1 || stats.ParseErrors != 1 {
			t.Errorf("err = %v, items = %d, stats = %+v", err, len(items), stats)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("crawl took %v with a 200ms timeout", el)
		}
	})
	t.Run("slow list fails as network error", func(t *testing.T) {
		src := Source{Name: "l", URL: srv.URL + "/slowlist", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
		src.ApplyDefaults()
		_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
		if err == nil || ErrorKind(err) != ErrorKindNetwork {
			t.Errorf("err = %v (kind %q), want a network error", err, ErrorKind(err))
		}
	})
}

func TestUserAgentFromConfig(t *testing.T) {
	const ua = "yuqing/1.0 (市医疗保障局舆情监测; 联系: yuqing@example.gov.cn)"
	var mu sync.Mutex
	seen := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("User-Agent")
		mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow:\n")
		case "/":
			fmt.Fprint(w, `<ul><li><a href="/1">一</a></li></ul>`)
		default:
			fmt.Fprint(w, `<div class="b">正文</div>`)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{UserAgent: ua})
	src := Source{Name: "s", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}, Detail: DetailSelectors{Body: "div.b"}}
	src.ApplyDefaults()
	if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item))); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Errorf("requests: %v", seen)
	}
	for path, got := range seen {
		if got != ua {
			t.Errorf("%s sent User-Agent %q, want %q", path, got, ua)
		}
	}
}

func TestRobotsRefreshedAfterTTL(t *testing.T) {
	f := newForum(t)
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	src := discuzSource(f)
	src.Detail = DetailSelectors{}
	src.Pages = 1
	for range 2 {
		if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item))); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.hit("/robots.txt"); n != 1 {
		t.Fatalf("robots.txt read %d times within its TTL, want 1", n)
	}
	f.mu.Lock()
	f.robots = "User-agent: *\nDisallow: /forum-2\n"
	f.mu.Unlock()
	clk.add(robotsTTL + time.Minute)
	_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
	if !errors.Is(err, ErrBlockedByRobots) || f.hit("/robots.txt") != 2 {
		t.Errorf("after the TTL: err = %v, robots.txt reads = %d", err, f.hit("/robots.txt"))
	}
}

func TestUserAgentHasContact(t *testing.T) {
	for ua, want := range map[string]bool{
		"yuqing/1.0 (市医疗保障局舆情监测; 联系: yuqing@example.gov.cn)":    true,
		"yuqing/1.0 (+https://ybj.example.gov.cn/crawler.html)": true,
		"yuqing/1.0 (联系电话 0571-88886666)":                       true,
		DefaultUserAgent:   false,
		"yuqing/1.0 (a@b)": false,
	} {
		if got := UserAgentHasContact(ua); got != want {
			t.Errorf("UserAgentHasContact(%q) = %v, want %v", ua, got, want)
		}
	}
}

// TestRobotsRedirectOffHostNotFollowed: even robots.txt, read by colly
// outside the page pipeline, must not lead to another host.
func TestRobotsRedirectOffHostNotFollowed(t *testing.T) {
	var other atomic.Int32
	otherSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	defer otherSrv.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.Redirect(w, r, otherSrv.URL+"/robots.txt", http.StatusMovedPermanently)
		default:
			fmt.Fprint(w, `<ul><li><a href="/1">一</a></li></ul>`)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	src := Source{Name: "s", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
	src.ApplyDefaults()
	c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
	if other.Load() != 0 {
		t.Errorf("robots.txt redirect reached another host (%d requests)", other.Load())
	}
}

// TestLayoutChangeExported: a list that yielded items and now yields none
// fails every crawl as a layout error, and the metric the
// YuqingSourceLayoutChanged alert reads counts the crawls in a row.
func TestLayoutChangeExported(t *testing.T) {
	var empty atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/api/messages" && empty.Load():
			fmt.Fprint(w, `{"code":0,"data":{"list":[]}}`)
		case r.URL.Path == "/api/messages":
			fmt.Fprint(w, `{"code":0,"data":{"list":[{"id":1,"title":"留言一"},{"id":2,"title":"留言二"}]}}`)
		default:
			fmt.Fprint(w, `<div class="content">正文</div>`)
		}
	}))
	defer srv.Close()
	ms := newMemStore()
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	s := NewScheduler(c, ms, nil, clk.now)
	s.SetSources([]Source{presetSource(t, fmt.Sprintf("  - {name: ly, preset: liuyan, url: %q, json: {link: \"/m/{id}\"}}\n", srv.URL+"/api/messages"))})
	if err := s.CrawlNow(t.Context(), "ly"); err != nil {
		t.Fatal(err)
	}
	empty.Store(true)
	for i := 1; i <= 2; i++ {
		clk.add(time.Hour)
		if err := s.CrawlNow(t.Context(), "ly"); ErrorKind(err) != ErrorKindLayout {
			t.Fatalf("crawl %d after the change: err = %v", i, err)
		}
	}
	st := ms.state("ly")
	if st.LastErrorKind != ErrorKindLayout || st.LastItems != 2 || st.ConsecutiveFailures != 2 {
		t.Errorf("state = %+v", st)
	}
	if got := testutil.ToFloat64(c.m.sourceError.WithLabelValues("ly", ErrorKindLayout)); got != 2 {
		t.Errorf("yuqing_source_error{kind=layout} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(c.m.layoutErrors.WithLabelValues("ly")); got != 2 {
		t.Errorf("layout errors counter = %v, want 2", got)
	}
}

// TestDeadThreadKeepsBoardHealthy: on a quiet board whose only new thread
// was deleted, every crawl succeeds (no backoff, no breaker), the dead
// thread is tried three times and then given up (and reported), and a new
// post appearing later is stored within one interval.
func TestDeadThreadKeepsBoardHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newFakeBoard("已删除的帖子")
		b.deleted[0] = true
		c, _ := newTestCrawler(t, Options{Now: time.Now, Transport: hostsTransport{"quiet.example": b}})
		ms := newMemStore()
		s := NewScheduler(c, ms, nil, nil)
		s.SetSources([]Source{b.source("quiet", "quiet.example", 5*time.Minute)})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		for range 8 { // 8 crawls, every 5 minutes
			synctest.Wait()
			st := ms.state("quiet")
			if st.ConsecutiveFailures != 0 || !st.BreakerOpenUntil.IsZero() || st.LastErrorKind != "" {
				t.Fatalf("board judged failing by its dead thread: %+v", st)
			}
			time.Sleep(5 * time.Minute)
		}
		if n := b.hit("/t/0"); n != giveUpAfter {
			t.Errorf("dead thread fetched %d times, want %d then given up", n, giveUpAfter)
		}
		f, ok, _ := ms.ItemFailure(t.Context(), "http://quiet.example/t/0")
		if !ok || f.Tries != giveUpAfter || f.GivenUpAt.IsZero() || f.LastErrorKind != ErrorKindLayout {
			t.Errorf("failure record = %+v, %v", f, ok)
		}
		if got := testutil.ToFloat64(c.m.givenUp.WithLabelValues("quiet")); got != 1 {
			t.Errorf("items given up = %v, want 1", got)
		}
		if got := testutil.ToFloat64(c.m.items.WithLabelValues("quiet", ResultGivenUp)); got < 4 {
			t.Errorf("given_up item results = %v, want one per crawl after giving up", got)
		}
		appeared := time.Now()
		b.add("新帖：医保卡被盗刷")
		for ms.postCount() == 0 && time.Since(appeared) <= 5*time.Minute {
			time.Sleep(time.Second)
		}
		if ms.postCount() != 1 || time.Since(appeared) > 5*time.Minute {
			t.Errorf("new post stored after %v (posts %d), want within the 5m interval", time.Since(appeared), ms.postCount())
		}
		cancel()
		<-done
	})
}

// repliesGrader grades posts about 住院 relevant, at level Ⅲ from 10
// replies on and Ⅳ below: engagement alone moves the level, as in the real
// rules.
type repliesGrader struct{}

func (repliesGrader) Grade(p classifier.Post) classifier.Result {
	if !strings.Contains(p.Title, "住院") {
		return classifier.Result{Grade: model.Grade{RulesVersion: "t1"}}
	}
	level := taxonomy.LevelIV
	if p.Replies >= 10 {
		level = 3
	}
	return classifier.Result{Grade: model.Grade{Relevant: true, Category: "institution", Level: level, Score: 2, RulesVersion: "t1"}}
}

// TestNotModifiedGrowingThreadRaisesItsIncident: through the pipeline
// (scheduler, SQLite, grader, incidents), a thread on page 2 that grows
// while page 1 answers 304 (weak ETag) is seen to grow at the next deep
// sample, is then hot and revisited between deep samples, and its incident
// rises with it. Crawls every 30 minutes, deep_interval 1h.
func TestNotModifiedGrowingThreadRaisesItsIncident(t *testing.T) {
	f := newForum(t)
	f.etag = `W/"v1"`
	grows := f.threadByID(104) // on page 2; 102 stays on page 1
	f.threads = []*thread{f.threadByID(102), grows}
	db := openSQLite(t, filepath.Join(t.TempDir(), "y.db"))
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	s := NewScheduler(c, db, nil, clk.now)
	src := discuzSource(f)
	src.URL = f.srv.URL + "/forum.php?mod=forumdisplay&fid=2&page=" + PagePlaceholder
	src.Interval, src.DeepInterval = 30*time.Minute, time.Hour
	src.Detail.Replies, src.Detail.Views = discuzDetailCounts.Replies, discuzDetailCounts.Views
	s.SetSources([]Source{src})
	w := grader.New(grader.Options{Store: db, Grader: repliesGrader{}, Incidents: incident.New(db, incident.DefaultPolicy(), clk.now, nil),
		Registerer: prometheus.NewPedanticRegistry(), Batch: 10, Now: clk.now})
	url104 := f.srv.URL + "/forum.php?mod=viewthread&tid=104"
	var levels []taxonomy.Level
	var stored []int
	for round, replies := range []int{3, 5, 7, 12} {
		f.mu.Lock()
		grows.Replies = replies
		f.mu.Unlock()
		if err := s.CrawlNow(t.Context(), src.Name); err != nil {
			t.Fatalf("crawl %d: %v", round+1, err)
		}
		if _, err := w.ProcessBatch(t.Context()); err != nil {
			t.Fatalf("grading after crawl %d: %v", round+1, err)
		}
		open, err := db.OpenIncidents(t.Context())
		if err != nil || len(open) != 1 {
			t.Fatalf("crawl %d: open incidents %+v, %v", round+1, open, err)
		}
		levels = append(levels, open[0].Level)
		p, _, _ := db.PostByURL(t.Context(), url104)
		stored = append(stored, p.Replies)
		clk.add(src.Interval)
	}
	if got := testutil.ToFloat64(c.m.runs.WithLabelValues(src.Name, OutcomeNotModified)); got != 3 {
		t.Errorf("crawls answered 304 on page 1 = %v, want 3", got)
	}
	// At 30m page 2 is not due and the thread not yet hot (one
	// observation); at 1h the deep sample sees 7; at 1h30 it is revisited.
	if fmt.Sprint(stored) != "[3 3 7 12]" {
		t.Errorf("stored replies after each crawl = %v, want [3 3 7 12]", stored)
	}
	if got := testutil.ToFloat64(c.m.hot.WithLabelValues(src.Name)); got != 1 {
		t.Errorf("hot revisits = %v, want 1", got)
	}
	if fmt.Sprint(levels) != "[4 4 4 3]" {
		t.Errorf("incident level after each crawl = %v, want [4 4 4 3]", levels)
	}
	p, ok, err := db.PostByURL(t.Context(), url104)
	if err != nil || !ok {
		t.Fatalf("thread 104 not stored: %v", err)
	}
	h, err := db.EngagementHistory(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, e := range h {
		got = append(got, e.Replies)
	}
	if fmt.Sprint(got) != "[3 7 12]" {
		t.Errorf("engagement history = %v, want [3 7 12]", got)
	}
}
