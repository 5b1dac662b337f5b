package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestShippedWorkflowSettings(t *testing.T) {
	c, err := Load(filepath.Join("..", "configs", "yuqing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy()
	for _, o := range []string{"宣传科", "信访科", "基金监管科", "医药服务管理科"} {
		if !slices.Contains(p.Offices, o) {
			t.Errorf("offices %q lack %s", p.Offices, o)
		}
	}
	if d := p.Levels[3]; d.InvestigateDays != 7 || d.FeedbackDays != 3 {
		t.Errorf("Ⅲ working-day stages %+v", d)
	}
	if p.SimHashDistance != 3 || p.EventWindow != 48*time.Hour || p.EventMinTerms != 3 || p.BurstPosts != 5 || p.BurstWindow != 24*time.Hour {
		t.Errorf("grouping %+v", c.Grouping)
	}
	// The shipped calendar: National Day 2026 is off, Saturday 2026-10-10 is worked (调休).
	if c.Calendar.IsWorkday(time.Date(2026, 10, 2, 12, 0, 0, 0, c.Location)) || !c.Calendar.IsWorkday(time.Date(2026, 10, 10, 12, 0, 0, 0, c.Location)) {
		t.Error("calendar.yaml not loaded")
	}
	if p.Calendar == nil || p.Calendar.AddWorkdays(time.Date(2026, 9, 30, 9, 0, 0, 0, c.Location), 1).Day() != 8 {
		t.Error("policy does not count working days on the loaded calendar")
	}
}

func TestNoCalendarFileMeansWeekdays(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	c, err := Load(write(t, dir, "y.yaml", "listen: 127.0.0.1:9999\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Calendar == nil || !c.Calendar.IsWorkday(time.Date(2026, 10, 2, 12, 0, 0, 0, c.Location)) {
		t.Error("without calendar_file every weekday is a working day")
	}
	if len(c.Offices) == 0 || c.Levels[4].InvestigateDays != 7 {
		t.Errorf("workflow defaults not applied: %q %+v", c.Offices, c.Levels[4])
	}
}

func TestWorkflowSettingErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	for text, want := range map[string]string{
		"offices: []\n":                                               "offices: 至少需要配置一个承办科室",
		"offices: [宣传科, 宣传科]\n":                                       "科室 \"宣传科\" 重复",
		"grouping:\n  simhash_distance: 40\n":                         "grouping.simhash_distance",
		"grouping:\n  event_min_terms: 0\n":                           "grouping.event_min_terms",
		"calendar_file: nope.yaml\n":                                  "nope.yaml",
		"levels:\n  1:\n    followup: 1h\n    investigate_days: -1\n": "levels.1.investigate_days",
	} {
		_, err := Load(write(t, dir, "y.yaml", text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", text, err, want)
		}
	}
}

// grouping.window replaced the top-level group_window; a file that still
// has the old key loads the same window with a warning.
func TestGroupingWindowAndItsOldKey(t *testing.T) {
	for _, tc := range []struct {
		yaml    string
		want    time.Duration
		warning bool
	}{
		{"", 72 * time.Hour, false},
		{"grouping:\n  window: 24h\n", 24 * time.Hour, false},
		{"group_window: 36h\n", 36 * time.Hour, true},
	} {
		dir := t.TempDir()
		write(t, dir, "sources.yaml", "sources: []\n")
		c, err := Load(write(t, dir, "y.yaml", "listen: 127.0.0.1:9999\n"+tc.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		if c.Policy().GroupWindow != tc.want {
			t.Errorf("%q: window %s, want %s", tc.yaml, c.Policy().GroupWindow, tc.want)
		}
		if warned := slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, "grouping.window") }); warned != tc.warning {
			t.Errorf("%q: warnings %q", tc.yaml, c.Warnings)
		}
	}
}
