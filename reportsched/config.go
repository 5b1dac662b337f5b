package reportsched

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// Config is the reports section of yuqing.yaml: when each report is built
// and who receives it.
type Config struct {
	Schedules []Schedule `yaml:"schedules"`
	// Formats are the files sent with each report (docx, xlsx, html), in
	// this order; e-mail attaches them, WeCom robots send them as files.
	Formats []string `yaml:"formats"`
	// Retry paces the later attempts at a delivery whose attempts (the
	// delivery section's retry) all failed for a reason that may pass.
	Retry Retry `yaml:"retry"`
}

// Schedule is one report built on a schedule.
type Schedule struct {
	// Kind is daily (日报, the day before), weekly (周报, the week before,
	// Monday to Sunday) or monthly (月报, the month before).
	Kind string `yaml:"kind"`
	// At is the time of day, "HH:MM" in the bureau's time zone.
	At string `yaml:"at"`
	// Weekday is the day of a weekly report, 1 (Monday) to 7.
	Weekday int `yaml:"weekday"`
	// Day is the day of the month of a monthly report, 1 to 28.
	Day int `yaml:"day"`
	// WorkdaysOnly moves a run that falls on a day off (weekend, holiday,
	// per calendar.yaml) to the next working day (default true).
	WorkdaysOnly *bool `yaml:"workdays_only"`
	// Receivers are names in delivery.receivers.
	Receivers []string `yaml:"receivers"`

	clock int // At, minutes after midnight
}

// Retry is the backoff between the rounds of attempts at one delivery.
type Retry struct {
	Rounds  int           `yaml:"rounds"`  // rounds in all before giving up
	Initial time.Duration `yaml:"initial"` // wait before the second round, doubled each time
	Max     time.Duration `yaml:"max"`
}

// after is the wait after the n-th failed round (1-based); false: give up.
func (r Retry) after(n int) (time.Duration, bool) {
	if n >= r.Rounds {
		return 0, false
	}
	d := r.Initial
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max), true
}

// Default is the section when yuqing.yaml has none: no schedule.
func Default() Config {
	return Config{Formats: []string{"docx"}, Retry: Retry{Rounds: 6, Initial: 5 * time.Minute, Max: 2 * time.Hour}}
}

// The kinds a schedule may name (package report's Kind values).
var kindTitles = map[string]string{"daily": "日报", "weekly": "周报", "monthly": "月报"}

// formatNames are the formats a report is written in (package report's
// Format values).
var formatNames = []string{"docx", "xlsx", "html"}

// Validate checks the section, found at "reports" in doc, against the
// receivers of del.
func (c *Config) Validate(doc *yamlfile.Doc, del *delivery.Config) []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, doc.Errorf("reports."+path, format, args...))
	}
	if len(c.Formats) == 0 {
		add("formats", "至少要发送一种格式的报告文件：docx（Word）、xlsx（Excel）或 html（网页）")
	}
	for i, f := range c.Formats {
		if !slices.Contains(formatNames, f) {
			add(fmt.Sprintf("formats[%d]", i), "未知的报告格式 %q，可选 docx（Word）、xlsx（Excel）、html（网页）", f)
		} else if slices.Index(c.Formats, f) < i {
			add(fmt.Sprintf("formats[%d]", i), "报告格式 %q 重复", f)
		}
	}
	if c.Retry.Rounds < 1 || c.Retry.Rounds > 20 {
		add("retry.rounds", "发送失败后的重试轮数应在 1 到 20 之间")
	}
	if c.Retry.Initial < time.Minute || c.Retry.Initial > c.Retry.Max {
		add("retry.initial", "首次重试的等待时间至少 1 分钟、不超过 retry.max")
	}
	if c.Retry.Max > 24*time.Hour {
		add("retry.max", "重试等待时间最长 24 小时")
	}
	seen := map[string]int{}
	for i := range c.Schedules {
		s := &c.Schedules[i]
		path := fmt.Sprintf("schedules[%d]", i)
		title, ok := kindTitles[s.Kind]
		if !ok {
			add(path+".kind", "未知的报告种类 %q，可选 daily（日报）、weekly（周报）、monthly（月报）", s.Kind)
		}
		var err error
		if s.clock, err = parseClock(s.At); err != nil {
			add(path+".at", "生成时间 %q 应写成 时:分，如 \"08:30\"（00:00 到 23:59）", s.At)
		}
		switch s.Kind {
		case "weekly":
			if s.Weekday == 0 {
				s.Weekday = 1
			}
			if s.Weekday < 1 || s.Weekday > 7 {
				add(path+".weekday", "周报的生成日应为 1（周一）到 7（周日），实际为 %d", s.Weekday)
			}
		case "monthly":
			if s.Day == 0 {
				s.Day = 1
			}
			if s.Day < 1 || s.Day > 28 {
				add(path+".day", "月报的生成日应为每月 1 日到 28 日，实际为 %d", s.Day)
			}
		}
		if s.Weekday != 0 && s.Kind != "weekly" {
			add(path+".weekday", "只有周报（weekly）按星期几生成，%s请删去 weekday", title)
		}
		if s.Day != 0 && s.Kind != "monthly" {
			add(path+".day", "只有月报（monthly）按每月几日生成，%s请删去 day", title)
		}
		if j, dup := seen[s.Kind]; dup && ok {
			add(path+".kind", "%s已在 schedules[%d] 中安排，每种报告只能安排一次", title, j)
		}
		seen[s.Kind] = i
		for j, name := range s.Receivers {
			if _, ok := del.Lookup(name); !ok {
				add(fmt.Sprintf("%s.receivers[%d]", path, j), "delivery.receivers 中没有名为 %q 的接收方", name)
			} else if slices.Index(s.Receivers, name) < j {
				add(fmt.Sprintf("%s.receivers[%d]", path, j), "接收方 %q 重复", name)
			}
		}
	}
	return errs
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("bad clock %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// workdaysOnly is WorkdaysOnly with its default.
func (s *Schedule) workdaysOnly() bool { return s.WorkdaysOnly == nil || *s.WorkdaysOnly }

var weekdayNames = []string{"", "周一", "周二", "周三", "周四", "周五", "周六", "周日"}

// Describe says in Chinese when the schedule runs and who receives it,
// for yuqing check.
func (s *Schedule) Describe() string {
	var when string
	switch s.Kind {
	case "daily":
		when = "每天"
	case "weekly":
		when = "每" + weekdayNames[s.Weekday]
	case "monthly":
		when = fmt.Sprintf("每月 %d 日", s.Day)
	}
	when += " " + s.At
	switch {
	case s.workdaysOnly() && s.Kind == "daily":
		when = "每个工作日 " + s.At + "（周末、节假日的日报在其后第一个工作日一并生成）"
	case s.workdaysOnly():
		when += "（遇周末、节假日顺延到下一个工作日）"
	}
	to := "不发送"
	if len(s.Receivers) > 0 {
		to = "发给 " + strings.Join(s.Receivers, "、")
	}
	return kindTitles[s.Kind] + "：" + when + "生成，" + to
}
