package web

import (
	"html/template"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The console side of the staff decisions that become training labels
// (incident/labels.go): 确认疑似 and 更正类别 are incident actions
// (steps of incident.Steps, actions.go), 补录漏报 has its own form (missed.go), and the 舆情信息
// the grader keeps apart from incidents has its own list (information.go).

// manualSourceTitle names the source of a post a handler entered by hand.
const manualSourceTitle = "人工补录"

// excerptRunes is how much of a body a list row shows.
const excerptRunes = 120

func (s *Server) labelRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /information", s.require(auth.RoleViewer, s.information))
	mux.HandleFunc("POST /posts/{id}/attach", s.require(auth.RoleHandler, s.attachPost))
	mux.HandleFunc("GET /missed", s.require(auth.RoleHandler, s.missedForm))
	mux.HandleFunc("POST /missed", s.require(auth.RoleHandler, s.fileMissed))
}

func (s *Server) labelFuncs(funcs template.FuncMap) {
	funcs["sentimentName"] = taxonomy.SentimentName
	funcs["ruleName"] = s.ruleName
	funcs["decidedByName"] = taxonomy.DecidedByName
	funcs["categories"] = func() []taxonomy.Category { return taxonomy.Categories }
	funcs["sentiments"] = func() []string { return taxonomy.Sentiments }
	funcs["webURL"] = webURL
	funcs["excerpt"] = excerpt
}

// webURL reports whether u can be linked as the original post: a post
// entered by hand without an address has a "manual:" key instead.
func webURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// excerpt is the start of a body for a list row, on one line, with
// personal data masked. It masks before it cuts, so a number the cut
// splits is never shown in part unmasked; only a bounded start is masked,
// as a crawled body can be long.
func excerpt(body string) string {
	const scan = 8 * excerptRunes
	cut := len(body)
	if n := 0; utf8.RuneCountInString(body) > scan {
		for i := range body {
			if n == scan {
				cut = i
				break
			}
			n++
		}
	}
	masked := privacy.Mask(body[:cut])
	var b strings.Builder
	n, space := 0, false
	for _, r := range masked {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if n == excerptRunes {
			b.WriteString("…")
			return b.String()
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n++
	}
	if cut < len(body) {
		b.WriteString("…")
	}
	return b.String()
}

// ruleName is the Chinese name of a rule of the running rules for staff,
// or a generic one (a rule since removed, or no classifier).
func (s *Server) ruleName(id string) string {
	if s.opts.Classifier != nil {
		if n := s.opts.Classifier.Engine().RuleName(id); n != "" {
			return n
		}
	}
	return "研判规则"
}
