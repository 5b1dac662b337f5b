package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// InformationReader lists 舆情信息: relevant posts the grader kept apart
// from incidents (neutral or positive, 一般).
type InformationReader interface {
	Information(ctx context.Context, f store.InformationFilter) ([]store.GradedPost, int, error)
}

// informationPageSize is how many posts one page of 舆情信息 lists.
const informationPageSize = 50

// maxQueryRunes bounds the search text.
const maxQueryRunes = 100

type informationPage struct {
	Title string
	Query string
	Rows  []informationRow
	Total int
	// Page is 1-based; From and To number the rows shown (1-based).
	Page, Pages, From, To int
	Prev, Next            string // links to the neighbouring pages, "" where there is none
}

// informationRow is one post as the list shows it: texts masked for every
// role, as on the incident list.
type informationRow struct {
	store.GradedPost
	Title   string
	Excerpt string
}

func (s *Server) information(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := informationPage{Title: "舆情信息", Query: strings.TrimSpace(q.Get("q")), Page: 1}
	if utf8.RuneCountInString(page.Query) > maxQueryRunes {
		s.fail(w, r, http.StatusBadRequest, "搜索内容过长", nil)
		return
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, http.StatusBadRequest, "页码参数无效", nil)
			return
		}
		page.Page = n
	}
	posts, total, err := s.opts.Store.Information(r.Context(), store.InformationFilter{Query: page.Query,
		Limit: informationPageSize, Offset: (page.Page - 1) * informationPageSize})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取舆情信息失败", err)
		return
	}
	page.Total, page.Pages = total, (total+informationPageSize-1)/informationPageSize
	for _, p := range posts {
		page.Rows = append(page.Rows, informationRow{GradedPost: p, Title: privacy.Mask(p.Post.Title), Excerpt: excerpt(p.Post.Body)})
	}
	if len(page.Rows) > 0 {
		page.From = (page.Page-1)*informationPageSize + 1
		page.To = page.From + len(page.Rows) - 1
	}
	link := func(n int) string {
		v := url.Values{}
		if page.Query != "" {
			v.Set("q", page.Query)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/information"
		}
		return "/information?" + v.Encode()
	}
	if page.Page > 1 {
		page.Prev = link(min(page.Page-1, max(page.Pages, 1)))
	}
	if page.Page < page.Pages {
		page.Next = link(page.Page + 1)
	}
	s.render(w, r, http.StatusOK, "information", page)
}
