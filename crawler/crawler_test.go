package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/store"
)

func TestDiscuzGBKMetaOnly(t *testing.T) {
	f := newForum(t)
	c, reg := newTestCrawler(t, Options{})
	var items []Item
	st, stats, err := c.Crawl(t.Context(), discuzSource(f), store.SourceState{Name: "discuz"}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{ListPages: 2, Found: 4, Fetched: 4, Emitted: 4, Deep: true}
	if stats.Fields == nil {
		t.Error("no field match counts")
	}
	stats.Fields = nil
	if !reflect.DeepEqual(stats, want) {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	if st.Name != "discuz" {
		t.Errorf("state name = %q", st.Name)
	}
	for _, it := range items {
		for _, bad := range []string{"x9Kq2", "alert", "本帖最后由", "这是一条回复", "<", "&nbsp;"} {
			if strings.Contains(it.Body, bad) {
				t.Errorf("%s: body contains %q: %q", it.URL, bad, it.Body)
			}
		}
	}
	golden(t, "discuz", items, f.host())
	// The sticky copy of thread 101 and its normal row are one thread.
	if n := f.hit("/thread-101-1-1.html") + f.hit("/forum.php?mod=viewthread&tid=101&extra=page%3D1"); n != 1 {
		t.Errorf("thread 101 fetched %d times, want 1", n)
	}
	if got := testutil.ToFloat64(c.m.pages.WithLabelValues("discuz", PageDetail)); got != 4 {
		t.Errorf("detail pages metric = %v, want 4", got)
	}
	if got := testutil.ToFloat64(c.m.runs.WithLabelValues("discuz", OutcomeSuccess)); got != 1 {
		t.Errorf("success runs = %v, want 1", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}

// board serves a UTF-8 message board with the charset in the header.
func newBoard(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	list, err := os.ReadFile("testdata/board/list.html")
	if err != nil {
		t.Fatal(err)
	}
	msg := template.Must(template.ParseFiles("testdata/board/msg.html.tmpl"))
	msgs := map[string]map[string]any{
		"1": {"Title": "咨询：异地就医备案后还要办理什么手续？", "Author": "张**", "Date": "2026-11-20 09:15:00",
			"Body": template.HTML("<p>已经在网上备案了，</p><p>到了外地住院还需要带什么材料？</p>")},
		"2": {"Title": "投诉 某药店 医保卡 被 多刷 费用", "Author": "李**", "Date": "2026年11月22日 10:21",
			"Body": template.HTML("药店 把 自费药 刷成 医保 统筹。<br>请核查。")},
		"3": {"Title": "建议：门诊共济 报销比例 再提高一些", "Author": "王**", "Date": "2026/11/01",
			"Body": template.HTML("<table><tr><td>年龄</td><td>报销比例</td></tr><tr><td>60岁以上</td><td>70%</td></tr></table>")},
	}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/list":
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			w.Write(list)
		case strings.HasPrefix(r.URL.Path, "/msg/"):
			m, ok := msgs[strings.TrimPrefix(r.URL.Path, "/msg/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			msg.Execute(w, m)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func boardSource(srv *httptest.Server) Source {
	s := Source{
		Name: "board", Title: "网上留言板", URL: srv.URL + "/list", Delay: time.Millisecond,
		List:   ListSelectors{Item: "li.msg", Link: "a.t", Time: "span.time", Replies: "span.n"},
		Detail: DetailSelectors{Body: "div.detail div.content", Time: "span.when", Author: "span.who"},
	}
	s.ApplyDefaults()
	return s
}

func TestUTF8Board(t *testing.T) {
	srv, _ := newBoard(t)
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), boardSource(srv), store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 3 || stats.Fetched != 3 {
		t.Errorf("stats = %+v", stats)
	}
	golden(t, "board", items, strings.TrimPrefix(srv.URL, "http://"))
}

func TestUTF8BoardListTimesWithoutDetail(t *testing.T) {
	srv, requests := newBoard(t)
	c, _ := newTestCrawler(t, Options{})
	src := boardSource(srv)
	src.Detail = DetailSelectors{} // list only: relative list times are all we get
	var items []Item
	if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items)); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		testNow.Add(-72 * time.Hour),
		time.Date(2026, 11, 22, 10, 21, 0, 0, shanghai),
		time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai),
	}
	if len(items) != 3 {
		t.Fatalf("got %d items", len(items))
	}
	for i, it := range items {
		if !it.PublishedAt.Equal(want[i]) {
			t.Errorf("item %d time = %v, want %v", i, it.PublishedAt, want[i])
		}
		if it.Body != "" {
			t.Errorf("item %d has a body without a detail fetch", i)
		}
	}
	if items[2].Replies != 12000 {
		t.Errorf("replies of 1.2万 = %d", items[2].Replies)
	}
	if n := requests.Load(); n != 2 { // robots.txt + list
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestFeed(t *testing.T) {
	feed, err := os.ReadFile("testdata/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rss.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("Last-Modified", "Mon, 23 Nov 2026 03:00:00 GMT")
			w.Write(feed)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	// The feed alone (detail: none): article pages are tested in article_test.go.
	src := Source{Name: "ybj", Kind: KindRSS, URL: srv.URL + "/rss.xml", Delay: time.Millisecond, Detail: DetailSelectors{Body: DetailNone}}
	src.ApplyDefaults()
	var items []Item
	st, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 2 || stats.ParseErrors != 1 {
		t.Errorf("stats = %+v, want 2 found and 1 parse error (item without link)", stats)
	}
	if st.LastModified != "Mon, 23 Nov 2026 03:00:00 GMT" {
		t.Errorf("Last-Modified not recorded: %+v", st)
	}
	if len(items) == 2 && !items[1].PublishedAt.Equal(time.Date(2026, 11, 20, 8, 0, 0, 0, shanghai)) {
		t.Errorf("zone-less feed date read as %v, want Beijing time", items[1].PublishedAt)
	}
	golden(t, "feed", items, strings.TrimPrefix(srv.URL, "http://"))
}

func TestRobotsDisallowList(t *testing.T) {
	f := newForum(t)
	f.robots = "User-agent: *\nDisallow: /forum-\n"
	c, _ := newTestCrawler(t, Options{})
	src := discuzSource(f)
	var items []Item
	_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if !errors.Is(err, ErrBlockedByRobots) {
		t.Fatalf("err = %v, want ErrBlockedByRobots", err)
	}
	if f.hit("/forum-2-1.html") != 0 || len(items) != 0 {
		t.Errorf("list fetched despite robots.txt")
	}
	if got := testutil.ToFloat64(c.m.runs.WithLabelValues("discuz", OutcomeBlockedRobots)); got != 1 {
		t.Errorf("blocked_robots runs = %v", got)
	}
	// Once the site lifts the ban, the next crawl reads robots.txt again.
	f.mu.Lock()
	f.robots = "User-agent: *\nDisallow:\n"
	f.mu.Unlock()
	if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items)); err != nil {
		t.Fatalf("after robots.txt change: %v", err)
	}
	if f.hit("/robots.txt") != 2 {
		t.Errorf("robots.txt read %d times, want 2", f.hit("/robots.txt"))
	}
}

func TestRobotsDisallowDetail(t *testing.T) {
	f := newForum(t)
	f.robots = "User-agent: *\nDisallow: /thread-103\n"
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), discuzSource(f), store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Skipped != 1 || len(items) != 3 || f.hit("/thread-103-1-1.html") != 0 {
		t.Errorf("stats = %+v, items = %d, hits on 103 = %d", stats, len(items), f.hit("/thread-103-1-1.html"))
	}
}

// TestConditionalGet: the list's ETag is recorded and sent back; a 304 on
// page 1 says only that page 1 did not change. Page 2 is read again when
// its own cadence (deep_interval) comes round: threads that moved there
// (or were always there) may have grown, and a crawl that stopped at the
// 304 would never see them again. This source follows a list.next link, so
// page 1 is then fetched once more without validators to find it; its
// unchanged threads are skipped by the known-replies check.
func TestConditionalGet(t *testing.T) {
	f := newForum(t)
	f.etag = `W/"v1"`
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	src := discuzSource(f)
	ms := newMemStore()
	st, _, err := c.Crawl(t.Context(), src, store.SourceState{Name: "discuz"}, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil {
		t.Fatal(err)
	}
	if st.ETag != `W/"v1"` || !st.LastDeepAt.Equal(testNow) {
		t.Fatalf("ETag or deep sample not recorded: %+v", st)
	}
	// Before deep_interval: the 304 alone.
	clk.add(src.Interval)
	st2, stats, err := c.Crawl(t.Context(), src, st, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil {
		t.Fatalf("304 must not be an error: %v", err)
	}
	if !stats.NotModified || stats.Deep || stats.Emitted != 0 || stats.ListPages != 0 || st2 != st {
		t.Errorf("stats = %+v, state = %+v", stats, st2)
	}
	if f.hit("/forum-2-1.html") != 2 || f.hit("/forum-2-2.html") != 1 {
		t.Errorf("list hits before deep_interval = %d/%d, want 2/1", f.hit("/forum-2-1.html"), f.hit("/forum-2-2.html"))
	}
	// deep_interval after the first crawl: page 2 is due.
	clk.add(src.DeepInterval - src.Interval)
	st3, stats, err := c.Crawl(t.Context(), src, st2, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil {
		t.Fatal(err)
	}
	if !stats.NotModified || !stats.Deep || stats.Emitted != 0 || stats.ListPages != 2 || st3.ETag != `W/"v1"` ||
		!st3.LastDeepAt.Equal(clk.now()) {
		t.Errorf("stats = %+v, state = %+v", stats, st3)
	}
	// Page 1: 200, 304, then 304 and the unconditional refetch; page 2 twice.
	if f.hit("/forum-2-1.html") != 4 || f.hit("/forum-2-2.html") != 2 {
		t.Errorf("list hits = %d/%d, want 4/2", f.hit("/forum-2-1.html"), f.hit("/forum-2-2.html"))
	}
	if got := testutil.ToFloat64(c.m.runs.WithLabelValues("discuz", OutcomeNotModified)); got != 2 {
		t.Errorf("not_modified runs = %v", got)
	}
}

// TestNotModifiedFollowsGrowingThreadOnPage2: page 1 answers 304 at every
// crawl after the first while a thread on page 2 keeps growing; over three
// deep samples its stored reply count follows the site, whether deeper
// pages are reached by the {page} template or by the list.next link.
func TestNotModifiedFollowsGrowingThreadOnPage2(t *testing.T) {
	for name, paged := range map[string]bool{"page template": true, "next link": false} {
		t.Run(name, func(t *testing.T) {
			f := newForum(t)
			f.etag = `"v1"`
			clk := &clock{t: testNow}
			c, _ := newTestCrawler(t, Options{Now: clk.now})
			src := discuzSource(f)
			if paged {
				src.URL = f.srv.URL + "/forum.php?mod=forumdisplay&fid=2&page=" + PagePlaceholder
			}
			ms := newMemStore()
			st := store.SourceState{Name: "discuz"}
			url104 := f.srv.URL + "/forum.php?mod=viewthread&tid=104"
			for round, replies := range []int{3, 7, 12} {
				f.mu.Lock()
				f.threadByID(104).Replies = replies
				f.mu.Unlock()
				var stats Stats
				var err error
				st, stats, err = c.Crawl(t.Context(), src, st, knownIn(ms), saveTo(ms, "discuz"))
				if err != nil {
					t.Fatalf("crawl %d: %v", round+1, err)
				}
				if stats.NotModified != (round > 0) || !stats.Deep {
					t.Errorf("crawl %d: not_modified = %v, deep = %v", round+1, stats.NotModified, stats.Deep)
				}
				p, ok, _ := ms.PostByURL(t.Context(), url104)
				if !ok || p.Replies != replies {
					t.Fatalf("crawl %d: stored thread 104 = %+v (found %v), want %d replies", round+1, p, ok, replies)
				}
				if round > 0 && stats.Emitted != 1 {
					t.Errorf("crawl %d: emitted %d, want only the grown thread", round+1, stats.Emitted)
				}
				clk.add(src.DeepInterval)
			}
			if got := f.hit("/thread-104-1-2.html"); got != 3 {
				t.Errorf("thread 104 fetched %d times, want 3", got)
			}
		})
	}
}

// TestDeepPagesOnTheirOwnCadence: crawled every 10 minutes, page 1 is read
// at every crawl and page 2 every deep_interval (30 minutes), except when
// page 1 holds nothing already stored: then the list moved by a whole page
// and page 2 holds new threads too.
func TestDeepPagesOnTheirOwnCadence(t *testing.T) {
	f := newForum(t)
	clk := &clock{t: testNow}
	c, _ := newTestCrawler(t, Options{Now: clk.now})
	src := discuzSource(f)
	src.URL = f.srv.URL + "/forum.php?mod=forumdisplay&fid=2&page=" + PagePlaceholder
	ms := newMemStore()
	st := store.SourceState{Name: "discuz"}
	page2 := "/forum.php?mod=forumdisplay&fid=2&page=2"
	var deep []bool
	for range 5 { // at 0, 10, 20, 30 and 40 minutes
		var stats Stats
		var err error
		if st, stats, err = c.Crawl(t.Context(), src, st, knownIn(ms), saveTo(ms, "discuz")); err != nil {
			t.Fatal(err)
		}
		deep = append(deep, stats.Deep)
		clk.add(src.Interval)
	}
	if fmt.Sprint(deep) != "[true false false true false]" || f.hit(page2) != 2 || f.hit("/forum.php?mod=forumdisplay&fid=2&page=1") != 5 {
		t.Errorf("deep samples %v, page 1/2 read %d/%d times, want [true false false true false], 5/2",
			deep, f.hit("/forum.php?mod=forumdisplay&fid=2&page=1"), f.hit(page2))
	}
	// A burst of new threads fills page 1: page 2 is read at once.
	f.mu.Lock()
	for _, th := range f.threads {
		th.NotOnFirstPage = true
	}
	for i := range 3 {
		f.threads = append(f.threads, &thread{TID: 201 + i, PID: 2001 + i, Title: fmt.Sprintf("新帖 %d：医保报销", i), Author: "新人",
			Date: "2026-11-23 12:30", ListTime: "刚刚", Body: "报销进度怎么查？"})
	}
	f.mu.Unlock()
	_, stats, err := c.Crawl(t.Context(), src, st, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Deep || stats.ListPages != 2 || f.hit(page2) != 3 {
		t.Errorf("after a page of new threads: stats %+v, page 2 read %d times, want it read (not as a deep sample)", stats, f.hit(page2))
	}
}

func TestRetryAfter(t *testing.T) {
	t.Run("detail 429 postpones that thread alone", func(t *testing.T) {
		f := newForum(t)
		f.threadByID(102).DetailStatus = http.StatusTooManyRequests
		f.threadByID(102).DetailRetryAfter = "120" // longer than a crawl waits
		now := testNow
		c, _ := newTestCrawler(t, Options{Now: func() time.Time { return now }})
		m := newMemStore()
		src := discuzSource(f)
		st, stats, err := c.Crawl(t.Context(), src, store.SourceState{ETag: "old"}, knownIn(m), saveTo(m, src.Name))
		if err != nil {
			t.Fatalf("a 429 on one thread stopped the crawl: %v", err)
		}
		// The other threads, 103 after it on the list included, are stored.
		if m.postCount() != 3 || f.hit("/thread-103-1-1.html") != 1 || stats.Postponed != 1 {
			t.Errorf("posts = %d, thread 103 fetched %d times, stats = %+v", m.postCount(), f.hit("/thread-103-1-1.html"), stats)
		}
		if st.ETag != "old" {
			t.Errorf("validators advanced past a postponed thread: %+v", st)
		}
		u, _ := CanonicalURL("http://" + f.host() + "/thread-102-1-1.html")
		rec, ok, _ := m.ItemFailure(t.Context(), u)
		if !ok || !rec.RetryAt.Equal(testNow.Add(120*time.Second)) || rec.Tries != 0 || rec.LastErrorKind != ErrorKindRetryLater {
			t.Errorf("failure record = %+v, %v", rec, ok)
		}
		if got := testutil.ToFloat64(c.m.items.WithLabelValues("discuz", ResultPostponed)); got != 1 {
			t.Errorf("postponed items = %v", got)
		}

		// Before Retry-After has passed the thread is not asked for again.
		now = testNow.Add(time.Minute)
		_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, knownIn(m), saveTo(m, src.Name))
		if err != nil || f.hit("/thread-102-1-1.html") != 1 || stats.Postponed != 1 {
			t.Fatalf("second crawl: %v, thread 102 fetched %d times, stats %+v", err, f.hit("/thread-102-1-1.html"), stats)
		}

		// After it, the thread is fetched and stored, and its record goes.
		f.mu.Lock()
		f.threadByID(102).DetailStatus = 0
		f.mu.Unlock()
		now = testNow.Add(3 * time.Minute)
		_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, knownIn(m), saveTo(m, src.Name))
		if err != nil || stats.Fetched != 1 || m.postCount() != 4 {
			t.Fatalf("third crawl: %v, stats %+v, %d posts", err, stats, m.postCount())
		}
		if _, ok, _ := m.ItemFailure(t.Context(), u); ok {
			t.Error("failure record kept after the thread was fetched")
		}
	})
	t.Run("detail 429 on two threads stops the crawl", func(t *testing.T) {
		f := newForum(t)
		for _, tid := range []int{102, 103} {
			f.threadByID(tid).DetailStatus = http.StatusTooManyRequests
			f.threadByID(tid).DetailRetryAfter = "120"
		}
		c, _ := newTestCrawler(t, Options{})
		var items []Item
		st, _, err := c.Crawl(t.Context(), discuzSource(f), store.SourceState{ETag: "old"}, nil, collect(&items))
		var ra *RetryAfterError
		if !errors.As(err, &ra) || ra.Wait != 120*time.Second || ra.Status != 429 {
			t.Fatalf("err = %v, want RetryAfterError of 120s", err)
		}
		if len(items) != 1 || st.ETag != "old" {
			t.Errorf("items before the second 429 = %d (want 1 kept), state = %+v", len(items), st)
		}
		if f.hit("/thread-104-1-1.html") != 0 {
			t.Error("crawl went on after the site throttled a second thread")
		}
		if got := testutil.ToFloat64(c.m.runs.WithLabelValues("discuz", OutcomeRetryLater)); got != 1 {
			t.Errorf("retry_later runs = %v", got)
		}
	})
	t.Run("list 503 with date", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Retry-After", testNow.Add(90*time.Minute).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		c, _ := newTestCrawler(t, Options{})
		src := Source{Name: "x", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
		src.ApplyDefaults()
		_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
		var ra *RetryAfterError
		if !errors.As(err, &ra) || ra.Wait != 90*time.Minute {
			t.Fatalf("err = %v, want RetryAfterError of 90m", err)
		}
	})
}

func TestRetryAfterHeader(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0}, {"30", 30 * time.Second}, {"-5", 0}, {"junk", 0}, {"999999", 24 * time.Hour},
		{testNow.Add(time.Hour).UTC().Format(http.TimeFormat), time.Hour},
		{testNow.Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tc.v, testNow); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestTruncatedBody(t *testing.T) {
	t.Run("detail over the limit is not stored", func(t *testing.T) {
		f := newForum(t)
		f.etag = `"v2"`
		f.threadByID(103).Body = template.HTML(strings.Repeat("很长的帖子正文。", 2000))
		c, _ := newTestCrawler(t, Options{MaxBodyBytes: 16 << 10})
		var items []Item
		st, stats, err := c.Crawl(t.Context(), discuzSource(f), store.SourceState{}, nil, collect(&items))
		if err != nil {
			t.Fatal(err)
		}
		if stats.ParseErrors != 1 || len(items) != 3 {
			t.Errorf("stats = %+v, items = %d", stats, len(items))
		}
		for _, it := range items {
			if strings.Contains(it.URL, "tid=103") {
				t.Errorf("truncated thread stored: %+v", it)
			}
		}
		if st.ETag != "" {
			t.Errorf("ETag advanced although an item failed: %q", st.ETag)
		}
		if got := testutil.ToFloat64(c.m.items.WithLabelValues("discuz", ResultParseError)); got != 1 {
			t.Errorf("parse_error items = %v", got)
		}
	})
	t.Run("list over the limit fails the crawl", func(t *testing.T) {
		f := newForum(t)
		c, _ := newTestCrawler(t, Options{MaxBodyBytes: 1024})
		var items []Item
		_, _, err := c.Crawl(t.Context(), discuzSource(f), store.SourceState{}, nil, collect(&items))
		if !errors.Is(err, ErrTruncated) || len(items) != 0 {
			t.Fatalf("err = %v, items = %d", err, len(items))
		}
	})
	t.Run("content-length over the limit is aborted", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				http.NotFound(w, r)
				return
			}
			body := "<ul>" + strings.Repeat("<li><a href='/a'>x</a></li>", 200) + "</ul>"
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write([]byte(body))
		}))
		defer srv.Close()
		c, _ := newTestCrawler(t, Options{MaxBodyBytes: 1024})
		src := Source{Name: "x", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
		src.ApplyDefaults()
		_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want ErrTruncated", err)
		}
	})
}

