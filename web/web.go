// Package web serves the Chinese console staff work in: the incident list
// (open first, time left to each deadline), an incident's posts with the
// matched terms highlighted and its event log, and the forms that record
// 签收, 跟进 and 办结. Handlers are thin: decode, validate, call the incident
// service, respond. Pages are rendered on the server; fetched text is always
// escaped, never rendered as HTML.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/suggest"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Reader is what the console reads from the store.
type Reader interface {
	Incidents(ctx context.Context, f store.IncidentFilter) (store.IncidentPage, error)
	IncidentDetail(ctx context.Context, number string) (store.IncidentDetail, error)
	// The source-health page: each source's crawl state and the items
	// whose pages keep failing.
	SourceStates(ctx context.Context) ([]store.SourceState, error)
	ItemFailures(ctx context.Context, source string, limit int) ([]store.ItemFailure, error)
	InformationReader // 舆情信息 (information.go)
	report.Reader     // 总览 (overview.go)
}

// Options configure the console.
type Options struct {
	Store    Reader
	Workflow Workflow
	// Classifier grades the texts pasted on the rule try-out page.
	Classifier  *classifier.Classifier
	Logger      *slog.Logger
	Now         func() time.Time
	Location    *time.Location
	SourceTitle func(name string) string
	// Sources lists the configured sources for the source-health page
	// (sources.go); nil: every source with a stored state.
	Sources func() []SourceInfo
	// Posts are the stored posts the rule-suggestion page grades again
	// (suggest.go), SourceGrading how each source's posts are graded;
	// nil Posts: the page shows the model's terms only.
	Posts         suggest.Posts
	SourceGrading func(name string) grader.SourceGrading
	// ProbeSource is the source wizard (/sources/probe): it probes an
	// address and proposes a sources.yaml block; nil: no wizard.
	ProbeSource func(ctx context.Context, url, example string) (*crawler.Discovery, error)
	// Reload rebuilds rules, dictionary and sources from their files and
	// swaps them in (the daemon's SIGHUP); nil: operators get no button.
	Reload func() error
	// Auth authenticates every request (required); see auth.go.
	Auth *auth.Service
	// SecureCookie forces the Secure flag on the session cookie; it is set
	// anyway over TLS or when ExternalURL is https.
	SecureCookie bool
	ExternalURL  string
	// Places are the city's districts and counties (config places) the
	// overview counts posts by, as configured now; nil: none.
	Places func() []string
	// Reports are the stored reports (the 报告 page, reports.go); nil: no
	// such page. ReceiverTitle names a receiver of their delivery for
	// staff (nil: by its configured name).
	Reports       Reports
	ReceiverTitle func(name string) string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed for the client address (login limits, audit log); empty:
	// the peer address is the client's (see resolveClientIP in auth.go).
	TrustedProxies []netip.Prefix
}

// Server is the console.
type Server struct {
	opts          Options
	pages         map[string]*template.Template
	overviewCache figuresCache // overview.go
}

// New parses the templates and returns the console.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Auth == nil {
		return nil, errors.New("控制台缺少账号服务（web.Options.Auth）")
	}
	s := &Server{opts: opts, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"levelLabel":   taxonomy.Level.Label,
		"levelColor":   taxonomy.Level.Color,
		"categoryName": taxonomy.Category.Name,
		"statusName":   StatusName,
		"mask":         privacy.Mask,
		"source":       s.sourceTitle,
		"time":         s.formatTime,
		"deadline":     s.deadline,
		"auditAction":  AuditActionName,
		"auditActions": auditActions,
		"canReload":    func() bool { return opts.Reload != nil },
		"canProbe":     func() bool { return opts.ProbeSource != nil },
		"join":         strings.Join,
	}
	maps.Copy(funcs, requestFuncs(nil)) // bound to the caller in render
	s.actionFuncs(funcs)
	s.labelFuncs(funcs)
	suggestFuncs(funcs)
	s.reportFuncs(funcs)
	// Every template but the layout and the parts (_*.html, which every
	// page may use) is a page drawn inside the layout.
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range files {
		page := strings.TrimSuffix(path.Base(file), ".html")
		if page == "layout" || strings.HasPrefix(page, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/_*.html", file)
		if err != nil {
			return nil, fmt.Errorf("解析控制台模板 %s: %w", page, err)
		}
		s.pages[page] = t
	}
	return s, nil
}

