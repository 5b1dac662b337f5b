package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// InformationReader lists every collected post (the 舆情信息 page): by
// default the relevant posts the grader kept apart from incidents
// (neutral or positive, 一般), and on request every post, relevant or
// not, with its grade and incident, searched by word.
type InformationReader interface {
	Posts(ctx context.Context, f store.PostFilter) (store.PostPage, error)
}

// maxQueryRunes bounds the search text.
const maxQueryRunes = 100

// postQuery is the post list's query string, decoded and checked: the
// same parameters on the console page and in the JSON API.
//
//	scope=all|relevant|incident|irrelevant ("": 舆情信息)  q=TEXT
//	after=CURSOR  limit=1..1000
//	and the filters both lists share (listForm): level, category, source,
//	channel, sentiment, from, to
type postQuery struct {
	store.PostFilter
	Scope string // as in the query string; "" is 舆情信息
	Query string
	Page  int // 1-based, for display: the cursor is the position
	Form  listForm
}

// postScopes are the 范围 choices, in the order the page offers them.
var postScopes = []struct {
	Value string
	Name  string
	Scope store.PostScope
}{
	{"", "舆情信息", store.ScopeInformation},
	{"all", "全部帖子", store.ScopeAll},
	{"relevant", "相关", store.ScopeRelevant},
	{"incident", "已立案", store.ScopeIncident},
	{"irrelevant", "不相关", store.ScopeIrrelevant},
}

func (s *Server) parsePostQuery(q url.Values) (postQuery, error) {
	pq := postQuery{Scope: q.Get("scope"), Query: strings.TrimSpace(q.Get("q")), Page: 1}
	f := &pq.PostFilter
	ok := false
	for _, sc := range postScopes {
		if sc.Value == pq.Scope {
			f.Scope, ok = sc.Scope, true
		}
	}
	if !ok {
		return pq, errQuery{"范围参数无效"}
	}
	if utf8.RuneCountInString(pq.Query) > maxQueryRunes {
		return pq, errQuery{"搜索内容过长"}
	}
	f.Words = s.searchWords(pq.Query)
	if pq.Query != "" && len(f.Words) == 0 {
		return pq, errQuery{"搜索内容应包含文字或数字"}
	}
	var err error
	if f.ListFilter, pq.Form, err = s.parseListFilter(q); err != nil {
		return pq, err
	}
	f.Level, f.Category, f.Source = pq.Form.Level, pq.Form.Category, pq.Form.Source
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return pq, errQuery{"每页条数应在 1 到 1000 之间"}
		}
		f.Limit = n
	}
	if q.Has("offset") {
		return pq, errQuery{"offset 参数已停用：请用上一页返回的 next 作为 after 翻页"}
	}
	f.After = q.Get("after")
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && f.After != "" {
		pq.Page = p
	}
	return pq, nil
}

// searchWords cuts a search as the grader cuts the posts it indexes
// (classifier.Engine.SearchWords); without rules loaded, at spaces.
func (s *Server) searchWords(q string) []string {
	if q == "" {
		return nil
	}
	if s.opts.Classifier != nil {
		return s.opts.Classifier.Engine().SearchWords(q)
	}
	var out []string
	for _, w := range strings.Fields(q) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, w)
		}
	}
	return out
}

// posts reads the page of posts r's query asks for; a bad parameter is an
// errQuery.
func (s *Server) posts(r *http.Request) (postQuery, store.PostPage, error) {
	pq, err := s.parsePostQuery(r.URL.Query())
	if err != nil {
		return pq, store.PostPage{}, err
	}
	page, err := s.opts.Store.Posts(r.Context(), pq.PostFilter)
	if errors.Is(err, store.ErrBadCursor) {
		return pq, page, errQuery{"分页位置无效，请回到第一页"}
	}
	return pq, page, err
}

type informationPage struct {
	Title    string
	Q        postQuery
	Scopes   any
	Rows     []informationRow
	Page     store.PostPage
	From, To int    // positions of the first and last post shown, 1-based
	NextURL  string // "" on the last page
	FirstURL string // "" on the first page
}

// informationRow is one post as the list shows it: texts masked for every
// role, as on the incident list, the searched words marked.
type informationRow struct {
	store.GradedPost
	Title   []Segment
	Excerpt []Segment
}

func (s *Server) information(w http.ResponseWriter, r *http.Request) {
	pq, page, err := s.posts(r)
	var bad errQuery
	if errors.As(err, &bad) {
		s.fail(w, r, http.StatusBadRequest, bad.msg, nil)
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取舆情信息失败", err)
		return
	}
	ip := informationPage{Title: "舆情信息", Q: pq, Scopes: postScopes, Page: page}
	for _, p := range page.Posts {
		ip.Rows = append(ip.Rows, informationRow{GradedPost: p,
			Title:   markWords(privacy.Mask(p.Post.Title), pq.Words),
			Excerpt: markWords(hitExcerpt(p.Post.Body, pq.Words), pq.Words)})
	}
	size := pq.Limit
	if size == 0 {
		size = store.DefaultPageSize
	}
	if len(page.Posts) > 0 {
		ip.From = (pq.Page-1)*size + 1
		ip.To = ip.From + len(page.Posts) - 1
	}
	q := r.URL.Query()
	q.Del("after")
	q.Del("page")
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			q.Del(k)
		}
	}
	if pq.After != "" {
		ip.FirstURL = "/information"
		if len(q) > 0 {
			ip.FirstURL += "?" + q.Encode()
		}
	}
	if page.Next != "" {
		q.Set("after", page.Next)
		q.Set("page", strconv.Itoa(pq.Page+1))
		ip.NextURL = "/information?" + q.Encode()
	}
	s.render(w, r, http.StatusOK, "information", ip)
}

// hitExcerpt is excerpt of the body from a little before the first
// searched word it holds (the start when none): masked before it is cut,
// so a number the cut splits is never shown in part unmasked.
func hitExcerpt(body string, words []string) string {
	at := -1
	for _, w := range words {
		if i := strings.Index(body, w); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	// Within the first part excerpt shows, the plain excerpt has it.
	if at < 0 || utf8.RuneCountInString(body[:at]) < excerptRunes/2 {
		return excerpt(body)
	}
	// Mask a window reaching well before the word, then drop its start:
	// a number cut by the window's edge lies in the part dropped.
	from := at
	for n := 0; from > 0 && n < 60; n++ {
		_, size := utf8.DecodeLastRuneInString(body[:from])
		from -= size
	}
	masked := excerpt(body[from:])
	keep := []rune(masked)
	drop := min(40, len(keep))
	return "…" + strings.TrimLeft(string(keep[drop:]), " ")
}

// markWords splits text at the occurrences of words, marking them.
func markWords(text string, words []string) []Segment {
	var out []Segment
	for pos := 0; pos < len(text); {
		at, n := -1, 0
		for _, w := range words {
			if i := strings.Index(text[pos:], w); w != "" && i >= 0 && (at < 0 || i < at || i == at && len(w) > n) {
				at, n = i, len(w)
			}
		}
		if at < 0 {
			out = append(out, Segment{Text: text[pos:]})
			break
		}
		if at > 0 {
			out = append(out, Segment{Text: text[pos : pos+at]})
		}
		out = append(out, Segment{Text: text[pos+at : pos+at+n], Mark: true})
		pos += at + n
	}
	return out
}
