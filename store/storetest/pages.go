package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// testIncidentPages: every sort, paged by keyset in small pages, lists
// each matching incident once, in the sort's order, with the same total
// on every page; the filters agree with the domain's own reading of an
// incident (incident.Overdue); a cursor of another sort, or garbage, is
// refused.
func testIncidentPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	all := seedIncidentPages(t, s)
	now := t0.Add(30 * time.Hour)
	severity := func(a, b model.Incident) int {
		return cmp.Or(cmp.Compare(closedRank(a), closedRank(b)), cmp.Compare(a.Level, b.Level),
			b.FirstSeenAt.Compare(a.FirstSeenAt), cmp.Compare(b.ID, a.ID))
	}
	newest := func(a, b model.Incident) int {
		return cmp.Or(b.FirstSeenAt.Compare(a.FirstSeenAt), cmp.Compare(b.ID, a.ID))
	}
	active := func(a, b model.Incident) int {
		return cmp.Or(b.LastPostAt.Compare(a.LastPostAt), cmp.Compare(b.ID, a.ID))
	}
	for _, c := range []struct {
		name   string
		f      store.IncidentFilter
		keep   func(model.Incident) bool
		order  func(a, b model.Incident) int
		pageSz int
	}{
		{"severity", store.IncidentFilter{}, func(model.Incident) bool { return true }, severity, 4},
		{"newest", store.IncidentFilter{Sort: store.SortNewest}, func(model.Incident) bool { return true }, newest, 5},
		{"active open", store.IncidentFilter{Sort: store.SortActive, OnlyOpen: true}, model.Incident.Open, active, 3},
		{"source and level", store.IncidentFilter{Source: "tieba", Level: taxonomy.LevelIII},
			func(i model.Incident) bool { return i.Source == "tieba" && i.Level == taxonomy.LevelIII }, severity, 2},
		{"office, open", store.IncidentFilter{Office: "信访科", OnlyOpen: true},
			func(i model.Incident) bool { return i.Office == "信访科" && i.Open() }, severity, 2},
		{"overdue", store.IncidentFilter{Overdue: true, Now: now},
			func(i model.Incident) bool { return len(incident.Overdue(i, now)) > 0 }, severity, 3},
		{"platform's sources", store.IncidentFilter{ListFilter: store.ListFilter{Sources: []string{"bbs", "news"}}},
			func(i model.Incident) bool { return i.Source == "bbs" || i.Source == "news" }, severity, 4},
		{"first seen from, to", store.IncidentFilter{Sort: store.SortNewest, ListFilter: store.ListFilter{
			From: t0.Add(3 * time.Hour), To: t0.Add(8 * time.Hour)}}, func(i model.Incident) bool {
			return !i.FirstSeenAt.Before(t0.Add(3*time.Hour)) && i.FirstSeenAt.Before(t0.Add(8*time.Hour))
		}, newest, 3},
		{"first seen from, severity", store.IncidentFilter{ListFilter: store.ListFilter{From: t0.Add(6 * time.Hour)}},
			func(i model.Incident) bool { return !i.FirstSeenAt.Before(t0.Add(6 * time.Hour)) }, severity, 4},
		{"office and range", store.IncidentFilter{Office: "宣传科", ListFilter: store.ListFilter{To: t0.Add(9 * time.Hour)}},
			func(i model.Incident) bool {
				return i.Office == "宣传科" && i.FirstSeenAt.Before(t0.Add(9*time.Hour))
			}, severity, 2},
	} {
		var want []string
		for _, i := range slices.SortedFunc(slices.Values(all), c.order) {
			if c.keep(i) {
				want = append(want, i.Number)
			}
		}
		if len(want) < 2 {
			t.Fatalf("%s: the seed matches %d incidents, too few to test", c.name, len(want))
		}
		var got []string
		f := c.f
		f.Limit = c.pageSz
		for pages := 0; ; pages++ {
			page, err := s.Incidents(ctx, f)
			if err != nil {
				t.Fatalf("%s page %d: %v", c.name, pages+1, err)
			}
			if page.Total != len(want) {
				t.Errorf("%s page %d: total %d, want %d", c.name, pages+1, page.Total, len(want))
			}
			for _, i := range page.Incidents {
				got = append(got, i.Number)
			}
			if page.Next == "" || pages > len(all) {
				break
			}
			if len(page.Incidents) != c.pageSz {
				t.Errorf("%s page %d: %d incidents before the last page, want %d", c.name, pages+1, len(page.Incidents), c.pageSz)
			}
			f.After = page.Next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: paged list\n%v\nwant\n%v", c.name, got, want)
		}
	}
	// Each stage of the process, as the domain reads an incident.
	for _, stage := range model.Progresses {
		var want []string
		for _, i := range slices.SortedFunc(slices.Values(all), severity) {
			if i.Progress() == stage {
				want = append(want, i.Number)
			}
		}
		if len(want) < 2 {
			t.Fatalf("stage %s: the seed has %d incidents at it, too few to test", stage, len(want))
		}
		page, err := s.Incidents(ctx, store.IncidentFilter{Stage: stage, Limit: 1})
		if err != nil {
			t.Fatalf("stage %s: %v", stage, err)
		}
		if page.Total != len(want) || len(page.Incidents) != 1 || page.Incidents[0].Number != want[0] || page.Next == "" {
			t.Errorf("stage %s: page %v of %d, want %s first of %d", stage, numbers(page.Incidents), page.Total, want[0], len(want))
		}
		all, err := s.Incidents(ctx, store.IncidentFilter{Stage: stage, OnlyOpen: stage != model.ProgressClosed})
		if err != nil || fmt.Sprint(numbers(all.Incidents)) != fmt.Sprint(want) {
			t.Errorf("stage %s: %v, %v; want %v", stage, numbers(all.Incidents), err, want)
		}
	}
	// A platform no configured source is of matches nothing; an unknown
	// stage or sentiment is an error.
	if page, err := s.Incidents(ctx, store.IncidentFilter{ListFilter: store.ListFilter{Sources: []string{}}}); err != nil ||
		page.Total != 0 || len(page.Incidents) != 0 {
		t.Errorf("no sources: %d of %d, %v; want none", len(page.Incidents), page.Total, err)
	}
	for _, bad := range []store.IncidentFilter{{Stage: "signed"}, {ListFilter: store.ListFilter{Sentiment: "angry"}}} {
		if _, err := s.Incidents(ctx, bad); err == nil {
			t.Errorf("filter %+v accepted", bad)
		}
	}
	first, err := s.Incidents(ctx, store.IncidentFilter{Limit: 3})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	for _, bad := range []store.IncidentFilter{
		{Sort: store.SortNewest, After: first.Next}, // a severity position
		{After: "not-a-cursor!"},
		{After: "czEsMg"}, // base64 of "s1,2": too few keys
	} {
		if _, err := s.Incidents(ctx, bad); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q of sort %q: %v, want ErrBadCursor", bad.After, bad.Sort, err)
		}
	}
}

