package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// incidentQuery is the incident list's query string, decoded and checked:
// the same parameters on the console page and in the JSON API.
//
//	status=all  level=1..4  category=KEY  source=NAME  office=科室
//	stage=ack|followup|investigate|feedback|close|closed  mine=1
//	overdue=1  sort=newest|active  after=CURSOR  limit=1..1000
//	and the filters both lists share (listForm): channel, sentiment, from, to
type incidentQuery struct {
	store.IncidentFilter
	Status string // "" (open only) or "all"
	Mine   bool   // 我的科室: Office is the user's
	Page   int    // 1-based, for display: the cursor is the position
	Form   listForm
}

// listForm is what the filter form both lists share (template
// "listfilters") shows and keeps: the chosen values as the query string
// gave them, and the choices.
type listForm struct {
	Level                      taxonomy.Level
	Category                   taxonomy.Category
	Source, Channel, Sentiment string
	From, To                   string // YYYY-MM-DD as given
	Levels                     []taxonomy.Level
	Cats                       []taxonomy.Category
	Sources                    []SourceInfo
	Channels                   []channelChoice
	Sentiments                 []string
	More                       bool // a filter behind 更多筛选 is set: the form shows it open
}

// channelChoice is a platform (渠道类型) the configured sources are of.
type channelChoice struct{ Key, Name string }

// dayLayout is how from and to are written: a day in the bureau's zone.
const dayLayout = "2006-01-02"

// parseListFilter decodes the parameters both lists share, checked:
//
//	level=1..4  category=KEY  source=NAME  channel=KEY (taxonomy.Channels:
//	the configured sources of that kind)  sentiment=negative|neutral|positive
//	from=YYYY-MM-DD  to=YYYY-MM-DD (first seen on those days, both included,
//	in the bureau's time zone)
func (s *Server) parseListFilter(q url.Values) (store.ListFilter, listForm, error) {
	var f store.ListFilter
	form := listForm{Source: q.Get("source"), Channel: q.Get("channel"), Sentiment: q.Get("sentiment"),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Levels: taxonomy.Levels, Cats: taxonomy.Categories, Sources: s.configuredSources(), Sentiments: taxonomy.Sentiments}
	if v := q.Get("level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !taxonomy.Level(n).Valid() {
			return f, form, errQuery{"等级参数无效"}
		}
		form.Level = taxonomy.Level(n)
	}
	if form.Category = taxonomy.Category(q.Get("category")); form.Category != "" && !form.Category.Valid() {
		return f, form, errQuery{"类别参数无效"}
	}
	seen := map[string]bool{}
	for _, src := range form.Sources {
		if name := taxonomy.ChannelName(src.Channel); name != "" && !seen[src.Channel] {
			seen[src.Channel] = true
			form.Channels = append(form.Channels, channelChoice{src.Channel, name})
		}
	}
	if form.Channel != "" {
		if taxonomy.ChannelName(form.Channel) == "" {
			return f, form, errQuery{"平台参数无效"}
		}
		f.Sources = []string{} // a platform no source is of matches nothing
		for _, src := range form.Sources {
			if src.Channel == form.Channel {
				f.Sources = append(f.Sources, src.Name)
			}
		}
	}
	if form.Sentiment != "" && !slices.Contains(taxonomy.Sentiments, form.Sentiment) {
		return f, form, errQuery{"情感参数无效"}
	}
	f.Sentiment = form.Sentiment
	var err error
	if f.From, err = s.parseDay(form.From, "起始日期"); err != nil {
		return f, form, err
	}
	if f.To, err = s.parseDay(form.To, "截止日期"); err != nil {
		return f, form, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, form, errQuery{"起始日期不能晚于截止日期"}
	}
	form.More = form.Channel != "" || form.Sentiment != "" || form.From != "" || form.To != ""
	return f, form, nil
}

// parseDay reads a day (YYYY-MM-DD) in the bureau's time zone: its start;
// zero for "".
func (s *Server) parseDay(v, what string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(dayLayout, v, s.opts.Location)
	if err != nil {
		return t, errQuery{what + "格式应为 2026-11-23 这样的年-月-日"}
	}
	return t, nil
}

// errQuery is a bad parameter, its message for the caller.
type errQuery struct{ msg string }

func (e errQuery) Error() string { return e.msg }

func (s *Server) parseIncidentQuery(r *http.Request) (incidentQuery, error) {
	q := r.URL.Query()
	iq := incidentQuery{Status: q.Get("status"), Page: 1}
	f := &iq.IncidentFilter
	var err error
	if f.ListFilter, iq.Form, err = s.parseListFilter(q); err != nil {
		return iq, err
	}
	f.Level, f.Category, f.Source = iq.Form.Level, iq.Form.Category, iq.Form.Source
	if v := q.Get("stage"); v != "" {
		if !slices.Contains(model.Progresses, model.Progress(v)) {
			return iq, errQuery{"处置阶段参数无效"}
		}
		f.Stage = model.Progress(v)
	}
	switch iq.Status {
	case "":
		// Open only, unless the stage asked for is 已办结.
		f.OnlyOpen = f.Stage != model.ProgressClosed
	case "all":
	default:
		return iq, errQuery{"状态参数无效"}
	}
	f.Office = q.Get("office")
	switch v := q.Get("mine"); v {
	case "":
	case "1":
		p, _ := principalOf(r.Context())
		if p.User.Office == "" {
			return iq, errQuery{"你的账号还没有设置科室，无法按“我的科室”筛选：请管理员在账号管理中设置"}
		}
		if f.Office != "" && f.Office != p.User.Office {
			return iq, errQuery{"“我的科室”与所选承办科室不同，请只选其一"}
		}
		iq.Mine, f.Office = true, p.User.Office
	default:
		return iq, errQuery{"我的科室参数只能是 1"}
	}
	if v := q.Get("overdue"); v != "" {
		if v != "1" {
			return iq, errQuery{"逾期参数只能是 1"}
		}
		f.Overdue, f.Now = true, s.opts.Now()
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
	iq, err := s.parseIncidentQuery(r)
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
	Stages    []model.Progress
	MyOffice  string // the user's office: 我的科室 is offered
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
	lp := listPage{Title: "舆情事件", Q: iq, Page: page, Incidents: page.Incidents, Stages: model.Progresses}
	if p, _ := principalOf(r.Context()); p.User.Office != "" {
		lp.MyOffice = p.User.Office
	}
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
