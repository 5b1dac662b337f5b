package reportsched

import (
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/report"
)

// run is one scheduled report: the period it covers and when it is due.
type run struct {
	kind  string
	start time.Time // the period's first day, midnight in the bureau's zone
	due   time.Time
}

// A report is due after its period ends: 日报 on the next day, 周报 on the
// configured weekday of the next week, 月报 on the configured day of the
// next month, each moved to the next working day when WorkdaysOnly and
// that day is off. So a Friday's 日报 and the weekend's are all due on
// Monday, and none is due on a holiday.

// lookback is how many periods before a moment can still fall due after
// it: a holiday (the Spring Festival's eight days and the weekend around
// them) pushes a 日报 a fortnight at most.
func (s *Schedule) lookback() int {
	switch s.Kind {
	case "daily":
		return 20
	case "weekly":
		return 4
	}
	return 2
}

// periodOf is the start of the period holding t, in loc (as report
// counts periods).
func (s *Schedule) periodOf(t time.Time, loc *time.Location) time.Time {
	p, _ := report.Request{Kind: report.Kind(s.Kind), Date: t}.Span(loc) // kinds are checked at load
	return p.From
}

// shift is the start of the period n periods after the one starting at start.
func (s *Schedule) shift(start time.Time, n int) time.Time {
	y, m, d := start.Date()
	switch s.Kind {
	case "weekly":
		return time.Date(y, m, d+7*n, 0, 0, 0, 0, start.Location())
	case "monthly":
		return time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, start.Location())
	}
	return time.Date(y, m, d+n, 0, 0, 0, 0, start.Location())
}

// due is when the report of the period starting at start is built.
func (s *Schedule) due(start time.Time, cal *calendar.Calendar) time.Time {
	y, m, d := s.shift(start, 1).Date()
	switch s.Kind {
	case "weekly":
		d += s.Weekday - 1
	case "monthly":
		d += s.Day - 1
	}
	day := time.Date(y, m, d, 12, 0, 0, 0, start.Location())
	// A calendar has at least one working weekday: a few weeks always
	// reach one.
	for i := 0; i < 60 && s.workdaysOnly() && !cal.IsWorkday(day); i++ {
		day = day.AddDate(0, 0, 1)
	}
	y, m, d = day.Date()
	return time.Date(y, m, d, s.clock/60, s.clock%60, 0, 0, start.Location())
}

// runs are the runs due in (from, to], oldest period first.
func (s *Schedule) runs(from, to time.Time, cal *calendar.Calendar, loc *time.Location) []run {
	var out []run
	last := s.periodOf(to, loc)
	for p := s.shift(s.periodOf(from, loc), -s.lookback()); !p.After(last); p = s.shift(p, 1) {
		if due := s.due(p, cal); due.After(from) && !due.After(to) {
			out = append(out, run{kind: s.Kind, start: p, due: due})
		}
	}
	return out
}

// lastDue is the latest due time at or before t (zero when none within
// the lookback).
func (s *Schedule) lastDue(t time.Time, cal *calendar.Calendar, loc *time.Location) time.Time {
	var last time.Time
	for p := s.shift(s.periodOf(t, loc), -s.lookback()); ; p = s.shift(p, 1) {
		due := s.due(p, cal)
		if due.After(t) {
			return last
		}
		last = due
	}
}

// nextDue is the earliest due time after t.
func (s *Schedule) nextDue(t time.Time, cal *calendar.Calendar, loc *time.Location) time.Time {
	for p := s.shift(s.periodOf(t, loc), -s.lookback()); ; p = s.shift(p, 1) {
		if due := s.due(p, cal); due.After(t) {
			return due
		}
	}
}
