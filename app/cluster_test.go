package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// feedSite is a loopback news site with one or more RSS feeds
// (/rss/K.xml), each listing one post of its own. It counts every page's
// fetches and the most requests it served at once.
type feedSite struct {
	srv   *httptest.Server
	feeds int

	mu       sync.Mutex
	hold     time.Duration  // how long each answer takes, so requests that overlap show
	fetches  map[string]int // path → times fetched
	inflight int
	peak     int // the most requests served at once
}

func newFeedSite(t *testing.T, n, feeds int) *feedSite {
	f := &feedSite{feeds: feeds, fetches: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.fetches[r.URL.Path]++
		f.inflight++
		f.peak = max(f.peak, f.inflight)
		hold := f.hold
		f.mu.Unlock()
		defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
		time.Sleep(hold)
		k, feed := feedNumber(r.URL.Path)
		switch {
		case feed && k < feeds:
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>站点%d栏目%d</title><link>/</link><description>民生</description>
<item><title>站点%d栏目%d：医保报销窗口排长队</title><link>/news/%d-%d.html</link><pubDate>Mon, 07 Dec 2026 09:30:00 +0800</pubDate>
<description>市民反映医保报销窗口排队两个小时。</description></item>
</channel></rss>`, n, k, n, k, n, k)
		case strings.HasPrefix(r.URL.Path, "/news/"):
			fmt.Fprintf(w, `<html><body><h1>站点%d</h1><div class="content">市民反映医保报销窗口排队两个小时。</div></body></html>`, n)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// feedNumber returns K of a path /rss/K.xml.
func feedNumber(path string) (int, bool) {
	rest, ok := strings.CutPrefix(path, "/rss/")
	if !ok {
		return 0, false
	}
	k, err := strconv.Atoi(strings.TrimSuffix(rest, ".xml"))
	return k, err == nil && strings.HasSuffix(rest, ".xml")
}

// slow makes every answer take d.
func (f *feedSite) slow(d time.Duration) { f.mu.Lock(); f.hold = d; f.mu.Unlock() }

// host is the site's host:port, its sources' lease key.
func (f *feedSite) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// fetched returns how often path was fetched.
func (f *feedSite) fetched(path string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.fetches[path] }

// feedFetches returns how often the site's feeds were fetched, in all.
func (f *feedSite) feedFetches() int {
	n := 0
	for k := range f.feeds {
		n += f.fetched(fmt.Sprintf("/rss/%d.xml", k))
	}
	return n
}

// pages returns the fetches of every page but robots.txt, by path.
func (f *feedSite) pages() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for p, n := range f.fetches {
		if p != "/robots.txt" {
			out[p] = n
		}
	}
	return out
}

// mostAtOnce returns the most requests the site served at once.
func (f *feedSite) mostAtOnce() int { f.mu.Lock(); defer f.mu.Unlock(); return f.peak }

// sourceName is the name of feed k of site i in clusterFixture.
func sourceName(i, k int) string { return fmt.Sprintf("feed-%d-%d", i, k) }

// sourceNames lists every source of the sites, as clusterFixture names them.
func sourceNames(sites []*feedSite) []string {
	var out []string
	for i, s := range sites {
		for k := range s.feeds {
			out = append(out, sourceName(i, k))
		}
	}
	return out
}

// clusterFixture writes a configuration on PostgreSQL schema dsn with
// one RSS source per feed of each site (several sources on one host when
// a site has several feeds), and a short heartbeat and lease TTL.
func clusterFixture(t *testing.T, dsn string, sites []*feedSite, beat, ttl time.Duration) string {
	t.Helper()
	dir := demoConfigDir(t, "http://127.0.0.1:1") // sources.yaml is replaced below
	var b strings.Builder
	b.WriteString("sources:\n")
	for i, s := range sites {
		for k := range s.feeds {
			fmt.Fprintf(&b, "  - name: %s\n    title: 测试新闻站%d栏目%d\n    kind: rss\n    channel: news_report\n    url: %s/rss/%d.xml\n    interval: 1m\n    delay: 500ms\n",
				sourceName(i, k), i, k, s.srv.URL, k)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte(b.String()), 0o640); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "yuqing.yaml")
	text, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(text), "  driver: sqlite\n", "  driver: postgres\n", 1)
	cfg = strings.Replace(cfg, `  dsn: ""`, "  dsn: "+dsn, 1)
	cfg = strings.Replace(cfg, "  heartbeat: 5s\n", "  heartbeat: "+beat.String()+"\n", 1)
	cfg = strings.Replace(cfg, "  lease_ttl: 30s\n", "  lease_ttl: "+ttl.String()+"\n", 1)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o640); err != nil {
		t.Fatal(err)
	}
	return cfgFile
}

// instance is one daemon of a test cluster.
type instance struct {
	addr string
	stop context.CancelFunc
	done chan error
}

// startInstances starts n daemons on cfgFile at once (they race for
// leases and the leadership), each on a port of its own.
func startInstances(t *testing.T, cfgFile string, n int) []*instance {
	t.Helper()
	type started struct {
		i    int
		addr string
	}
	ready := make(chan started, n)
	failed := make(chan error, n)
	out := make([]*instance, n)
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		in := &instance{stop: cancel, done: make(chan error, 1)}
		out[i] = in
		go func() {
			err := Run(ctx, Options{ConfigFile: cfgFile, Listen: "127.0.0.1:0",
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Ready:  func(a string) { ready <- started{i, a} }})
			if err != nil && ctx.Err() == nil {
				failed <- err
			}
			in.done <- err
		}()
	}
	t.Cleanup(func() {
		for _, in := range out {
			in.halt(t)
		}
	})
	for range n {
		select {
		case r := <-ready:
			out[r.i].addr = r.addr
		case err := <-failed:
			t.Fatalf("an instance did not start: %v", err)
		case <-time.After(3 * time.Minute): // three classifiers load at once (slow under -race)
			t.Fatal("instances did not start within 3 minutes")
		}
	}
	return out
}

// halt stops the daemon in order and waits (a second call returns at once).
func (in *instance) halt(t *testing.T) {
	if in.done == nil {
		return
	}
	in.stop()
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("daemon did not stop within 30 s")
	}
	in.done = nil
}

// gauge reads an unlabelled gauge from the instance's /metrics (-1 when absent).
func gauge(t *testing.T, in *instance, name string) float64 {
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(fetch(t, "http://"+in.addr+"/metrics"))
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// sum adds up every sample of the series name (any labels) on in's /metrics.
func sum(t *testing.T, in *instance, name string) float64 {
	total := 0.0
	for _, m := range regexp.MustCompile(`(?m)^`+name+`(?:\{[^}]*\})? (\S+)$`).FindAllStringSubmatch(fetch(t, "http://"+in.addr+"/metrics"), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		total += v
	}
	return total
}

// leading lists the running instances whose /metrics say they lead.
func leading(t *testing.T, ins []*instance) []int {
	var out []int
	for i, in := range ins {
		if in.done != nil && gauge(t, in, "yuqing_leader") == 1 {
			out = append(out, i)
		}
	}
	return out
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// TestThreeInstancesOnePostgres runs three daemons in one process on one
// PostgreSQL schema against six loopback news sites with one to three
// feeds each (twelve sources on six hosts): each host is leased to one
// instance (two each: the share counts hosts, not sources), so no site
// ever serves two requests at once, though every instance crawls; each
// page is fetched once in its interval; each source's health is exported
// by the instance holding its host; every instance grades from the one
// queue (every post once, each in at most one incident, incident numbers
// without gaps); one instance leads and exports the incident series.
// Then the leader stops: another leads within the lease TTL and takes its
// hosts, whose crawl state continues (nothing is fetched again before
// the interval); then the new leader's database session is cut: one
// instance leads again within the TTL.
func TestThreeInstancesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("three daemons; skipped in -short mode")
	}
	const (
		beat = 200 * time.Millisecond
		ttl  = 3 * time.Second
	)
	dsn := pgtest.Schema(t)
	sites := make([]*feedSite, 6)
	for i := range sites {
		sites[i] = newFeedSite(t, i, 1+i%3)
		sites[i].slow(300 * time.Millisecond)
	}
	sources := sourceNames(sites)
	cfgFile := clusterFixture(t, dsn, sites, beat, ttl)
	st, err := postgres.OpenReadOnly(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ins := startInstances(t, cfgFile, 3)

	// Each source is crawled once and the hosts' leases settle at two
	// per instance.
	waitUntil(t, time.Minute, "every source crawled", func() bool {
		for _, name := range sources {
			s, err := st.SourceState(context.Background(), name)
			if err != nil || s.LastCheckAt.IsZero() {
				return false
			}
		}
		return true
	})
	perHolder := func() map[string]int {
		leases, err := st.Leases(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, l := range leases {
			if l.Held(time.Now()) {
				out[l.Holder]++
			}
		}
		return out
	}
	waitUntil(t, 5*ttl, "two hosts per instance", func() bool {
		h := perHolder()
		return len(h) == 3 && h[keyAt(h, 0)] == 2 && h[keyAt(h, 1)] == 2 && h[keyAt(h, 2)] == 2
	})
	checkPoliteness := func(when string) {
		t.Helper()
		for i, s := range sites {
			if n := s.mostAtOnce(); n != 1 {
				t.Errorf("%s: site %d (%d sources) served %d requests at once, want 1 (one instance crawls a host)", when, i, s.feeds, n)
			}
			for path, n := range s.pages() {
				if n != 1 {
					t.Errorf("%s: site %d's %s fetched %d times in its interval, want 1", when, i, path, n)
				}
			}
			if n := len(s.pages()); n != 2*s.feeds {
				t.Errorf("%s: site %d: %d pages fetched, want its %d feeds and their posts", when, i, n, s.feeds)
			}
		}
	}
	admin, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	// Every instance grades from the one queue: every post graded, none
	// twice, each in at most one incident, numbers without gaps.
	waitUntil(t, time.Minute, "every post graded", func() bool {
		_, backlog, err := st.CountPosts(context.Background())
		return err == nil && backlog == 0
	})
	var posts, grades, twice int
	if err := admin.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM grades),
		(SELECT count(*) - count(DISTINCT post_id) FROM incident_posts)`).Scan(&posts, &grades, &twice); err != nil {
		t.Fatal(err)
	}
	if posts != len(sources) || grades != posts || twice != 0 {
		t.Errorf("%d posts, %d grades, %d posts in two incidents; want %d, %d, 0", posts, grades, twice, len(sources), len(sources))
	}
	var gradedBy []float64
	total := 0.0
	for _, in := range ins {
		n := sum(t, in, "yuqing_posts_graded_total")
		gradedBy, total = append(gradedBy, n), total+n
	}
	if total != float64(len(sources)) {
		t.Errorf("instances graded %v posts, want %d in all", gradedBy, len(sources))
	}
	t.Logf("posts graded per instance: %v", gradedBy)
	rows, err := admin.Query(context.Background(), `SELECT number FROM incidents ORDER BY number`)
	if err != nil {
		t.Fatal(err)
	}
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(numbers) == 0 {
		t.Fatalf("incidents %v, %v", numbers, err)
	}
	for i, n := range numbers {
		if !strings.HasSuffix(n, fmt.Sprintf("-%04d", i+1)) {
			t.Errorf("incident numbers %v: not 1..%d", numbers, len(numbers))
			break
		}
	}
	time.Sleep(5 * beat) // more heartbeats and polls: still nothing fetched twice
	checkPoliteness("after the first crawls")
	if l := leading(t, ins); len(l) != 1 {
		t.Fatalf("leaders %v, want one", l)
	}
	checkExports(t, ins, sources, len(sites))
	checkStatus(t, cfgFile, 3, sites)

	// The leader stops in order: another leads within the TTL and takes
	// its sources over; their crawl state continues.
	old := leading(t, ins)[0]
	ins[old].halt(t)
	took := waitUntil(t, ttl, "a new leader after the leader stopped", func() bool { return len(leading(t, ins)) == 1 })
	t.Logf("leader stopped: new leader in %s (heartbeat %s, lease TTL %s)", took, beat, ttl)
	took = waitUntil(t, ttl+2*beat, "its hosts taken over", func() bool {
		h := perHolder()
		return len(h) == 2 && h[keyAt(h, 0)] == 3 && h[keyAt(h, 1)] == 3
	})
	t.Logf("leader stopped: every host held by the two others in %s", took)
	checkExports(t, ins, sources, len(sites))
	checkStatus(t, cfgFile, 2, sites)
	checkPoliteness("after the takeover (the interval has not passed)")

	// The new leader's session is cut on the server: one instance leads
	// again within the TTL. Only this schema's leader lock (key2 is
	// hashtext of the schema) is cut: other tests and daemons on the server
	// keep theirs.
	elections := func() float64 {
		n := 0.0
		for _, in := range ins {
			if in.done != nil {
				n += gauge(t, in, "yuqing_leader_elections_total")
			}
		}
		return n
	}
	before := elections()
	var killed int
	if err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
		JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'yuqing-leader'
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.objid = (hashtext(current_schema())::bigint & 4294967295)::oid`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("cutting the leader's session: %d sessions, %v", killed, err)
	}
	took = waitUntil(t, ttl, "a leader elected anew after its session was cut", func() bool {
		return elections() == before+1 && len(leading(t, ins)) == 1
	})
	t.Logf("leader's session cut: a leader elected anew in %s", took)
	checkExports(t, ins, sources, len(sites))
}

// keyAt is the i-th key of m in some order (for counting per holder).
func keyAt(m map[string]int, i int) string {
	for k := range m {
		if i == 0 {
			return k
		}
		i--
	}
	return ""
}

// checkExports: among the running instances, the incident series and the
// grader's come from the leader alone, every source's health from exactly
// one, and the held leases add up to every host (once the schedulers
// have polled).
func checkExports(t *testing.T, ins []*instance, sources []string, hosts int) {
	t.Helper()
	var problems []string
	for range 50 {
		if problems = exportProblems(t, ins, sources, hosts); len(problems) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error(strings.Join(problems, "\n"))
}

func exportProblems(t *testing.T, ins []*instance, sources []string, hosts int) []string {
	var problems []string
	health := map[string]int{}
	incidents, backlogs, leases := 0, 0, 0.0
	for _, in := range ins {
		if in.done == nil {
			continue
		}
		m := fetch(t, "http://"+in.addr+"/metrics")
		if strings.Contains(m, "\nyuqing_incidents_open{") {
			incidents++
		}
		if strings.Contains(m, "\nyuqing_grading_backlog ") {
			backlogs++
		}
		for _, s := range regexp.MustCompile(`(?m)^yuqing_source_consecutive_failures\{source="([^"]+)"\}`).FindAllStringSubmatch(m, -1) {
			health[s[1]]++
		}
		leases += gauge(t, in, "yuqing_host_leases_held")
	}
	if incidents != 1 {
		problems = append(problems, fmt.Sprintf("%d instances export the incident series, want the leader alone", incidents))
	}
	if backlogs != 1 {
		problems = append(problems, fmt.Sprintf("%d instances export the grading backlog, want the leader alone", backlogs))
	}
	if leases != float64(hosts) {
		problems = append(problems, fmt.Sprintf("instances hold %v host leases, want %d", leases, hosts))
	}
	for _, name := range sources {
		if n := health[name]; n != 1 {
			problems = append(problems, fmt.Sprintf("%s's health exported by %d instances, want 1", name, n))
		}
	}
	return problems
}

