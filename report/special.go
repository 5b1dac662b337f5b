package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The 专报: one incident told in full for leaders — its posts day by day,
// its sources, its deadlines and its log — counted from the incident's
// own posts as they stand when it is built.

// excerptRunes is how long a post's excerpt is.
const excerptRunes = 80

// buildIncident builds the 专报 of req.Incident.
func buildIncident(ctx context.Context, r Reader, req Request, o Options) (Report, error) {
	number := strings.TrimSpace(req.Incident)
	if number == "" {
		return Report{}, errors.New("专报需要事件编号")
	}
	d, err := r.IncidentDetail(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return Report{}, fmt.Errorf("事件 %s 不存在", number)
	}
	if err != nil {
		return Report{}, fmt.Errorf("读取事件 %s: %w", number, err)
	}
	inc, now := d.Incident, req.Now
	p := incidentPeriod(inc.FirstSeenAt.In(now.Location()), now)
	b, err := p.Buckets()
	if err != nil {
		return Report{}, err
	}
	f := PostFigures{Period: p, Days: days(b, postCounts(b, d.Posts)), Sources: incidentSources(d.Posts, now)}

	rep := Report{Kind: Special, Period: p, BuiltAt: now, Days: f.Days,
		Title: "医保舆情专报（" + inc.Number + "）", IncidentTotal: 1}
	t := f.Total(len(f.Days))
	rep.Figures = Figures{Collected: t.Collected, Relevant: t.Relevant, Negative: t.Negative}
	title := o.sourceTitle
	for _, s := range f.Sources {
		s.Key = title(s.Key)
		rep.Sources = append(rep.Sources, s)
	}
	// The incident's posts by day, by sentiment, and its sources.
	charts := f.ChartList(title, Links{})
	charts[0].Daily.Title, charts[0].Title = "事件每日帖子", "事件每日帖子"
	charts[0].Daily.Series = charts[0].Daily.Series[:1]
	charts[0].Daily.Series[0].Name = "帖子"
	rep.Charts = []Chart{charts[0], charts[3], charts[4]}

	rep.Incident = incidentSheet(d, now, title)
	rep.Summary = summarizeIncident(rep, title(inc.Source), inc.LastPostAt)
	return rep, nil
}

// incidentSources counts an incident's posts seen by now per source,
// most posts first.
func incidentSources(posts []store.IncidentPost, now time.Time) []Share {
	var out []Share
	sources := map[string]*Share{}
	for _, ip := range posts {
		if ip.Post.FirstSeenAt.After(now) {
			continue
		}
		s := sources[ip.Post.Source]
		if s == nil {
			s = &Share{Key: ip.Post.Source}
			sources[ip.Post.Source] = s
		}
		s.Posts++
		if ip.Grade.Relevant {
			s.Relevant++
		}
		if ip.Grade.Relevant && (ip.Grade.Sentiment == taxonomy.Negative || ip.Grade.Sentiment == "") {
			s.Negative++
		}
	}
	for _, s := range sources {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Share) int { return cmp.Or(b.Posts-a.Posts, strings.Compare(a.Key, b.Key)) })
	return out
}

// incidentSheet is the 专报's own part: the incident, its stages, its
// posts and its log as they stood at now, masked.
func incidentSheet(d store.IncidentDetail, now time.Time, title func(string) string) *IncidentReport {
	inc := d.Incident
	ir := &IncidentReport{Incident: line(inc, now), Reply: privacy.MaskMore(inc.Reply), Outcome: privacy.MaskMore(inc.Outcome)}
	for _, st := range incident.Stages(inc) {
		ir.Stages = append(ir.Stages, StageLine{Name: st.Name, Due: st.Due, Done: st.Done, State: stageState(st, inc.Open(), now)})
	}
	for _, ip := range d.Posts {
		if ip.Post.FirstSeenAt.After(now) {
			continue
		}
		ir.Posts = append(ir.Posts, PostLine{At: ip.Post.FirstSeenAt, Source: title(ip.Post.Source),
			Title: privacy.MaskMore(ip.Post.Title), Excerpt: privacy.Label(ip.Post.Body, excerptRunes), URL: ip.Post.URL,
			Level: ip.Grade.Level, Sentiment: sentimentName(ip.Grade)})
	}
	slices.SortStableFunc(ir.Posts, func(a, b PostLine) int { return a.At.Compare(b.At) })
	steps := incident.Steps()
	for _, e := range d.Events {
		if e.At.After(now) {
			continue
		}
		ir.Log = append(ir.Log, LogLine{At: e.At, Name: incident.EventName(steps, e.Kind), Actor: actorName(e.Actor),
			Note: privacy.MaskMore(e.Note)})
	}
	return ir
}

