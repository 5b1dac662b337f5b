//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
)

// TestCheckExitBesideRunningInstance: `yuqing check -config F && systemctl
// reload yuqing` works while the daemon runs with F (exit 0); a check of
// another configuration on the same SQLite database exits 1 and says why.
func TestCheckExitBesideRunningInstance(t *testing.T) {
	dir := layout(t)
	cfgFile := filepath.Join(dir, "yuqing.yaml")
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Store.Path), 0o750); err != nil {
		t.Fatal(err)
	}
	release, err := cluster.Guard(cfg.Store.Path, cfgFile, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", cfgFile}, nil, &out, &errb); code != 0 {
		t.Fatalf("check of the running configuration: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "用的正是这份配置") {
		t.Errorf("check of the running configuration:\n%s", out.String())
	}

	other := filepath.Join(dir, "other.yaml")
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"check", "-config", other}, nil, &out, &errb); code != 1 {
		t.Errorf("check of another configuration: exit %d, want 1\n%s", code, out.String())
	}
	for _, want := range []string{"配置检查未通过", "SQLite 数据库只能由一个 yuqing 实例使用", "监听 127.0.0.1:8080", "PostgreSQL"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
}
