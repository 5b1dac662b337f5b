package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMetricsToken(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	write(t, dir, "good.token", "3f9c0a7d1e5b48c2a6f0d9e8b7c6a5f4\n")
	write(t, dir, "short.token", "secret\n")
	write(t, dir, "two.token", "3f9c0a7d1e5b48c2 a6f0d9e8b7c6a5f4\n")

	c, err := Load(write(t, dir, "y.yaml", "metrics:\n  token_file: good.token\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics.TokenFile != filepath.Join(dir, "good.token") || c.Metrics.Token != "3f9c0a7d1e5b48c2a6f0d9e8b7c6a5f4" {
		t.Errorf("token not read: %+v", c.Metrics)
	}
	if c, err := Load(write(t, dir, "none.yaml", "listen: 127.0.0.1:9999\n")); err != nil || c.Metrics.Token != "" {
		t.Errorf("no token_file: token %q, err %v", c.Metrics.Token, err)
	}
	for file, want := range map[string]string{
		"short.token":   "y.yaml:2: metrics.token_file:",
		"two.token":     "令牌应为一行",
		"missing.token": "无法读取监控指标令牌文件",
	} {
		_, err := Load(write(t, dir, "y.yaml", "metrics:\n  token_file: "+file+"\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want error containing %q, got %v", file, want, err)
		}
	}
}

// With no token file configured, the token file is metrics.token beside
// the SQLite database, created by EnsureToken exclusively with mode 0600
// and read (never overwritten) when it exists; metrics.open needs none and
// excludes token_file.
func TestMetricsGeneratedToken(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	cfg := write(t, dir, "y.yaml", "store:\n  path: data/y.db\n")
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "data", DefaultTokenFile)
	if c.Metrics.TokenFile != want || !c.Metrics.Generated || c.Metrics.Token != "" || c.Metrics.Open {
		t.Fatalf("before first start: %+v, want generated %s", c.Metrics, want)
	}
	created, err := c.Metrics.EnsureToken()
	if err != nil || !created || len(c.Metrics.Token) != 64 {
		t.Fatalf("EnsureToken: created %v, token %q, %v", created, c.Metrics.Token, err)
	}
	if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v, want mode 0600", fi, err)
	}
	again, err := Load(cfg)
	if err != nil || again.Metrics.Token != c.Metrics.Token {
		t.Fatalf("second load: token %q, %v; want the file's", again.Metrics.Token, err)
	}
	// A stale copy of the config that has not seen the file does not overwrite it.
	c.Metrics.Token = ""
	if created, err := c.Metrics.EnsureToken(); err != nil || created || c.Metrics.Token != again.Metrics.Token {
		t.Errorf("EnsureToken on an existing file: created %v, token %q, %v", created, c.Metrics.Token, err)
	}
	write(t, dir, "data/"+DefaultTokenFile, "short\n")
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), "令牌应为一行") {
		t.Errorf("broken generated file: %v", err)
	}

	c, err = Load(write(t, dir, "y.yaml", "store:\n  path: data/y.db\nmetrics:\n  open: true\n"))
	if err != nil || !c.Metrics.Open || c.Metrics.TokenFile != "" {
		t.Errorf("open: %+v, %v", c.Metrics, err)
	}
	if created, err := c.Metrics.EnsureToken(); created || err != nil {
		t.Errorf("EnsureToken with open: %v %v", created, err)
	}
	_, err = Load(write(t, dir, "y.yaml", "metrics:\n  open: true\n  token_file: x.token\n"))
	if err == nil || !strings.Contains(err.Error(), "y.yaml:2: metrics.open: ") {
		t.Errorf("open with a token file: %v", err)
	}
}
