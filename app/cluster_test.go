package app

import (
	"context"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// feedSite is a loopback news site with one RSS feed; it counts the
// feed's fetches.
type feedSite struct {
	srv   *httptest.Server
	feeds atomic.Int32
}

func newFeedSite(t *testing.T, n int) *feedSite {
	f := &feedSite{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/rss.xml":
			f.feeds.Add(1)
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>站点%d</title><link>/</link><description>民生</description>
<item><title>站点%d：医保报销窗口排长队</title><link>/news/%d-1.html</link><pubDate>Mon, 07 Dec 2026 09:30:00 +0800</pubDate>
<description>市民反映医保报销窗口排队两个小时。</description></item>
</channel></rss>`, n, n, n)
		case strings.HasPrefix(r.URL.Path, "/news/"):
			fmt.Fprintf(w, `<html><body><h1>站点%d</h1><div class="content">市民反映医保报销窗口排队两个小时。</div></body></html>`, n)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// clusterFixture writes a configuration on PostgreSQL schema dsn with
// one RSS source per site, and a short heartbeat and lease TTL.
func clusterFixture(t *testing.T, dsn string, sites []*feedSite, beat, ttl time.Duration) string {
	t.Helper()
	dir := demoConfigDir(t, "http://127.0.0.1:1") // sources.yaml is replaced below
	var b strings.Builder
	b.WriteString("sources:\n")
	for i, s := range sites {
		fmt.Fprintf(&b, "  - name: feed-%d\n    title: 测试新闻站%d\n    kind: rss\n    channel: news_report\n    url: %s/rss.xml\n    interval: 1m\n    delay: 500ms\n",
			i, i, s.srv.URL)
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
// PostgreSQL schema against six loopback news sites: each feed is fetched
// once in its interval, each source is leased to one instance and its
// health exported by that one, one instance leads and alone grades (every
// post once) and exports the incident series. Then the leader stops: another leads within the lease
// TTL and takes its sources, whose crawl state continues (nothing is
// fetched again before the interval); then the new leader's database
// session is cut: one instance leads again within the TTL.
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
		sites[i] = newFeedSite(t, i)
	}
	cfgFile := clusterFixture(t, dsn, sites, beat, ttl)
	st, err := postgres.OpenReadOnly(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ins := startInstances(t, cfgFile, 3)

	// Each source is crawled once and its lease settles at two per instance.
	waitUntil(t, time.Minute, "every source crawled", func() bool {
		for i := range sites {
			s, err := st.SourceState(context.Background(), fmt.Sprintf("feed-%d", i))
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
	waitUntil(t, 5*ttl, "two leases per instance", func() bool {
		h := perHolder()
		return len(h) == 3 && h[keyAt(h, 0)] == 2 && h[keyAt(h, 1)] == 2 && h[keyAt(h, 2)] == 2
	})
	admin, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	// Grading runs on the leader alone: every post graded, none twice.
	waitUntil(t, time.Minute, "every post graded", func() bool {
		_, backlog, err := st.CountPosts(context.Background())
		return err == nil && backlog == 0
	})
	var posts, grades int
	if err := admin.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM grades)`).Scan(&posts, &grades); err != nil {
		t.Fatal(err)
	}
	if posts != len(sites) || grades != posts {
		t.Errorf("%d posts, %d grades; want %d of each", posts, grades, len(sites))
	}
	time.Sleep(5 * beat) // more heartbeats and polls: still nothing fetched twice
	for i, s := range sites {
		if n := s.feeds.Load(); n != 1 {
			t.Errorf("feed %d fetched %d times in its interval, want 1", i, n)
		}
	}
	if l := leading(t, ins); len(l) != 1 {
		t.Fatalf("leaders %v, want one", l)
	}
	checkExports(t, ins, len(sites))
	checkStatus(t, cfgFile, 3, len(sites))

	// The leader stops in order: another leads within the TTL and takes
	// its sources over; their crawl state continues.
	old := leading(t, ins)[0]
	ins[old].halt(t)
	took := waitUntil(t, ttl, "a new leader after the leader stopped", func() bool { return len(leading(t, ins)) == 1 })
	t.Logf("leader stopped: new leader in %s (heartbeat %s, lease TTL %s)", took, beat, ttl)
	took = waitUntil(t, ttl+2*beat, "its sources taken over", func() bool {
		h := perHolder()
		return len(h) == 2 && h[keyAt(h, 0)] == 3 && h[keyAt(h, 1)] == 3
	})
	t.Logf("leader stopped: every source held by the two others in %s", took)
	checkExports(t, ins, len(sites))
	checkStatus(t, cfgFile, 2, len(sites))
	for i, s := range sites {
		if n := s.feeds.Load(); n != 1 {
			t.Errorf("feed %d fetched %d times after the takeover, want 1 (its interval has not passed)", i, n)
		}
	}

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
	checkExports(t, ins, len(sites))
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
// one, and the held leases add up to every source (once the schedulers
// have polled).
func checkExports(t *testing.T, ins []*instance, sources int) {
	t.Helper()
	var problems []string
	for range 50 {
		if problems = exportProblems(t, ins, sources); len(problems) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error(strings.Join(problems, "\n"))
}

func exportProblems(t *testing.T, ins []*instance, sources int) []string {
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
		leases += gauge(t, in, "yuqing_source_leases_held")
	}
	if incidents != 1 {
		problems = append(problems, fmt.Sprintf("%d instances export the incident series, want the leader alone", incidents))
	}
	if backlogs != 1 {
		problems = append(problems, fmt.Sprintf("%d instances export the grading backlog, want the leader alone", backlogs))
	}
	if leases != float64(sources) {
		problems = append(problems, fmt.Sprintf("instances hold %v leases, want %d", leases, sources))
	}
	for i := range sources {
		if n := health[fmt.Sprintf("feed-%d", i)]; n != 1 {
			problems = append(problems, fmt.Sprintf("feed-%d's health exported by %d instances, want 1", i, n))
		}
	}
	return problems
}
