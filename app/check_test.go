package app

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/config"
)

const provisionalWarning = " 中 2027 年的节假日是按《全国年节及纪念日放假办法》推算的，" +
	"尚未按国务院办公厅公布的放假安排（含调休）核对，请核对后从 provisional 中删去该年"

// configsWithCalendar copies configs/ into a temporary directory with
// calendar.yaml rewritten by edit, and returns the path of its yuqing.yaml.
func configsWithCalendar(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "configs"))); err != nil {
		t.Fatal(err)
	}
	cal := filepath.Join(dir, "calendar.yaml")
	b, err := os.ReadFile(cal)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(b))
	if edited == string(b) {
		t.Fatal("the edit did not apply; update the test to the shipped calendar.yaml")
	}
	if err := os.WriteFile(cal, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "yuqing.yaml")
}

func beijing(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// `yuqing check` in December 2026 on the shipped configuration: the
// calendar covers the next 60 days (2027 is listed), but 2027 is
// provisional, which it says; in June the horizon stays in 2026.
func TestCheckWarnsAboutProvisionalYear(t *testing.T) {
	shipped := filepath.Join("..", "configs", "yuqing.yaml")
	var out bytes.Buffer
	if err := Check(shipped, &out, beijing(t, "2026-12-07 10:00")); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	abs, err := filepath.Abs(filepath.Join("..", "configs", "calendar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "  警告：工作日历 "+abs+provisionalWarning+"\n") {
		t.Errorf("check output lacks the provisional warning:\n%s", got)
	}
	if strings.Contains(got, "未覆盖") || !strings.Contains(got, "；工作日历 "+abs+"\n") {
		t.Errorf("the shipped calendar should cover the next 60 days from 2026-12-07:\n%s", got)
	}

	out.Reset()
	if err := Check(shipped, &out, beijing(t, "2026-06-01 10:00")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "provisional") {
		t.Errorf("in June 2026 the next 60 days stay in 2026, yet check warns:\n%s", out.String())
	}
}

// Once 2027 is checked and taken off the list, the warning goes.
func TestCheckWithoutProvisionalYearDoesNotWarn(t *testing.T) {
	cfg := configsWithCalendar(t, func(s string) string {
		return strings.Replace(s, "provisional: [2027]", "provisional: []", 1)
	})
	var out bytes.Buffer
	if err := Check(cfg, &out, beijing(t, "2026-12-07 10:00")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "provisional") || strings.Contains(out.String(), "警告") {
		t.Errorf("check warns about a calendar with nothing provisional:\n%s", out.String())
	}
}

// The daemon logs the coverage and the provisional warnings at start.
func TestWarnCalendarLogsProvisionalYear(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "configs", "yuqing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	logged := func(now string) string {
		var b bytes.Buffer
		warnCalendar(cfg, slog.New(slog.NewTextHandler(&b, nil)), beijing(t, now))
		return b.String()
	}
	const provisional = "尚未按国务院办公厅公布的放假安排（含调休）核对"
	got := logged("2026-12-07 10:00")
	if !strings.Contains(got, "level=WARN") || !strings.Contains(got, provisional) || !strings.Contains(got, "years=2027") ||
		!strings.Contains(got, "file="+cfg.CalendarFile) {
		t.Errorf("no provisional warning logged on 2026-12-07:\n%s", got)
	}
	if strings.Contains(got, "未覆盖") {
		t.Errorf("coverage warning logged although 2027 is listed:\n%s", got)
	}
	// December 2027: 2028 is not listed and 2027 is still provisional.
	got = logged("2027-12-07 10:00")
	if !strings.Contains(got, "工作日历未覆盖今后 60 天") || !strings.Contains(got, provisional) {
		t.Errorf("want both warnings on 2027-12-07:\n%s", got)
	}
	if got := logged("2026-06-01 10:00"); got != "" {
		t.Errorf("nothing to warn about on 2026-06-01, logged:\n%s", got)
	}
}
