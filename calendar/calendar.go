// Package calendar knows which days are working days: weekends, statutory
// holidays and the weekend days that are worked in exchange (调休), as the
// operator lists them in configs/calendar.yaml. Deadlines counted in working
// days (investigation 7, feedback 3) are computed here.
package calendar

import (
	"errors"
	"fmt"
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
	// provisional are the years whose dates were derived from the statutory
	// rules (放假办法) and not yet checked against the State Council's
	// notice (no 调休 days either).
	provisional map[int]bool
}

type file struct {
	Weekdays    []int     `yaml:"weekdays"`
	Holidays    []holiday `yaml:"holidays"`
	Workdays    []workday `yaml:"workdays"`
	Provisional []int     `yaml:"provisional"`
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

// Default is Monday to Friday with no holidays, for when no calendar file
// is configured.
func Default(loc *time.Location) *Calendar {
	if loc == nil {
		loc = time.Local
	}
	c := &Calendar{loc: loc, off: map[string]string{}, on: map[string]string{}, years: map[int]bool{}, provisional: map[int]bool{}}
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
	for i, h := range f.Holidays {
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
		}
	}
	for i, w := range f.Workdays {
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
	}
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
	return c, nil
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
