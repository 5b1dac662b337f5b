package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/calendar"
)

// `yuqing calendar alertmanager` on a copy of the shipped configs: the
// shipped block is current; after a new 调休 day -check fails, the printed
// block has the day, and -write updates only the block.
func TestCalendarAlertmanager(t *testing.T) {
	dir := layout(t)
	calFile, amFile := filepath.Join(dir, "calendar.yaml"), filepath.Join(dir, "alertmanager", "alertmanager.yml")
	yuqing := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		args = append([]string{"calendar", "alertmanager", "-calendar", calFile, "-config", amFile}, args...)
		code := run(args, nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errb := yuqing("-check"); code != 0 || !strings.Contains(out, "一致") {
		t.Fatalf("-check on the shipped configs: exit %d\n%s%s", code, out, errb)
	}

	cal, _ := os.ReadFile(calFile)
	edited := strings.Replace(string(cal), "workdays:\n", "workdays:\n  - {date: 2026-12-26, note: 演练调休}\n", 1)
	if edited == string(cal) {
		t.Fatal("the edit did not apply; update the test to the shipped calendar.yaml")
	}
	if err := os.WriteFile(calFile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errb := yuqing("-check"); code != 1 || !strings.Contains(errb, "yuqing calendar alertmanager -write") {
		t.Errorf("-check on a stale block: exit %d, stderr %s", code, errb)
	}
	code, printed, _ := yuqing()
	if code != 0 || !strings.Contains(printed, "# 2026-12-26 演练调休\n") || !strings.HasPrefix(printed, calendar.BlockBegin) {
		t.Fatalf("print: exit %d\n%s", code, printed)
	}

	before, _ := os.ReadFile(amFile)
	if code, out, errb := yuqing("-write"); code != 0 || !strings.Contains(out, "已按") {
		t.Fatalf("-write: exit %d\n%s%s", code, out, errb)
	}
	after, _ := os.ReadFile(amFile)
	head := string(before[:bytes.Index(before, []byte(calendar.BlockBegin))])
	tail := string(before[bytes.Index(before, []byte(calendar.BlockEnd))+len(calendar.BlockEnd):])
	if string(after) != head+printed+strings.TrimPrefix(tail, "\n") {
		t.Errorf("-write changed more than the block, or wrote other than it prints:\n%s", after)
	}
	if code, _, errb := yuqing("-check"); code != 0 {
		t.Errorf("-check after -write: exit %d %s", code, errb)
	}
	if code, out, _ := yuqing("-write"); code != 0 || !strings.Contains(out, "未改动") {
		t.Errorf("second -write: exit %d %s", code, out)
	}

	if code, _, errb := yuqing("-write", "-check"); code != 1 || !strings.Contains(errb, "只能选一个") {
		t.Errorf("-write -check: exit %d %s", code, errb)
	}
	var errb bytes.Buffer
	if code := run([]string{"calendar", "holidays"}, nil, &bytes.Buffer{}, &errb); code != 2 {
		t.Errorf("unknown calendar subcommand: exit %d %s", code, errb.String())
	}
}