// TestCrawlStoreBesideInstances: `yuqing crawl -store` on PostgreSQL
// takes its source's host lease for the crawl (no instance crawls the
// host meanwhile) and gives it back; an instance started afterwards
// takes the host and continues the stored schedule (the source just
// crawled is not fetched again, its neighbour on the host is); run
// again while that instance holds the host, it is refused, naming the
// instance, and fetches nothing.
func TestCrawlStoreBesideInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the classifier and runs a daemon; skipped in -short mode")
	}
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	site := newFeedSite(t, 0, 2)
	site.slow(300 * time.Millisecond)
	cfgFile := clusterFixture(t, dsn, []*feedSite{site}, 200*time.Millisecond, 3*time.Second)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	var out strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- Crawl(ctx, CrawlOptions{ConfigFile: cfgFile, Source: sourceName(0, 0), Once: true, Store: true,
			Out: &out, Logger: slog.New(slog.DiscardHandler)})
	}()
	var borrowed string
	for borrowed == "" {
		select {
		case err := <-done:
			t.Fatalf("the crawl ended (%v) before its lease was seen:\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		// (The table appears once the crawl has migrated the schema.)
		_ = admin.QueryRow(ctx, `SELECT holder FROM host_leases WHERE host = $1 AND holder <> ''`, site.host()).Scan(&borrowed)
	}
	if err := <-done; err != nil {
		t.Fatalf("crawl -store: %v\n%s", err, out.String())
	}
	if !strings.HasPrefix(borrowed, "yuqing-crawl@") || !strings.Contains(out.String(), "抓取成功") {
		t.Errorf("lease held by %q during the crawl; output:\n%s", borrowed, out.String())
	}
	st, err := postgres.OpenReadOnly(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if leases, err := st.Leases(ctx); err != nil || len(leases) != 1 || leases[0].Holder != "" {
		t.Errorf("after the crawl the lease is %+v, %v; want given back", leases, err)
	}

	ins := startInstances(t, cfgFile, 1)
	waitUntil(t, time.Minute, "the instance crawls the host's other source", func() bool {
		s, err := st.SourceState(ctx, sourceName(0, 1))
		return err == nil && !s.LastCheckAt.IsZero()
	})
	if n := site.fetched("/rss/0.xml"); n != 1 {
		t.Errorf("the source crawled by yuqing crawl was fetched %d times, want 1 (its interval has not passed)", n)
	}

	out.Reset()
	err = Crawl(ctx, CrawlOptions{ConfigFile: cfgFile, Source: sourceName(0, 0), Once: true, Store: true,
		Out: &out, Logger: slog.New(slog.DiscardHandler)})
	var held *cluster.LeaseHeldError
	if !errors.As(err, &held) || held.Instance == nil || held.Instance.Listen != ins[0].addr {
		t.Errorf("crawl -store while an instance holds the host: %v", err)
	}
	for _, want := range []string{"未抓取：数据源 feed-0-0 所在的网站 " + site.host() + " 正由实例 ", "监听 " + ins[0].addr, "下次约在", "去掉 -store"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, out.String())
		}
	}
	if n := site.fetched("/rss/0.xml"); n != 1 {
		t.Errorf("the refused crawl fetched the feed (%d fetches)", n)
	}
	if n := site.mostAtOnce(); n != 1 {
		t.Errorf("the site served %d requests at once, want 1", n)
	}
}
