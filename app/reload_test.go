package app

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// post posts to addr+path as the test's operator: logged in, with the
// session's CSRF token.
func post(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	c, csrf := consoleSession(t, addr)
	req, _ := http.NewRequest("POST", "http://"+addr+path, nil)
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func metricValue(t *testing.T, addr, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(fetch(t, "http://"+addr+"/metrics"))
	if m == nil {
		t.Fatalf("metric %s not exported", name)
	}
	return m[1]
}

// reloadDaemon starts a daemon on a copy of the shipped rules in a temp
// dir; version reads the rules version it exports.
func reloadDaemon(t *testing.T) (dir, rulesFile, addr string, version func() string, stop func()) {
	dir = t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	rulesFile = filepath.Join(dir, "rules.yaml")
	copyRules(t, rulesFile)
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("sources: []\n"), 0o644)
	cfg := filepath.Join(dir, "yuqing.yaml")
	os.WriteFile(cfg, []byte("store:\n  path: y.db\n"), 0o644)
	addr, stop = startDaemon(t, cfg)
	version = func() string {
		m := regexp.MustCompile(`yuqing_rules_info\{version="([0-9a-f]+)"\} 1`).FindStringSubmatch(fetch(t, "http://"+addr+"/metrics"))
		if m == nil {
			t.Fatal("yuqing_rules_info not exported")
		}
		return m[1]
	}
	return dir, rulesFile, addr, version, stop
}

func TestReloadRejectsBrokenRulesAndKeepsTheOldOnes(t *testing.T) {
	_, rulesFile, addr, version, stop := reloadDaemon(t)
	defer stop()
	good, _ := os.ReadFile(rulesFile)
	v1 := version()

	// A typo: the reload is refused with file, line and problem; v1 keeps running.
	os.WriteFile(rulesFile, []byte(strings.Replace(string(good), "options:\n", "options:\n  relevance_treshold: 3\n", 1)), 0o644)
	code, body := post(t, addr, "/-/reload")
	if code != http.StatusBadRequest || !regexp.MustCompile(`rules\.yaml:\d+: .*relevance_treshold`).MatchString(body) {
		t.Errorf("broken reload: %d %s", code, body)
	}
	if got := metricValue(t, addr, "yuqing_rules_last_reload_success"); got != "0" {
		t.Errorf("reload success metric = %s, want 0", got)
	}
	if v := version(); v != v1 {
		t.Errorf("version changed to %s after a failed reload", v)
	}
	tryBody := consoleGet(t, addr, "/try")
	if !strings.Contains(tryBody, v1) {
		t.Error("the try-out page does not run the old rules")
	}

	// A real change: swapped in, version and metrics follow.
	os.WriteFile(rulesFile, append(good, []byte("\n  - id: reload_probe\n    any: [报销]\n    weight: 0.1\n")...), 0o644)
	if code, body := post(t, addr, "/-/reload"); code != http.StatusOK {
		t.Fatalf("good reload: %d %s", code, body)
	}
	if v := version(); v == v1 {
		t.Error("version unchanged after a successful reload")
	}
	if got := metricValue(t, addr, "yuqing_rules_last_reload_success"); got != "1" {
		t.Errorf("reload success metric = %s, want 1", got)
	}
	// Cross-site posts cannot trigger a reload.
	req, _ := http.NewRequest("POST", "http://"+addr+"/-/reload", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site reload: %d", resp.StatusCode)
	}
	// Without a login, or as a handler, no reload.
	if resp, err := http.Post("http://"+addr+"/-/reload", "text/plain", nil); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous reload: %v %v", resp.StatusCode, err)
	}
}

// A corrupt model file named by options.model is refused by reload with a
// message naming the file; the old rules keep grading.
func TestReloadRejectsCorruptModel(t *testing.T) {
	dir, rulesFile, addr, version, stop := reloadDaemon(t)
	defer stop()
	good, _ := os.ReadFile(rulesFile)
	v1 := version()
	os.MkdirAll(filepath.Join(dir, "model"), 0o755)
	os.WriteFile(filepath.Join(dir, "model", "broken.model"), []byte("\x1f\x8b不是模型"), 0o644)
	broken := strings.Replace(string(good), "\n  model: model/yuqing.model.gz\n", "\n  model: model/broken.model\n", 1)
	if broken == string(good) {
		t.Fatal("the shipped rules name no model/yuqing.model.gz; update the test")
	}
	os.WriteFile(rulesFile, []byte(broken), 0o644)
	code, body := post(t, addr, "/-/reload")
	if code != http.StatusBadRequest || !strings.Contains(body, filepath.Join(dir, "model", "broken.model")) || !strings.Contains(body, "模型文件") {
		t.Errorf("reload with a corrupt model: %d %s", code, body)
	}
	if got := metricValue(t, addr, "yuqing_rules_last_reload_success"); got != "0" {
		t.Errorf("reload success metric = %s, want 0", got)
	}
	if v := version(); v != v1 {
		t.Errorf("version changed to %s after a refused model", v)
	}
	if tryBody := consoleGet(t, addr, "/try"); !strings.Contains(tryBody, v1) {
		t.Error("the try-out page does not run the old rules")
	}
}