// incidentPeriod is the days from the day an incident was first seen to
// now's, at most store.MaxBuckets (the latest), counted up to now.
func incidentPeriod(first, now time.Time) Period {
	loc := now.Location()
	y, m, d := first.Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	y, m, d = now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	n := 1
	for from.AddDate(0, 0, n-1).Before(today) {
		n++
	}
	if n > store.MaxBuckets {
		from, n = today.AddDate(0, 0, 1-store.MaxBuckets), store.MaxBuckets
	}
	p := Period{From: from, Days: n}
	if now.Before(p.End()) && now.After(today) {
		p.Until = now
	}
	return p
}

// postCounts turns an incident's posts into the store's counts over b,
// one post each, so that they sum into days as the store's do.
func postCounts(b store.Buckets, posts []store.IncidentPost) []store.PostCount {
	var out []store.PostCount
	for _, ip := range posts {
		at := ip.Post.FirstSeenAt
		i, found := slices.BinarySearchFunc(b, at, func(e, t time.Time) int { return e.Compare(t) })
		if !found {
			i--
		}
		if i < 0 || i >= b.Len() {
			continue
		}
		c := store.PostCount{Bucket: i, Graded: !ip.Grade.GradedAt.IsZero(), Relevant: ip.Grade.Relevant, Posts: 1}
		if c.Relevant {
			c.Category, c.Level, c.Sentiment = ip.Grade.Category, ip.Grade.Level, ip.Grade.Sentiment
		}
		out = append(out, c)
	}
	return out
}

// stageState says where a stage stands at now, as the console does.
func stageState(st incident.Stage, open bool, now time.Time) string {
	switch {
	case !st.Done.IsZero() && !st.Done.After(now):
		if st.Done.After(st.Due) {
			return "已完成（超时 " + taxonomy.Duration(st.Done.Sub(st.Due)) + "）"
		}
		return "已按时完成"
	case !open:
		return "已办结"
	case now.After(st.Due):
		return "已超时 " + taxonomy.Duration(now.Sub(st.Due))
	}
	return "剩余 " + taxonomy.Duration(st.Due.Sub(now))
}

// actorName is who acted, as the log shows it: the system by its Chinese
// name.
func actorName(a string) string {
	if a == "system" || a == "" {
		return "系统"
	}
	return a
}

// summarizeIncident writes a 专报's summary.
func summarizeIncident(rep Report, source string, lastPost time.Time) []string {
	ir := rep.Incident
	l := ir.Incident
	first := fmt.Sprintf("事件%s“%s”，%s，%s类，%s首次发现（%s）。截至%s，共关联帖子%d条",
		l.Number, l.Title, l.Level.Label(), l.Category.Name(), DateTime(l.FirstSeenAt), source, DateTime(rep.BuiltAt), len(ir.Posts))
	if n := rep.Figures.Negative; n > 0 {
		first += fmt.Sprintf("，其中负面%d条", n)
	}
	first += "，最近一条于" + DateTime(lastPost) + "。"
	second := "当前状态：" + l.Status + "，当前环节：" + l.Progress
	if l.Office != "" {
		second += "，承办科室：" + l.Office
	}
	var stages []string
	for _, st := range ir.Stages {
		stages = append(stages, st.Name+st.State)
	}
	if len(stages) > 0 {
		second += "；" + strings.Join(stages, "，")
	}
	out := []string{first, second + "。"}
	if ir.Reply != "" {
		out = append(out, "答复内容："+ir.Reply)
	}
	if ir.Outcome != "" {
		out = append(out, "办结情况："+ir.Outcome)
	}
	return out
}

// sentimentName is a relevant post's sentiment in Chinese ("" counts as
// negative, as grading treats it); nothing for the others.
func sentimentName(g model.Grade) string {
	switch {
	case !g.Relevant:
		return ""
	case g.Sentiment == "":
		return taxonomy.SentimentName(taxonomy.Negative)
	}
	return taxonomy.SentimentName(g.Sentiment)
}
