package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/web"
)

// consoleOn starts a console on its own store opened by open, as one
// instance of a daemon behind a load balancer: nothing but the database
// is shared with the others.
func consoleOn(t *testing.T, st store.Database) *httptest.Server {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	a := auth.New(auth.Options{Store: st, Hash: cheapHash})
	con, err := web.New(web.Options{Store: st, Workflow: incident.New(st, incident.DefaultPolicy(), nil, nil),
		Auth: a, Location: cst, SourceTitle: func(string) string { return "岚川论坛" }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// TestConsoleBehindLoadBalancer: two consoles on one PostgreSQL database
// serve one staff member's requests, whichever gets each. A session
// opened on A is valid on B, a form from a page of A is accepted by B,
// failed logins count on both, refused requests spend one audit budget,
// both write one audit log that either shows, and logging out on B ends
// the session on A. On SQLite the same
// requests all go to its one instance.
func TestConsoleBehindLoadBalancer(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Schema(t)
		open := func() store.Database {
			st, err := postgres.Open(context.Background(), dsn, cst)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		first := open()
		number := seedConsole(t, first)
		behindBalancer(t, first, number, consoleOn(t, first), consoleOn(t, open()))
	})
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), cst)
		if err != nil {
			t.Fatal(err)
		}
		number := seedConsole(t, st)
		one := consoleOn(t, st)
		behindBalancer(t, st, number, one, one)
	})
}

// seedConsole adds the test accounts and files one incident; it returns
// the incident's number.
func seedConsole(t *testing.T, st store.Database) string {
	t.Helper()
	ctx := context.Background()
	newAuth(t, st)
	p := model.Post{Source: "bbs", URL: "http://bbs/lb/1", Title: "康福医院骗保", Body: "有人组织骗保", FetchedAt: time.Now()}
	if _, err := st.SavePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	svc := incident.New(st, incident.DefaultPolicy(), nil, nil)
	var out incident.Outcome
	if err := st.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, err = svc.File(ctx, tx, p, model.Grade{PostID: p.ID, RulesVersion: "abc123", Relevant: true,
			Category: "institution", Level: 2, Score: 3, GradedAt: time.Now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out.Incident.Number
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func behindBalancer(t *testing.T, st store.AuthStore, number string, a, b *httptest.Server) {
	jar, _ := cookiejar.New(nil) // one browser: its cookie goes to whichever instance
	browser := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	send := func(srv *httptest.Server, method, path string, form url.Values) (int, string) {
		t.Helper()
		code, body, _ := do(t, browser, method, srv.URL+path, form.Encode(), nil)
		return code, body
	}
	// Log in on A; B knows the session.
	if code, _ := send(a, "POST", "/login", url.Values{"username": {"wang"}, "password": {"wang-password"}}); code != http.StatusSeeOther {
		t.Fatalf("login on A: %d", code)
	}
	if code, body := send(b, "GET", "/incidents/"+number, nil); code != http.StatusOK || !strings.Contains(body, "王科员") {
		t.Fatalf("A's session on B: %d", code)
	}
	// The form comes from A's page, the post goes to B.
	code, page := send(a, "GET", "/incidents/"+number, nil)
	m := csrfInput.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("detail on A: %d, CSRF field found: %v", code, m != nil)
	}
	if code, _ := send(b, "POST", "/incidents/"+number+"/followup", url.Values{"csrf": {m[1]}, "note": {"已与医院核实，B 处理"}}); code != http.StatusSeeOther {
		t.Fatalf("follow-up on B with A's form: %d", code)
	}
	if code, _ := send(b, "POST", "/incidents/"+number+"/followup", url.Values{"csrf": {"forged"}, "note": {"伪造"}}); code != http.StatusForbidden {
		t.Errorf("follow-up on B with a forged token: %d, want 403", code)
	}
	if _, page := send(a, "GET", "/incidents/"+number, nil); !strings.Contains(page, "已与医院核实，B 处理") {
		t.Error("A does not show the follow-up posted on B")
	}
	// Five failures for zhao from this address, split over A and B: the
	// sixth attempt is refused on either, the right password too.
	for i, srv := range []*httptest.Server{a, b, a, b, b} {
		if code, _ := send(srv, "POST", "/login", url.Values{"username": {"zhao"}, "password": {"guess-guess"}}); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	for _, srv := range []*httptest.Server{a, b} {
		if code, body := send(srv, "POST", "/login", url.Values{"username": {"zhao"}, "password": {"zhao-password"}}); code != http.StatusTooManyRequests ||
			!strings.Contains(body, "登录失败次数过多") {
			t.Errorf("zhao after 5 failures over both instances: %d, want 429", code)
		}
	}
	// Both instances write one audit log; each shows all of it.
	want := map[string]int{"login": 1, "incident.followup": 1, "csrf.rejected": 1, "login.failed": 5, "login.limited": 1}
	for action, n := range want {
		if got := len(auditRows(t, st, action)); got != n {
			t.Errorf("%d %s rows, want %d", got, action, n)
		}
	}
	admin := loginClient(t, a, "admin", true)
	for _, srv := range []*httptest.Server{a, b} {
		code, body, _ := do(t, admin, "GET", srv.URL+"/admin/audit", "", nil)
		for _, w := range []string{"跟进回复", "登录失败", "登录被限流", "跨站请求校验失败"} {
			if code != http.StatusOK || !strings.Contains(body, w) {
				t.Errorf("audit page of %s (%d) lacks %q", srv.URL, code, w)
			}
		}
	}
	// Refused requests share one audit budget: 30 refusals over both
	// instances write the burst of 20 rows, not 20 per instance.
	ops := loginClient(t, b, "ops", true)
	for i := range 30 {
		if code, _, _ := do(t, ops, "GET", []*httptest.Server{a, b}[i%2].URL+"/admin/users", "", nil); code != http.StatusForbidden {
			t.Fatalf("operator on the accounts page: %d", code)
		}
	}
	if n := len(auditRows(t, st, "access.denied")); n != 20 {
		t.Errorf("%d access.denied rows after 30 refusals over both instances, want 20", n)
	}
	// Logging out on B ends the session on A.
	_, page = send(b, "GET", "/incidents/"+number, nil)
	m = csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field on B's page")
	}
	if code, _ := send(b, "POST", "/logout", url.Values{"csrf": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("logout on B: %d", code)
	}
	if code, _ := send(a, "GET", "/incidents/"+number, nil); code != http.StatusSeeOther {
		t.Errorf("A after logging out on B: %d, want a redirect to the login page", code)
	}
}
