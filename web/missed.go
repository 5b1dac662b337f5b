package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// 补录漏报: a handler enters a post the system missed (or kept only as
// 舆情信息) with a verdict; incident.Service.FileMissed stores it, grades it
// as staff decided and files it at once.

// Bounds of the 补录 form: a whole post fits, the request stays bounded.
const (
	maxMissedBytes = 1 << 20
	maxTitleRunes  = 500
	maxURLRunes    = 2000
)

// errBadSource refuses a source that is neither configured nor 人工补录.
var errBadSource = errors.New("请选择配置中的来源，或「人工补录」")

type missedPage struct {
	Title   string
	Error   string
	Form    missedForm
	Sources []SourceInfo
	// AlreadyIn is the incident the post is already in (ErrAlreadyFiled).
	AlreadyIn string
}

// missedForm holds the fields as entered, to show them again on a refusal.
type missedForm struct {
	URL, Source, PostTitle, Body, Sentiment, Note string
	Category                                      taxonomy.Category
	Level                                         taxonomy.Level
}

func (s *Server) missedForm(w http.ResponseWriter, r *http.Request) {
	s.renderMissed(w, r, http.StatusOK, missedPage{Form: missedForm{URL: strings.TrimSpace(r.URL.Query().Get("url")),
		Source: incident.ManualSource}})
}

func (s *Server) renderMissed(w http.ResponseWriter, r *http.Request, status int, page missedPage) {
	page.Title = "补录漏报"
	for _, src := range s.configuredSources() {
		if src.Name == incident.ManualSource {
			continue
		}
		if src.Title == "" {
			src.Title = s.sourceTitle(src.Name)
		}
		page.Sources = append(page.Sources, src)
	}
	s.render(w, r, status, "missed", page)
}

func (s *Server) fileMissed(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxMissedBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析或内容过长（最多 1 MB）", err)
		return
	}
	f := missedForm{URL: strings.TrimSpace(r.PostForm.Get("url")), Source: r.PostForm.Get("source"),
		PostTitle: strings.TrimSpace(r.PostForm.Get("title")), Body: strings.TrimSpace(r.PostForm.Get("body")),
		Category: taxonomy.Category(r.PostForm.Get("category")), Sentiment: r.PostForm.Get("sentiment"),
		Note: strings.TrimSpace(r.PostForm.Get("note"))}
	level, _ := strconv.Atoi(r.PostForm.Get("level")) // 0: refused as ErrBadLevel
	f.Level = taxonomy.Level(level)
	target := f.URL
	if target == "" {
		target = manualSourceTitle
	}
	audit(r, "incident.missed", target, f.PostTitle)
	refuse := func(msg string) {
		s.renderMissed(w, r, http.StatusBadRequest, missedPage{Error: "补录失败：" + msg, Form: f})
	}
	switch {
	case utf8.RuneCountInString(f.Note) > maxNoteRunes:
		refuse(noteTooLong)
		return
	case len(f.Body) > maxMissedBytes:
		// The CSRF check may have read the form before MaxBytesReader.
		refuse("正文过长（最多 1 MB）")
		return
	case utf8.RuneCountInString(f.PostTitle) > maxTitleRunes:
		refuse("标题过长（最多 500 字）")
		return
	case utf8.RuneCountInString(f.URL) > maxURLRunes:
		refuse("网址过长")
		return
	case f.URL != "" && !webURL(f.URL):
		refuse("网址应以 http:// 或 https:// 开头")
		return
	case !s.knownSource(f.Source):
		refuse(errBadSource.Error())
		return
	}
	m := incident.Missed{URL: f.URL, Source: f.Source, Title: f.PostTitle, Body: f.Body, Category: f.Category,
		Level: f.Level, Sentiment: f.Sentiment, Note: f.Note}
	if m.Source == incident.ManualSource {
		m.Source = ""
	}
	actor := actorName(r)
	inc, err := s.opts.Workflow.FileMissed(r.Context(), actor, m)
	switch ref, refused := errors.AsType[*incident.Refusal](err); {
	case refused:
		s.renderMissed(w, r, http.StatusBadRequest, missedPage{Error: "补录失败：" + ref.Msg, Form: f, AlreadyIn: ref.Incident})
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "补录失败", err)
	default:
		audit(r, "incident.missed", inc.Number, f.PostTitle)
		s.opts.Logger.Info("控制台补录漏报", "incident", inc.Number, "actor", actor)
		http.Redirect(w, r, "/incidents/"+url.PathEscape(inc.Number)+"#log", http.StatusSeeOther)
	}
}

// knownSource reports whether key may be the source of a missed post: a
// configured source or 人工补录.
func (s *Server) knownSource(key string) bool {
	if key == "" || key == incident.ManualSource {
		return true
	}
	for _, src := range s.configuredSources() {
		if src.Name == key {
			return true
		}
	}
	return false
}
