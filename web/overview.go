package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The overview (总览), the console's home: what was collected today and
// in the last 7 and 30 days, the incidents open and overdue, those that
// need action now, the trends by day and the shares by source and
// district, and the words rising in relevant posts. Package report counts
// and draws it; this handler lays it out, every number a link to the list
// it counts where there is one.

// overviewDays is how far back the overview looks.
const overviewDays = 30

// overviewUrgent bounds the incidents listed as needing action now.
const overviewUrgent = 10

// overviewTTL is how long the overview's post figures are reused: a
// month of posts is counted in about a second, and a dashboard a minute
// old is still current. The incidents are counted afresh every time.
const overviewTTL = time.Minute

// figuresCache keeps the post figures of the overview for overviewTTL,
// unless none was relevant; one request counts while the others wait
// for its result.
type figuresCache struct {
	mu   sync.Mutex
	key  string
	at   time.Time
	figs report.PostFigures
}

func (c *figuresCache) get(now time.Time, key string, count func() (report.PostFigures, error)) (report.PostFigures, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key == key && !now.Before(c.at) && now.Sub(c.at) < overviewTTL {
		return c.figs, c.at, nil
	}
	f, err := count()
	if err != nil {
		return f, now, err
	}
	c.key, c.at, c.figs = key, now, f
	if f.Total(len(f.Days)).Relevant == 0 {
		// Nothing relevant to chart yet (a new installation, the demo's
		// first seconds): few posts are counted in no time, and the first
		// relevant ones show at once rather than a minute later.
		c.key = ""
	}
	return f, now, nil
}

// overviewPage is what overview.html lays out.
type overviewPage struct {
	Title   string
	Counted time.Time // when the post figures were counted
	Periods []periodRow
	Open    openCounts
	Urgent  []urgentRow
	More    int // urgent incidents beyond those listed
	Charts  []template.HTML
	Rising  []risingRow
	Places  bool // districts are configured
}

// periodRow is one line of the 今日 / 近7日 / 近30日 table.
type periodRow struct {
	Name    string
	Totals  report.Totals
	Share   string // negative share, "—" without relevant posts
	Percent int    // the same as a number, for its bar
}

// openCounts are the open incidents, each count with its list.
type openCounts struct {
	Total, Suspected, Overdue int
	Levels                    []levelCount
	Stages                    []stageCount
}

type levelCount struct {
	Level taxonomy.Level
	Open  int
	Href  string
}

type stageCount struct {
	Name    string
	Overdue int
}

// urgentRow is an incident that needs action now and its nearest stage.
type urgentRow struct {
	model.Incident
	Stage    string
	Deadline Deadline
}

type risingRow struct {
	report.Rising
	Href string
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	period := report.LastDays(now, overviewDays, s.opts.Location)
	places := s.places()
	posts, counted, err := s.overviewCache.get(now, period.From.String()+"|"+strings.Join(places, "、"), func() (report.PostFigures, error) {
		return report.CountPosts(r.Context(), s.opts.Store, period, report.Options{Places: places})
	})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "统计舆情数据失败", err)
		return
	}
	incs, err := report.CountIncidents(r.Context(), s.opts.Store, now, overviewUrgent)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "统计事件失败", err)
		return
	}
	page := overviewPage{Title: "总览", Counted: counted, Open: openOf(incs), More: incs.UrgentTotal - len(incs.Urgent),
		Places: len(places) > 0}
	for _, p := range []struct {
		name string
		days int
	}{{"今日", 1}, {"近7日", 7}, {"近30日", overviewDays}} {
		row := periodRow{Name: p.name, Totals: posts.Total(p.days), Share: "—"}
		if pct, ok := row.Totals.NegativeShare(); ok {
			row.Share, row.Percent = strconv.Itoa(pct)+"%", pct
		}
		page.Periods = append(page.Periods, row)
	}
	for _, inc := range incs.Urgent {
		page.Urgent = append(page.Urgent, s.urgentRow(inc))
	}
	c := posts.Charts(s.sourceTitle, overviewLinks)
	for _, svg := range []chart.SVG{c.Volume, c.Levels, c.Categories, c.Sentiments, c.Sources, c.Places} {
		if svg != "" {
			page.Charts = append(page.Charts, template.HTML(svg)) // drawn escaped by package chart
		}
	}
	for _, rt := range posts.Rising {
		page.Rising = append(page.Rising, risingRow{Rising: rt, Href: postsHref("relevant", "q", rt.Term)})
	}
	s.render(w, r, http.StatusOK, "overview", page)
}

// places are the configured districts (config places), as they are now.
func (s *Server) places() []string {
	if s.opts.Places == nil {
		return nil
	}
	return slices.Clone(s.opts.Places())
}

// overviewLinks send a click on a chart to the posts it counts.
var overviewLinks = report.Links{
	Relevant: postsHref("relevant", "", ""),
	Category: func(c taxonomy.Category) string { return postsHref("relevant", "category", string(c)) },
	Level:    func(l taxonomy.Level) string { return postsHref("relevant", "level", strconv.Itoa(int(l))) },
	Source:   func(name string) string { return postsHref("relevant", "source", name) },
	Place:    func(name string) string { return postsHref("relevant", "q", name) },
}

// postsHref is the post list (舆情信息) of scope, filtered by key=value
// when key is not "".
func postsHref(scope, key, value string) string {
	q := url.Values{"scope": {scope}}
	if key != "" {
		q.Set(key, value)
	}
	return "/information?" + q.Encode()
}

func openOf(f report.IncidentFigures) openCounts {
	all := f.Open()
	o := openCounts{Total: all.Open, Suspected: all.Suspected, Overdue: all.Overdue.Any}
	for _, l := range taxonomy.Levels {
		o.Levels = append(o.Levels, levelCount{Level: l, Open: f.Levels[l].Open, Href: "/incidents?level=" + strconv.Itoa(int(l))})
	}
	for _, st := range []struct {
		key string
		n   int
	}{{incident.StageAck, all.Overdue.Ack}, {incident.StageFollowUp, all.Overdue.FollowUp},
		{incident.StageInvestigate, all.Overdue.Investigate}, {incident.StageFeedback, all.Overdue.Feedback}} {
		o.Stages = append(o.Stages, stageCount{Name: incident.StageName(st.key), Overdue: st.n})
	}
	return o
}

// urgentRow is inc with its nearest unmet deadline.
func (s *Server) urgentRow(inc model.Incident) urgentRow {
	row := urgentRow{Incident: inc}
	var next incident.Stage
	for _, st := range incident.Stages(inc) {
		if st.Done.IsZero() && (next.Due.IsZero() || st.Due.Before(next.Due)) {
			next = st
		}
	}
	row.Stage, row.Deadline = next.Name, s.deadline(next.Due, time.Time{}, inc.Open())
	return row
}
