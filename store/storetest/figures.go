package storetest

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// testFigures: the overview's figures (package report) of the figures
// fixture, counted by the store: each day's posts by grade, the totals
// and negative share, the shares by source and district, the rising
// words, the open incidents and those needing action now.
func testFigures(t *testing.T, s store.Store) {
	seedStatsPosts(t, s)
	ctx := context.Background()
	places := []string{"临江区", "岚北区", "高_区", "白沙县"}
	f, err := report.CountPosts(ctx, s, report.Period{From: statsDay0, Days: 3},
		report.Options{Places: places, Rising: report.RisingOptions{MinPosts: 2, MinRatio: 1}})
	if err != nil {
		t.Fatal(err)
	}
	type day struct{ collected, graded, relevant, negative int }
	var got []day
	for _, d := range f.Days {
		got = append(got, day{d.Collected, d.Graded, d.Relevant, d.Negative})
	}
	if want := []day{{1, 1, 1, 1}, {3, 2, 1, 0}, {3, 3, 2, 1}}; !slices.Equal(got, want) {
		t.Errorf("days (collected, graded, relevant, negative) = %v, want %v", got, want)
	}
	d2 := f.Days[2]
	if d2.Categories[taxonomy.Institution] != 1 || d2.Categories[taxonomy.Policy] != 1 || d2.Levels[2] != 1 ||
		d2.Levels[4] != 1 || d2.Sentiments != [3]int{1, 0, 1} || !d2.Start.Equal(statsDay0.AddDate(0, 0, 2)) {
		t.Errorf("day 2 = %+v", d2)
	}
	total := f.Total(3)
	if share, ok := total.NegativeShare(); total != (report.Totals{Collected: 7, Relevant: 4, Negative: 2}) || !ok || share != 50 {
		t.Errorf("totals %+v, negative share %d%%", total, share)
	}
	if last := f.Total(1); last.Collected != 3 || last.Relevant != 2 {
		t.Errorf("last day %+v", last)
	}
	var keys []string
	for _, sh := range append(slices.Clone(f.Sources), f.Places...) {
		keys = append(keys, sh.Key)
	}
	// Most relevant first, then most posts; districts of equal count as configured.
	if want := []string{"bbs", "tieba", "12345", "news", "岚北区", "白沙县", "临江区", "高_区"}; !slices.Equal(keys, want) {
		t.Errorf("shares %v, want %v", keys, want)
	}
	// Days -1, 0 and 1 are the baseline (three days with posts): 断缴 on
	// two of them, on two posts of day 2; 医保 is a stop word.
	if len(f.Rising) != 1 || f.Rising[0].Term != "断缴" || f.Rising[0].Recent != 2 || math.Abs(f.Rising[0].Ratio-1.2) > 1e-9 {
		t.Errorf("rising %+v, want 断缴 on 2 posts, 1.2 times its baseline", f.Rising)
	}
	testIncidentFigures(t, s)
}

// testIncidentFigures: the open incidents and the urgent ones: a stage
// overdue, or due within report.UrgentWithin, most severe first.
func testIncidentFigures(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := t0.Add(72 * time.Hour)
	var numbers []string
	for _, c := range []struct {
		level  taxonomy.Level
		due    time.Duration
		closed bool
	}{{taxonomy.LevelIV, time.Hour, false}, {taxonomy.LevelII, -time.Minute, false}, {taxonomy.LevelIII, 5 * time.Hour, false},
		{taxonomy.LevelI, -time.Hour, true}} {
		inc := newIncident(t0)
		inc.Level, inc.FollowUpDueAt = c.level, now.Add(c.due)
		if c.closed {
			inc.Status, inc.ClosedAt = model.StatusClosed, t0
		}
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateIncident(ctx, &inc) }); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, inc.Number)
	}
	f, err := report.CountIncidents(ctx, s, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var urgent []string
	for _, inc := range f.Urgent {
		urgent = append(urgent, inc.Number)
	}
	if want := []string{numbers[1], numbers[0]}; !slices.Equal(urgent, want) || f.UrgentTotal != 2 {
		t.Errorf("urgent %v of %d, want %v", urgent, f.UrgentTotal, want)
	}
	if open := f.Open(); open.Open != 3 || open.Overdue.FollowUp != 1 || open.Overdue.Any != 1 || f.Levels[3].Open != 1 {
		t.Errorf("open %+v, by level %+v", open, f.Levels)
	}
}
