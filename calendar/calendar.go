// Package calendar knows which days are working days: weekends, statutory
// holidays and the weekend days that are worked in exchange (调休), as the
// operator lists them in configs/calendar.yaml. Deadlines counted in working
// days (investigation 7, feedback 3) are computed here, and the working time
// (those days at the office hours the file states) is rendered for
// Alertmanager, which holds Ⅲ/Ⅳ notifications outside it (alertmanager.go).
package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// Calendar answers whether a day is a working day.
type Calendar struct {
	loc      *time.Location
	weekdays [7]bool           // by time.Weekday
	off      map[string]string // date → holiday name
	on       map[string]string // date → why a weekend day is worked
	first    string            // earliest listed date, "" when none
	last     string            // latest listed date
	years    map[int]bool      // years with a listed date
	// holidays and workdays as listed, by date, and the office hours:
	// what the Alertmanager intervals are rendered from.
	holidays []dayOff
	workdays []swapDay
	hours    []span
	// provisional are the years whose dates were derived from the statutory
	// rules (放假办法) and not yet checked against the State Council's
	// notice (no 调休 days either).
	provisional map[int]bool
}

type file struct {
	Weekdays     []int        `yaml:"weekdays"`
	WorkingHours []hoursEntry `yaml:"working_hours"`
	Holidays     []holiday    `yaml:"holidays"`
	Workdays     []workday    `yaml:"workdays"`
	Provisional  []int        `yaml:"provisional"`
}

type hoursEntry struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

