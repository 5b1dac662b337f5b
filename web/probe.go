package web

import (
	"net/http"
	"strings"

	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/privacy"
)

// probePage is the source wizard: an address in, the recognised site, what
// the proposal extracts and the sources.yaml block out.
type probePage struct {
	Title string
	URL   string
	// Example is the address of one item's page (for a JSON list).
	Example  string
	Error    string
	Enabled  bool
	D        *crawler.Discovery
	Method   string
	TrialErr string
	// TrialBody is the trial item's body, masked and cut for the page.
	TrialBody string
}

// maxProbeURL bounds the address typed into the wizard.
const maxProbeURL = 2000

// trialBodyChars is how much of the trial item's body the page shows.
const trialBodyChars = 400

func (s *Server) probe(w http.ResponseWriter, r *http.Request) {
	page := probePage{Title: "添加数据源", Enabled: s.opts.ProbeSource != nil}
	if r.Method != http.MethodPost {
		s.render(w, r, http.StatusOK, "probe", page)
		return
	}
	if !page.Enabled {
		s.fail(w, r, http.StatusServiceUnavailable, "数据源试探不可用", nil)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	page.URL = strings.TrimSpace(r.PostForm.Get("url"))
	page.Example = strings.TrimSpace(r.PostForm.Get("example"))
	audit(r, "source.probe", page.URL, page.Example)
	switch {
	case page.URL == "":
		page.Error = "请填写要试探的网址"
	case len(page.URL) > maxProbeURL || len(page.Example) > maxProbeURL:
		page.Error = "网址过长"
	}
	if page.Error != "" {
		s.render(w, r, http.StatusBadRequest, "probe", page)
		return
	}
	s.opts.Logger.Info("控制台试探数据源", "user", actorName(r), "url", page.URL)
	d, err := s.opts.ProbeSource(r.Context(), page.URL, page.Example)
	if err != nil {
		page.Error = privacy.Mask(err.Error())
		s.render(w, r, http.StatusUnprocessableEntity, "probe", page)
		return
	}
	page.D = d
	switch d.Method {
	case crawler.KindRSS, crawler.KindAtom:
		page.Method = "订阅（kind: " + d.Method + "）"
	case "selectors":
		page.Method = "根据页面结构推断的选择器"
	default:
		page.Method = "预设 " + d.Method
	}
	if d.TrialErr != nil {
		page.TrialErr = privacy.Mask(d.TrialErr.Error())
	}
	if d.Trial != nil {
		page.TrialBody = privacy.Truncate(privacy.Mask(strings.Join(strings.Fields(d.Trial.Body), " ")), trialBodyChars)
	}
	s.render(w, r, http.StatusOK, "probe", page)
}
