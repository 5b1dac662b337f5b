package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
)

type loginPage struct {
	Title  string
	Name   string
	Next   string
	Error  string
	Notice string
}

// passwordChanged is the only notice the login page shows (?changed=1):
// never text from the URL.
const passwordChanged = "密码已修改，所有登录已退出，请用新密码重新登录。"

// safeNext keeps a post-login redirect on this site: a local absolute path
// such as "/incidents/Y2026-001?x=1", never one a browser could read as
// another host. Browsers drop tabs and newlines from URLs and treat "\"
// as "/", so "/<TAB>/evil.example" or "/\evil.example" become
// "//evil.example"; any control byte or backslash is therefore refused
// outright, raw or percent-encoded in the path.
func safeNext(next string) string {
	const home = "/"
	if !localPath(next) {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!localPath(u.Path) || strings.HasPrefix(u.Path, "/login") {
		return home
	}
	return next
}

// localPath reports whether p starts with exactly one "/" and holds no
// control byte (< 0x20, DEL) and no backslash.
func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, err := s.opts.Auth.Session(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
	}
	page := loginPage{Title: "登录", Next: next}
	if r.URL.Query().Get("changed") == "1" {
		page.Notice = passwordChanged
	}
	s.render(w, r, http.StatusOK, "login", page)
}

type passwordPage struct {
	Title  string
	Error  string
	MinLen int
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", passwordPage{Title: "修改密码", MinLen: auth.MinPasswordLen})
}

// changePassword changes the caller's own password; every session of the
// account ends, so the caller logs in again with the new one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	skipAudit(r) // the service audits the change or the wrong current password
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	p, _ := principalOf(r.Context())
	current, next := r.PostForm.Get("current"), r.PostForm.Get("new")
	refuse := func(status int, msg string) {
		s.render(w, r, status, "password", passwordPage{Title: "修改密码", Error: msg, MinLen: auth.MinPasswordLen})
	}
	if p.Via != "session" {
		refuse(http.StatusForbidden, "请在控制台登录后修改密码")
		return
	}
	if next != r.PostForm.Get("confirm") {
		refuse(http.StatusBadRequest, "两次输入的新密码不一致")
		return
	}
	err := s.opts.Auth.ChangeOwnPassword(r.Context(), p, clientIP(r), current, next)
	var (
		limited *auth.RateLimitedError
		bad     *auth.InputError
	)
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", formatSeconds(limited.Wait))
		refuse(http.StatusTooManyRequests, limited.Error())
	case errors.As(err, &bad):
		refuse(http.StatusBadRequest, bad.Error())
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "修改密码失败", err)
	default:
		s.clearCookie(w, r)
		http.Redirect(w, r, "/login?changed=1", http.StatusSeeOther)
	}
}

// login checks the form. Login CSRF (being logged in as someone else) is
// stopped by CrossOriginProtection; there is no session to bind a token to yet.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	name, pw := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	id, p, err := s.opts.Auth.Login(r.Context(), name, pw, clientIP(r), r.UserAgent())
	var limited *auth.RateLimitedError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", formatSeconds(limited.Wait))
		s.render(w, r, http.StatusTooManyRequests, "login", loginPage{Title: "登录", Name: name, Next: next, Error: limited.Error()})
	case errors.Is(err, auth.ErrBadCredentials):
		s.render(w, r, http.StatusUnauthorized, "login", loginPage{Title: "登录", Name: name, Next: next, Error: err.Error()})
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "登录失败", err)
	default:
		s.opts.Logger.Info("用户登录", "user", p.User.Name, "ip", clientIP(r))
		s.setSessionCookie(w, r, id)
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	skipAudit(r) // the service audits the logout
	p, _ := principalOf(r.Context())
	if err := s.opts.Auth.Logout(r.Context(), p, clientIP(r)); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "退出登录失败", err)
		return
	}
	s.clearCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func formatSeconds(d time.Duration) string { return strconv.Itoa(int(d.Seconds()) + 1) }
