package calendar

import (
	"strings"
	"testing"
)

// The rendering names the weekdays, the hours and each listed day the way
// an operator reads them, and splits a holiday at a month's end.
func TestAlertmanagerRendering(t *testing.T) {
	c, err := load(t, `weekdays: [7, 1, 2, 3, 6]
working_hours:
  - {from: "08:30", to: "12:00"}
  - {from: "14:00", to: "24:00"}
holidays:
  - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
  - {name: 元旦, from: 2026-12-31, to: 2027-01-02}
workdays:
  - {date: 2026-10-11, note: 国庆节调休}
  - {date: 2026-09-27}
provisional: [2027]
`)
	if err != nil {
		t.Fatal(err)
	}
	got := string(c.Alertmanager())
	times := `times: [{start_time: "08:30", end_time: "12:00"}, {start_time: "14:00", end_time: "24:00"}]`
	for _, want := range []string{
		BlockBegin + "\n", "\n" + BlockEnd + "\n",
		"平时的工作日（周日至周三、周六）和调休上班日的 08:30-12:00、14:00-24:00。",
		`- {weekdays: ["sunday:wednesday", "saturday"], ` + times + `, location: CST}`,
		// 调休 days by date, whatever the file's order.
		"# 2026-09-27 调休上班\n      - {years: [\"2026\"], months: [\"9\"], days_of_month: [\"27\"], " + times,
		"# 2026-10-11 国庆节调休\n",
		"# 2026 年国庆节：2026-10-01 至 2026-10-07\n      - {years: [\"2026\"], months: [\"10\"], days_of_month: [\"1:7\"], location: CST}",
		"# 2026 年元旦：2026-12-31 至 2027-01-02（按放假办法推算，待核对）\n" +
			"      - {years: [\"2026\"], months: [\"12\"], days_of_month: [\"31\"], location: CST}\n" +
			"      - {years: [\"2027\"], months: [\"1\"], days_of_month: [\"1:2\"], location: CST}\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "2026-09-27") > strings.Index(got, "2026-10-11") {
		t.Error("调休 days not in date order")
	}
	if string(c.Alertmanager()) != got {
		t.Error("rendering is not deterministic")
	}
	for s, want := range map[string]bool{"2026-10-11 08:30": true, "2026-10-11 12:00": false, "2026-10-11 23:59": true,
		"2026-10-12 10:00": true, "2026-10-08 10:00": false, "2026-10-10 10:00": true, "2026-12-31 10:00": false} {
		if c.IsWorkingTime(at(s)) != want {
			t.Errorf("IsWorkingTime(%s) = %v, want %v", s, !want, want)
		}
	}
}

func TestAlertmanagerNoHolidays(t *testing.T) {
	got := string(Default(cst).Alertmanager())
	if !strings.Contains(got, "- name: yuqing-holidays\n    time_intervals: []\n") ||
		!strings.Contains(got, `times: [{start_time: "08:30", end_time: "17:00"}]`) {
		t.Errorf("default calendar rendering:\n%s", got)
	}
}

func TestReplaceBlock(t *testing.T) {
	block := []byte(BlockBegin + "\nnew: 1\n" + BlockEnd + "\n")
	doc := "route: {}\n# 说明\n" + BlockBegin + "\nold: 1\nold: 2\n" + BlockEnd + "\n\nreceivers: []\n"
	out, err := ReplaceBlock([]byte(doc), block)
	if err != nil {
		t.Fatal(err)
	}
	if want := "route: {}\n# 说明\n" + string(block) + "\nreceivers: []\n"; string(out) != want {
		t.Errorf("ReplaceBlock =\n%s\nwant\n%s", out, want)
	}
	if b, err := Block(out); err != nil || string(b) != string(block) {
		t.Errorf("Block = %q, %v", b, err)
	}
	// A file ending without a newline after the end marker.
	if b, err := Block([]byte(BlockBegin + "\r\nx\r\n" + BlockEnd)); err != nil || !strings.HasSuffix(string(b), BlockEnd) {
		t.Errorf("Block without final newline = %q, %v", b, err)
	}
	for in, want := range map[string]string{
		"route: {}\n":                       "找不到生成内容的起止行",
		BlockBegin + "\n":                   "找不到生成内容的起止行",
		BlockEnd + "\n" + BlockBegin:        "结束行在开始行之前",
		strings.Repeat(doc, 2):              "不止一次",
		"  " + BlockBegin + "\n" + BlockEnd: "找不到生成内容的起止行", // markers are whole lines
	} {
		if _, err := ReplaceBlock([]byte(in), block); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReplaceBlock(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
