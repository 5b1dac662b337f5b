package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/web"
)

// cheapHash keeps logins fast in tests.
var cheapHash = auth.HashParams{Memory: 1024, Time: 1, Threads: 1}

// testUsers are the accounts every console fixture has; the password of
// each is its name followed by "-password".
var testUsers = []struct {
	name, display string
	role          auth.Role
}{
	{"zhao", "赵查看", auth.RoleViewer},
	{"wang", "王科员", auth.RoleHandler},
	{"ops", "", auth.RoleOperator},
	{"admin", "管理员", auth.RoleAdmin},
}

func newAuth(t *testing.T, st store.AuthStore) *auth.Service {
	t.Helper()
	a := auth.New(auth.Options{Store: st, Hash: cheapHash})
	for _, u := range testUsers {
		if _, err := a.AddUser(context.Background(), auth.Actor{Name: "test"}, u.name, u.display, u.role, u.name+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// noRedirect returns redirects to the test instead of following them.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// csrfTransport sends the session's CSRF token with every unsafe request,
// as the console's forms do.
type csrfTransport struct {
	jar   http.CookieJar
	base  http.RoundTripper
	token func() string
}

func (c *csrfTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.Header.Get("X-CSRF-Token") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("X-CSRF-Token", c.token())
	}
	return c.base.RoundTrip(r)
}

// loginClient logs in as name on srv and returns a client that carries the
// session cookie and, when withCSRF, the CSRF token on every POST.
func loginClient(t *testing.T, srv *httptest.Server, name string, withCSRF bool) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"username": {name}, "password": {name + "-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: status %d", name, resp.StatusCode)
	}
	if withCSRF {
		u, _ := url.Parse(srv.URL)
		c.Transport = &csrfTransport{jar: jar, base: http.DefaultTransport, token: func() string {
			for _, ck := range jar.Cookies(u) {
				if ck.Name == "yuqing_session" {
					return auth.CSRFToken(ck.Value)
				}
			}
			return ""
		}}
	}
	return c
}

func do(t *testing.T, c *http.Client, method, url, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" && !strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func auditRows(t *testing.T, st store.AuthStore, action string) []store.AuditEntry {
	t.Helper()
	es, err := st.AuditLog(context.Background(), store.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestUnauthenticatedIsSentToLogin(t *testing.T) {
	f := setup(t)
	anon := &http.Client{CheckRedirect: noRedirect}
	for _, path := range []string{"/incidents", "/incidents/" + f.major, "/try", "/admin/users", "/incidents?status=all"} {
		code, _, h := do(t, anon, "GET", f.srv.URL+path, "", nil)
		if code != http.StatusSeeOther || h.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s anonymously: %d → %q", path, code, h.Get("Location"))
		}
	}
	code, _, h := do(t, anon, "POST", f.srv.URL+"/incidents/"+f.major+"/ack", "note=x", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("anonymous POST: %d → %q", code, h.Get("Location"))
	}
	if d, _ := f.st.IncidentDetail(context.Background(), f.major); !d.Incident.AckedAt.IsZero() {
		t.Error("anonymous POST changed the incident")
	}
	code, body, h := do(t, anon, "GET", f.srv.URL+"/api/v1/incidents", "", nil)
	if code != http.StatusUnauthorized || !strings.Contains(body, `"error"`) || h.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous API: %d %s", code, body)
	}
	// The login page and static files are public.
	if code, body, _ := do(t, anon, "GET", f.srv.URL+"/login", "", nil); code != 200 || !strings.Contains(body, `name="password"`) ||
		strings.Contains(body, "/admin/users") {
		t.Errorf("login page: %d", code)
	}
	if code, _, _ := do(t, anon, "GET", f.srv.URL+"/static/style.css", "", nil); code != 200 {
		t.Errorf("static: %d", code)
	}
}