func TestIncremental(t *testing.T) {
	f := newForum(t)
	c, _ := newTestCrawler(t, Options{})
	src := discuzSource(f)
	ms := newMemStore()
	detailHits := func() int {
		return f.hit("/thread-102-1-1.html") + f.hit("/thread-103-1-1.html") + f.hit("/thread-104-1-2.html") +
			f.hit("/forum.php?mod=viewthread&tid=101&extra=page%3D1")
	}
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil || stats.Fetched != 4 || ms.postCount() != 4 {
		t.Fatalf("first crawl: %+v, %v, %d posts", stats, err, ms.postCount())
	}
	_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil || stats.Fetched != 0 || stats.Skipped != 4 || detailHits() != 4 {
		t.Fatalf("second crawl: %+v, %v, detail hits %d (want still 4)", stats, err, detailHits())
	}
	f.mu.Lock()
	f.threadByID(102).Replies = 1
	f.threadByID(102).Body += "<br>补充：已经找到入口了。"
	f.mu.Unlock()
	_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, knownIn(ms), saveTo(ms, "discuz"))
	if err != nil || stats.Fetched != 1 || stats.Skipped != 3 || f.hit("/thread-102-1-1.html") != 2 {
		t.Fatalf("third crawl: %+v, %v, hits on 102 = %d", stats, err, f.hit("/thread-102-1-1.html"))
	}
	p, _, _ := ms.PostByURL(t.Context(), f.srv.URL+"/forum.php?mod=viewthread&tid=102")
	if p.Replies != 1 || !strings.Contains(p.Body, "补充") {
		t.Errorf("refetched thread = %+v", p)
	}
	if got := testutil.ToFloat64(c.m.items.WithLabelValues("discuz", ResultSkipped)); got != 7 {
		t.Errorf("skipped items metric = %v, want 7", got)
	}
}

