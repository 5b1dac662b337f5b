package calendar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

const fixture = `weekdays: [1, 2, 3, 4, 5]
holidays:
  - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
workdays:
  - {date: 2026-09-27, note: 调休}
  - {date: 2026-10-10, note: 调休}
`

func load(t *testing.T, text string) (*Calendar, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "calendar.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(p, cst)
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkdays(t *testing.T) {
	c, err := load(t, fixture)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"2026-09-25 10:00": true,  // Friday
		"2026-09-26 10:00": false, // Saturday
		"2026-09-27 10:00": true,  // Sunday worked in exchange
		"2026-10-01 10:00": false, // holiday
		"2026-10-07 23:59": false, // last holiday
		"2026-10-08 00:00": true,
		"2026-10-10 10:00": true, // Saturday worked
		"2026-10-11 10:00": false,
	}
	for s, want := range cases {
		if got := c.IsWorkday(at(s)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", s, got, want)
		}
	}
	// The zone matters: 2026-10-07 20:00 UTC is already the 8th in Beijing.
	if !c.IsWorkday(time.Date(2026, 10, 7, 20, 0, 0, 0, time.UTC)) {
		t.Error("IsWorkday ignored the calendar's zone")
	}
}

func TestAddWorkdays(t *testing.T) {
	c, err := load(t, fixture)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-09-21 09:00", 3, "2026-09-24 09:00"}, // Mon → Thu
		{"2026-09-25 18:00", 3, "2026-09-29 18:00"}, // Fri: Sun 27 is worked, then Mon, Tue
		{"2026-09-30 10:00", 7, "2026-10-15 10:00"}, // across the holiday and the worked Saturday
		{"2026-10-03 10:00", 1, "2026-10-08 10:00"}, // registered during the holiday
		{"2026-11-20 17:00", 7, "2026-12-01 17:00"}, // an ordinary fortnight
	}
	for _, c2 := range cases {
		if got := c.AddWorkdays(at(c2.from), c2.n); !got.Equal(at(c2.want)) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", c2.from, c2.n, got.Format("2006-01-02 15:04"), c2.want)
		}
	}
	if !c.Covers(at("2026-03-01 00:00")) || c.Covers(at("2027-03-01 00:00")) {
		t.Error("Covers should span the listed year only")
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		"weekdays: [1, 9]\n": "calendar.yaml:1: weekdays[1]: 星期只能是",
		"holidays:\n  - {name: 春节, from: 2026-02-30, to: 2026-02-23}\n":                                    "holidays[0].from",
		"holidays:\n  - {name: 春节, from: 2026-02-23, to: 2026-02-15}\n":                                    "结束日期应在开始日期之后",
		"holidays:\n  - {name: 国庆, from: 2026-10-01, to: 2026-10-07}\nworkdays:\n  - {date: 2026-10-02}\n": "workdays[0].date: 2026-10-02 同时被列为假日",
		"holiday: []\n": "未知字段",
	}
	for in, want := range cases {
		_, err := load(t, in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want containing %q", in, err, want)
		}
	}
}

func TestShippedCalendarLoads(t *testing.T) {
	c, err := Load(filepath.Join("..", "configs", "calendar.yaml"), cst)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkday(at("2026-10-01 10:00")) || !c.IsWorkday(at("2026-10-10 10:00")) {
		t.Error("shipped calendar lost the National Day arrangement")
	}
}

func TestEmptyWeekdaysRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calendar.yaml")
	if err := os.WriteFile(path, []byte("weekdays: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, time.UTC)
	if err == nil || !strings.Contains(err.Error(), "calendar.yaml:1: weekdays: 至少要有一个工作日") {
		t.Fatalf("Load with no working weekday: err = %v", err)
	}
}

func TestAddWorkdaysTerminatesWithoutWorkdays(t *testing.T) {
	c := Default(time.UTC)
	c.weekdays = [7]bool{} // what an empty list would have produced
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	done := make(chan time.Time, 1)
	go func() { done <- c.AddWorkdays(start, 3) }()
	select {
	case got := <-done:
		if !got.After(start) {
			t.Errorf("AddWorkdays = %v, want a time after %v", got, start)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AddWorkdays did not return on a calendar with no working day")
	}
}

// A calendar ending with this year warns from 60 days before its end.
func TestCoversHorizon(t *testing.T) {
	c, err := load(t, fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  string
		want bool
	}{{"2026-06-01 10:00", true}, {"2026-11-01 10:00", true}, {"2026-11-02 10:00", false}, {"2026-12-07 10:00", false}, {"2025-12-31 10:00", false}} {
		if got := c.CoversHorizon(at(tc.now)); got != tc.want {
			t.Errorf("CoversHorizon(%s) = %v, want %v", tc.now, got, tc.want)
		}
	}
}
