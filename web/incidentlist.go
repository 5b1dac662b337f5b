package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// incidentQuery is the incident list's query string, decoded and checked:
// the same parameters on the console page and in the JSON API.
//
//	status=all  level=1..4  category=KEY  source=NAME  office=科室
//	overdue=1  sort=newest|active  after=CURSOR  limit=1..1000
type incidentQuery struct {
	store.IncidentFilter
	Status string // "" (open only) or "all"
	Page   int    // 1-based, for display: the cursor is the position
}

// errQuery is a bad parameter, its message for the caller.
type errQuery struct{ msg string }

func (e errQuery) Error() string { return e.msg }

func parseIncidentQuery(q url.Values, now time.Time) (incidentQuery, error) {
	iq := incidentQuery{Status: q.Get("status"), Page: 1}
	f := &iq.IncidentFilter
	switch iq.Status {
	case "":
		f.OnlyOpen = true
	case "all":
	default:
		return iq, errQuery{"状态参数无效"}
	}
	if v := q.Get("level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !taxonomy.Level(n).Valid() {
			return iq, errQuery{"等级参数无效"}
		}
		f.Level = taxonomy.Level(n)
	}
	if f.Category = taxonomy.Category(q.Get("category")); f.Category != "" && !f.Category.Valid() {
		return iq, errQuery{"类别参数无效"}
	}
	f.Source, f.Office = q.Get("source"), q.Get("office")
	if v := q.Get("overdue"); v != "" {
		if v != "1" {
			return iq, errQuery{"逾期参数只能是 1"}
		}
		f.Overdue, f.Now = true, now
	}
	switch s := store.IncidentSort(q.Get("sort")); s {
	case store.SortSeverity, store.SortNewest, store.SortActive:
		f.Sort = s
	default:
		return iq, errQuery{"排序参数无效"}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return iq, errQuery{"每页条数应在 1 到 1000 之间"}
		}
		f.Limit = n
	}
	if q.Has("offset") {
		return iq, errQuery{"offset 参数已停用：请用上一页返回的 next 作为 after 翻页"}
	}
	f.After = q.Get("after")
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && f.After != "" {
		iq.Page = p
	}
	return iq, nil
}

// incidents reads the page r's query asks for; a bad parameter is an
// errQuery.
func (s *Server) incidents(r *http.Request) (incidentQuery, store.IncidentPage, error) {
	iq, err := parseIncidentQuery(r.URL.Query(), s.opts.Now())
	if err != nil {
		return iq, store.IncidentPage{}, err
	}
	page, err := s.opts.Store.Incidents(r.Context(), iq.IncidentFilter)
	if errors.Is(err, store.ErrBadCursor) {
		return iq, page, errQuery{"分页位置无效，请回到第一页"}
	}
	return iq, page, err
}

// listPage is the incident list: a page of incidents with the filters
// that chose them and the way to the next page.
type listPage struct {
	Title     string
	Q         incidentQuery
	Page      store.IncidentPage
	From, To  int    // positions of the first and last incident shown, 1-based
	NextURL   string // "" on the last page
	FirstURL  string // "" on the first page
	Levels    []taxonomy.Level
	Cats      []taxonomy.Category
	Sources   []SourceInfo
	Incidents []model.Incident
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	iq, page, err := s.incidents(r)
	var bad errQuery
	if errors.As(err, &bad) {
		s.fail(w, r, http.StatusBadRequest, bad.msg, nil)
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取事件列表失败", err)
		return
	}
	lp := listPage{Title: "舆情事件", Q: iq, Page: page, Incidents: page.Incidents,
		Levels: taxonomy.Levels, Cats: taxonomy.Categories, Sources: s.configuredSources()}
	size := iq.Limit
	if size == 0 {
		size = store.DefaultPageSize
	}
	if len(page.Incidents) > 0 {
		lp.From = (iq.Page-1)*size + 1
		lp.To = lp.From + len(page.Incidents) - 1
	}
	q := r.URL.Query()
	q.Del("after")
	q.Del("page")
	if iq.After != "" {
		lp.FirstURL = "/incidents?" + q.Encode()
	}
	if page.Next != "" {
		q.Set("after", page.Next)
		q.Set("page", strconv.Itoa(iq.Page+1))
		lp.NextURL = "/incidents?" + q.Encode()
	}
	s.render(w, r, http.StatusOK, "list", lp)
}