func numbers(incs []model.Incident) []string {
	out := make([]string, len(incs))
	for i, inc := range incs {
		out[i] = inc.Number
	}
	return out
}

func closedRank(i model.Incident) int {
	if i.Open() {
		return 0
	}
	return 1
}

// seedIncidentPages stores 23 incidents spread over statuses, levels,
// categories, sources, offices, times (ties included) and deadlines.
func seedIncidentPages(t *testing.T, s store.Store) []model.Incident {
	ctx := context.Background()
	var all []model.Incident
	sources, offices := []string{"bbs", "tieba", "news"}, []string{"", "宣传科", "信访科"}
	for i := range 23 {
		first := t0.Add(time.Duration(i/2) * time.Hour) // pairs share a first-seen time
		inc := newIncident(first)
		inc.Level = taxonomy.Levels[i%4]
		inc.Category = taxonomy.Categories[i%len(taxonomy.Categories)]
		inc.Source, inc.Office = sources[i%3], offices[(i/3)%3]
		inc.LastPostAt = first.Add(time.Duration(23-i) * time.Hour)
		if inc.Level.IsMajor() {
			inc.AckDueAt = first.Add(time.Hour)
		}
		switch i % 5 {
		case 0:
			inc.Status, inc.ClosedAt = model.StatusClosed, first.Add(2*time.Hour)
		case 1:
			inc.Status, inc.AckedAt, inc.FollowedUpAt = model.StatusFollowedUp, first.Add(time.Minute), first.Add(time.Hour)
		case 2:
			inc.InvestigateDueAt = first.Add(26 * time.Hour)
		case 3: // signed for, waiting for the follow-up
			inc.Status, inc.AckedAt = model.StatusAcknowledged, first.Add(time.Minute)
		}
		// Every stage of the process: investigating, then answering.
		switch i % 10 {
		case 6:
			inc.InvestigateDueAt = first.Add(48 * time.Hour)
		case 9:
			inc.Status, inc.AckedAt, inc.FollowedUpAt = model.StatusFollowedUp, first.Add(time.Minute), first.Add(time.Hour)
			inc.InvestigateDueAt, inc.InvestigatedAt = first.Add(48*time.Hour), first.Add(3*time.Hour)
		}
		err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateIncident(ctx, &inc); err != nil {
				return err
			}
			return tx.UpdateIncident(ctx, inc)
		})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, inc)
	}
	return all
}

