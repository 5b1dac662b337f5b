// Package report counts what the console's overview (总览) shows and
// makes the reports (日报/周报/月报/专报): posts collected and relevant by
// day, category, level and sentiment, shares by source and by district,
// rising words, the incidents open and overdue, and the handling of the
// incidents of a period. Every count is made by the store (store/stats.go);
// this package sums days into periods, picks rising words and turns
// figures into charts (charts.go, drawn by report/chart). The report
// document (document.go) is built once (build.go, summary.go, special.go)
// into a Report that holds everything, laid out as tables (tables.go) by
// the writers of each format (write.go: html.go, xlsx.go, docx.go). The
// web handler, the CLI and the scheduler only call it.
package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Reader is what figures are counted from (store.Store is one).
type Reader interface {
	PostCounts(ctx context.Context, b store.Buckets) ([]store.PostCount, error)
	SourceCounts(ctx context.Context, from, to time.Time) ([]store.SourceCount, error)
	PlaceCounts(ctx context.Context, from, to time.Time, places []string) ([]int, error)
	IncidentCounts(ctx context.Context, now time.Time) ([]store.IncidentCount, error)
	TermCounts(ctx context.Context, q store.TermQuery) ([]store.TermCount, error)
	Incidents(ctx context.Context, f store.IncidentFilter) (store.IncidentPage, error)
	// For report documents (Build).
	HandlingCounts(ctx context.Context, from, to, now time.Time) ([]store.HandlingCount, error)
	IncidentDetail(ctx context.Context, number string) (store.IncidentDetail, error)
}

// Period is the days a figure covers: Days calendar days from the day of
// From, in From's zone (the bureau's, config time_zone), counted up to
// Until (zero: to the end of the last day).
type Period struct {
	From  time.Time
	Days  int
	Until time.Time
}

// LastDays is the n days that end with the day of now, counted up to
// now: what the overview shows. loc is the bureau's zone.
func LastDays(now time.Time, n int, loc *time.Location) Period {
	now = now.In(loc)
	y, m, d := now.Date()
	return Period{From: time.Date(y, m, d-n+1, 0, 0, 0, 0, loc), Days: n, Until: now}
}

// Buckets are the period's days, the last one cut at Until.
func (p Period) Buckets() (store.Buckets, error) {
	if p.Days < 1 || p.Days > store.MaxBuckets {
		return nil, fmt.Errorf("统计天数应在 1 到 %d 之间", store.MaxBuckets)
	}
	b := store.Days(p.From, p.Days)
	if !p.Until.IsZero() {
		if !p.Until.After(b[len(b)-2]) || p.Until.After(b[len(b)-1]) {
			return nil, errors.New("统计截止时间应在最后一天之内")
		}
		b[len(b)-1] = p.Until
	}
	return b, nil
}

// Day is what was collected on one day.
type Day struct {
	Start     time.Time
	Collected int // every post first seen that day
	Graded    int
	Relevant  int
	Negative  int // relevant and negative (or graded without a model)
	// Of the relevant posts: by category, by level (index: the level,
	// 0 unused) and by sentiment (in taxonomy.Sentiments order; "" as
	// negative).
	Categories map[taxonomy.Category]int
	Levels     [taxonomy.LowestLevel + 1]int
	Sentiments [3]int
}

// Totals are the sums of some days.
type Totals struct {
	Collected, Relevant, Negative int
}

// NegativeShare is the share of negative posts among the relevant ones,
// in whole percent; false when there were none.
func (t Totals) NegativeShare() (int, bool) {
	if t.Relevant == 0 {
		return 0, false
	}
	return (200*t.Negative + t.Relevant) / (2 * t.Relevant), true
}

// Share is one row of a share: a source or a district, and its posts.
type Share struct {
	Key      string // source name or district
	Posts    int    // every post (sources only)
	Relevant int
	Negative int // relevant and negative (sources only)
}

// PostFigures are the figures of a period's posts.
type PostFigures struct {
	Period  Period
	Days    []Day   // oldest first
	Sources []Share // most relevant posts first
	Places  []Share // the configured districts, most relevant posts first
	Rising  []Rising
}

// Total sums the last n days (all of them when n exceeds the period).
func (f PostFigures) Total(n int) Totals {
	var t Totals
	for _, d := range f.Days[max(len(f.Days)-n, 0):] {
		t.Collected, t.Relevant, t.Negative = t.Collected+d.Collected, t.Relevant+d.Relevant, t.Negative+d.Negative
	}
	return t
}

// Options say what to count besides the days.
type Options struct {
	Places []string // the city's districts and counties (config places)
	Rising RisingOptions
	// For a report document (Build): the bureau's zone (nil: time.Local),
	// the configured title of a source by its name ("" or nil: it is
	// named 其他来源, never by its key) and the configured offices (listed
	// even without incidents).
	Location    *time.Location
	SourceTitle func(name string) string
	Offices     []string
}

