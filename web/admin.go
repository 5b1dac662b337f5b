package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
)

// The admin pages: accounts and API tokens (/admin/users) and the audit
// log (/admin/audit). Account changes go through auth.Service, which
// audits them.

type usersPage struct {
	Title    string
	Users    []store.User
	Tokens   []tokenView
	Roles    []auth.Role
	Error    string
	Notice   string
	Password string // a reset password, shown once
	Form     struct{ Name, Display, Role string }
}

type tokenView struct {
	store.APIToken
	User string
}

func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/users", s.require(auth.RoleAdmin, s.users))
	mux.HandleFunc("POST /admin/users", s.require(auth.RoleAdmin, s.addUser))
	mux.HandleFunc("POST /admin/users/{name}/role", s.require(auth.RoleAdmin, s.changeRole))
	mux.HandleFunc("POST /admin/users/{name}/office", s.require(auth.RoleAdmin, s.changeOffice))
	mux.HandleFunc("POST /admin/users/{name}/disable", s.require(auth.RoleAdmin, s.setDisabled(true)))
	mux.HandleFunc("POST /admin/users/{name}/enable", s.require(auth.RoleAdmin, s.setDisabled(false)))
	mux.HandleFunc("POST /admin/users/{name}/password", s.require(auth.RoleAdmin, s.resetPassword))
	mux.HandleFunc("POST /admin/tokens/{id}/revoke", s.require(auth.RoleAdmin, s.revokeToken))
	mux.HandleFunc("GET /admin/audit", s.require(auth.RoleAdmin, s.auditLog))
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	page := usersPage{Notice: userNotice(r.URL.Query())}
	s.renderUsers(w, r, http.StatusOK, page)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, page usersPage) {
	st := s.opts.Auth.Store()
	users, err := st.Users(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取账号失败", err)
		return
	}
	toks, err := st.Tokens(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取令牌失败", err)
		return
	}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	for _, t := range toks {
		page.Tokens = append(page.Tokens, tokenView{APIToken: t, User: names[t.UserID]})
	}
	page.Title, page.Users, page.Roles = "账号管理", users, auth.Roles
	s.render(w, r, status, "users", page)
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	name, display := r.PostFormValue("name"), r.PostFormValue("display")
	role, pw := auth.Role(r.PostFormValue("role")), r.PostFormValue("password")
	_, err := s.opts.Auth.AddUser(r.Context(), actorOf(r), name, display, role, pw)
	if err != nil {
		audit(r, "user.add", name, err.Error())
		page := usersPage{Error: "新建账号失败：" + err.Error()}
		page.Form.Name, page.Form.Display, page.Form.Role = name, display, string(role)
		var in *auth.InputError
		if !errors.As(err, &in) {
			s.fail(w, r, http.StatusInternalServerError, "新建账号失败", err)
			return
		}
		s.renderUsers(w, r, http.StatusBadRequest, page)
		return
	}
	skipAudit(r)
	s.doneUsers(w, r, url.Values{"ok": {"added"}, "name": {name}})
}

// doneUsers sends the admin back to the account list, which shows the
// notice q names (see userNotice).
func (s *Server) doneUsers(w http.ResponseWriter, r *http.Request, q url.Values) {
	http.Redirect(w, r, "/admin/users?"+q.Encode(), http.StatusSeeOther)
}

// userNotices are the only notices /admin/users?ok=KEY shows, filled with
// the account name (name=), the role (role=) or the token number (id=),
// each checked for its form: a link cannot make the console show text of
// the sender's choosing ("请联系 … 重置密码").
var userNotices = map[string]string{
	"added":    "已新建账号 {name}",
	"role":     "已将 {name} 的角色改为{role}",
	"office":   "已修改 {name} 的科室",
	"disabled": "已停用 {name}",
	"enabled":  "已启用 {name}",
	"revoked":  "已吊销令牌 #{id}",
}

// userNotice returns the notice q asks for, or "" when its key is unknown
// or a value it needs is malformed.
func userNotice(q url.Values) string {
	msg, ok := userNotices[q.Get("ok")]
	if !ok {
		return ""
	}
	if strings.Contains(msg, "{name}") {
		n, err := auth.NormalizeName(q.Get("name"))
		if err != nil {
			return ""
		}
		msg = strings.Replace(msg, "{name}", n, 1)
	}
	if strings.Contains(msg, "{role}") {
		role, err := auth.ParseRole(q.Get("role"))
		if err != nil {
			return ""
		}
		msg = strings.Replace(msg, "{role}", role.Name(), 1)
	}
	if strings.Contains(msg, "{id}") {
		id, err := strconv.ParseInt(q.Get("id"), 10, 64)
		if err != nil || id <= 0 {
			return ""
		}
		msg = strings.Replace(msg, "{id}", strconv.FormatInt(id, 10), 1)
	}
	return msg
}

func (s *Server) userChangeFailed(w http.ResponseWriter, r *http.Request, action, name string, err error) {
	audit(r, action, name, err.Error())
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "账号 "+name+" 不存在", nil)
		return
	}
	s.renderUsers(w, r, http.StatusBadRequest, usersPage{Error: err.Error()})
}

