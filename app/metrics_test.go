package app

import (
	"bytes"
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
	for _, path := range []string{"/-/healthy", "/-/ready"} {
		if resp, err := http.Get("http://" + addr + path); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v %v", path, resp, err)
		} else {
			resp.Body.Close()
		}
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
	copyRules(t, filepath.Join(dir, "rules.yaml"))
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

// TestMetricsTokenGeneratedAtFirstStart: with no token file configured the
// daemon creates one in its data directory at first start (mode 0600, its
// path logged once), requires it, and reuses it at the next start;
// metrics.open serves /metrics without a token and generates nothing.
func TestMetricsTokenGeneratedAtFirstStart(t *testing.T) {
	dir := daemonDir(t, map[string]string{"yuqing.yaml": "store:\n  path: y.db\n"})
	file := filepath.Join(dir, "metrics.token")
	status := func(addr, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var tokens []string
	for start := range 2 {
		var log bytes.Buffer
		addr, stop := startDaemonLog(t, filepath.Join(dir, "yuqing.yaml"), &log)
		fi, err := os.Stat(file)
		if err != nil {
			stop()
			t.Fatalf("start %d: no token file: %v", start+1, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
		}
		b, _ := os.ReadFile(file)
		tok := strings.TrimSpace(string(b))
		tokens = append(tokens, tok)
		if code := status(addr, ""); code != http.StatusUnauthorized {
			t.Errorf("start %d: /metrics without the token: %d, want 401", start+1, code)
		}
		if code := status(addr, tok); code != http.StatusOK {
			t.Errorf("start %d: /metrics with the generated token: %d", start+1, code)
		}
		stop()
		if logged := strings.Count(log.String(), file); logged != 1-start {
			t.Errorf("start %d: token file path logged %d times, want %d", start+1, logged, 1-start)
		}
	}
	if len(tokens[0]) != 64 || tokens[0] != tokens[1] {
		t.Errorf("tokens %q: want one 64-character token, reused at the second start", tokens)
	}

	open := daemonDir(t, map[string]string{"yuqing.yaml": "store:\n  path: y.db\nmetrics:\n  open: true\n"})
	addr, stop := startDaemon(t, filepath.Join(open, "yuqing.yaml"))
	defer stop()
	if code := status(addr, ""); code != http.StatusOK {
		t.Errorf("metrics.open: /metrics without a token: %d", code)
	}
	if _, err := os.Stat(filepath.Join(open, "metrics.token")); err == nil {
		t.Error("metrics.open generated a token file")
	}
}