// testMovePost: a post moves from one incident to another (a merge or a
// split), with its new reason; a post in no incident is ErrNotFound, and
// PostByID reads a post inside a transaction.
func testMovePost(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	mustSave(t, s, p)
	var from, to model.Incident
	err := s.InTx(ctx, func(tx store.Tx) error {
		from, to = newIncident(t0), newIncident(t0.Add(time.Minute))
		for _, inc := range []*model.Incident{&from, &to} {
			if err := tx.CreateIncident(ctx, inc); err != nil {
				return err
			}
		}
		return tx.AttachPost(ctx, from.ID, p.ID, "首发帖子", t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		got, err := tx.PostByID(ctx, p.ID)
		if err != nil || got.URL != p.URL {
			t.Errorf("PostByID = %+v, %v", got, err)
		}
		if _, err := tx.PostByID(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PostByID of no post: %v", err)
		}
		if err := tx.MovePost(ctx, 987654, to.ID, "x", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MovePost of a post in no incident: %v", err)
		}
		return tx.MovePost(ctx, p.ID, to.ID, "由事件合并", t0.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	inc, found, err := s.IncidentOfPost(ctx, p.ID)
	if err != nil || !found || inc.ID != to.ID {
		t.Fatalf("post is in %+v (found %v, %v), want incident %d", inc, found, err, to.ID)
	}
	d, err := s.IncidentDetail(ctx, to.Number)
	if err != nil || len(d.Posts) != 1 || d.Posts[0].Reason != "由事件合并" {
		t.Errorf("target's posts %+v, %v", d.Posts, err)
	}
}

// testIncidentSentiments: an incident is found by the sentiment of any of
// its posts' latest grades, as filing, attaching, moving and grading a
// post again change them.
func testIncidentSentiments(t *testing.T, s store.Store) {
	ctx := context.Background()
	graded := func(n int, sentiment string) (*model.Post, model.Grade) {
		p := post(n)
		mustSave(t, s, p)
		g := grade(p, taxonomy.LevelIV)
		g.Sentiment = sentiment
		return p, g
	}
	p1, g1 := graded(1, taxonomy.Negative)
	p2, g2 := graded(2, taxonomy.Positive)
	p3, g3 := graded(3, taxonomy.Neutral)
	a := fileNew(t, s, p1, g1, t0)
	b := fileNew(t, s, p2, g2, t0.Add(time.Minute))
	check := func(step string, want map[string][]string) {
		t.Helper()
		for _, sentiment := range taxonomy.Sentiments {
			page, err := s.Incidents(ctx, store.IncidentFilter{ListFilter: store.ListFilter{Sentiment: sentiment}, Sort: store.SortNewest})
			if err != nil {
				t.Fatal(err)
			}
			if got := numbers(page.Incidents); fmt.Sprint(got) != fmt.Sprint(want[sentiment]) || page.Total != len(got) {
				t.Errorf("%s: %s incidents %v (total %d), want %v", step, sentiment, got, page.Total, want[sentiment])
			}
		}
	}
	check("filed", map[string][]string{taxonomy.Negative: {a.Number}, taxonomy.Positive: {b.Number}})
	inTx := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	inTx(func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, g3); err != nil {
			return err
		}
		return tx.AttachPost(ctx, a.ID, p3.ID, "同一事件", t0.Add(time.Hour))
	})
	check("attached", map[string][]string{taxonomy.Negative: {a.Number}, taxonomy.Neutral: {a.Number}, taxonomy.Positive: {b.Number}})
	inTx(func(tx store.Tx) error { return tx.MovePost(ctx, p1.ID, b.ID, "合并", t0.Add(2*time.Hour)) })
	check("moved", map[string][]string{taxonomy.Negative: {b.Number}, taxonomy.Neutral: {a.Number}, taxonomy.Positive: {b.Number}})
	g2.Sentiment, g2.GradedAt = taxonomy.Negative, t0.Add(3*time.Hour)
	inTx(func(tx store.Tx) error { return tx.SaveGrade(ctx, g2) })
	check("graded again", map[string][]string{taxonomy.Negative: {b.Number}, taxonomy.Neutral: {a.Number}})
}
