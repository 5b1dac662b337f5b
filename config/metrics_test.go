package config

import (
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
