package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/suggest"
)

// The rule-suggestion page (/rules/suggest, operators): recent stored posts
// on which the learned model had a say, and the model's strongest terms no
// rule contains with a rules snippet to paste, the same as `yuqing rules
// suggest` prints (package suggest computes both).

const (
	suggestPageSize = 20   // posts per page
	suggestMaxScan  = 5000 // newest posts graded again per request
	suggestTerms    = 10   // terms per category and band
)

// suggestDays are the windows the page offers, in days; the first is the
// default.
var suggestDays = []int{30, 7, 90}

type suggestPage struct {
	Title     string
	Version   string
	NoModel   string // why there are no suggestions ("" when there are)
	NoStore   bool   // the console reads no posts
	Days      int
	DayChoice []int
	Stored    suggest.StoredPage
	Page      int // 1-based
	Terms     suggest.Terms
}

func (s *Server) rulesSuggest(w http.ResponseWriter, r *http.Request) {
	if s.opts.Classifier == nil {
		s.fail(w, r, http.StatusServiceUnavailable, "规则建议不可用：未加载研判规则", nil)
		return
	}
	q := r.URL.Query()
	page := suggestPage{Title: "规则建议", Days: suggestDays[0], DayChoice: suggestDays, Page: 1, NoStore: s.opts.Posts == nil}
	if d := q.Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 366 {
			s.fail(w, r, http.StatusBadRequest, "天数参数无效", nil)
			return
		}
		page.Days = n
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > suggestMaxScan/suggestPageSize {
			s.fail(w, r, http.StatusBadRequest, "页码参数无效", nil)
			return
		}
		page.Page = n
	}
	// The engine whose version is shown, even if a reload lands meanwhile.
	eng := s.opts.Classifier.Engine()
	page.Version = eng.Version()
	terms, err := suggest.ModelTerms(eng, suggestTerms)
	if errors.Is(err, classifier.ErrNoModel) {
		page.NoModel = err.Error()
		s.render(w, r, http.StatusOK, "suggest", page)
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "生成规则建议失败", err)
		return
	}
	page.Terms = terms
	if s.opts.Posts != nil {
		now := s.opts.Now()
		page.Stored, err = suggest.Stored(r.Context(), s.opts.Posts, eng, suggest.StoredQuery{
			Since: now.AddDate(0, 0, -page.Days), Now: now, Offset: (page.Page - 1) * suggestPageSize,
			Limit: suggestPageSize, MaxScan: suggestMaxScan, Source: s.opts.SourceGrading})
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "读取近期帖子失败", err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "suggest", page)
}

// suggestFuncs are the template functions of the page.
func suggestFuncs(funcs template.FuncMap) {
	funcs["modelWeight"] = classifier.WeightText
	funcs["percent"] = func(p float64) string { return strconv.Itoa(int(p*100+0.5)) + "%" }
	funcs["add"] = func(a, b int) int { return a + b }
}
