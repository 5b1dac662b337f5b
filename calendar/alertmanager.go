package calendar

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The Alertmanager configuration holds the working time between these two
// lines; `yuqing calendar alertmanager -write` replaces what lies between
// them and leaves the rest of the file as it is.
const (
	BlockBegin = "# ---- 工作时间：以下由 yuqing calendar alertmanager -write 根据工作日历 calendar.yaml 生成，请勿手工修改 ----"
	BlockEnd   = "# ---- 工作时间：生成内容结束 ----"
)

// The names routes refer to (active_time_intervals, mute_time_intervals).
const (
	WorkingHoursInterval = "yuqing-working-hours"
	HolidaysInterval     = "yuqing-holidays"
)

// IsWorkingTime reports whether t falls on a working day within the office
// hours: what the rendered Alertmanager intervals express.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	if !c.IsWorkday(t) {
		return false
	}
	t = t.In(c.loc)
	m := t.Hour()*60 + t.Minute()
	for _, s := range c.hours {
		if m >= s.From && m < s.To {
			return true
		}
	}
	return false
}

// Alertmanager renders the working time as Alertmanager time_intervals
// (the syntax of Alertmanager 0.25), between BlockBegin and BlockEnd.
//
// An interval is a list of entries, any of which matching is enough, and
// there is no "except". So two intervals: yuqing-working-hours holds the
// office hours of the working weekdays (every year: a year the file does
// not list is counted by weekends only, as deadlines are) and of each 调休
// day; yuqing-holidays holds each holiday whole. A route that is active in
// the first and muted in the second notifies exactly in working time.
// The output depends on the calendar only.
func (c *Calendar) Alertmanager() []byte {
	var b bytes.Buffer
	loc := c.loc.String()
	times := c.amTimes()
	line := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat(" ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	line(0, "%s", BlockBegin)
	line(0, "# 修改 calendar.yaml（节假日、调休上班日、工作时间）后请重新运行该命令；")
	line(0, "# scripts/check-alertmanager.sh 检查本段与工作日历是否一致。时刻为 %s 时间，含开始、不含结束。", loc)
	line(0, "time_intervals:")
	line(2, "# 工作时间：平时的工作日（%s）和调休上班日的 %s。", c.weekdaysZh(), c.hoursZh())
	line(2, "# 工作日历未列出的年份只按周末计算（与处置时限的推算相同）。")
	line(2, "- name: %s", WorkingHoursInterval)
	line(4, "time_intervals:")
	line(6, "- {weekdays: [%s], times: %s, location: %s}", c.amWeekdays(), times, loc)
	for _, w := range c.workdays {
		line(6, "# %s %s", w.Date.Format(day), cmp.Or(w.Note, "调休上班"))
		line(6, "- {%s, times: %s, location: %s}", amDays(w.Date, w.Date), times, loc)
	}
	line(2, "# 法定节假日：全天不算工作时间，即使是平时的工作日。")
	line(2, "- name: %s", HolidaysInterval)
	if len(c.holidays) == 0 {
		line(4, "time_intervals: []")
	} else {
		line(4, "time_intervals:")
	}
	for _, h := range c.holidays {
		line(6, "# %d 年%s：%s%s", h.From.Year(), h.Name, dates(h), c.provisionalZh(h))
		// Alertmanager's days_of_month counts within one month of one
		// year: a holiday across a month's end is one entry per month.
		for from := h.From; !from.After(h.To); {
			to := time.Date(from.Year(), from.Month()+1, 0, 0, 0, 0, 0, c.loc) // month's last day
			if to.After(h.To) {
				to = h.To
			}
			line(6, "- {%s, location: %s}", amDays(from, to), loc)
			from = to.AddDate(0, 0, 1)
		}
	}
	line(0, "%s", BlockEnd)
	return b.Bytes()
}

// dates is a holiday's first to last day, or its only day.
func dates(h dayOff) string {
	if h.To.Equal(h.From) {
		return h.From.Format(day)
	}
	return h.From.Format(day) + " 至 " + h.To.Format(day)
}

func (c *Calendar) provisionalZh(h dayOff) string {
	if c.provisional[h.From.Year()] || c.provisional[h.To.Year()] {
		return "（按放假办法推算，待核对）"
	}
	return ""
}

// amDays is the years, months and days_of_month of the days from to to,
// both in one month.
func amDays(from, to time.Time) string {
	days := fmt.Sprint(from.Day())
	if to.Day() != from.Day() {
		days += fmt.Sprintf(":%d", to.Day())
	}
	return fmt.Sprintf(`years: ["%d"], months: ["%d"], days_of_month: ["%s"]`, from.Year(), from.Month(), days)
}

// amTimes is the office hours as a times list.
func (c *Calendar) amTimes() string {
	parts := make([]string, len(c.hours))
	for i, s := range c.hours {
		parts[i] = fmt.Sprintf(`{start_time: "%s", end_time: "%s"}`, clock(s.From), clock(s.To))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (c *Calendar) hoursZh() string {
	parts := make([]string, len(c.hours))
	for i, s := range c.hours {
		parts[i] = clock(s.From) + "-" + clock(s.To)
	}
	return strings.Join(parts, "、")
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// weekdayRuns returns the working weekdays as runs of consecutive days in
// Alertmanager's order (Sunday first), [first, last] each.
func (c *Calendar) weekdayRuns() [][2]time.Weekday {
	var runs [][2]time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		switch {
		case !c.weekdays[d]:
		case len(runs) > 0 && runs[len(runs)-1][1] == d-1:
			runs[len(runs)-1][1] = d
		default:
			runs = append(runs, [2]time.Weekday{d, d})
		}
	}
	return runs
}

func (c *Calendar) amWeekdays() string {
	var parts []string
	for _, r := range c.weekdayRuns() {
		s := strings.ToLower(r[0].String())
		if r[1] != r[0] {
			s += ":" + strings.ToLower(r[1].String())
		}
		parts = append(parts, `"`+s+`"`)
	}
	return strings.Join(parts, ", ")
}

var weekdayZh = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

func (c *Calendar) weekdaysZh() string {
	var parts []string
	for _, r := range c.weekdayRuns() {
		s := weekdayZh[r[0]]
		if r[1] != r[0] {
			s += "至" + weekdayZh[r[1]]
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "、")
}

// ReplaceBlock returns config with the lines from BlockBegin to BlockEnd
// replaced by block (which carries both lines itself).
func ReplaceBlock(config, block []byte) ([]byte, error) {
	begin, end, err := findBlock(config)
	if err != nil {
		return nil, err
	}
	out := append([]byte{}, config[:begin]...)
	out = append(out, block...)
	return append(out, config[end:]...), nil
}

// Block returns the generated block of config, marker lines included.
func Block(config []byte) ([]byte, error) {
	begin, end, err := findBlock(config)
	if err != nil {
		return nil, err
	}
	return config[begin:end], nil
}

// findBlock returns the offsets of the BlockBegin line and of the end of
// the BlockEnd line (after its newline).
func findBlock(config []byte) (int, int, error) {
	lineAt := func(marker string) []int {
		var at []int
		for off := 0; off < len(config); {
			n := bytes.IndexByte(config[off:], '\n')
			next := len(config)
			if n >= 0 {
				next = off + n + 1
			}
			if strings.TrimRight(string(config[off:next]), "\r\n") == marker {
				at = append(at, off, next)
			}
			off = next
		}
		return at
	}
	b, e := lineAt(BlockBegin), lineAt(BlockEnd)
	switch {
	case len(b) == 0 || len(e) == 0:
		return 0, 0, errors.New("找不到生成内容的起止行（“" + BlockBegin + "”与“" + BlockEnd +
			"”），请把这两行加到配置文件顶层（如 route 之后），再重新运行")
	case len(b) > 2 || len(e) > 2:
		return 0, 0, errors.New("生成内容的起止行出现了不止一次，请删去多余的一组")
	case e[0] < b[0]:
		return 0, 0, errors.New("生成内容的结束行在开始行之前")
	}
	return b[0], e[1], nil
}
