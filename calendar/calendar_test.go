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
		"working_hours:\n  - {from: \"8:30\", to: \"17:00\"}\n":                                        "working_hours[0].from: 时刻 \"8:30\" 应写成 08:30 的形式",
		"working_hours:\n  - {from: \"08:30\", to: \"24:01\"}\n":                                       "working_hours[0].to",
		"working_hours:\n  - {from: \"24:00\", to: \"24:00\"}\n":                                       "working_hours[0].from",
		"working_hours:\n  - {from: \"17:00\", to: \"08:30\"}\n":                                       "结束时刻 08:30 应晚于开始时刻 17:00",
		"working_hours:\n  - {from: \"08:30\", to: \"12:00\"}\n  - {from: \"11:00\", to: \"17:00\"}\n": "working_hours[1].from: 各时段应按时间先后排列、互不重叠",
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

// The shipped file carries 2027 (derived from the statutory rules, marked
// provisional) through its last day, so deadlines across 元旦 2027 and the
// warnings of `yuqing check` in December 2026 rest on it.
func TestShippedCalendarCovers2027(t *testing.T) {
	c, err := Load(filepath.Join("..", "configs", "calendar.yaml"), cst)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covers(at("2027-12-31 23:59")) || c.Covers(at("2028-01-01 00:00")) {
		t.Error("shipped calendar should cover 2027 through 2027-12-31 and no further")
	}
	if !c.CoversHorizon(at("2026-12-07 10:00")) {
		t.Error("shipped calendar should cover the 60 days after 2026-12-07")
	}
	// Statutory days and their make-up days (补假) off; the weekdays around them worked.
	off := []string{"2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-04-05",
		"2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-04", "2027-10-05"}
	on := []string{"2026-12-31", "2027-01-04", "2027-02-04", "2027-02-11", "2027-04-06", "2027-05-05",
		"2027-06-08", "2027-06-10", "2027-09-14", "2027-09-16", "2027-09-30", "2027-10-06"}
	for _, d := range off {
		if c.IsWorkday(at(d + " 12:00")) {
			t.Errorf("%s should be a holiday", d)
		}
	}
	for _, d := range on {
		if !c.IsWorkday(at(d + " 12:00")) {
			t.Errorf("%s should be a working day", d)
		}
	}
	if got := c.ProvisionalAhead(at("2026-12-07 10:00")); len(got) != 1 || got[0] != 2027 {
		t.Errorf("ProvisionalAhead(2026-12-07) = %v, want [2027]", got)
	}
}

// Deadlines across 元旦 and 春节 2027 on the shipped calendar. The expected
// dates are counted by listing the days below, not by the code under test.
func TestShippedCalendarDeadlines2027(t *testing.T) {
	c, err := Load(filepath.Join("..", "configs", "calendar.yaml"), cst)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from string
		n    int
		want string
	}{
		// Registered Wed 2026-12-30: Thu 31 (1), Fri 1 元旦, Sat 2, Sun 3,
		// Mon 4 (2), Tue 5 (3), Wed 6 (4), Thu 7 (5), Fri 8 (6), Sat 9, Sun 10, Mon 11 (7).
		{"2026-12-30 15:00", 7, "2027-01-11 15:00"},
		// Thu 2026-12-31: Fri 1 元旦, Sat 2, Sun 3, Mon 4 (1), Tue 5 (2), Wed 6 (3).
		{"2026-12-31 09:30", 3, "2027-01-06 09:30"},
		// Wed 2027-02-03: Thu 4 (1), Fri 5 除夕, Sat 6 初一, Sun 7 初二, Mon 8 初三,
		// Tue 9 and Wed 10 补假, Thu 11 (2), Fri 12 (3), Sat 13, Sun 14, Mon 15 (4),
		// Tue 16 (5), Wed 17 (6), Thu 18 (7).
		{"2027-02-03 10:00", 7, "2027-02-18 10:00"},
		// Thu 2027-02-04: the holiday runs Fri 5 to Wed 10; Thu 11 (1), Fri 12 (2), Mon 15 (3).
		{"2027-02-04 17:00", 3, "2027-02-15 17:00"},
		// Registered during 春节, Sun 2027-02-07: Thu 11 (1).
		{"2027-02-07 08:00", 1, "2027-02-11 08:00"},
	}
	for _, tc := range cases {
		if got := c.AddWorkdays(at(tc.from), tc.n); !got.Equal(at(tc.want)) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got.Format("2006-01-02 15:04"), tc.want)
		}
	}
}

func TestProvisional(t *testing.T) {
	c, err := load(t, fixture+"  - {date: 2027-01-09, note: 元旦调休}\nprovisional: [2027]\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  string
		want []int
	}{
		{"2026-06-01 10:00", nil},
		{"2026-11-01 10:00", nil},         // the horizon ends 2026-12-31
		{"2026-11-02 10:00", []int{2027}}, // it reaches 2027-01-01
		{"2027-03-01 10:00", []int{2027}},
		{"2027-12-20 10:00", []int{2027}},
		{"2028-01-05 10:00", nil},
	} {
		got := c.ProvisionalAhead(at(tc.now))
		if len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
			t.Errorf("ProvisionalAhead(%s) = %v, want %v", tc.now, got, tc.want)
		}
	}
	// Without the key, nothing is provisional.
	plain, err := load(t, fixture)
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.ProvisionalAhead(at("2026-12-07 10:00")); len(got) != 0 {
		t.Errorf("ProvisionalAhead without provisional = %v", got)
	}
}

func TestProvisionalErrors(t *testing.T) {
	cases := map[string]string{
		// 2028 has no listed date: refused, naming the file, line and entry.
		fixture + "provisional: [2026, 2028]\n":        "calendar.yaml:7: provisional[1]: 本文件没有列出 2028 年的节假日或调休上班日，不能标为待核对",
		fixture + "provisional:\n  - 2026\n  - 2026\n": "calendar.yaml:9: provisional[1]: 2026 年重复",
		fixture + "provisional: 2026\n":                "calendar.yaml:7",
		fixture + "provisional: [二〇二七]\n":              "calendar.yaml:7",
	}
	for in, want := range cases {
		_, err := load(t, in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want containing %q", in, err, want)
		}
	}
}
