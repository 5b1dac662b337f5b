package incident_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// burstPosts files n reposts about the same matter, every gap, each graded
// Ⅳ, and returns the incident number and, per post, the level after it.
func burstPosts(t *testing.T, st store.Store, svc *incident.Service, c *clock, from, n int, gap time.Duration) []taxonomy.Level {
	t.Helper()
	var levels []taxonomy.Level
	for i := from; i < from+n; i++ {
		p := savePost(t, st, fmt.Sprintf("http://bbs/%d", i), "报销款三个月还没到账怎么回事", "住院报销材料交了三个月，款还没到。", c.t)
		out := file(t, st, svc, p, 4, "reimbursement")
		if i > 0 && !out.Joined {
			t.Fatalf("post %d did not join the incident: %+v", i+1, out)
		}
		levels = append(levels, out.Incident.Level)
		c.t = c.t.Add(gap)
	}
	return levels
}

func levelEvents(t *testing.T, st store.Store, number string) []model.Event {
	t.Helper()
	d, err := st.IncidentDetail(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Event
	for _, e := range d.Events {
		if e.Kind == model.EventLevelChanged {
			out = append(out, e)
		}
	}
	return out
}

// Steady traffic of one post every 5 hours keeps exactly 5 posts in the
// 24-hour window from the 5th post on: that is one burst, raised once, not
// a new raise each time the window slides.
func TestBurstSteadyTrafficRaisesOnce(t *testing.T) {
	st, svc, c := setup(t)
	levels := burstPosts(t, st, svc, c, 0, 14, 5*time.Hour) // 65 hours, within the group window
	want := []int{4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}
	if fmt.Sprint(levels) != fmt.Sprint(want) {
		t.Errorf("levels after each post %v, want %v", levels, want)
	}
	if evs := levelEvents(t, st, "YQ-20261123-0001"); len(evs) != 1 {
		t.Errorf("%d level changes, want 1: %+v", len(evs), evs)
	}
}

// A real burst of 20 posts within a day raises twice: at the 5th and at
// the 20th post; more posts raise no further.
func TestBurstOfTwentyRaisesTwice(t *testing.T) {
	st, svc, c := setup(t)
	levels := burstPosts(t, st, svc, c, 0, 25, 30*time.Minute)
	for i, l := range levels {
		want := taxonomy.LevelIV
		switch {
		case i+1 >= 20:
			want = 2
		case i+1 >= 5:
			want = 3
		}
		if l != want {
			t.Errorf("level after post %d is %d, want %d", i+1, l, want)
		}
	}
	if evs := levelEvents(t, st, "YQ-20261123-0001"); len(evs) != 2 {
		t.Errorf("%d level changes, want 2: %+v", len(evs), evs)
	}
}

// A level staff lowered after a burst raise stays: posts that keep the
// window at the threshold do not raise it back; only the second stage
// (four times the threshold) raises once more.
func TestBurstRespectsManualDowngrade(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	const number = "YQ-20261123-0001"
	if levels := burstPosts(t, st, svc, c, 0, 5, time.Hour); levels[4] != 3 {
		t.Fatalf("5th post left level %d, want 3", levels[4])
	}
	if _, err := svc.ChangeLevel(ctx, number, "王科员", 4, "经核实为个别现象"); err != nil {
		t.Fatal(err)
	}
	// Steady traffic: the window holds 5 posts again and again.
	for i, l := range burstPosts(t, st, svc, c, 5, 10, 5*time.Hour) {
		if l != 4 {
			t.Fatalf("post %d raised the lowered level back to %d", i+6, l)
		}
	}
	// A surge to 20 posts within the window is the second stage: one raise.
	levels := burstPosts(t, st, svc, c, 15, 17, 10*time.Minute)
	for i, l := range levels {
		want := taxonomy.LevelIV
		if i >= 15 { // the window held 4 (steady) + 16 = 20 posts
			want = 3
		}
		if l != want {
			t.Errorf("level after surge post %d is %d, want %d", i+1, l, want)
		}
	}
	if evs := levelEvents(t, st, number); len(evs) != 3 || evs[1].Actor != "王科员" || evs[2].Actor != incident.SystemActor {
		t.Errorf("level changes %+v, want burst, staff, second-stage burst", evs)
	}
}