func TestCancelMidCrawl(t *testing.T) {
	f := newForum(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.onDetail = func(w http.ResponseWriter, r *http.Request, tid int) {
		if tid == 102 {
			cancel()
			select { // the client must hang up
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
				t.Error("request not cancelled")
			}
		}
	}
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, _, err := c.Crawl(ctx, discuzSource(f), store.SourceState{}, nil, collect(&items))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(items) != 1 || f.hit("/thread-103-1-1.html") != 0 {
		t.Errorf("items = %d (want the one before cancel), 103 hits = %d", len(items), f.hit("/thread-103-1-1.html"))
	}
}

func TestEmitErrorStopsCrawl(t *testing.T) {
	f := newForum(t)
	c, _ := newTestCrawler(t, Options{})
	boom := errors.New("磁盘已满")
	n := 0
	_, _, err := c.Crawl(t.Context(), discuzSource(f), store.SourceState{}, nil, func(context.Context, Item) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("err = %v after %d emits", err, n)
	}
}

func TestLayoutChangeIsAnError(t *testing.T) {
	f := newForum(t)
	c, _ := newTestCrawler(t, Options{})
	src := discuzSource(f)
	src.List.Item = "div.threadlist-v2 li"
	_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
	if !errors.Is(err, ErrLayout) {
		t.Fatalf("err = %v, want ErrLayout", err)
	}
	if !strings.Contains(err.Error(), "没有匹配到任何条目") {
		t.Errorf("no item matched: %v", err)
	}
	// Items still match but their links moved: say so, not "no item".
	src = discuzSource(f)
	src.List.Link = "a.thread-title"
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
	if !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), `list.link = "a.thread-title"`) || stats.ParseErrors == 0 {
		t.Errorf("links gone: err = %v, stats = %+v", err, stats)
	}
	src = discuzSource(f)
	src.Detail.Body = "div.post-content"
	_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
	if !errors.Is(err, ErrLayout) || stats.ParseErrors != 4 {
		t.Fatalf("all details failing: err = %v, stats = %+v", err, stats)
	}
}