// Handler returns the console's routes, protected against cross-origin form posts.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.require(auth.RoleViewer, s.overview))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /reload", s.require(auth.RoleOperator, s.reload))
	mux.HandleFunc("GET /account/password", s.require(auth.RoleViewer, s.passwordForm))
	mux.HandleFunc("POST /account/password", s.require(auth.RoleViewer, s.changePassword))
	mux.HandleFunc("GET /incidents", s.require(auth.RoleViewer, s.list))
	mux.HandleFunc("GET /incidents/{number}", s.require(auth.RoleViewer, s.detail))
	mux.HandleFunc("GET /incidents/{number}/print", s.require(auth.RoleViewer, s.printSheet))
	s.actionRoutes(mux) // the forms of the workflow's steps (actions.go)
	s.labelRoutes(mux)  // 舆情信息 and 补录漏报 (information.go, missed.go)
	mux.HandleFunc("GET /sources", s.require(auth.RoleViewer, s.sources))
	mux.HandleFunc("GET /sources/probe", s.require(auth.RoleOperator, s.probe))
	mux.HandleFunc("POST /sources/probe", s.require(auth.RoleOperator, s.probe))
	mux.HandleFunc("GET /try", s.require(auth.RoleOperator, s.try))
	mux.HandleFunc("POST /try", s.require(auth.RoleOperator, s.try))
	mux.HandleFunc("GET /rules/suggest", s.require(auth.RoleOperator, s.rulesSuggest))
	s.reportRoutes(mux) // 报告 (reports.go)
	s.adminRoutes(mux)
	s.apiRoutes(mux)
	// Every route needs a login, every form its session's CSRF token (auth.go).
	return http.NewCrossOriginProtection().Handler(s.authenticate(mux))
}

type detailPage struct {
	Title  string
	D      store.IncidentDetail
	Posts  []postView
	Error  string
	Actor  string
	Note   string
	Reason string
	Target string
	Action string // the key of the step whose form was refused: it shows Note again
	Done   string // the name of the step just taken (?done=KEY), for the notice
	// Forms are the steps the caller may take that the incident's stage
	// calls for, More the others it may take (under 更多操作); MoreOpen
	// unfolds them when one of them was refused.
	Forms, More []stepForm
	MoreOpen    bool
}

type postView struct {
	store.IncidentPost
	TitleParts []Segment
	BodyParts  []Segment
	// Part and Parts (1-based) page a long body, Parts is 1 for most
	// posts; Prev and Next are the neighbouring parts, 0 where there is none.
	Part, Parts, Prev, Next int
	// KeptChars is how much of a body the crawler cut is stored.
	KeptChars int
}

func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	s.renderDetail(w, r, http.StatusOK, detailPage{})
}

// printPage is the 处置单 of one incident: its facts, deadlines, posts
// and log, to print for the file. What is printed leaves the system, so
// personal data is masked whoever prints it.
type printPage struct {
	Title   string
	D       store.IncidentDetail
	Printed time.Time
}

func (s *Server) printSheet(w http.ResponseWriter, r *http.Request) {
	d, ok := s.readDetail(w, r)
	if !ok {
		return
	}
	maskDetail(&d)
	s.render(w, r, http.StatusOK, "print", printPage{Title: "处置单 " + d.Incident.Number, D: d, Printed: s.opts.Now()})
}

// readDetail reads the incident the path names, or answers 404 or 500.
func (s *Server) readDetail(w http.ResponseWriter, r *http.Request) (store.IncidentDetail, bool) {
	number := r.PathValue("number")
	d, err := s.opts.Store.IncidentDetail(r.Context(), number)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "事件 "+number+" 不存在", nil)
		return d, false
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取事件失败", err)
		return d, false
	}
	return d, true
}