// CountPosts counts the posts of period p, the store's queries run side by
// side (each reads its own connection).
func CountPosts(ctx context.Context, r Reader, p Period, o Options) (PostFigures, error) {
	f := PostFigures{Period: p}
	b, err := p.Buckets()
	if err != nil {
		return f, err
	}
	from, to := b[0], b[len(b)-1]
	var counts []store.PostCount
	var sources []store.SourceCount
	var places []int
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Go(func() { counts, errs[0] = r.PostCounts(ctx, b) })
	wg.Go(func() { sources, errs[1] = r.SourceCounts(ctx, from, to) })
	wg.Go(func() { places, errs[2] = r.PlaceCounts(ctx, from, to, o.Places) })
	wg.Go(func() { f.Rising, errs[3] = RisingTerms(ctx, r, to, o.Rising) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return f, err
	}
	f.Days = days(b, counts)
	for _, s := range sources {
		f.Sources = append(f.Sources, Share{Key: s.Source, Posts: s.Posts, Relevant: s.Relevant, Negative: s.Negative})
	}
	for i, n := range places {
		f.Places = append(f.Places, Share{Key: o.Places[i], Relevant: n})
	}
	// Stable: equal rows keep their order (sources by name, districts as configured).
	byRelevant := func(a, b Share) int { return cmp.Or(b.Relevant-a.Relevant, b.Posts-a.Posts) }
	slices.SortStableFunc(f.Sources, byRelevant)
	slices.SortStableFunc(f.Places, byRelevant)
	return f, nil
}

// days sums the store's counts into the days of b.
func days(b store.Buckets, counts []store.PostCount) []Day {
	out := make([]Day, b.Len())
	for i := range out {
		out[i] = Day{Start: b[i], Categories: map[taxonomy.Category]int{}}
	}
	for _, c := range counts {
		d := &out[c.Bucket]
		d.Collected += c.Posts
		if c.Graded {
			d.Graded += c.Posts
		}
		if !c.Relevant {
			continue
		}
		d.Relevant += c.Posts
		d.Categories[c.Category] += c.Posts
		if c.Level.Valid() {
			d.Levels[c.Level] += c.Posts
		}
		switch {
		case c.Negative():
			d.Negative += c.Posts
			d.Sentiments[0] += c.Posts
		case c.Sentiment == taxonomy.Neutral:
			d.Sentiments[1] += c.Posts
		case c.Sentiment == taxonomy.Positive:
			d.Sentiments[2] += c.Posts
		}
	}
	return out
}

// IncidentFigures are the incidents open now.
type IncidentFigures struct {
	Now time.Time
	// Levels are the open incidents of each level (index: the level, 0
	// unused).
	Levels [taxonomy.LowestLevel + 1]store.IncidentCount
	// Urgent are the open incidents with a stage overdue or due within
	// UrgentWithin, most severe first; UrgentTotal how many there are.
	Urgent      []model.Incident
	UrgentTotal int
}

// UrgentWithin is how soon a stage's deadline makes its incident urgent:
// as the console marks a deadline that is near.
const UrgentWithin = 2 * time.Hour

// Open sums the open incidents of every level.
func (f IncidentFigures) Open() store.IncidentCount {
	var t store.IncidentCount
	for _, c := range f.Levels {
		t.Open, t.Suspected = t.Open+c.Open, t.Suspected+c.Suspected
		o := &t.Overdue
		o.Ack, o.FollowUp, o.Investigate = o.Ack+c.Overdue.Ack, o.FollowUp+c.Overdue.FollowUp, o.Investigate+c.Overdue.Investigate
		o.Feedback, o.Any = o.Feedback+c.Overdue.Feedback, o.Any+c.Overdue.Any
	}
	return t
}

// CountIncidents counts the incidents open at now and lists up to limit
// urgent ones.
func CountIncidents(ctx context.Context, r Reader, now time.Time, limit int) (IncidentFigures, error) {
	f := IncidentFigures{Now: now}
	counts, err := r.IncidentCounts(ctx, now)
	if err != nil {
		return f, err
	}
	for _, c := range counts {
		if c.Level.Valid() {
			f.Levels[c.Level] = c
		}
	}
	// Overdue at now+UrgentWithin: overdue now, or due before then.
	page, err := r.Incidents(ctx, store.IncidentFilter{Overdue: true, Now: now.Add(UrgentWithin), Limit: limit})
	if err != nil {
		return f, fmt.Errorf("读取待处置事件: %w", err)
	}
	f.Urgent, f.UrgentTotal = page.Incidents, page.Total
	return f, nil
}
