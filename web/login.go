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
	Title string
	Name  string
	Next  string
	Error string
}

// safeNext keeps a post-login redirect on this site: a local absolute path
// such as "/incidents/Y2026-001?x=1", never one a browser could read as
// another host. Browsers drop tabs and newlines from URLs and treat "\"
// as "/", so "/<TAB>/evil.example" or "/\evil.example" become
// "//evil.example"; any control byte or backslash is therefore refused
// outright, raw or percent-encoded in the path.
func safeNext(next string) string {
	const home = "/incidents"
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
	s.render(w, http.StatusOK, "login", loginPage{Title: "登录", Next: next})
}

// login checks the form. Login CSRF (being logged in as someone else) is
// stopped by CrossOriginProtection; there is no session to bind a token to yet.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	name, pw := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	id, p, err := s.opts.Auth.Login(r.Context(), name, pw, clientIP(r), r.UserAgent())
	var limited *auth.RateLimitedError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", formatSeconds(limited.Wait))
		s.render(w, http.StatusTooManyRequests, "login", loginPage{Title: "登录", Name: name, Next: next, Error: limited.Error()})
	case errors.Is(err, auth.ErrBadCredentials):
		s.render(w, http.StatusUnauthorized, "login", loginPage{Title: "登录", Name: name, Next: next, Error: err.Error()})
	case err != nil:
		s.fail(w, http.StatusInternalServerError, "登录失败", err)
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
		s.fail(w, http.StatusInternalServerError, "退出登录失败", err)
		return
	}
	s.clearCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func formatSeconds(d time.Duration) string { return strconv.Itoa(int(d.Seconds()) + 1) }