func TestLoginCookieLogoutAndRateLimit(t *testing.T) {
	f := setup(t)
	anon := &http.Client{CheckRedirect: noRedirect}
	code, body, _ := do(t, anon, "POST", f.srv.URL+"/login", "username=wang&password=nope-nope-nope", nil)
	if code != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") {
		t.Errorf("wrong password: %d", code)
	}
	code, _, h := do(t, anon, "POST", f.srv.URL+"/login", "username=wang&password=wang-password&next=%2F%2Fevil.example%2F", nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Errorf("login with off-site next: %d → %q", code, h.Get("Location"))
	}
	ck := (&http.Response{Header: h}).Cookies()
	if len(ck) != 1 || ck[0].Name != "yuqing_session" || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode ||
		ck[0].Secure || ck[0].MaxAge != 12*3600 || len(ck[0].Value) < 40 {
		t.Errorf("session cookie %+v", ck)
	}
	c := loginClient(t, f.srv, "wang", true)
	if code, body, _ := do(t, c, "GET", f.srv.URL+"/incidents", "", nil); code != 200 || !strings.Contains(body, "王科员（wang）") ||
		!strings.Contains(body, `action="/logout"`) {
		t.Errorf("logged-in list: %d", code)
	}
	if code, _, h := do(t, c, "POST", f.srv.URL+"/logout", "", nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Errorf("logout: %d", code)
	}
	if code, _, _ := do(t, c, "GET", f.srv.URL+"/incidents", "", nil); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
	// Five wrong passwords from one address, then even the right one waits.
	for range 5 {
		do(t, anon, "POST", f.srv.URL+"/login", "username=zhao&password=guess-guess-guess", nil)
	}
	code, body, h = do(t, anon, "POST", f.srv.URL+"/login", "username=zhao&password=zhao-password", nil)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "登录失败次数过多") {
		t.Errorf("rate limit: %d %q", code, h.Get("Retry-After"))
	}
	if n := len(auditRows(t, f.auth.Store(), "login.failed")); n != 6 {
		t.Errorf("%d login.failed rows, want 6", n)
	}
	// Further refusals in the window are not audited again.
	for range 3 {
		do(t, anon, "POST", f.srv.URL+"/login", "username=zhao&password=zhao-password", nil)
	}
	if n := len(auditRows(t, f.auth.Store(), "login.limited")); n != 1 {
		t.Errorf("%d login.limited rows, want 1", n)
	}
}

func TestRolesAndMasking(t *testing.T) {
	f := setup(t)
	viewer := loginClient(t, f.srv, "zhao", true)
	handler := loginClient(t, f.srv, "wang", true)
	ops := loginClient(t, f.srv, "ops", true)
	admin := loginClient(t, f.srv, "admin", true)

	code, body, _ := do(t, viewer, "GET", f.srv.URL+"/incidents/"+f.major, "", nil)
	if code != 200 || strings.Contains(body, "13812345678") || !strings.Contains(body, "138****5678") ||
		strings.Contains(body, `action="/incidents/`+f.major+`/ack"`) || !strings.Contains(body, "只能查看") {
		t.Errorf("viewer detail: %d, full number shown %v", code, strings.Contains(body, "13812345678"))
	}
	if _, body, _ := do(t, handler, "GET", f.srv.URL+"/incidents/"+f.major, "", nil); !strings.Contains(body, "13812345678") ||
		!strings.Contains(body, `action="/incidents/`+f.major+`/ack"`) {
		t.Error("handler detail lacks the full text or the forms")
	}
	for _, c := range []*http.Client{viewer, handler, ops, admin} {
		if _, body, _ := do(t, c, "GET", f.srv.URL+"/incidents", "", nil); strings.Contains(body, "13812345678") {
			t.Error("list shows a full number")
		}
	}
	// Viewers cannot act; the refusal is audited and changes nothing.
	code, _, _ = do(t, viewer, "POST", f.srv.URL+"/incidents/"+f.major+"/ack", "note=x", nil)
	if code != http.StatusForbidden {
		t.Errorf("viewer ack: %d", code)
	}
	if d, _ := f.st.IncidentDetail(context.Background(), f.major); !d.Incident.AckedAt.IsZero() {
		t.Error("viewer's POST changed the incident")
	}
	if rows := auditRows(t, f.auth.Store(), "access.denied"); len(rows) != 1 || rows[0].Actor != "zhao" || rows[0].IP != "127.0.0.1" {
		t.Errorf("access.denied rows %+v", rows)
	}
	checks := []struct {
		c      *http.Client
		path   string
		status int
	}{
		// No classifier in this fixture: /try answers 503 once the role is checked.
		{viewer, "/try", 403}, {handler, "/try", 403}, {ops, "/try", 503},
		{ops, "/admin/users", 403}, {admin, "/admin/users", 200}, {admin, "/admin/audit", 200}, {handler, "/admin/audit", 403},
	}
	for _, c := range checks {
		if code, _, _ := do(t, c.c, "GET", f.srv.URL+c.path, "", nil); code != c.status {
			t.Errorf("GET %s: %d, want %d", c.path, code, c.status)
		}
	}
	if _, body, _ := do(t, viewer, "GET", f.srv.URL+"/incidents", "", nil); strings.Contains(body, `href="/try"`) || strings.Contains(body, "/admin/users") {
		t.Error("viewer's menu offers pages it may not open")
	}
}

