package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

type thread struct{ Title, Body string }

// slowForum serves a plain UTF-8 board whose thread pages take a while, so
// the daemon can be killed in the middle of a crawl.
func slowForum(t *testing.T, threads []thread, delay time.Duration) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body><table>")
		for i, th := range threads {
			fmt.Fprintf(w, `<tr class="row"><td><a class="t" href="/t/%d">%s</a></td><td class="r">%d</td></tr>`, i, html.EscapeString(th.Title), i)
		}
		fmt.Fprint(w, "</table></body></html>")
	})
	mux.HandleFunc("/t/{id}", func(w http.ResponseWriter, r *http.Request) {
		var id int
		fmt.Sscan(r.PathValue("id"), &id)
		if id < 0 || id >= len(threads) {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><body><h1>%s</h1><div class="body">%s</div></body></html>`,
			html.EscapeString(threads[id].Title), html.EscapeString(threads[id].Body))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func buildBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not on PATH: cannot build the binary for the kill test")
	}
	bin := filepath.Join(t.TempDir(), "yuqing")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func writeConfig(t *testing.T, dir, forumURL string) string {
	t.Helper()
	repo, _ := filepath.Abs(filepath.Join("..", ".."))
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
store:
  path: %s
rules_file: %s
dict_dir: %s
grader:
  interval: 200ms
`, filepath.Join(dir, "yuqing.db"), filepath.Join(repo, "configs", "rules.yaml"), filepath.Join(repo, "configs", "dict"))
	sources := fmt.Sprintf(`sources:
  - name: slow-bbs
    title: 慢速测试论坛
    kind: html
    url: %s/list
    interval: 1h
    delay: 500ms
    encoding: utf-8
    list:
      item: "tr.row"
      link: "a.t"
      title: "a.t"
      replies: "td.r"
    detail:
      body: "div.body"
`, forumURL)
	if err := os.WriteFile(filepath.Join(dir, "yuqing.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte(sources), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "yuqing.yaml")
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
	log    syncBuffer
}

func startBinary(t *testing.T, bin, cfg string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(bin, "run", "-config", cfg), exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = &d.log, &d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.exited
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.log.String())
		}
	})
	return d
}

// waitFor polls the database until cond holds.
func waitFor(t *testing.T, d *daemon, db string, what string, cond func(total, ungraded int) bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			t.Fatalf("daemon exited (%v) while waiting for %s", d.err, what)
		default:
		}
		// The daemon migrates the database at start; read it only after that.
		if strings.Contains(d.log.String(), "服务已启动") {
			st, err := sqlite.Open(context.Background(), db, nil)
			if err == nil {
				total, ungraded, err := st.CountPosts(context.Background())
				st.Close()
				if err == nil && cond(total, ungraded) {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// summary lists each incident as "title×posts", sorted.
func summary(t *testing.T, db string) (posts int, incidents []string) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	posts, _, _ = st.CountPosts(context.Background())
	all, err := st.Incidents(context.Background(), store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range all.Incidents {
		incidents = append(incidents, fmt.Sprintf("%s×%d", i.Title, i.PostCount))
	}
	sort.Strings(incidents)
	return posts, incidents
}

func stop(t *testing.T, d *daemon) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.err != nil {
			t.Errorf("daemon exit after SIGTERM: %v", d.err)
		}
	case <-time.After(30 * time.Second):
		t.Error("daemon did not stop within 30 s of SIGTERM")
	}
}

func TestKillMidCrawlLosesNothingAndFilesNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	var threads []thread
	b, err := os.ReadFile(filepath.Join("testdata", "threads.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &threads); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	forum := slowForum(t, threads, 400*time.Millisecond)
	n := len(threads)

	// Reference: one uninterrupted run.
	refDir := t.TempDir()
	ref := startBinary(t, bin, writeConfig(t, refDir, forum.URL))
	refDB := filepath.Join(refDir, "yuqing.db")
	waitFor(t, ref, refDB, "reference run to store and grade every thread", func(total, ungraded int) bool { return total == n && ungraded == 0 })
	stop(t, ref)
	refPosts, refIncidents := summary(t, refDB)

	// Killed mid-crawl, then restarted.
	dir := t.TempDir()
	cfg := writeConfig(t, dir, forum.URL)
	db := filepath.Join(dir, "yuqing.db")
	first := startBinary(t, bin, cfg)
	waitFor(t, first, db, "a few threads to be stored", func(total, _ int) bool { return total >= 3 })
	first.cmd.Process.Kill()
	<-first.exited
	killedAt, _ := summary(t, db)
	if killedAt >= n {
		t.Fatalf("the crawl had finished (%d posts) before the kill; slow the forum down", killedAt)
	}
	second := startBinary(t, bin, cfg)
	waitFor(t, second, db, "the restarted daemon to store and grade every thread", func(total, ungraded int) bool { return total == n && ungraded == 0 })
	// Filing commits with the grade (one transaction), so nothing is left
	// to file once every post is graded.
	stop(t, second)
	posts, incidents := summary(t, db)
	if posts != refPosts {
		t.Errorf("posts after kill+restart = %d, uninterrupted run = %d", posts, refPosts)
	}
	if strings.Join(incidents, "\n") != strings.Join(refIncidents, "\n") {
		t.Errorf("incidents after kill+restart:\n%s\nuninterrupted run:\n%s", strings.Join(incidents, "\n"), strings.Join(refIncidents, "\n"))
	}
	if len(refIncidents) == 0 {
		t.Error("the reference run filed no incident; the fixture is not testing anything")
	}
	t.Logf("killed after %d of %d posts; %d incidents either way", killedAt, n, len(incidents))
}

// `yuqing run -listen ADDR` serves on ADDR, whatever the configuration says.
func TestRunListenOverridesConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	bin := buildBinary(t)
	site := httptest.NewServer(http.NotFoundHandler())
	defer site.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeConfig(t, t.TempDir(), site.URL) // listen: 127.0.0.1:0
	d := &daemon{cmd: exec.Command(bin, "run", "-config", cfg, "-listen", addr), exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = &d.log, &d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.exited) }()
	defer func() { d.cmd.Process.Kill(); <-d.exited }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(d.log.String(), "服务已启动") {
		select {
		case <-d.exited:
			t.Fatalf("daemon exited: %v\n%s", d.err, d.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not start:\n%s", d.log.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/-/healthy")
	if err != nil {
		t.Fatalf("nothing on %s: %v\n%s", addr, err, d.log.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(d.log.String(), "listen="+addr) {
		t.Errorf("status %d; log:\n%s", resp.StatusCode, d.log.String())
	}
	stop(t, d)
}

func TestSourceProbeUsage(t *testing.T) {
	for _, args := range [][]string{{"source"}, {"source", "list"}, {"source", "probe"}, {"source", "probe", "a", "b"}} {
		var out, errb strings.Builder
		if code := run(args, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), "yuqing source probe") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
