package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
)

// 报告: the stored 日报/周报/月报/专报 (built on schedule or by hand), each
// opened as it was built and downloaded in each format; operators build
// one now.

// Reports are the stored reports (reportsched.Archive).
type Reports interface {
	List(ctx context.Context, f store.ReportFilter) ([]store.StoredReport, error)
	// Open returns a stored report and the report as it was built.
	Open(ctx context.Context, id int64) (store.StoredReport, report.Report, error)
	// BuildNow builds req as of now and stores it; store.ErrDuplicate
	// when the scheduler's report of that period is there.
	BuildNow(ctx context.Context, req report.Request) (int64, error)
	// Write writes a report in a format with the configured font.
	Write(w io.Writer, rep report.Report, f report.Format) error
}

// reportsPageSize is how many reports one page of the list shows.
const reportsPageSize = 30

func (s *Server) reportRoutes(mux *http.ServeMux) {
	if s.opts.Reports == nil {
		return
	}
	mux.HandleFunc("GET /reports", s.require(auth.RoleViewer, s.reportList))
	mux.HandleFunc("POST /reports", s.require(auth.RoleOperator, s.buildReport))
	mux.HandleFunc("GET /reports/{id}", s.require(auth.RoleViewer, s.reportDetail))
	mux.HandleFunc("GET /reports/{id}/{format}", s.require(auth.RoleViewer, s.reportFile))
}

// incidentNumber is the form of an incident number (store.Tx.CreateIncident).
var incidentNumber = regexp.MustCompile(`^YQ-\d{8}-\d{4,}$`)

// reportKinds are the kinds in the console's order.
var reportKinds = []report.Kind{report.Daily, report.Weekly, report.Monthly, report.Special}

type reportsPage struct {
	Title   string
	Kinds   []report.Kind
	Kind    string // the filter
	Reports []store.StoredReport
	NextURL string
	Error   string
	Form    buildForm
}

// buildForm is the 立即生成 form as entered.
type buildForm struct {
	Kind, Date, Incident string
}

func (s *Server) reportList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := reportsPage{Kind: q.Get("kind"),
		Form: buildForm{Kind: string(report.Daily), Date: s.opts.Now().In(s.opts.Location).AddDate(0, 0, -1).Format(time.DateOnly)}}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	s.renderReports(w, r, http.StatusOK, page, before)
}

func (s *Server) renderReports(w http.ResponseWriter, r *http.Request, status int, page reportsPage, before int64) {
	page.Title, page.Kinds = "报告", reportKinds
	if _, err := report.ParseKind(page.Kind); err != nil {
		page.Kind = ""
	}
	rs, err := s.opts.Reports.List(r.Context(), store.ReportFilter{Kind: page.Kind, BeforeID: before, Limit: reportsPageSize})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取报告列表失败", err)
		return
	}
	page.Reports = rs
	if len(rs) == reportsPageSize {
		v := url.Values{"before": {strconv.FormatInt(rs[len(rs)-1].ID, 10)}}
		if page.Kind != "" {
			v.Set("kind", page.Kind)
		}
		page.NextURL = "/reports?" + v.Encode()
	}
	s.render(w, r, status, "reports", page)
}

// buildReport builds the report the form asks for now, stores it and
// opens it.
func (s *Server) buildReport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	f := buildForm{Kind: r.PostForm.Get("kind"), Date: strings.TrimSpace(r.PostForm.Get("date")),
		Incident: strings.TrimSpace(r.PostForm.Get("incident"))}
	req, err := s.buildRequest(f)
	target := req.Kind.Title() + " " + f.Date
	if req.Kind == report.Special {
		target = req.Kind.Title() + " " + req.Incident
	}
	audit(r, "report.build", strings.TrimSpace(target), "")
	if err != nil {
		s.renderReports(w, r, http.StatusBadRequest, reportsPage{Form: f, Error: err.Error()}, 0)
		return
	}
	id, err := s.opts.Reports.BuildNow(r.Context(), req)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		s.renderReports(w, r, http.StatusConflict, reportsPage{Form: f, Error: "这一期的" + req.Kind.Title() +
			"已按计划生成并发送，不能用手工生成的替换；请在列表中打开它"}, 0)
		return
	case errors.Is(err, store.ErrNotFound):
		s.renderReports(w, r, http.StatusBadRequest, reportsPage{Form: f, Error: "事件 " + req.Incident + " 不存在"}, 0)
		return
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "生成报告失败", err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/reports/%d", id), http.StatusSeeOther)
}

