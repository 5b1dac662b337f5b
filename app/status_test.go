package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/cluster"
)

// TestSecondDaemonOnSQLiteRefused: a second daemon on the SQLite database
// of a running one is refused, naming the running one; `check` says so
// (and still passes: checking beside the running daemon before a reload
// is the usual step) while another configuration on that database fails
// the check and is refused; `status` shows the one instance leading, without
// leases. Once the first stops, a daemon starts again.
func TestSecondDaemonOnSQLiteRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the classifier; skipped in -short mode")
	}
	cfg := crawlFixture(t)
	addr, stop := startDaemon(t, cfg)
	err := Run(t.Context(), Options{ConfigFile: cfg, Listen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, cluster.ErrSecondInstance) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "同一份配置") {
		t.Errorf("second daemon: %v", err)
	}
	var out bytes.Buffer
	if err := Check(cfg, &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "监听 "+addr+"）用的正是这份配置") {
		t.Errorf("check beside the running daemon:\n%s", out.String())
	}
	// Another configuration on the same database is a second instance:
	// the daemon is refused and the check fails, both saying why.
	other := filepath.Join(filepath.Dir(cfg), "other.yaml")
	copyFile(t, cfg, other)
	err = Run(t.Context(), Options{ConfigFile: other, Listen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, cluster.ErrSecondInstance) || !strings.Contains(err.Error(), "不是同一个文件") {
		t.Errorf("daemon with another configuration: %v", err)
	}
	if err := Check(other, io.Discard, time.Now()); !errors.Is(err, cluster.ErrSecondInstance) || !strings.Contains(err.Error(), addr) {
		t.Errorf("check of another configuration: %v", err)
	}
	// Nor does `yuqing crawl -store` crawl beside the daemon, which
	// crawls every source itself.
	out.Reset()
	err = Crawl(t.Context(), CrawlOptions{ConfigFile: cfg, Source: "lanchuan-bbs", Once: true, Store: true, Out: &out})
	if err == nil || !strings.Contains(err.Error(), "不另行抓取") || !strings.Contains(err.Error(), addr) || strings.Contains(out.String(), "【新帖】") {
		t.Errorf("crawl -store beside the daemon: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := Status(context.Background(), cfg, &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"实例锁已被占用", "实例 1 个", "主实例  主机", "监听 " + addr, "单实例不使用租约"} {
		if !strings.Contains(s, want) {
			t.Errorf("status lacks %q:\n%s", want, s)
		}
	}
	stop()

	out.Reset()
	if err := Status(context.Background(), cfg, &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "实例锁空闲") || !strings.Contains(s, "实例 0 个") {
		t.Errorf("status after a clean stop:\n%s", s)
	}
	_, stop = startDaemon(t, cfg)
	stop()
}

// checkStatus checks `yuqing status` on a cluster: n instances, one
// leader, every site's host leased to a running instance, with the
// site's sources listed under it, and the hosts and sources each
// instance holds adding up.
func checkStatus(t *testing.T, cfg string, instances int, sites []*feedSite) {
	t.Helper()
	var out bytes.Buffer
	if err := Status(context.Background(), cfg, &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	running := regexp.MustCompile(`(?m)^  (\S+)  (?:运行中|主实例)  主机 .*  监听 (\S+)  .*  持有网站 (\d+) 个（数据源 (\d+) 个）$`).FindAllStringSubmatch(s, -1)
	if len(running) != instances {
		t.Errorf("status lists %d running instances, want %d:\n%s", len(running), instances, s)
	}
	if n := strings.Count(s, "  主实例  主机"); n != 1 {
		t.Errorf("status shows %d leaders:\n%s", n, s)
	}
	listen := map[string]string{}
	hosts, sources := 0, 0
	for _, m := range running {
		listen[m[1]] = m[2]
		h, _ := strconv.Atoi(m[3])
		n, _ := strconv.Atoi(m[4])
		hosts, sources = hosts+h, sources+n
	}
	if hosts != len(sites) || sources != len(sourceNames(sites)) {
		t.Errorf("instances hold %d hosts, %d sources; want %d, %d:\n%s", hosts, sources, len(sites), len(sourceNames(sites)), s)
	}
	if !strings.Contains(s, fmt.Sprintf("网站租约（%d 个网站，%d 个数据源；", len(sites), len(sourceNames(sites)))) {
		t.Errorf("status lacks the lease heading:\n%s", s)
	}
	for i, site := range sites {
		var names []string
		for k := range site.feeds {
			names = append(names, fmt.Sprintf("测试新闻站%d栏目%d（%s）", i, k, sourceName(i, k)))
		}
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(site.host()) + `  实例 (\S+)（主机 \S+，监听 (\S+)）  取得于 .*\n    (.*)$`).FindStringSubmatch(s)
		switch {
		case m == nil:
			t.Errorf("status shows no held lease for site %d (%s):\n%s", i, site.host(), s)
		case listen[m[1]] == "" || listen[m[1]] != m[2]:
			t.Errorf("site %d held by %s at %s, not a running instance:\n%s", i, m[1], m[2], s)
		case m[3] != strings.Join(names, "、"):
			t.Errorf("site %d's sources listed as %q, want %q", i, m[3], strings.Join(names, "、"))
		}
	}
}
