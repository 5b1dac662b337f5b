package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/model"
)

// tryPage lets an operator paste a text and see how the running rules
// segment and grade it, before touching a rule file.
type tryPage struct {
	Title       string
	Form        tryForm
	Done        bool
	Error       string
	Version     string
	Result      classifier.Result
	TitleTokens []classifier.Token
	BodyTokens  []classifier.Token
	TitleParts  []Segment
	BodyParts   []Segment
}

type tryForm struct {
	PostTitle string
	Body      string
	Replies   string
	Views     string
	Reposts   string
}

const maxTryText = 20000 // characters; a post, not a corpus

func (s *Server) try(w http.ResponseWriter, r *http.Request) {
	page := tryPage{Title: "规则试算"}
	if s.opts.Classifier == nil {
		s.fail(w, r, http.StatusServiceUnavailable, "规则试算不可用：未加载研判规则", nil)
		return
	}
	eng := s.opts.Classifier.Engine()
	page.Version = eng.Version()
	if r.Method != http.MethodPost {
		s.render(w, r, http.StatusOK, "try", page)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	audit(r, "rules.try", "", "")
	f := tryForm{PostTitle: r.PostForm.Get("title"), Body: r.PostForm.Get("body"),
		Replies: r.PostForm.Get("replies"), Views: r.PostForm.Get("views"), Reposts: r.PostForm.Get("reposts")}
	page.Form = f
	counts, bad := make([]int, 3), ""
	for i, v := range []string{f.Replies, f.Views, f.Reposts} {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad = "回复、浏览、转发数必须是非负整数"
			break
		}
		counts[i] = n
	}
	switch {
	case bad != "":
		page.Error = bad
	case strings.TrimSpace(f.PostTitle) == "" && strings.TrimSpace(f.Body) == "":
		page.Error = "请填写标题或正文"
	case len([]rune(f.PostTitle))+len([]rune(f.Body)) > maxTryText:
		page.Error = "文本过长（最多 20000 字）"
	}
	if page.Error != "" {
		s.render(w, r, http.StatusBadRequest, "try", page)
		return
	}
	// Grade with the engine whose version is shown, even if a reload lands meanwhile.
	page.Result = eng.Grade(classifier.Post{Title: f.PostTitle, Body: f.Body, Source: "console",
		Replies: counts[0], Views: counts[1], Reposts: counts[2]})
	page.TitleTokens, page.BodyTokens = eng.Segment(f.PostTitle), eng.Segment(f.Body)
	var ms []model.Match
	for _, m := range page.Result.Matches {
		ms = append(ms, model.Match{Rule: m.Rule, Term: m.Term, Field: m.Field, Start: m.Start, End: m.End})
	}
	page.TitleParts, page.BodyParts = Highlight(f.PostTitle, ms, "title"), Highlight(f.Body, ms, "body")
	page.Done = true
	s.render(w, r, http.StatusOK, "try", page)
}
