package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
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
// leader, every source leased.
func checkStatus(t *testing.T, cfg string, instances, sources int) {
	t.Helper()
	var out bytes.Buffer
	if err := Status(context.Background(), cfg, &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if n := len(regexp.MustCompile(`(?m)^  \S+  (运行中|主实例)  主机`).FindAllString(s, -1)); n != instances {
		t.Errorf("status lists %d running instances, want %d:\n%s", n, instances, s)
	}
	if n := strings.Count(s, "  主实例  主机"); n != 1 {
		t.Errorf("status shows %d leaders:\n%s", n, s)
	}
	if n := len(regexp.MustCompile(`(?m)^  测试新闻站\d（feed-\d）  实例 \S+  取得于`).FindAllString(s, -1)); n != sources {
		t.Errorf("status shows %d held leases, want %d:\n%s", n, sources, s)
	}
}
