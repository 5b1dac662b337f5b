package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// twoDaemons starts two daemons on a new PostgreSQL schema with one
// source and the operator tester (password tester-password); it returns
// their configuration and a store on the schema.
func twoDaemons(t *testing.T) (string, *postgres.Store, []*instance) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	cfgFile := clusterFixture(t, dsn, []*feedSite{newFeedSite(t, 0, 1)}, 200*time.Millisecond, 3*time.Second)
	st, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := EnsureAccount(ctx, auth.New(auth.Options{Store: st}), auth.Actor{Name: "test"}, "tester", "测试员",
		auth.RoleOperator, "tester-password"); err != nil {
		t.Fatal(err)
	}
	return cfgFile, st, startInstances(t, cfgFile, 2)
}

// TestConsoleOnEitherDaemon: two daemons on one PostgreSQL database, as
// behind a load balancer with no sticky sessions. Both are ready; a login
// on one is a session on the other; failed logins split over both reach
// the limit; a logout on the second, with the CSRF token the first gave,
// ends the session on the first; the audit log has each event once.
func TestConsoleOnEitherDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("two daemons; skipped in -short mode")
	}
	ctx := context.Background()
	_, st, ins := twoDaemons(t)
	a, b := "http://"+ins[0].addr, "http://"+ins[1].addr
	call := func(c *http.Client, method, u string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, u := range []string{a, b} {
		if code, body := call(http.DefaultClient, "GET", u+"/-/ready", nil); code != http.StatusOK {
			t.Errorf("%s/-/ready: %d %q", u, code, body)
		}
	}
	browser, csrf := consoleSession(t, ins[0].addr)
	if code, body := call(browser, "GET", b+"/api/v1/me", nil); code != http.StatusOK || !strings.Contains(body, `"tester"`) {
		t.Fatalf("the session from A on B: %d %s", code, body)
	}
	// Five wrong passwords, split over both daemons: the right one is then refused on either.
	for i, u := range []string{a, b, b, a, b} {
		resp, err := http.PostForm(u+"/login", url.Values{"username": {"tester"}, "password": {"guess-guess"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
		}
	}
	for _, u := range []string{a, b} {
		resp, err := http.PostForm(u+"/login", url.Values{"username": {"tester"}, "password": {"tester-password"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("right password on %s after 5 failures over both: %d, want 429", u, resp.StatusCode)
		}
	}
	if code, _ := call(browser, "POST", b+"/logout", map[string]string{"X-CSRF-Token": csrf}); code != http.StatusOK {
		t.Fatalf("logout on B (followed to the login page): %d", code)
	}
	if code, _ := call(browser, "GET", a+"/api/v1/me", nil); code != http.StatusUnauthorized {
		t.Errorf("the session on A after logging out on B: %d, want 401", code)
	}
	for action, n := range map[string]int{"login": 1, "login.failed": 5, "login.limited": 1, "logout": 1} {
		rows, err := st.AuditLog(ctx, store.AuditFilter{Action: action})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n {
			t.Errorf("%d %s rows, want %d", len(rows), action, n)
		}
	}
}

// TestReloadReachesEveryDaemon: the console's reload, sent to one of two
// daemons on one database, reloads both: the other follows within a few
// heartbeats and runs the new rules too.
func TestReloadReachesEveryDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("two daemons; skipped in -short mode")
	}
	cfgFile, _, ins := twoDaemons(t)
	version := func(in *instance) string {
		m := regexp.MustCompile(`yuqing_rules_info\{version="([0-9a-f]+)"\} 1`).FindStringSubmatch(fetch(t, "http://"+in.addr+"/metrics"))
		if m == nil {
			t.Fatal("yuqing_rules_info not exported")
		}
		return m[1]
	}
	v1 := version(ins[1])
	rulesFile := filepath.Join(filepath.Dir(cfgFile), "rules.yaml")
	good, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rulesFile, append(good, []byte("\n  - id: reload_probe\n    any: [报销]\n    weight: 0.1\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, ins[0].addr, "/-/reload"); code != http.StatusOK {
		t.Fatalf("reload on A: %d %s", code, body)
	}
	v2 := version(ins[0])
	if v2 == v1 {
		t.Fatal("A's rules version unchanged after its reload")
	}
	took := waitUntil(t, 10*time.Second, "B runs A's new rules", func() bool { return version(ins[1]) == v2 })
	t.Logf("B reloaded %s after A (heartbeat 200ms)", took)
}