func TestCSRFTokenRequired(t *testing.T) {
	f := setup(t)
	bare := loginClient(t, f.srv, "wang", false)
	code, body, _ := do(t, bare, "POST", f.srv.URL+"/incidents/"+f.minor+"/followup", "note=已回复", nil)
	if code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Errorf("no token: %d", code)
	}
	code, _, _ = do(t, bare, "POST", f.srv.URL+"/incidents/"+f.minor+"/followup", "note=已回复&csrf="+auth.CSRFToken(auth.RandomSecret(32)), nil)
	if code != http.StatusForbidden {
		t.Errorf("another session's token: %d", code)
	}
	if d, _ := f.st.IncidentDetail(context.Background(), f.minor); !d.Incident.FollowedUpAt.IsZero() {
		t.Error("a forged POST changed the incident")
	}
	if n := len(auditRows(t, f.auth.Store(), "csrf.rejected")); n != 2 {
		t.Errorf("%d csrf.rejected rows, want 2", n)
	}
	// The token the page carries works as a form field.
	_, page, _ := do(t, bare, "GET", f.srv.URL+"/incidents/"+f.minor, "", nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("detail page has no CSRF field")
	}
	code, _, _ = do(t, bare, "POST", f.srv.URL+"/incidents/"+f.minor+"/followup", url.Values{"note": {"已回复"}, "csrf": {m[1]}}.Encode(), nil)
	if code != http.StatusSeeOther {
		t.Errorf("with the page's token: %d", code)
	}
	// Logout is a form too.
	if code, _, _ := do(t, bare, "POST", f.srv.URL+"/logout", "", nil); code != http.StatusForbidden {
		t.Errorf("logout without token: %d", code)
	}
}

