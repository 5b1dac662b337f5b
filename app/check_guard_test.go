//go:build unix

package app

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
)

// shippedConfigs copies configs/ into a temporary directory, creates the
// SQLite database's directory and returns yuqing.yaml and the database.
func shippedConfigs(t *testing.T) (cfgFile, db string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "configs"))); err != nil {
		t.Fatal(err)
	}
	cfgFile = filepath.Join(dir, "yuqing.yaml")
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Store.Path), 0o750); err != nil {
		t.Fatal(err)
	}
	return cfgFile, cfg.Store.Path
}

// TestCheckBesideRunningInstance: with a daemon holding the SQLite
// database, checking its own configuration (however named) passes and says
// a reload takes it; another configuration on that database fails, naming
// the running instance and PostgreSQL.
func TestCheckBesideRunningInstance(t *testing.T) {
	cfgFile, db := shippedConfigs(t)
	release, err := cluster.Guard(db, cfgFile, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	pid := strconv.Itoa(os.Getpid())

	link := filepath.Join(filepath.Dir(cfgFile), "link.yaml")
	if err := os.Symlink("yuqing.yaml", link); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{cfgFile, link} {
		var out bytes.Buffer
		if err := Check(f, &out, time.Now()); err != nil {
			t.Fatalf("check of the running configuration %s: %v", f, err)
		}
		for _, want := range []string{"配置检查通过", "运行中的实例（主机 ", "上的进程 " + pid + "，监听 127.0.0.1:8080）用的正是这份配置",
			"kill -HUP " + pid} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("check of %s lacks %q:\n%s", f, want, out.String())
			}
		}
	}

	other := filepath.Join(filepath.Dir(cfgFile), "other.yaml")
	copyFile(t, cfgFile, other)
	var out bytes.Buffer
	err = Check(other, &out, time.Now())
	if !errors.Is(err, cluster.ErrSecondInstance) {
		t.Fatalf("check of another configuration on the database: %v\n%s", err, out.String())
	}
	for _, want := range []string{"进程 " + pid, "配置 " + cfgFile, "监听 127.0.0.1:8080", "这份配置 " + other,
		"SQLite 只支持单实例运行", "PostgreSQL", "docs/deploy.md 第 7 节"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	if strings.Contains(out.String(), "配置检查通过") {
		t.Errorf("a failed check said it passed:\n%s", out.String())
	}
}

// TestCheckBesideOldInstance: a daemon of an older version recorded no
// configuration; the check cannot tell, so it passes with a note naming
// both courses.
func TestCheckBesideOldInstance(t *testing.T) {
	cfgFile, db := shippedConfigs(t)
	lock := db + ".instance-lock"
	if err := os.WriteFile(lock, []byte("主机 yq-a 上的进程 4242（监听 127.0.0.1:8080）\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Check(cfgFile, &out, time.Now()); err != nil {
		t.Fatalf("check beside an old daemon: %v", err)
	}
	for _, want := range []string{"注意：运行中的实例由旧版本启动", "systemctl reload yuqing", "主机 yq-a 上的进程 4242（监听 127.0.0.1:8080）使用", "PostgreSQL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCheckWithoutRunningInstance: no daemon, nothing said about one.
func TestCheckWithoutRunningInstance(t *testing.T) {
	cfgFile, db := shippedConfigs(t)
	release, err := cluster.Guard(db, cfgFile, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	release() // the daemon stopped
	var out bytes.Buffer
	if err := Check(cfgFile, &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "运行中的实例") || strings.Contains(out.String(), "实例锁") {
		t.Errorf("check spoke of a running instance:\n%s", out.String())
	}
}