type holiday struct {
	Name string `yaml:"name"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

type workday struct {
	Date string `yaml:"date"`
	Note string `yaml:"note"`
}

const day = "2006-01-02"

// dayOff is a listed holiday: a run of days off, first to last day inclusive.
type dayOff struct {
	Name     string
	From, To time.Time
}

// swapDay is a weekend day worked in exchange for a holiday (调休).
type swapDay struct {
	Date time.Time
	Note string
}

// span is a part of a working day, in minutes after midnight, To excluded
// (24*60 ends it at midnight).
type span struct{ From, To int }

// defaultHours are the office hours when the file states none: those of
// a medical-insurance service counter (8:30 to 17:00), lunch included so
// that a reminder filed at noon is not held until the afternoon.
var defaultHours = []span{{8*60 + 30, 17 * 60}}

// Default is Monday to Friday with no holidays, for when no calendar file
// is configured.
func Default(loc *time.Location) *Calendar {
	if loc == nil {
		loc = time.Local
	}
	c := &Calendar{loc: loc, off: map[string]string{}, on: map[string]string{}, years: map[int]bool{}, provisional: map[int]bool{},
		hours: defaultHours}
	for d := time.Monday; d <= time.Friday; d++ {
		c.weekdays[d] = true
	}
	return c
}

// Load reads a calendar file; dates are in loc.
func Load(path string, loc *time.Location) (*Calendar, error) {
	f := file{Weekdays: []int{1, 2, 3, 4, 5}}
	doc, err := yamlfile.ReadFile(path, &f)
	if err != nil {
		return nil, err
	}
	c := Default(loc)
	c.weekdays = [7]bool{}
	var errs []error
	if len(f.Weekdays) == 0 {
		// No working weekday would make every deadline in working days
		// unreachable (and AddWorkdays would search forever).
		errs = append(errs, doc.Errorf("weekdays", "至少要有一个工作日，如 [1, 2, 3, 4, 5]"))
	}
	for i, w := range f.Weekdays {
		if w < 0 || w > 7 {
			errs = append(errs, doc.Errorf(fmt.Sprintf("weekdays[%d]", i), "星期只能是 1（周一）到 7（周日），实际为 %d", w))
			continue
		}
		c.weekdays[time.Weekday(w%7)] = true
	}
	errs = append(errs, c.loadHours(doc, f.WorkingHours)...)
	errs = append(errs, c.loadHolidays(doc, f.Holidays)...)
	errs = append(errs, c.loadWorkdays(doc, f.Workdays)...)
	for i, y := range f.Provisional {
		path := fmt.Sprintf("provisional[%d]", i)
		switch {
		case c.provisional[y]:
			errs = append(errs, doc.Errorf(path, "%d 年重复", y))
		case !c.years[y]:
			errs = append(errs, doc.Errorf(path, "本文件没有列出 %d 年的节假日或调休上班日，不能标为待核对；"+
				"provisional 只能填写上面已列出日期的年份", y))
		default:
			c.provisional[y] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortStableFunc(c.holidays, func(a, b dayOff) int { return a.From.Compare(b.From) })
	slices.SortStableFunc(c.workdays, func(a, b swapDay) int { return a.Date.Compare(b.Date) })
	return c, nil
}

// loadHours reads working_hours: ascending, non-overlapping spans of
// "08:30" to "17:00" (an end may be "24:00"). None listed keeps defaultHours.
func (c *Calendar) loadHours(doc *yamlfile.Doc, spans []hoursEntry) []error {
	if len(spans) == 0 {
		return nil
	}
	var errs []error
	c.hours = nil
	for i, s := range spans {
		path := fmt.Sprintf("working_hours[%d]", i)
		from, ok1 := parseClock(s.From)
		to, ok2 := parseClock(s.To)
		switch {
		case !ok1 || from == 24*60:
			errs = append(errs, doc.Errorf(path+".from", "时刻 %q 应写成 08:30 的形式（00:00 到 23:59）", s.From))
		case !ok2:
			errs = append(errs, doc.Errorf(path+".to", "时刻 %q 应写成 17:00 的形式（00:01 到 24:00）", s.To))
		case to <= from:
			errs = append(errs, doc.Errorf(path+".to", "结束时刻 %s 应晚于开始时刻 %s", s.To, s.From))
		case len(c.hours) > 0 && from < c.hours[len(c.hours)-1].To:
			errs = append(errs, doc.Errorf(path+".from", "各时段应按时间先后排列、互不重叠，%s 早于上一时段的结束时刻", s.From))
		default:
			c.hours = append(c.hours, span{from, to})
		}
	}
	return errs
}

// parseClock reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
func parseClock(s string) (int, bool) {
	if s == "24:00" {
		return 24 * 60, true
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

func (c *Calendar) loadHolidays(doc *yamlfile.Doc, hs []holiday) []error {
	var errs []error
	for i, h := range hs {
		path := fmt.Sprintf("holidays[%d]", i)
		from, err1 := time.ParseInLocation(day, h.From, c.loc)
		to, err2 := time.ParseInLocation(day, h.To, c.loc)
		switch {
		case h.Name == "":
			errs = append(errs, doc.Errorf(path+".name", "请填写节日名称"))
		case err1 != nil:
			errs = append(errs, doc.Errorf(path+".from", "日期 %q 应写成 2026-10-01 的形式", h.From))
		case err2 != nil:
			errs = append(errs, doc.Errorf(path+".to", "日期 %q 应写成 2026-10-07 的形式", h.To))
		case to.Before(from) || to.Sub(from) > 31*24*time.Hour:
			errs = append(errs, doc.Errorf(path+".to", "结束日期应在开始日期之后、一个月之内"))
		default:
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				c.mark(c.off, d.Format(day), h.Name)
			}
			c.holidays = append(c.holidays, dayOff{Name: h.Name, From: from, To: to})
		}
	}
	return errs
}

// loadWorkdays reads the 调休 days; it runs after loadHolidays, so a date
// listed as both is caught.
func (c *Calendar) loadWorkdays(doc *yamlfile.Doc, ws []workday) []error {
	var errs []error
	for i, w := range ws {
		path := fmt.Sprintf("workdays[%d]", i)
		d, err := time.ParseInLocation(day, w.Date, c.loc)
		if err != nil {
			errs = append(errs, doc.Errorf(path+".date", "日期 %q 应写成 2026-09-27 的形式", w.Date))
			continue
		}
		key := d.Format(day)
		if name, clash := c.off[key]; clash {
			errs = append(errs, doc.Errorf(path+".date", "%s 同时被列为假日（%s）和调休上班日", key, name))
			continue
		}
		c.mark(c.on, key, w.Note)
		c.workdays = append(c.workdays, swapDay{Date: d, Note: w.Note})
	}
	return errs
}

func (c *Calendar) mark(m map[string]string, key, note string) {
	m[key] = note
	c.years[yearOf(key)] = true
	if c.first == "" || key < c.first {
		c.first = key
	}
	if key > c.last {
		c.last = key
	}
}

// yearOf returns the year of a key Load formatted as "2006-01-02".
func yearOf(key string) int {
	y, _ := strconv.Atoi(key[:4])
	return y
}

// IsWorkday reports whether t's date (in the calendar's zone) is worked.
func (c *Calendar) IsWorkday(t time.Time) bool {
	key := t.In(c.loc).Format(day)
	if _, ok := c.on[key]; ok {
		return true
	}
	if _, ok := c.off[key]; ok {
		return false
	}
	return c.weekdays[t.In(c.loc).Weekday()]
}

// AddWorkdays returns the same clock time n working days after t: the
// deadline of a stage that must end within n working days. Days are counted
// from the day after t, so a matter registered on a Friday evening with 3
// working days is due on Wednesday evening.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	d := t.In(c.loc)
	idle := 0 // consecutive days off; Load makes a year of them impossible
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkday(d) {
			n--
			idle = 0
		} else if idle++; idle > 366 {
			// Never hang a deadline computation (it runs inside the
			// filing transaction): count calendar days instead.
			return d.AddDate(0, 0, n)
		}
	}
	return d
}

// Horizon is how far ahead the calendar must reach: deadlines in working
// days (7 + 3 for an investigation and its reply, more over a long
// holiday) are counted from now into the coming weeks, so next year's
// holidays must be in the file well before 元旦.
const Horizon = 60 * 24 * time.Hour

// CoversHorizon reports whether every day from now to now+Horizon is covered.
func (c *Calendar) CoversHorizon(now time.Time) bool {
	return c.Covers(now) && c.Covers(now.Add(Horizon))
}

// Covers reports whether t falls inside the span of dates the file lists:
// outside it, holidays are unknown and only weekends are honoured, which the
// daemon warns about.
func (c *Calendar) Covers(t time.Time) bool {
	key := t.In(c.loc).Format(day)
	return c.first != "" && key >= c.first[:4]+"-01-01" && key <= c.last[:4]+"-12-31"
}

// ProvisionalAhead returns, in order, the provisional years that the days
// from now to now+Horizon reach into: deadlines counted in them rest on
// holidays derived from the statutory rules, not on the State Council's
// arrangement, and may lack its 调休 working days.
func (c *Calendar) ProvisionalAhead(now time.Time) []int {
	var years []int
	from, to := now.In(c.loc).Year(), now.Add(Horizon).In(c.loc).Year()
	for y := from; y <= to; y++ {
		if c.provisional[y] {
			years = append(years, y)
		}
	}
	return years
}