// Every POST form the console renders carries the CSRF field and no
// free-text actor (the actor is the logged-in user).
func TestEveryFormCarriesCSRFToken(t *testing.T) {
	f := setup(t)
	admin := loginClient(t, f.srv, "admin", true)
	formRe := regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*>(.*?)</form>`)
	pages := []string{"/incidents", "/incidents/" + f.major, "/admin/users", "/admin/audit"} // /try: try_test.go
	// A closed incident shows other forms (reopen).
	if code, _, _ := do(t, admin, "POST", f.srv.URL+"/incidents/"+f.minor+"/close", "note=已办结&reason=测试&confirmed=1", nil); code != http.StatusSeeOther {
		t.Fatalf("close: %d", code)
	}
	pages = append(pages, "/incidents/"+f.minor)
	forms := 0
	for _, p := range pages {
		code, body, _ := do(t, admin, "GET", f.srv.URL+p, "", nil)
		if code != 200 {
			t.Errorf("GET %s: %d", p, code)
			continue
		}
		for _, m := range formRe.FindAllStringSubmatch(body, -1) {
			forms++
			if !strings.Contains(m[1], `name="csrf"`) {
				t.Errorf("%s: form without CSRF field: %.120s", p, m[0])
			}
			if strings.Contains(m[1], `name="actor"`) {
				t.Errorf("%s: form asks for the actor: %.120s", p, m[0])
			}
		}
	}
	if forms < 8 {
		t.Errorf("only %d POST forms found; the pattern no longer matches the templates?", forms)
	}
}

func TestAPIWithTokenAndSession(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	tok := func(user string) string {
		plain, _, err := f.auth.AddToken(ctx, auth.Actor{Name: "test"}, user, "测试", 0)
		if err != nil {
			t.Fatal(err)
		}
		return plain
	}
	bot, viewerTok := tok("wang"), tok("zhao")
	anon := &http.Client{CheckRedirect: noRedirect}
	bearer := func(tk string) map[string]string { return map[string]string{"Authorization": "Bearer " + tk} }

	code, body, h := do(t, anon, "GET", f.srv.URL+"/api/v1/incidents?status=all", "", bearer(bot))
	var list struct{ Incidents []map[string]any }
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &list) != nil || len(list.Incidents) != 2 {
		t.Fatalf("list: %d %s", code, body)
	}
	if strings.Contains(body, "13812345678") || !strings.Contains(body, "138****5678") || list.Incidents[0]["number"] != f.major {
		t.Errorf("list not masked or out of order: %s", body)
	}
	if code, body, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/incidents/"+f.major, "", bearer(bot)); code != 200 ||
		!strings.Contains(body, "13812345678") || !strings.Contains(body, `"masked": false`) {
		t.Errorf("handler detail: %d %s", code, body)
	}
	if code, body, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/incidents/"+f.major, "", bearer(viewerTok)); code != 200 ||
		strings.Contains(body, "13812345678") || !strings.Contains(body, `"masked": true`) {
		t.Errorf("viewer detail: %d %s", code, body)
	}
	if code, _, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/incidents", "", bearer(bot+"x")); code != 401 {
		t.Errorf("bad token: %d", code)
	}
	if code, _, _ := do(t, anon, "GET", f.srv.URL+"/incidents", "", bearer(bot)); code != http.StatusSeeOther {
		t.Errorf("token accepted outside /api/: %d", code)
	}
	// Actions: a token needs no CSRF token; the actor is the token's user.
	code, body, _ = do(t, anon, "POST", f.srv.URL+"/api/v1/incidents/"+f.major+"/ack", `{"note":"机器人签收"}`, bearer(bot))
	if code != 200 || !strings.Contains(body, `"status": "acknowledged"`) {
		t.Errorf("API ack: %d %s", code, body)
	}
	d, _ := f.st.IncidentDetail(ctx, f.major)
	if e := d.Events[len(d.Events)-1]; e.Actor != "王科员（wang）" || e.Note != "机器人签收" {
		t.Errorf("ack event %+v", e)
	}
	if code, body, _ := do(t, anon, "POST", f.srv.URL+"/api/v1/incidents/"+f.major+"/ack", `{}`, bearer(bot)); code != 409 || !strings.Contains(body, "已完成") {
		t.Errorf("second ack: %d %s", code, body)
	}
	if code, _, _ := do(t, anon, "POST", f.srv.URL+"/api/v1/incidents/"+f.minor+"/close", `{"note":"x"}`, bearer(viewerTok)); code != 403 {
		t.Errorf("viewer token action: %d", code)
	}
	if code, _, _ := do(t, anon, "POST", f.srv.URL+"/api/v1/incidents/"+f.minor+"/explode", `{}`, bearer(bot)); code != 404 {
		t.Errorf("unknown action: %d", code)
	}
	if code, _, _ := do(t, anon, "POST", f.srv.URL+"/api/v1/incidents/"+f.minor+"/close", `{"nope":1}`, bearer(bot)); code != 400 {
		t.Errorf("unknown JSON field: %d", code)
	}
	// The console session may use the API, with X-CSRF-Token on POST.
	bare := loginClient(t, f.srv, "wang", false)
	code, body, _ = do(t, bare, "GET", f.srv.URL+"/api/v1/me", "", nil)
	var me struct{ Name, Role, CSRFToken string }
	_ = json.Unmarshal([]byte(strings.ReplaceAll(body, "csrf_token", "csrftoken")), &me)
	if code != 200 || me.Name != "wang" || me.Role != "handler" || me.CSRFToken == "" {
		t.Fatalf("me: %d %s", code, body)
	}
	if code, _, _ := do(t, bare, "POST", f.srv.URL+"/api/v1/incidents/"+f.minor+"/followup", `{"note":"已回复"}`, nil); code != 403 {
		t.Errorf("session API POST without CSRF: %d", code)
	}
	if code, _, _ := do(t, bare, "POST", f.srv.URL+"/api/v1/incidents/"+f.minor+"/followup", `{"note":"已回复"}`,
		map[string]string{"X-CSRF-Token": me.CSRFToken}); code != 200 {
		t.Errorf("session API POST with CSRF: %d", code)
	}
	rows := auditRows(t, f.auth.Store(), "incident.ack")
	if len(rows) != 2 || rows[1].Actor != "wang" || !rows[1].OK || rows[0].OK || rows[1].Target != f.major {
		t.Errorf("incident.ack audit rows %+v", rows)
	}
}

func TestActionsAndAdminChangesAreAudited(t *testing.T) {
	f := setup(t)
	admin := loginClient(t, f.srv, "admin", true)
	handler := loginClient(t, f.srv, "wang", true)
	if code, _, _ := do(t, handler, "POST", f.srv.URL+"/incidents/"+f.minor+"/followup", "note=已电话联系，电话13812345678", nil); code != http.StatusSeeOther {
		t.Fatalf("followup: %d", code)
	}
	rows := auditRows(t, f.auth.Store(), "incident.followup")
	if len(rows) != 1 || rows[0].Actor != "wang" || rows[0].IP != "127.0.0.1" || rows[0].Target != f.minor ||
		rows[0].Detail != "已电话联系，电话138****5678" || rows[0].At.IsZero() {
		t.Errorf("followup audit %+v", rows)
	}
	// Admin creates an account, which then logs in; a duplicate is refused.
	form := url.Values{"name": {"Qian"}, "display": {"钱科员"}, "role": {"handler"}, "password": {"qian-password"}}.Encode()
	if code, _, h := do(t, admin, "POST", f.srv.URL+"/admin/users", form, nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/users") {
		t.Fatalf("add user: %d", code)
	}
	loginClient(t, f.srv, "qian", true)
	if code, body, _ := do(t, admin, "POST", f.srv.URL+"/admin/users", form, nil); code != 400 || !strings.Contains(body, "已存在") {
		t.Errorf("duplicate user: %d", code)
	}
	if code, _, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/qian/role", "role=viewer", nil); code != http.StatusSeeOther {
		t.Errorf("change role: %d", code)
	}
	if code, body, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/qian/password", "", nil); code != 200 || !strings.Contains(body, `class="secret"`) {
		t.Errorf("reset password: %d", code)
	}
	if code, _, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/admin/disable", "", nil); code != 400 {
		t.Errorf("admin disabling itself: %d", code)
	}
	if code, _, _ := do(t, handler, "POST", f.srv.URL+"/admin/users", form, nil); code != 403 {
		t.Errorf("handler adding a user: %d", code)
	}
	want := map[string]int{"user.add": 2 + len(testUsers), "user.role": 1, "user.passwd": 1, "user.disable": 1, "login": 4, "access.denied": 1}
	for action, n := range want {
		if got := len(auditRows(t, f.auth.Store(), action)); got != n {
			t.Errorf("%d %s rows, want %d", got, action, n)
		}
	}
	_, page, _ := do(t, admin, "GET", f.srv.URL+"/admin/audit?actor=admin", "", nil)
	for _, w := range []string{"新建账号", "修改角色", "qian", "127.0.0.1", "失败"} {
		if !strings.Contains(page, w) {
			t.Errorf("audit page lacks %q", w)
		}
	}
	if _, page, _ := do(t, admin, "GET", f.srv.URL+"/admin/audit?actor=wang", "", nil); strings.Contains(page, `<td data-label="操作">新建账号</td>`) || !strings.Contains(page, `<td data-label="操作">跟进回复</td>`) {
		t.Error("audit filter by actor")
	}
}

func TestSecureCookieWhenConfiguredOrHTTPS(t *testing.T) {
	for _, c := range []struct {
		name string
		opts web.Options
	}{
		{"secure_cookie", web.Options{SecureCookie: true}},
		{"https external URL", web.Options{ExternalURL: "https://yuqing.example.gov.cn"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			c.opts.Auth = newAuth(t, st)
			c.opts.Store = st
			con, err := web.New(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(con.Handler())
			defer srv.Close()
			_, _, h := do(t, &http.Client{CheckRedirect: noRedirect}, "POST", srv.URL+"/login", "username=zhao&password=zhao-password", nil)
			ck := (&http.Response{Header: h}).Cookies()
			if len(ck) != 1 || !ck[0].Secure || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie %+v", ck)
			}
		})
	}
}

// evilNexts are post-login redirects that leave the site, or that a
// browser could read as another host (it drops tabs and newlines and reads
// "\" as "/").
var evilNexts = []string{
	"//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
	"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example", "/\t\t/evil.example",
	"/\x00/evil.example", "/\x0b/evil.example", "/\x1f/evil.example", "/\x7f/evil.example",
	"\t//evil.example", " //evil.example", "/incidents\t", "/%09/evil.example", "/%5Cevil.example", "/%2F/evil.example",
	"https://evil.example/", "http:evil.example", "https:/evil.example", "javascript:alert(1)", "evil.example",
	"", "/login", "/login?next=//evil.example",
}

// TestLoginNextStaysOnSite: every way a redirect after login (GET /login
// with a session, POST /login, or the redirect of an anonymous request)
// ends on this site.
func TestLoginNextStaysOnSite(t *testing.T) {
	f := setup(t)
	c := loginClient(t, f.srv, "wang", true)
	srvURL, _ := url.Parse(f.srv.URL)
	var session string
	for _, ck := range c.Jar.Cookies(srvURL) {
		if ck.Name == "yuqing_session" {
			session = ck.Value
		}
	}
	// location sends one request straight through the transport (the
	// client would refuse to parse a Location with a tab in it) and
	// returns the status and the raw Location.
	location := func(method, target, form, session string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, f.srv.URL+target, strings.NewReader(form))
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if session != "" {
			req.AddCookie(&http.Cookie{Name: "yuqing_session", Value: session})
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	for _, next := range evilNexts {
		q := url.QueryEscape(next)
		if code, loc := location("GET", "/login?next="+q, "", session); code != http.StatusSeeOther || loc != "/" {
			t.Errorf("GET /login?next=%q with a session: %d → %q", next, code, loc)
		}
		form := url.Values{"username": {"zhao"}, "password": {"zhao-password"}, "next": {next}}.Encode()
		if code, loc := location("POST", "/login", form, ""); code != http.StatusSeeOther || loc != "/" {
			t.Errorf("POST /login next=%q: %d → %q", next, code, loc)
		}
	}
	for _, good := range []string{"/incidents/" + f.major, "/incidents?status=all&level=2", "/sources", "/rules/false-positives#top"} {
		if code, loc := location("GET", "/login?next="+url.QueryEscape(good), "", session); code != http.StatusSeeOther || loc != good {
			t.Errorf("GET /login?next=%q: %d → %q, want it kept", good, code, loc)
		}
	}
	// An anonymous request for a crafted path is sent to the login page
	// without it.
	for _, path := range []string{"/%09/evil.example", "/%0A/evil.example", "/%5C/evil.example", "/%2F%2Fevil.example"} {
		code, loc := location("GET", path, "", "")
		if code != http.StatusSeeOther && code != http.StatusMovedPermanently && code != http.StatusNotFound {
			t.Errorf("anonymous GET %s: %d", path, code)
		}
		if strings.Contains(loc, "evil") {
			t.Errorf("anonymous GET %s → %q carries the crafted path", path, loc)
		}
	}
}

func TestAdminCannotDemoteOrDisableSelfInAnyCase(t *testing.T) {
	f := setup(t)
	admin := loginClient(t, f.srv, "admin", true)
	for _, name := range []string{"ADMIN", "Admin", "%20admin"} {
		if code, _, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/"+name+"/role", "role=viewer", nil); code != http.StatusBadRequest {
			t.Errorf("admin demoting itself as %q: %d, want 400", name, code)
		}
		if code, _, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/"+name+"/disable", "", nil); code != http.StatusBadRequest {
			t.Errorf("admin disabling itself as %q: %d, want 400", name, code)
		}
	}
	u, err := f.auth.Store().UserByName(context.Background(), "admin")
	if err != nil || u.Role != string(auth.RoleAdmin) || u.Disabled {
		t.Errorf("admin after the attempts: %+v %v", u, err)
	}
	// Another account in capitals is still changed.
	if code, _, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/ZHAO/role", "role=handler", nil); code != http.StatusSeeOther {
		t.Errorf("changing ZHAO: %d", code)
	}
}

// newConsole serves a console with opts (Store and Auth filled in).
func newConsole(t *testing.T, opts web.Options) (*httptest.Server, *auth.Service) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts.Auth, opts.Store = newAuth(t, st), st
	con, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	t.Cleanup(srv.Close)
	return srv, opts.Auth
}

// TestClientIPBehindTrustedProxy: X-Forwarded-For is believed only from a
// trusted proxy, and then only its rightmost untrusted hop; so users behind
// a proxy do not share one rate limit, and no one can pick an address.
func TestClientIPBehindTrustedProxy(t *testing.T) {
	lastIP := func(a *auth.Service) string {
		rows := auditRows(t, a.Store(), "login.failed")
		if len(rows) == 0 {
			t.Fatal("no login.failed row")
		}
		return rows[0].IP
	}
	anon := &http.Client{CheckRedirect: noRedirect}
	wrong := "username=zhao&password=guess-guess-guess"
	t.Run("trusted", func(t *testing.T) {
		srv, a := newConsole(t, web.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"),
			netip.MustParsePrefix("10.0.0.0/8")}})
		for _, c := range []struct {
			xff  []string
			want string
		}{
			{nil, "127.0.0.1"},
			{[]string{"203.0.113.9"}, "203.0.113.9"},
			{[]string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},        // the client wrote the left one
			{[]string{"203.0.113.9, 10.1.2.3"}, "203.0.113.9"},            // two proxies
			{[]string{"198.51.100.1", "203.0.113.9:4711"}, "203.0.113.9"}, // two headers, a port
			{[]string{"[2001:db8::7]:443"}, "2001:db8::7"},
			{[]string{"10.0.0.1, 127.0.0.2"}, "10.0.0.1"},     // only proxies: the farthest
			{[]string{"203.0.113.9, not-an-ip"}, "127.0.0.1"}, // garbage: stop at the proxy
		} {
			req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(wrong))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, v := range c.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			resp, err := anon.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := lastIP(a); got != c.want {
				t.Errorf("X-Forwarded-For %q: audited %q, want %q", c.xff, got, c.want)
			}
		}
		// Five failures from one user behind the proxy do not lock out another.
		for range 5 {
			do(t, anon, "POST", srv.URL+"/login", "username=wang&password=guess-guess-guess", map[string]string{"X-Forwarded-For": "192.0.2.10"})
		}
		if code, _, _ := do(t, anon, "POST", srv.URL+"/login", "username=wang&password=guess-guess-guess", map[string]string{"X-Forwarded-For": "192.0.2.10"}); code != http.StatusTooManyRequests {
			t.Errorf("6th failure from 192.0.2.10: %d, want 429", code)
		}
		if code, _, _ := do(t, anon, "POST", srv.URL+"/login", "username=wang&password=wang-password", map[string]string{"X-Forwarded-For": "192.0.2.11"}); code != http.StatusSeeOther {
			t.Errorf("another user behind the proxy: %d, want 303", code)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		srv, a := newConsole(t, web.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		do(t, anon, "POST", srv.URL+"/login", wrong, map[string]string{"X-Forwarded-For": "203.0.113.9"})
		if got := lastIP(a); got != "127.0.0.1" {
			t.Errorf("X-Forwarded-For from an untrusted peer believed: %q", got)
		}
	})
}

// TestUserNoticesFromFixedList: /admin/users?ok= shows only the notices
// the console itself redirects to, filled with well-formed values; any
// other text, or a known key with a malformed value, shows no notice.
func TestUserNoticesFromFixedList(t *testing.T) {
	f := setup(t)
	admin := loginClient(t, f.srv, "admin", true)
	notice := func(query string) string {
		t.Helper()
		code, page, _ := do(t, admin, "GET", f.srv.URL+"/admin/users?"+query, "", nil)
		if code != http.StatusOK {
			t.Fatalf("GET /admin/users?%s: %d", query, code)
		}
		_, rest, ok := strings.Cut(page, `class="notice ok" role="status">`)
		if !ok {
			return ""
		}
		text, _, _ := strings.Cut(rest, "</p>")
		return text
	}
	// The redirects after real changes name their notice.
	form := url.Values{"name": {"qian"}, "display": {"钱科员"}, "role": {"handler"}, "password": {"qian-password"}}.Encode()
	_, _, h := do(t, admin, "POST", f.srv.URL+"/admin/users", form, nil)
	loc, _ := url.Parse(h.Get("Location"))
	if got := notice(loc.RawQuery); got != "已新建账号 qian" {
		t.Errorf("after adding qian: notice %q", got)
	}
	_, _, h = do(t, admin, "POST", f.srv.URL+"/admin/users/QIAN/role", "role=viewer", nil)
	loc, _ = url.Parse(h.Get("Location"))
	if got := notice(loc.RawQuery); got != "已将 qian 的角色改为查看员" {
		t.Errorf("after the role change: notice %q", got)
	}
	for _, q := range []string{
		"ok=" + url.QueryEscape("密码已过期，请拨打 010-12345678 重置"),
		"ok=" + url.QueryEscape("已新建账号 qian"),
		"ok=added",
		"ok=added&name=" + url.QueryEscape("请联系管理员"),
		"ok=added&name=" + url.QueryEscape("<b>x</b>"),
		"ok=role&name=qian&role=god",
		"ok=revoked&id=" + url.QueryEscape("1 请回电"),
		"ok=revoked&id=-3",
		"ok=ADDED&name=qian",
	} {
		if got := notice(q); got != "" {
			t.Errorf("?%s shows notice %q, want none", q, got)
		}
	}
	if got := notice("ok=revoked&id=7"); got != "已吊销令牌 #7" {
		t.Errorf("revoked notice %q", got)
	}
}

// TestHostileRequestsAddBoundedAudit: 1,000 refused requests with 16 KiB
// paths (a viewer posting to an admin route, a handler posting without
// the CSRF token) add a bounded number of rows to the append-only audit
// log, each cut to its bounds.
func TestHostileRequestsAddBoundedAudit(t *testing.T) {
	f := setup(t)
	viewer := loginClient(t, f.srv, "zhao", true)
	noCSRF := loginClient(t, f.srv, "wang", false)
	all := func() []store.AuditEntry { return auditRows(t, f.auth.Store(), "") }
	before := len(all())
	long := "/admin/users/" + strings.Repeat("x", 16<<10) + "/role"
	for i := range 1000 {
		c := viewer
		if i%2 == 1 {
			c = noCSRF
		}
		if code, _, _ := do(t, c, "POST", f.srv.URL+long, "role=admin", nil); code != http.StatusForbidden {
			t.Fatalf("request %d: status %d, want 403", i, code)
		}
	}
	rows := all()[:len(all())-before] // newest first
	kinds := map[string]int{}
	size := 0
	for _, r := range rows {
		kinds[r.Action]++
		size += len(r.Target) + len(r.Detail)
		if n := utf8.RuneCountInString(r.Target); n > auth.MaxAuditTarget+1 {
			t.Errorf("%s row: target of %d runes", r.Action, n)
		}
		if len(r.Detail) > 1024 {
			t.Errorf("%s row: detail of %d bytes", r.Action, len(r.Detail))
		}
	}
	if kinds["access.denied"] == 0 || kinds["csrf.rejected"] == 0 || len(rows) > 40 {
		t.Errorf("1,000 refused requests added %d rows %v; want both kinds, at most 40", len(rows), kinds)
	}
	t.Logf("1,000 refused requests of 16 KiB added %d audit rows, %d bytes of target and detail", len(rows), size)
}

// TestOwnPasswordChange: any logged-in user changes their own password
// after giving the current one; every session of the account ends and only
// the new password logs in. Wrong current passwords count as failed logins.
func TestOwnPasswordChange(t *testing.T) {
	f := setup(t)
	c := loginClient(t, f.srv, "wang", true)
	if code, body, _ := do(t, c, "GET", f.srv.URL+"/incidents", "", nil); code != 200 || !strings.Contains(body, `href="/account/password"`) {
		t.Fatalf("no link to the password page: %d", code)
	}
	if code, body, _ := do(t, c, "GET", f.srv.URL+"/account/password", "", nil); code != 200 || !strings.Contains(body, "当前密码") {
		t.Fatalf("password page: %d", code)
	}
	for form, want := range map[string]string{
		"current=wrong-wrong-wrong&new=new-secret-123&confirm=new-secret-123": "当前密码不对",
		"current=wang-password&new=new-secret-123&confirm=new-secret-124":     "两次输入的新密码不一致",
		"current=wang-password&new=short&confirm=short":                       "密码至少 10 个字符",
	} {
		if code, body, _ := do(t, c, "POST", f.srv.URL+"/account/password", form, nil); code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 400 with %q", form, code, want)
		}
	}
	if rows := auditRows(t, f.auth.Store(), "user.passwd"); len(rows) != 2 || rows[0].OK || rows[1].OK {
		t.Errorf("refused changes audited as %+v", rows)
	}
	other := loginClient(t, f.srv, "wang", false) // a second device
	code, _, h := do(t, c, "POST", f.srv.URL+"/account/password", "current=wang-password&new=new-secret-123&confirm=new-secret-123", nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/login?changed=1" {
		t.Fatalf("change: %d → %q", code, h.Get("Location"))
	}
	for _, cl := range []*http.Client{c, other} {
		if code, _, _ := do(t, cl, "GET", f.srv.URL+"/incidents", "", nil); code != http.StatusSeeOther {
			t.Errorf("a session survived the change: %d", code)
		}
	}
	anon := &http.Client{CheckRedirect: noRedirect}
	if code, _, _ := do(t, anon, "POST", f.srv.URL+"/login", "username=wang&password=wang-password", nil); code != http.StatusUnauthorized {
		t.Errorf("old password still logs in: %d", code)
	}
	if code, _, _ := do(t, anon, "POST", f.srv.URL+"/login", "username=wang&password=new-secret-123", nil); code != http.StatusSeeOther {
		t.Errorf("new password refused: %d", code)
	}
	if _, body, _ := do(t, anon, "GET", f.srv.URL+"/login?changed=1", "", nil); !strings.Contains(body, "密码已修改") {
		t.Error("login page lacks the notice")
	}
	if _, body, _ := do(t, anon, "GET", f.srv.URL+"/login?changed=%3Cb%3Ehi", "", nil); strings.Contains(body, "密码已修改") || strings.Contains(body, "<b>hi") {
		t.Error("login page shows a notice it was not given")
	}
}

// TestReloadButton: operators reload from the console and see the outcome;
// a broken file is named and the running set stays; others cannot.
func TestReloadButton(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reloadErr := errors.New("rules.yaml:12: rules[3].any[0]: 关键词有误")
	calls := 0
	a := newAuth(t, st)
	con, err := web.New(web.Options{Store: st, Workflow: incident.New(st, incident.DefaultPolicy(), nil, nil), Auth: a,
		Reload: func() error { calls++; return reloadErr }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	t.Cleanup(srv.Close)
	ops := loginClient(t, srv, "ops", true)
	if _, body, _ := do(t, ops, "GET", srv.URL+"/sources", "", nil); !strings.Contains(body, `action="/reload"`) {
		t.Error("no reload button for an operator")
	}
	code, body, _ := do(t, ops, "POST", srv.URL+"/reload", "", nil)
	if code != http.StatusBadRequest || !strings.Contains(body, "重新加载失败，继续使用原有规则和数据源") || !strings.Contains(body, "rules.yaml:12: rules[3].any[0]") {
		t.Errorf("failed reload: %d", code)
	}
	reloadErr = nil
	if code, body, _ := do(t, ops, "POST", srv.URL+"/reload", "", nil); code != 200 || !strings.Contains(body, "重新加载成功") {
		t.Errorf("reload: %d", code)
	}
	wang := loginClient(t, srv, "wang", true)
	if _, body, _ := do(t, wang, "GET", srv.URL+"/sources", "", nil); strings.Contains(body, `action="/reload"`) {
		t.Error("a handler sees the reload button")
	}
	if code, _, _ := do(t, wang, "POST", srv.URL+"/reload", "", nil); code != http.StatusForbidden || calls != 2 {
		t.Errorf("handler reload: %d, %d reloads", code, calls)
	}
	rows := auditRows(t, a.Store(), "config.reload")
	if len(rows) != 2 || rows[0].OK == rows[1].OK {
		t.Errorf("reloads audited as %+v", rows)
	}
}