func (s *Server) renderDetail(w http.ResponseWriter, r *http.Request, status int, page detailPage) {
	d, ok := s.readDetail(w, r)
	if !ok {
		return
	}
	if !seesFullText(r) {
		maskDetail(&d) // viewers: personal data masked here too
	}
	page.Title, page.D = d.Incident.Number+" "+privacy.Mask(d.Incident.Title), d
	// ?post=ID&part=K pages through one long post; the others show part 1.
	partOf, _ := strconv.ParseInt(r.URL.Query().Get("post"), 10, 64)
	wantPart, _ := strconv.Atoi(r.URL.Query().Get("part"))
	for _, p := range d.Posts {
		starts := BodyParts(p.Post.Body)
		k := 0
		if p.Post.ID == partOf {
			k = min(max(wantPart, 1), len(starts)) - 1
		}
		page.Posts = append(page.Posts, postView{IncidentPost: p,
			TitleParts: Highlight(p.Post.Title, p.Grade.Matches, "title"),
			BodyParts:  HighlightPart(p.Post.Body, p.Grade.Matches, "body", starts, k),
			Part:       k + 1, Parts: len(starts), Prev: k, Next: (k + 2) % (len(starts) + 1)})
		if p.Post.BodyTruncated() {
			page.Posts[len(page.Posts)-1].KeptChars = utf8.RuneCountInString(p.Post.Body)
		}
	}
	caller, ok := principalOf(r.Context())
	for _, f := range s.stepForms(page, caller, ok) {
		if f.Next {
			page.Forms = append(page.Forms, f)
		} else {
			page.More = append(page.More, f)
			page.MoreOpen = page.MoreOpen || f.Refill
		}
	}
	if st, found := incident.StepByKey(s.steps(), r.URL.Query().Get("done")); found && page.Error == "" {
		page.Done = st.Name
	}
	s.render(w, r, status, "detail", page)
}

// render writes page with data for the caller of r (the page's menu,
// CSRF field and masking follow the caller's role).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store") // pages carry personal data and CSRF tokens
	var b strings.Builder
	t, err := s.pageFor(r, page)
	if err == nil {
		err = t.Execute(&b, data)
	}
	if err != nil {
		s.opts.Logger.Error("渲染页面失败", "page", page, "err", err)
		http.Error(w, "页面渲染失败", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil {
		s.opts.Logger.Error(msg, "err", err)
	}
	s.render(w, r, status, "error", struct{ Title, Message string }{"出错了", msg})
}

func (s *Server) sourceTitle(name string) string {
	if name == incident.ManualSource {
		return manualSourceTitle
	}
	if s.opts.SourceTitle != nil {
		if t := s.opts.SourceTitle(name); t != "" {
			return t
		}
	}
	return name
}

func (s *Server) formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.opts.Location).Format("2006-01-02 15:04")
}

// Deadline is a deadline as the console shows it.
type Deadline struct {
	Text  string // 剩余 3小时12分 / 已超时 25分 / 已完成
	Class string // ok, soon, overdue, done, none
	At    string
}

// deadline describes due against done (the time the stage was met, or zero).
func (s *Server) deadline(due, done time.Time, open bool) Deadline {
	if due.IsZero() {
		return Deadline{Text: "—", Class: "none"}
	}
	at := s.formatTime(due)
	if !done.IsZero() {
		if done.After(due) {
			return Deadline{Text: "已完成（超时 " + taxonomy.Duration(done.Sub(due)) + "）", Class: "done late", At: at}
		}
		return Deadline{Text: "已按时完成", Class: "done", At: at}
	}
	if !open {
		return Deadline{Text: "已办结", Class: "done", At: at}
	}
	left := due.Sub(s.opts.Now())
	switch {
	case left < 0:
		return Deadline{Text: "已超时 " + taxonomy.Duration(-left), Class: "overdue", At: at}
	case left < 2*time.Hour:
		return Deadline{Text: "剩余 " + taxonomy.Duration(left), Class: "soon", At: at}
	default:
		return Deadline{Text: "剩余 " + taxonomy.Duration(left), Class: "ok", At: at}
	}
}

// StatusName is the Chinese name of an incident status.
func StatusName(st model.Status) string { return st.Name() }