func TestWrongEncodingFailsClearly(t *testing.T) {
	f := newForum(t)
	c, _ := newTestCrawler(t, Options{})
	src := discuzSource(f)
	src.Encoding = EncodingUTF8 // the board is GBK
	var items []Item
	_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if !errors.Is(err, ErrEncoding) || len(items) != 0 {
		t.Fatalf("err = %v, items = %d", err, len(items))
	}
	srv, _ := newBoard(t)
	bsrc := boardSource(srv)
	bsrc.Encoding = EncodingGB18030 // the board is UTF-8
	_, _, err = c.Crawl(t.Context(), bsrc, store.SourceState{}, nil, collect(&items))
	if !errors.Is(err, ErrEncoding) || len(items) != 0 {
		t.Fatalf("err = %v, items = %d", err, len(items))
	}
}

func TestOffHostLinksAreNotFetched(t *testing.T) {
	var other atomic.Int32
	otherSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	defer otherSrv.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<ul><li><a href="%s/post/1">外站转载的帖子</a></li><li><a href="/go">跳转</a></li></ul>`, otherSrv.URL)
		case "/go":
			http.Redirect(w, r, otherSrv.URL+"/post/2", http.StatusFound)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	src := Source{Name: "x", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}, Detail: DetailSelectors{Body: "div"}}
	src.ApplyDefaults()
	var items []Item
	ms := newMemStore()
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, knownIn(ms), collect(&items))
	// The off-host link is kept with its list data; the redirect off-host
	// fails that item (recorded as such), not the crawl.
	if err != nil {
		t.Errorf("err = %v; one failed item out of one must not fail the crawl", err)
	}
	if f, ok, _ := ms.ItemFailure(t.Context(), srv.URL+"/go"); !ok || f.LastErrorKind != ErrorKindOffHost || f.Tries != 1 {
		t.Errorf("failure record of the redirecting item = %+v, %v; want one off_host failure", f, ok)
	}
	if other.Load() != 0 {
		t.Errorf("the other host got %d requests", other.Load())
	}
	if len(items) != 1 || items[0].Title != "外站转载的帖子" || stats.ParseErrors != 1 {
		t.Errorf("items = %+v, stats = %+v", items, stats)
	}
}

func TestTwoCrawlersTwoRegistries(t *testing.T) {
	r1, r2 := prometheus.NewRegistry(), prometheus.NewRegistry()
	if _, err := New(Options{Registerer: r1}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Registerer: r2}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Registerer: r1}); err == nil {
		t.Error("registering twice on one registry should fail")
	}
	if _, err := New(Options{}); err != nil {
		t.Errorf("nil registerer: %v", err)
	}
}

func TestPolitenessSerialisesHost(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<ul><li><a href="/1">一</a></li><li><a href="/2">二</a></li></ul><div class="b">正文</div>`)
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	done := make(chan error, 3)
	start := time.Now()
	for i := range 3 {
		src := Source{Name: fmt.Sprintf("s%d", i), URL: srv.URL + "/", Delay: 20 * time.Millisecond,
			List: ListSelectors{Item: "li"}, Detail: DetailSelectors{Body: "div.b"}}
		src.ApplyDefaults()
		go func() {
			_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
			done <- err
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// robots.txt is read once, pages never overlap.
	if maxInFlight.Load() > 1 {
		t.Errorf("%d requests in flight at once on one host", maxInFlight.Load())
	}
	// 9 pages, each followed by a 20ms delay while holding the host's slot.
	if el := time.Since(start); el < 9*20*time.Millisecond {
		t.Errorf("9 requests took only %v; per-host delay not applied", el)
	}
}

// TestOneBrokenTitleKeepsThePage: a list of 20 whose 7th title lost a byte
// yields all 20 items; the broken one carries U+FFFD and is counted.
func TestOneBrokenTitleKeepsThePage(t *testing.T) {
	var list bytes.Buffer
	list.WriteString(`<html><head><meta charset="utf-8"></head><body><ul>`)
	for i := range 20 {
		title := fmt.Sprintf("第%d条留言：医保报销进度咨询", i+1)
		if i == 6 {
			title = string([]byte(title)[:len(title)-1]) // 询 cut in two
		}
		fmt.Fprintf(&list, `<li><a href="/m/%d">%s</a></li>`, i+1, title)
	}
	list.WriteString(`</ul></body></html>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(list.Bytes())
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	src := Source{Name: "cut", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
	src.ApplyDefaults()
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil || len(items) != 20 {
		t.Fatalf("err = %v, items = %d, want 20", err, len(items))
	}
	for i, it := range items {
		want := fmt.Sprintf("第%d条留言：医保报销进度咨询", i+1)
		if i == 6 {
			want = "第7条留言：医保报销进度咨\ufffd"
		}
		if it.Title != want || (it.Replaced == 1) != (i == 6) {
			t.Errorf("item %d: title %q, replaced %d", i, it.Title, it.Replaced)
		}
	}
	if stats.Replaced != 1 || testutil.ToFloat64(c.m.replaced.WithLabelValues("cut")) != 1 {
		t.Errorf("stats.Replaced = %d, metric %v", stats.Replaced, testutil.ToFloat64(c.m.replaced.WithLabelValues("cut")))
	}
}

// TestLongBodyCut: a body over max_body_chars is cut at a character
// boundary and records its full length; shorter bodies are untouched.
func TestLongBodyCut(t *testing.T) {
	long := strings.Repeat("医保报销材料交了两个月还没有到账。", 200) // 3,400 characters
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			fmt.Fprint(w, `<ul><li><a href="/long">长帖</a></li><li><a href="/short">短帖</a></li></ul>`)
		case "/long":
			fmt.Fprintf(w, `<div class="b">%s</div>`, long)
		default:
			fmt.Fprint(w, `<div class="b">短正文</div>`)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	src := Source{Name: "long", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"},
		Detail: DetailSelectors{Body: "div.b"}, MaxBodyChars: 1000}
	src.ApplyDefaults()
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil || len(items) != 2 {
		t.Fatalf("err = %v, items = %d", err, len(items))
	}
	if got := items[0]; utf8.RuneCountInString(got.Body) != 1000 || !strings.HasPrefix(long, got.Body) || got.FullBodyChars != 3400 {
		t.Errorf("long body: %d characters kept, full %d", utf8.RuneCountInString(got.Body), got.FullBodyChars)
	}
	if got := items[1]; got.Body != "短正文" || got.FullBodyChars != 0 {
		t.Errorf("short body changed: %+v", got)
	}
	if stats.Truncated != 1 || testutil.ToFloat64(c.m.truncated.WithLabelValues("long")) != 1 {
		t.Errorf("stats.Truncated = %d", stats.Truncated)
	}
}

// TestMaxItemsDropsAreCounted: items past max_items are counted (metric and
// stats) instead of vanishing silently, and the list pages left unread
// because of the cap are not fetched.
func TestMaxItemsDropsAreCounted(t *testing.T) {
	f := newForum(t)
	c, _ := newTestCrawler(t, Options{})
	src := discuzSource(f)
	src.MaxItems = 2
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || stats.Found != 2 || stats.Dropped != 1 {
		t.Errorf("items %d, stats %+v; want 2 kept and 1 dropped of page 1's 3", len(items), stats)
	}
	if got := testutil.ToFloat64(c.m.dropped.WithLabelValues("discuz")); got != 1 {
		t.Errorf("yuqing_crawl_items_dropped_total = %v", got)
	}
	if f.hit("/forum-2-2.html") != 0 {
		t.Error("page 2 was fetched although the cap was reached on page 1")
	}
	src.MaxItems = 50
	_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil || stats.Dropped != 0 || f.hit("/forum-2-2.html") != 1 {
		t.Errorf("within the cap: dropped %d, page 2 fetched %d times, err %v", stats.Dropped, f.hit("/forum-2-2.html"), err)
	}
}

// TestCrawlBudget: a crawl whose budget runs out after its list was read
// is cut short (what it emitted stands, the list's validators stay old);
// one whose list is not read within the budget fails as a budget error.
func TestCrawlBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newFakeBoard("一", "二", "三", "四", "五")
		b.delay, b.etag = 20*time.Second, `"v2"`
		c, _ := newTestCrawler(t, Options{Now: time.Now, Timeout: time.Minute, Transport: hostsTransport{"b.example": b}})
		src := b.source("b", "b.example", 10*time.Minute)
		src.CrawlBudget = 50 * time.Second // list + two 20 s detail pages
		var items []Item
		st, stats, err := c.Crawl(t.Context(), src, store.SourceState{ETag: `"v1"`}, nil, collect(&items))
		if err != nil || !stats.CutShort || len(items) != 2 || stats.Emitted != 2 || st.ETag != `"v1"` {
			t.Fatalf("err = %v, stats = %+v, items = %d, ETag %q; want cut short after 2 items with the old ETag", err, stats, len(items), st.ETag)
		}
		src.CrawlBudget = 15 * time.Second
		src.URL = "http://b.example/t/0" // a "list" that takes 20 s
		_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
		if !errors.Is(err, ErrBudget) || ErrorKind(err) != ErrorKindBudget || stats.CutShort {
			t.Fatalf("slow list: err = %v (kind %q), stats %+v; want a budget error", err, ErrorKind(err), stats)
		}
	})
}
