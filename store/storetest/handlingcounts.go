package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// handlingSpan is the span seedHandling's incidents are counted over, and
// the moment they are counted at.
var (
	handlingFrom = t0.Add(-time.Hour)
	handlingTo   = t0.Add(24 * time.Hour)
	handlingNow  = t0.Add(72 * time.Hour)
)

// seedHandling stores incidents with known handling times: five first
// seen in [handlingFrom, handlingTo), one before and one at its end.
func seedHandling(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	mk := func(first time.Time, office string, level taxonomy.Level, edit func(*model.Incident)) {
		inc := newIncident(first)
		inc.Level = level
		inc.Title = office + "承办的事件，联系电话13812345678"
		edit(&inc)
		if err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateIncident(ctx, &inc); err != nil {
				return err
			}
			if office != "" {
				inc.Office, inc.AssignedAt = office, first.Add(time.Minute)
			}
			return tx.UpdateIncident(ctx, inc)
		}); err != nil {
			t.Fatal(err)
		}
	}
	closed := func(i *model.Incident, at time.Time) { i.Status, i.ClosedAt = model.StatusClosed, at }
	// 信访科, Ⅱ: signed for in 20 minutes (on time), followed up an hour
	// late, closed after 10 hours.
	mk(at(0, 0), "信访科", taxonomy.LevelII, func(i *model.Incident) {
		i.AckDueAt, i.AckedAt, i.FollowUpDueAt, i.FollowedUpAt = at(0, 30), at(0, 20), at(2, 0), at(3, 0)
		closed(i, at(10, 0))
	})
	// 信访科, Ⅳ: no 签收 stage; signed for after an hour, followed up on
	// time; investigation due after now.
	mk(at(1, 0), "信访科", taxonomy.LevelIV, func(i *model.Incident) {
		i.AckedAt, i.FollowUpDueAt, i.FollowedUpAt, i.InvestigateDueAt = at(2, 0), at(25, 0), at(3, 0), handlingNow.Add(time.Hour)
	})
	// 信访科, Ⅱ: neither signed for nor followed up, both past due.
	mk(at(2, 0), "信访科", taxonomy.LevelII, func(i *model.Incident) {
		i.AckDueAt, i.FollowUpDueAt = at(2, 30), at(4, 0)
	})
	// Not assigned, Ⅳ: follow-up due after now; signed for after now
	// (not counted at now).
	mk(at(3, 0), "", taxonomy.LevelIV, func(i *model.Incident) {
		i.FollowUpDueAt, i.AckedAt = handlingNow.Add(time.Hour), handlingNow.Add(time.Hour)
	})
	// 宣传科, Ⅰ: signed for at its deadline exactly, followed up early,
	// closed after two days.
	mk(at(4, 0), "宣传科", taxonomy.LevelI, func(i *model.Incident) {
		i.AckDueAt, i.AckedAt, i.FollowUpDueAt, i.FollowedUpAt = at(4, 30), at(4, 30), at(6, 0), at(5, 0)
		closed(i, at(52, 0))
	})
	// Outside the span: first seen before it, and at its end.
	for _, first := range []time.Time{handlingFrom.Add(-time.Minute), handlingTo} {
		mk(first, "信访科", taxonomy.LevelII, func(i *model.Incident) { i.AckDueAt = first.Add(time.Minute) })
	}
}

// testHandlingCounts: the incidents first seen in a span, by office and
// level: stages fallen due and met on time, incidents late at a stage,
// times to 签收 and 办结, as at a moment (what happens after it does not
// count).
func testHandlingCounts(t *testing.T, s store.Store) {
	seedHandling(t, s)
	got, err := s.HandlingCounts(context.Background(), handlingFrom, handlingTo, handlingNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.HandlingCount{
		{Office: "", Level: taxonomy.LevelIV, Incidents: 1},
		{Office: "信访科", Level: taxonomy.LevelII, Incidents: 2, AckDue: 2, AckOnTime: 1, FollowUpDue: 2, Overdue: 2,
			Acked: 1, Closed: 1, AckTime: 20 * time.Minute, CloseTime: 10 * time.Hour},
		{Office: "信访科", Level: taxonomy.LevelIV, Incidents: 1, FollowUpDue: 1, FollowUpOnTime: 1, Acked: 1, AckTime: time.Hour},
		{Office: "宣传科", Level: taxonomy.LevelI, Incidents: 1, AckDue: 1, AckOnTime: 1, FollowUpDue: 1, FollowUpOnTime: 1,
			Acked: 1, Closed: 1, AckTime: 30 * time.Minute, CloseTime: 48 * time.Hour},
	}
	if !slices.Equal(got, want) {
		t.Errorf("HandlingCounts =\n %+v\nwant\n %+v", got, want)
	}
	// Counted at the first incident's first hour: nothing was due yet but
	// its 签收, met on time; the others' first-seen times are after it.
	early, err := s.HandlingCounts(context.Background(), handlingFrom, handlingTo, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(early) != 4 || early[1].AckDue != 1 || early[1].AckOnTime != 1 || early[1].Acked != 1 || early[1].Closed != 0 ||
		early[1].Overdue != 0 || early[1].CloseTime != 0 {
		t.Errorf("HandlingCounts(early) = %+v", early)
	}
}
