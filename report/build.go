package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// TopIncidents is how many of the period's incidents a report lists.
const TopIncidents = 10

// Build counts and writes the report req asks for.
func Build(ctx context.Context, r Reader, req Request, o Options) (Report, error) {
	if req.Now.IsZero() {
		return Report{}, errors.New("报告生成时间为空")
	}
	loc := o.location()
	req.Now = req.Now.In(loc)
	if req.Kind == Special {
		return buildIncident(ctx, r, req, o)
	}
	span, err := req.Span(loc)
	if err != nil {
		return Report{}, err
	}
	p, err := req.Period(loc)
	if err != nil {
		return Report{}, err
	}
	b, err := p.Buckets()
	if err != nil {
		return Report{}, err
	}
	from, to := b[0], b[len(b)-1]
	prevFrom, prevTo := previous(req.Kind, span, to)
	popts := o
	popts.Rising = risingFor(o.Rising, to.Sub(from))

	var posts PostFigures
	var prev []store.PostCount
	var handling, prevHandling []store.HandlingCount
	var open IncidentFigures
	var incs []model.Incident
	errs := make([]error, 6)
	var wg sync.WaitGroup
	wg.Go(func() { posts, errs[0] = CountPosts(ctx, r, p, popts) })
	wg.Go(func() { prev, errs[1] = r.PostCounts(ctx, store.Buckets{prevFrom, prevTo}) })
	wg.Go(func() { handling, errs[2] = r.HandlingCounts(ctx, from, to, req.Now) })
	wg.Go(func() { prevHandling, errs[3] = r.HandlingCounts(ctx, prevFrom, prevTo, req.Now) })
	wg.Go(func() { open, errs[4] = CountIncidents(ctx, r, req.Now, 1) })
	wg.Go(func() { incs, errs[5] = firstSeenIn(ctx, r, from, to) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Report{}, fmt.Errorf("统计%s: %w", req.Kind.Title(), err)
	}

	rep := Report{Kind: req.Kind, Period: p, BuiltAt: req.Now, Title: "医保舆情" + req.Kind.Title() + "（" + span.Name() + "）",
		Days: posts.Days, Places: posts.Places, Rising: posts.Rising, IncidentTotal: len(incs)}
	t := posts.Total(len(posts.Days))
	rep.Figures = Figures{Collected: t.Collected, Relevant: t.Relevant, Negative: t.Negative, Previous: sumCounts(prev)}
	for _, c := range handling {
		rep.Figures.NewIncidents[0] += c.Incidents
		if c.Level.Valid() {
			rep.Figures.NewIncidents[c.Level] += c.Incidents
		}
	}
	for _, c := range prevHandling {
		rep.Figures.PreviousIncidents += c.Incidents
	}
	rep.Figures.Open, rep.Figures.Overdue = open.Open().Open, open.Open().Overdue.Any
	title := o.sourceTitle
	for _, s := range posts.Sources {
		s.Key = title(s.Key)
		rep.Sources = append(rep.Sources, s)
	}
	rep.Charts = posts.ChartList(title, Links{})
	rep.Offices = offices(handling, o.Offices)
	slices.SortStableFunc(incs, bySeverity)
	for _, inc := range incs[:min(len(incs), TopIncidents)] {
		rep.Incidents = append(rep.Incidents, line(inc, req.Now))
	}
	rep.Summary = summarize(rep)
	return rep, nil
}

// sourceTitle is a source's configured title; a source no longer
// configured is never named by its key.
func (o Options) sourceTitle(name string) string {
	if o.SourceTitle != nil {
		if t := o.SourceTitle(name); t != "" {
			return t
		}
	}
	return "其他来源"
}

func (o Options) location() *time.Location {
	if o.Location != nil {
		return o.Location
	}
	return time.Local
}

// previous is the period before p (the day, week or month before) for
// 环比, cut as much as p is when p is not over: a week counted up to
// Wednesday noon is held against the week before up to its Wednesday noon.
func previous(k Kind, p Period, to time.Time) (time.Time, time.Time) {
	var from time.Time
	switch k {
	case Monthly:
		from = p.From.AddDate(0, -1, 0)
	default:
		from = p.From.AddDate(0, 0, -p.Days)
	}
	end := from.Add(to.Sub(p.From))
	if end.After(p.From) {
		end = p.From
	}
	return from, end
}

// risingFor looks for rising words over a period of length span, held
// against a baseline at least twice as long.
func risingFor(o RisingOptions, span time.Duration) RisingOptions {
	days := int((span + 24*time.Hour - 1) / (24 * time.Hour))
	o.Recent = max(o.Recent, days)
	o.Baseline = max(o.Baseline, 14, 2*o.Recent)
	return o
}

// sumCounts sums the counts of one interval.
func sumCounts(counts []store.PostCount) Totals {
	var t Totals
	for _, c := range counts {
		t.Collected += c.Posts
		if c.Relevant {
			t.Relevant += c.Posts
		}
		if c.Negative() {
			t.Negative += c.Posts
		}
	}
	return t
}

// firstSeenIn lists the incidents first seen in [from, to), newest first,
// paging back through the newest incidents until one is older.
func firstSeenIn(ctx context.Context, r Reader, from, to time.Time) ([]model.Incident, error) {
	var out []model.Incident
	f := store.IncidentFilter{Sort: store.SortNewest, Limit: store.MaxPageSize}
	for {
		page, err := r.Incidents(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("读取事件: %w", err)
		}
		for _, inc := range page.Incidents {
			if inc.FirstSeenAt.Before(from) {
				return out, nil
			}
			if inc.FirstSeenAt.Before(to) {
				out = append(out, inc)
			}
		}
		if page.Next == "" {
			return out, nil
		}
		f.After = page.Next
	}
}

// bySeverity orders incidents as a report lists them: most severe level
// first, then open before closed, most posts, first seen first.
func bySeverity(a, b model.Incident) int {
	rank := func(l taxonomy.Level) int {
		if l.Valid() {
			return int(l)
		}
		return int(taxonomy.LowestLevel) + 1
	}
	open := func(i model.Incident) int {
		if i.Open() {
			return 0
		}
		return 1
	}
	return cmp.Or(rank(a.Level)-rank(b.Level), open(a)-open(b), b.PostCount-a.PostCount, a.FirstSeenAt.Compare(b.FirstSeenAt))
}

// line is inc as a report lists it, its stages judged at now.
func line(inc model.Incident, now time.Time) IncidentLine {
	l := IncidentLine{Number: inc.Number, Title: privacy.MaskMore(inc.Title), Category: inc.Category, Level: inc.Level,
		Suspected: inc.Suspected, Status: inc.Status.Name(), Progress: incident.Progress(inc), Office: inc.Office,
		FirstSeenAt: inc.FirstSeenAt, Posts: inc.PostCount}
	for _, st := range incident.Stages(inc) {
		done := st.Done
		if done.After(now) {
			done = time.Time{}
		}
		switch {
		case !st.Due.Before(now):
		case done.IsZero():
			l.Overdue = append(l.Overdue, st.Name+"超期未完成")
		case done.After(st.Due):
			l.Overdue = append(l.Overdue, st.Name+"超时 "+taxonomy.Duration(done.Sub(st.Due)))
		}
	}
	return l
}

// NotAssigned names the incidents no office was assigned in the handling
// statistics; Total names their sum.
const (
	NotAssigned = "未分派"
	Total       = "合计"
)

// offices sums the handling counts per office: the configured offices in
// their order (those without incidents too), then offices no longer
// configured, then the incidents not assigned, then the total.
func offices(counts []store.HandlingCount, configured []string) []Handling {
	byOffice := map[string]*Handling{}
	var order []string
	add := func(name string) *Handling {
		h, ok := byOffice[name]
		if !ok {
			h = &Handling{store.HandlingCount{Office: name}}
			byOffice[name] = h
			order = append(order, name)
		}
		return h
	}
	for _, o := range configured {
		add(o)
	}
	var rest []string
	for _, c := range counts {
		if _, ok := byOffice[c.Office]; !ok && c.Office != "" && !slices.Contains(rest, c.Office) {
			rest = append(rest, c.Office)
		}
	}
	slices.Sort(rest)
	for _, o := range rest {
		add(o)
	}
	total := Handling{store.HandlingCount{Office: Total}}
	for _, c := range counts {
		name := c.Office
		if name == "" {
			name = NotAssigned
		}
		add(name).add(c)
		total.add(c)
	}
	out := make([]Handling, 0, len(order)+1)
	for _, name := range order {
		out = append(out, *byOffice[name])
	}
	return append(out, total)
}

// add adds c's counts (its office and level aside).
func (h *Handling) add(c store.HandlingCount) {
	h.Incidents += c.Incidents
	h.AckDue, h.AckOnTime = h.AckDue+c.AckDue, h.AckOnTime+c.AckOnTime
	h.FollowUpDue, h.FollowUpOnTime = h.FollowUpDue+c.FollowUpDue, h.FollowUpOnTime+c.FollowUpOnTime
	h.Overdue += c.Overdue
	h.Acked, h.Closed = h.Acked+c.Acked, h.Closed+c.Closed
	h.AckTime, h.CloseTime = h.AckTime+c.AckTime, h.CloseTime+c.CloseTime
}

// AckRate is 签收及时率: of the incidents whose 签收 fell due, the share
// signed for in time; false when none fell due.
func (h Handling) AckRate() (float64, bool) { return rate(h.AckOnTime, h.AckDue) }

// FollowUpRate is 跟进及时率, as AckRate for the first follow-up.
func (h Handling) FollowUpRate() (float64, bool) { return rate(h.FollowUpOnTime, h.FollowUpDue) }

// CloseRate is 办结率: the share of the incidents closed.
func (h Handling) CloseRate() (float64, bool) { return rate(h.Closed, h.Incidents) }

// MeanAck is the mean time from first seen to 签收 of those signed for.
func (h Handling) MeanAck() (time.Duration, bool) { return mean(h.AckTime, h.Acked) }

// MeanClose is the mean time from first seen to 办结 of those closed.
func (h Handling) MeanClose() (time.Duration, bool) { return mean(h.CloseTime, h.Closed) }

func rate(n, of int) (float64, bool) {
	if of <= 0 {
		return 0, false
	}
	return float64(n) / float64(of), true
}

func mean(sum time.Duration, n int) (time.Duration, bool) {
	if n <= 0 {
		return 0, false
	}
	return sum / time.Duration(n), true
}
