package reportsched

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
)

var cst = time.FixedZone("CST", 8*3600)

// testCalendar has 国庆节 2026-10-01..07 and Saturday 10-10 worked (调休).
func testCalendar(t *testing.T) *calendar.Calendar {
	t.Helper()
	path := filepath.Join(t.TempDir(), "calendar.yaml")
	err := os.WriteFile(path, []byte(`
weekdays: [1, 2, 3, 4, 5]
holidays:
  - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
workdays:
  - {date: 2026-10-10, note: 国庆节调休}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	c, err := calendar.Load(path, cst)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at reads "2006-01-02 15:04" or "2006-01-02 15:04:05" in cst.
func at(s string) time.Time {
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout += ":05"
	}
	t, err := time.ParseInLocation(layout, s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func schedule(kind, clock string, weekday, day int) Schedule {
	s := Schedule{Kind: kind, At: clock, Weekday: weekday, Day: day}
	s.clock, _ = parseClock(clock)
	return s
}

func TestDue(t *testing.T) {
	cal := testCalendar(t)
	daily, weekly, monthly := schedule("daily", "08:30", 0, 0), schedule("weekly", "09:00", 1, 0), schedule("monthly", "09:00", 0, 1)
	for _, tc := range []struct {
		s      Schedule
		period string
		due    string
	}{
		{daily, "2026-09-29 00:00", "2026-09-30 08:30"},  // Tuesday's on Wednesday
		{daily, "2026-09-30 00:00", "2026-10-08 08:30"},  // the day before the holiday: after it
		{daily, "2026-10-03 00:00", "2026-10-08 08:30"},  // a holiday's
		{daily, "2026-10-09 00:00", "2026-10-10 08:30"},  // Friday's on the Saturday worked
		{daily, "2026-10-16 00:00", "2026-10-19 08:30"},  // Friday's on Monday
		{weekly, "2026-09-28 00:00", "2026-10-08 09:00"}, // Monday 10-05 is a holiday
		{weekly, "2026-10-05 00:00", "2026-10-12 09:00"},
		{monthly, "2026-09-01 00:00", "2026-10-08 09:00"}, // 10-01 is a holiday
		{monthly, "2026-10-01 00:00", "2026-11-02 09:00"}, // 11-01 is a Sunday
	} {
		if got := tc.s.due(at(tc.period), cal); !got.Equal(at(tc.due)) {
			t.Errorf("%s of %s due %v, want %s", tc.s.Kind, tc.period, got, tc.due)
		}
	}
	off := daily
	no := false
	off.WorkdaysOnly = &no
	if got := off.due(at("2026-10-03 00:00"), cal); !got.Equal(at("2026-10-04 08:30")) {
		t.Errorf("every day: due %v", got)
	}
}

func TestRunsAndNextDue(t *testing.T) {
	cal := testCalendar(t)
	daily := schedule("daily", "08:30", 0, 0)
	// On the first day after 国庆节, the 日报 of 09-30 and of each
	// holiday fall due at once; nothing falls due during the holiday.
	if rs := daily.runs(at("2026-10-01 00:00"), at("2026-10-07 23:59"), cal, cst); len(rs) != 0 {
		t.Errorf("runs during the holiday: %v", rs)
	}
	rs := daily.runs(at("2026-10-08 08:29"), at("2026-10-08 08:30"), cal, cst)
	if len(rs) != 8 || !rs[0].start.Equal(at("2026-09-30 00:00")) || !rs[7].start.Equal(at("2026-10-07 00:00")) {
		t.Errorf("runs of 10-08: %v", rs)
	}
	if got := daily.nextDue(at("2026-09-30 08:30"), cal, cst); !got.Equal(at("2026-10-08 08:30")) {
		t.Errorf("next due after 09-30 08:30: %v", got)
	}
	if got := daily.lastDue(at("2026-10-07 12:00"), cal, cst); !got.Equal(at("2026-09-30 08:30")) {
		t.Errorf("last due on 10-07: %v", got)
	}
	if got := daily.lastDue(at("2026-10-08 08:30"), cal, cst); !got.Equal(at("2026-10-08 08:30")) {
		t.Errorf("last due at 10-08 08:30: %v", got)
	}
}
