package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The report document: the daily, weekly, monthly and special reports
// (日报/周报/月报/专报) a bureau sends its leaders. Build counts and
// writes everything into a Report; the writers (write.go) only lay it out.

// Kind is a report's kind.
type Kind string

// Report kinds.
const (
	Daily   Kind = "daily"    // 日报: one day
	Weekly  Kind = "weekly"   // 周报: Monday..Sunday
	Monthly Kind = "monthly"  // 月报: a calendar month
	Special Kind = "incident" // 专报: one incident, for leaders
)

// Kinds are the kinds in the order staff choose them.
var Kinds = []Kind{Daily, Weekly, Monthly, Special}

// ParseKind reads a kind as the CLI and the console name it.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("未知报告类型 %q（可选 daily、weekly、monthly、incident）", s)
}

// Title is the kind's Chinese name.
func (k Kind) Title() string {
	switch k {
	case Daily:
		return "日报"
	case Weekly:
		return "周报"
	case Monthly:
		return "月报"
	case Special:
		return "专报"
	}
	return string(k)
}

// Request says which report to build.
type Request struct {
	Kind Kind
	// Date is any moment in the period (daily: that day; weekly: its
	// week; monthly: its month), taken in the bureau's zone.
	Date     time.Time
	Incident string    // 专报: the incident number
	Now      time.Time // when it is built (figures up to min(period end, Now))
}

// Report is one report, complete: everything a writer lays out, nothing
// read again when it is written. It round-trips through JSON (stored
// reports are reopened as they were built). Titles and excerpts in it are
// masked (package privacy); sources are named by their configured titles.
type Report struct {
	Kind    Kind
	Title   string // e.g. "医保舆情周报（2026年12月7日—12月13日）"
	Period  Period // the days covered; Until is when counting stopped
	BuiltAt time.Time
	Summary []string // Chinese paragraphs written from the figures

	Figures Figures
	Days    []Day   // the period's days, oldest first
	Sources []Share // Key: the source's title; most relevant posts first
	Places  []Share // the configured districts, most relevant posts first
	// Incidents are the most severe of the incidents first seen in the
	// period (TopIncidents), with their handling status.
	Incidents     []IncidentLine
	IncidentTotal int // incidents first seen in the period
	// Offices are the handling statistics of the incidents first seen in
	// the period, per office ("未分派" for those not assigned yet), as at
	// BuiltAt; the last row (Office "合计") sums them.
	Offices []Handling
	Rising  []Rising
	Charts  []Chart

	// Incident is the subject of a 专报; nil for the other kinds.
	Incident *IncidentReport `json:",omitempty"`
}

// Figures are the headline numbers of a period and of the one before
// (环比).
type Figures struct {
	Collected, Relevant, Negative int
	Previous                      Totals // the previous period of the same length
	// NewIncidents are the incidents first seen in the period by level
	// (index: the level; 0: their sum); PreviousIncidents those of the
	// previous period.
	NewIncidents      [taxonomy.LowestLevel + 1]int
	PreviousIncidents int
	// Open and Overdue are the incidents open, and open with a stage past
	// its deadline, when the report was built.
	Open, Overdue int
}

// IncidentLine is one incident as a report lists it.
type IncidentLine struct {
	Number      string
	Title       string // masked
	Category    taxonomy.Category
	Level       taxonomy.Level
	Suspected   bool
	Status      string // as the console's list names it (待签收, 已签收, …)
	Progress    string // the step it waits for (当前环节)
	Office      string // "" when not assigned
	FirstSeenAt time.Time
	Posts       int
	// Overdue are its stages past their deadline, met late or not met
	// ("签收超时 2小时10分"); none: on time.
	Overdue []string
}

// Handling is the handling statistics of one office.
type Handling struct {
	store.HandlingCount
}

// IncidentReport is what a 专报 tells of its incident.
type IncidentReport struct {
	Incident IncidentLine
	Stages   []StageLine
	Posts    []PostLine // oldest first
	Log      []LogLine  // oldest first
	Reply    string     // the public reply (答复), masked
	Outcome  string     // 办结 outcome, masked
}

// StageLine is one deadline of an incident.
type StageLine struct {
	Name  string    // 签收, 跟进回复, 调查核实, 答复反馈
	Due   time.Time // zero: the level has no such stage
	Done  time.Time // zero: not met
	State string    // 已按时完成, 已完成（超时 …）, 已超时 …, 剩余 …
}