// isSelf reports whether the account named in a path (typed in any case,
// "ADMIN" for "admin") is the caller's own.
func isSelf(r *http.Request, name string) bool {
	self, _ := principalOf(r.Context())
	n, err := auth.NormalizeName(name)
	return err == nil && self.User.Name != "" && n == self.User.Name
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err == nil {
		if isSelf(r, name) && role != auth.RoleAdmin {
			err = errors.New("不能降低自己的角色（请让另一位管理员操作）")
		}
	}
	if err == nil {
		err = s.opts.Auth.SetRole(r.Context(), actorOf(r), name, role)
	}
	if err != nil {
		s.userChangeFailed(w, r, "user.role", name, err)
		return
	}
	skipAudit(r)
	s.doneUsers(w, r, url.Values{"ok": {"role"}, "name": {name}, "role": {string(role)}})
}

// changeOffice sets the office an account works in (我的科室).
func (s *Server) changeOffice(w http.ResponseWriter, r *http.Request) {
	name, office := r.PathValue("name"), r.PostFormValue("office")
	if err := s.opts.Auth.SetOffice(r.Context(), actorOf(r), name, office, s.offices()); err != nil {
		s.userChangeFailed(w, r, "user.office", name, err)
		return
	}
	skipAudit(r)
	s.doneUsers(w, r, url.Values{"ok": {"office"}, "name": {name}})
}

func (s *Server) setDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		action := map[bool]string{true: "user.disable", false: "user.enable"}[disabled]
		var err error
		if disabled && isSelf(r, name) {
			err = errors.New("不能停用自己的账号")
		} else {
			err = s.opts.Auth.SetDisabled(r.Context(), actorOf(r), name, disabled)
		}
		if err != nil {
			s.userChangeFailed(w, r, action, name, err)
			return
		}
		skipAudit(r)
		s.doneUsers(w, r, url.Values{"ok": {map[bool]string{true: "disabled", false: "enabled"}[disabled]}, "name": {name}})
	}
}

// resetPassword sets a random password and shows it once to the admin.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	pw := auth.GeneratePassword()
	if err := s.opts.Auth.SetPassword(r.Context(), actorOf(r), name, pw); err != nil {
		s.userChangeFailed(w, r, "user.passwd", name, err)
		return
	}
	skipAudit(r)
	w.Header().Set("Cache-Control", "no-store")
	s.renderUsers(w, r, http.StatusOK, usersPage{Notice: "已重置 " + name + " 的密码，请当面或通过安全渠道告知本人，本页关闭后不再显示：", Password: pw})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "令牌编号无效", nil)
		return
	}
	if err := s.opts.Auth.RevokeToken(r.Context(), actorOf(r), id); err != nil {
		s.userChangeFailed(w, r, "token.revoke", "#"+r.PathValue("id"), err)
		return
	}
	skipAudit(r)
	s.doneUsers(w, r, url.Values{"ok": {"revoked"}, "id": {strconv.FormatInt(id, 10)}})
}

type auditPage struct {
	Title   string
	Entries []store.AuditEntry
	Actor   string
	Action  string
	Older   int64 // BeforeID of the next page, 0 when none
	Total   int   // entries the filter selects, on every page
	Paged   bool  // not the newest page
}

const auditPageSize = 100

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Limit: auditPageSize}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			s.fail(w, r, http.StatusBadRequest, "分页参数无效", nil)
			return
		}
		f.BeforeID = n
	}
	es, err := s.opts.Auth.Store().AuditLog(r.Context(), f)
	var total int
	if err == nil {
		total, err = s.opts.Auth.Store().CountAudit(r.Context(), f)
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取审计日志失败", err)
		return
	}
	page := auditPage{Title: "审计日志", Entries: es, Actor: f.Actor, Action: f.Action, Total: total, Paged: f.BeforeID > 0}
	if len(es) == auditPageSize {
		page.Older = es[len(es)-1].ID
	}
	s.render(w, r, http.StatusOK, "audit", page)
}

// auditNames are the Chinese names of the audit actions other than the
// incident steps (those are named by the workflow table).
var auditNames = []struct{ Key, Name string }{
	{"login", "登录"}, {"login.failed", "登录失败"}, {"login.limited", "登录被限流"}, {"logout", "退出登录"},
	{"access.denied", "越权访问被拒"}, {"csrf.rejected", "跨站请求校验失败"},
	{"user.add", "新建账号"}, {"user.passwd", "修改密码"}, {"user.role", "修改角色"}, {"user.office", "修改科室"},
	{"user.disable", "停用账号"}, {"user.enable", "启用账号"}, {"token.add", "新建 API 令牌"}, {"token.revoke", "吊销 API 令牌"},
	{"incident.missed", "补录漏报"}, {"config.reload", "重新加载配置"},
	{"rules.try", "规则试算"}, {"source.probe", "试探数据源"}, {"report.build", "生成报告"},
}

// AuditActionName is the Chinese name of an audit action: an incident
// action by its step's name in the workflow table; an action no handler
// named is 其他操作, never its method and path.
func AuditActionName(a string) string {
	for _, n := range auditActions() {
		if n.Key == a {
			return n.Name
		}
	}
	return "其他操作"
}

// auditActions lists every named audit action, for the audit page's filter.
func auditActions() []struct{ Key, Name string } {
	out := slices.Clone(auditNames)
	for _, st := range incident.Steps() {
		out = append(out, struct{ Key, Name string }{"incident." + st.Key, st.Name})
	}
	return out
}
