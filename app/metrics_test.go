package app

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricsTokenProtectsMetrics: with metrics.token_file set, /metrics
// answers only a request bearing that token, as Prometheus sends it with
// authorization.credentials_file.
func TestMetricsTokenProtectsMetrics(t *testing.T) {
	const token = "0d6f3b2a9c8e7d1f4a5b6c7d8e9f0a1b"
	dir := daemonDir(t, map[string]string{
		"prometheus.token": token + "\n",
		"yuqing.yaml":      "store:\n  path: y.db\nmetrics:\n  token_file: prometheus.token\n",
	})
	addr, stop := startDaemon(t, filepath.Join(dir, "yuqing.yaml"))
	defer stop()

	get := func(auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String()
	}
	for _, auth := range []string{"", "Bearer wrong-token-0123456789abcdef", "Basic " + token, "Bearer " + token + "x"} {
		if code, _ := get(auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, code)
		}
	}
	code, body := get("Bearer " + token)
	if code != http.StatusOK || !strings.Contains(body, "yuqing_rules_info") {
		t.Errorf("with the token: status %d, body %.200q", code, body)
	}
	// The console and health checks are not behind the metrics token.
	if resp, err := http.Get("http://" + addr + "/-/healthy"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/-/healthy: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// daemonDir lays out a configuration directory with the shipped rules and
// dictionary, no sources, and files (name → content) on top.
func daemonDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("..", "configs", "rules.yaml"), filepath.Join(dir, "rules.yaml"))
	if _, ok := files["sources.yaml"]; !ok {
		files["sources.yaml"] = "sources: []\n"
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