// PostLine is one post of an incident.
type PostLine struct {
	At        time.Time // first seen
	Source    string    // the source's title
	Title     string    // masked
	Excerpt   string    // masked, short
	URL       string
	Level     taxonomy.Level
	Sentiment string // Chinese
}

// LogLine is one entry of an incident's log.
type LogLine struct {
	At    time.Time
	Name  string // what happened, in Chinese
	Actor string
	Note  string // masked
}

// ChartStyle is how a chart is drawn.
type ChartStyle string

// Chart styles.
const (
	LineChart    ChartStyle = "lines"   // Daily as lines
	StackedChart ChartStyle = "stacked" // Daily as stacked bars
	ShareChart   ChartStyle = "shares"  // Shares as horizontal bars
)

// Chart is one chart of a report: a title and the data a renderer draws
// (the report/chart types), so that the SVG (HTML) and the PNG (DOCX)
// show the same thing. Daily is set for LineChart and StackedChart,
// Shares for ShareChart.
type Chart struct {
	Title  string
	Style  ChartStyle
	Daily  chart.Daily  `json:",omitzero"`
	Shares chart.Shares `json:",omitzero"`
}

// SVG draws the chart for a page.
func (c Chart) SVG() chart.SVG {
	d, ok := c.Drawing()
	if !ok {
		return ""
	}
	return d.SVG()
}

// Drawing lays the chart out, for a page (SVG) or a document (PNG);
// false for a style it does not know.
func (c Chart) Drawing() (chart.Drawing, bool) {
	switch c.Style {
	case LineChart:
		return c.Daily.LinesDrawing(), true
	case StackedChart:
		return c.Daily.StackedDrawing(), true
	case ShareChart:
		return c.Shares.Drawing(), true
	}
	return chart.Drawing{}, false
}

// Span is the whole period of a request's report, in loc: its day, its
// Monday-to-Sunday week or its calendar month (a 专报's is set from its
// incident).
func (req Request) Span(loc *time.Location) (Period, error) {
	d := req.Date.In(loc)
	y, m, day := d.Date()
	switch req.Kind {
	case Daily:
		return Period{From: time.Date(y, m, day, 0, 0, 0, 0, loc), Days: 1}, nil
	case Weekly:
		back := (int(d.Weekday()) + 6) % 7 // days since Monday
		return Period{From: time.Date(y, m, day-back, 0, 0, 0, 0, loc), Days: 7}, nil
	case Monthly:
		return Period{From: time.Date(y, m, 1, 0, 0, 0, 0, loc), Days: time.Date(y, m+1, 0, 0, 0, 0, 0, loc).Day()}, nil
	case Special:
		return Period{}, errors.New("专报的时段取自事件")
	}
	return Period{}, fmt.Errorf("未知报告类型 %q", req.Kind)
}

// Period is what a request's report counts: its Span, or when that is
// not over at Now, the days of it begun by Now, the last counted up to
// Now.
func (req Request) Period(loc *time.Location) (Period, error) {
	p, err := req.Span(loc)
	if err != nil {
		return p, err
	}
	if !req.Now.After(p.From) {
		return Period{}, fmt.Errorf("报告时段（%s）尚未开始", p.Name())
	}
	if !req.Now.Before(p.End()) {
		return p, nil
	}
	day := func(i int) time.Time { return p.From.AddDate(0, 0, i) }
	n := 0
	for n < p.Days && day(n).Before(req.Now) {
		n++
	}
	p.Days = n
	if !day(n).Equal(req.Now) {
		p.Until = req.Now
	}
	return p, nil
}

// End is the end of the period's last day.
func (p Period) End() time.Time {
	y, m, d := p.From.Date()
	return time.Date(y, m, d+p.Days, 0, 0, 0, 0, p.From.Location())
}

// Name is the period in Chinese: "2026年12月7日" for a day, "2026年12月7日—12月13日"
// for more.
func (p Period) Name() string {
	first := p.From
	last := p.End().AddDate(0, 0, -1)
	name := fmt.Sprintf("%d年%d月%d日", first.Year(), first.Month(), first.Day())
	if p.Days <= 1 {
		return name
	}
	if last.Year() != first.Year() {
		return name + fmt.Sprintf("—%d年%d月%d日", last.Year(), last.Month(), last.Day())
	}
	return name + fmt.Sprintf("—%d月%d日", last.Month(), last.Day())
}