// buildRequest checks the form: a known kind, a date not in the future,
// an incident number for a 专报.
func (s *Server) buildRequest(f buildForm) (report.Request, error) {
	kind, err := report.ParseKind(f.Kind)
	if err != nil {
		return report.Request{}, errors.New("请选择报告种类：日报、周报、月报或专报")
	}
	req := report.Request{Kind: kind}
	if kind == report.Special {
		if !incidentNumber.MatchString(f.Incident) {
			return req, errors.New("专报请填写事件编号，如 YQ-20261123-0001")
		}
		req.Incident, req.Date = f.Incident, s.opts.Now()
		return req, nil
	}
	day, err := time.ParseInLocation(time.DateOnly, f.Date, s.opts.Location)
	if err != nil {
		return req, errors.New("请填写日期，如 2026-11-23")
	}
	if day.After(s.opts.Now()) {
		return req, errors.New("日期不能晚于今天")
	}
	req.Date = day
	return req, nil
}

type reportPage struct {
	Title   string
	Stored  store.StoredReport
	Report  report.Report
	Formats []reportFormat
}

// reportFormat is a download of a report.
type reportFormat struct {
	Format report.Format
	Name   string // 下载 Word 文档
}

var reportFormats = []reportFormat{{report.DOCX, "Word 文档"}, {report.XLSX, "Excel 表格"}, {report.HTML, "网页（可打印）"}}

func (s *Server) reportDetail(w http.ResponseWriter, r *http.Request) {
	sr, rep, ok := s.openReport(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "report", reportPage{Title: rep.Title, Stored: sr, Report: rep, Formats: reportFormats})
}

// reportFile writes the report in a format: /view shows the HTML in the
// browser, /docx, /xlsx and /html download a file.
func (s *Server) reportFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("format")
	disposition := "attachment"
	if name == "view" {
		name, disposition = string(report.HTML), "inline"
	}
	f, err := report.ParseFormat(name)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "没有这种格式的报告", nil)
		return
	}
	_, rep, ok := s.openReport(w, r)
	if !ok {
		return
	}
	var b strings.Builder
	if err := s.opts.Reports.Write(&b, rep, f); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "生成报告文件失败", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": rep.Title + f.Ext()}))
	// The report's own page: its styles inline, charts drawn in SVG, no script.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(b.String()))
}

// openReport reads the report the path names, or answers 404 or 500.
func (s *Server) openReport(w http.ResponseWriter, r *http.Request) (store.StoredReport, report.Report, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "没有这份报告", nil)
		return store.StoredReport{}, report.Report{}, false
	}
	sr, rep, err := s.opts.Reports.Open(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "没有这份报告", nil)
		return sr, rep, false
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "读取报告失败", err)
		return sr, rep, false
	}
	return sr, rep, true
}

// reportFuncs are the template functions of the report pages.
func (s *Server) reportFuncs(funcs map[string]any) {
	funcs["canReports"] = func() bool { return s.opts.Reports != nil }
	funcs["kindTitle"] = func(k any) string { return report.Kind(fmt.Sprint(k)).Title() }
	funcs["reportPeriod"] = s.reportPeriod
	funcs["deliveryStatus"] = s.deliveryStatus
	funcs["deliverySummary"] = deliverySummary
	funcs["receiverTitle"] = func(name string) string {
		if s.opts.ReceiverTitle == nil {
			return name
		}
		return s.opts.ReceiverTitle(name)
	}
}

// reportPeriod says in Chinese what a stored report covers, as its title
// does.
func (s *Server) reportPeriod(sr store.StoredReport) string {
	kind := report.Kind(sr.Kind)
	if kind == report.Special {
		return "事件 " + sr.Incident
	}
	p, err := report.Request{Kind: kind, Date: sr.PeriodStart}.Span(s.opts.Location)
	if err != nil {
		return s.formatTime(sr.PeriodStart)
	}
	return p.Name()
}

// deliveryStatus says in Chinese where one delivery stands.
func (s *Server) deliveryStatus(d store.ReportDelivery) string {
	switch {
	case !d.SentAt.IsZero():
		return "已发送（" + s.formatTime(d.SentAt) + "）"
	case d.Attempts == 0:
		return "待发送"
	case d.GivenUp():
		return fmt.Sprintf("发送失败，已放弃（共尝试 %d 轮）", d.Attempts)
	}
	return fmt.Sprintf("发送失败，将于 %s 重试（已尝试 %d 轮）", s.formatTime(d.NextAttemptAt), d.Attempts)
}

// deliverySummary is the list's one-word status of a report's deliveries.
func deliverySummary(sr store.StoredReport) string {
	if len(sr.Deliveries) == 0 {
		if sr.Scheduled {
			return "无接收方"
		}
		return "手工生成，未发送"
	}
	sent, failed := 0, 0
	for _, d := range sr.Deliveries {
		switch {
		case !d.SentAt.IsZero():
			sent++
		case d.Attempts > 0:
			failed++
		}
	}
	switch {
	case sent == len(sr.Deliveries):
		return "已全部发送"
	case failed > 0:
		return fmt.Sprintf("%d 个接收方发送失败", failed)
	}
	return fmt.Sprintf("已发送 %d/%d", sent, len(sr.Deliveries))
}
