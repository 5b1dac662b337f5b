package web

import (
	"context"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// The console's security model (issue 5):
//
//   - Every route needs a login except /login and /static/ (default deny,
//     in authenticate); a route that needs more than reading is wrapped in
//     s.require(role, handler).
//   - Unsafe methods (POST, ...) from a browser session must carry the
//     session's CSRF token (form field "csrf" or header X-CSRF-Token), on
//     top of net/http's CrossOriginProtection (Sec-Fetch-Site / Origin) and
//     the SameSite=Strict cookie. The token also covers old browsers that
//     send neither header. Unsafe requests need at least RoleHandler unless
//     listed in anyRoleUnsafe.
//   - /api/v1/ also accepts "Authorization: Bearer <token>"; token requests
//     carry no ambient credentials, so they need no CSRF token.
//   - Viewers see personal data masked everywhere, the detail page included.

const (
	sessionCookie = "yuqing_session"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// anyRoleUnsafe are the unsafe routes open to every logged-in role.
var anyRoleUnsafe = map[string]bool{"/logout": true}

type principalKey struct{}

// principalOf returns the caller authenticated for r, if any.
func principalOf(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

// actorName is the name workflow handlers record as the actor: the
// logged-in user (display name and login name), never a form field.
func actorName(r *http.Request) string {
	p, _ := principalOf(r.Context())
	return p.ActorName()
}

type clientIPKey struct{}

// clientIP is the address a request came from: the one authenticate
// resolved (see resolveClientIP), else the peer's.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return peerIP(r)
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// resolveClientIP returns the client's address. Only when the peer is a
// trusted proxy (Options.TrustedProxies) is X-Forwarded-For believed, and
// then only as far as it was written by trusted proxies: the client is the
// rightmost hop that is not a trusted proxy (anything left of it could
// have been sent by the client itself). A hop that is no IP address ends
// the walk at the last trusted hop.
func (s *Server) resolveClientIP(r *http.Request) string {
	peer := peerIP(r)
	if len(s.opts.TrustedProxies) == 0 {
		return peer
	}
	addr, ok := parseHop(peer)
	if !ok || !s.trustedProxy(addr) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(h, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	client := addr
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !s.trustedProxy(a) {
			break
		}
	}
	return client.String()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func actorOf(r *http.Request) auth.Actor {
	p, _ := principalOf(r.Context())
	return auth.Actor{Name: p.User.Name, IP: clientIP(r)}
}

// statusWriter notes the response's status for the audit log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// auditRec is what a handler says about the unsafe request it served;
// authenticate writes it to the audit log afterwards, so every change made
// through the console or the API leaves exactly one row.
type auditRec struct {
	action, target, detail string
	skip                   bool // the handler audited itself
}

type auditKey struct{}

// audit describes the current request for the audit log: action such as
// "incident.ack", the target (incident number, user name) and a detail,
// masked before it is stored. Handlers that do not call it are logged as
// "POST /path".
func audit(r *http.Request, action, target, detail string) {
	if rec, ok := r.Context().Value(auditKey{}).(*auditRec); ok {
		rec.action, rec.target, rec.detail = action, target, detail
	}
}

func skipAudit(r *http.Request) {
	if rec, ok := r.Context().Value(auditKey{}).(*auditRec); ok {
		rec.skip = true
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isAPI reports a machine endpoint: JSON errors, bearer tokens accepted.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/-/")
}

// Protect puts a handler outside the console's routes (such as the
// daemon's POST /-/reload) behind the console's login, CSRF check, role
// min and audit log; bearer tokens are accepted as for the API.
func (s *Server) Protect(min auth.Role, h http.Handler) http.Handler {
	return http.NewCrossOriginProtection().Handler(s.authenticate(s.require(min, h.ServeHTTP)))
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// authenticate finds the caller (session cookie; bearer token under /api/),
// refuses anonymous requests except to the public pages, and checks the
// CSRF token and the minimal role of unsafe requests.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), clientIPKey{}, s.resolveClientIP(r)))
		if r.URL.Path == "/login" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.identify(r)
		if err != nil && !errors.Is(err, auth.ErrNoSession) && !errors.Is(err, auth.ErrBadToken) {
			s.opts.Logger.Error("读取登录状态失败", "err", err)
			s.deny(w, r, http.StatusInternalServerError, "读取登录状态失败")
			return
		}
		if err != nil {
			if isAPI(r) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="yuqing"`)
				s.apiError(w, http.StatusUnauthorized, err.Error())
				return
			}
			s.clearCookie(w, r)
			next := "/"
			if r.Method == http.MethodGet {
				next = safeNext(r.URL.RequestURI())
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if unsafeMethod(r.Method) {
			if p.Via == "session" && !auth.CheckCSRF(p.SessionID, csrfValue(r)) {
				s.opts.Auth.AuditRefusal(r.Context(), actorOf(r), "csrf.rejected", r.URL.Path, r.Method)
				s.deny(w, r, http.StatusForbidden, "表单已失效或来源不明（CSRF 校验失败），请刷新页面后重试")
				return
			}
			if !anyRoleUnsafe[r.URL.Path] && !p.Role.AtLeast(auth.RoleHandler) {
				s.forbidden(w, r, auth.RoleHandler)
				return
			}
		}
		pw := &statusWriter{ResponseWriter: w}
		if !unsafeMethod(r.Method) {
			next.ServeHTTP(pw, r)
			return
		}
		rec := &auditRec{action: r.Method + " " + r.URL.Path}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, rec))
		next.ServeHTTP(pw, r)
		if !rec.skip {
			ok := pw.status == 0 || pw.status < 400
			s.opts.Auth.Audit(r.Context(), actorOf(r), rec.action, rec.target, rec.detail, ok)
		}
	})
}

func csrfValue(r *http.Request) string {
	if v := r.Header.Get(csrfHeader); v != "" {
		return v
	}
	// Forms only: a JSON body's token goes in the header.
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
		return r.PostFormValue(csrfField)
	}
	return ""
}

func (s *Server) identify(r *http.Request) (auth.Principal, error) {
	if isAPI(r) {
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				return auth.Principal{}, auth.ErrBadToken
			}
			return s.opts.Auth.Token(r.Context(), strings.TrimSpace(tok))
		}
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return auth.Principal{}, auth.ErrNoSession
	}
	return s.opts.Auth.Session(r.Context(), c.Value)
}

// require wraps a handler that needs at least role min.
func (s *Server) require(min auth.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := principalOf(r.Context())
		if !ok || !p.Role.AtLeast(min) {
			s.forbidden(w, r, min)
			return
		}
		h(w, r)
	}
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, min auth.Role) {
	skipAudit(r)
	s.opts.Auth.AuditRefusal(r.Context(), actorOf(r), "access.denied", r.Method+" "+r.URL.Path, "需要角色 "+string(min))
	s.deny(w, r, http.StatusForbidden, "权限不足：此操作需要「"+min.Name()+"」及以上角色")
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPI(r) {
		s.apiError(w, status, msg)
		return
	}
	s.fail(w, r, status, msg, nil)
}

func (s *Server) cookieSecure(r *http.Request) bool {
	return s.opts.SecureCookie || r.TLS != nil || strings.HasPrefix(s.opts.ExternalURL, "https://")
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: s.cookieSecure(r), SameSite: http.SameSiteStrictMode, MaxAge: int(s.opts.Auth.SessionLifetime().Seconds())})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(sessionCookie); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.cookieSecure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// requestFuncs are the template functions that depend on the caller; New
// registers them with p == nil, render binds them per request.
func requestFuncs(p *auth.Principal) template.FuncMap {
	return template.FuncMap{
		"currentUser": func() *auth.Principal { return p },
		"csrfField": func() template.HTML {
			if p == nil || p.SessionID == "" {
				return ""
			}
			return template.HTML(`<input type="hidden" name="` + csrfField + `" value="` +
				template.HTMLEscapeString(auth.CSRFToken(p.SessionID)) + `">`)
		},
		"can":      func(role string) bool { return p != nil && p.Role.AtLeast(auth.Role(role)) },
		"roleName": func(role string) string { return auth.Role(role).Name() },
	}
}

// pageFor returns the page's template bound to the caller of r.
func (s *Server) pageFor(r *http.Request, page string) (*template.Template, error) {
	t, err := s.pages[page].Clone()
	if err != nil {
		return nil, err
	}
	var caller *auth.Principal
	if p, ok := principalOf(r.Context()); ok {
		caller = &p
	}
	t = t.Funcs(requestFuncs(caller))
	return t.Funcs(template.FuncMap{"stepForm": stepFormFunc(t)}), nil
}

// seesFullText reports whether the caller of r may read unmasked text.
func seesFullText(r *http.Request) bool {
	p, ok := principalOf(r.Context())
	return ok && p.Role.SeesFullText()
}

// maskDetail masks personal data in everything the detail page shows.
// Masking keeps byte lengths, so highlight offsets stay valid.
func maskDetail(d *store.IncidentDetail) {
	d.Incident.Title = privacy.Mask(d.Incident.Title)
	d.Incident.Reply, d.Incident.Outcome = privacy.Mask(d.Incident.Reply), privacy.Mask(d.Incident.Outcome)
	for i := range d.Posts {
		p := &d.Posts[i].Post
		p.Title, p.Body, p.Author = privacy.Mask(p.Title), privacy.Mask(p.Body), privacy.Mask(p.Author)
	}
	for i := range d.Events {
		d.Events[i].Note = privacy.Mask(d.Events[i].Note)
	}
}
