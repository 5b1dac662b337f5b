package app

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/delivery/wecomfake"
)

// TestScheduledReportReachesRobot: the daemon runs the schedules of its
// yuqing.yaml: at start it catches up the latest 日报 (due at midnight,
// every day), stores it and sends it to the WeCom robot, lists it on the
// 报告 page and exports its success; a restart sends nothing twice.
func TestScheduledReportReachesRobot(t *testing.T) {
	const key = "5b2c7d1e-robot-key"
	robot := &wecomfake.Robot{Key: key}
	fake := httptest.NewServer(robot)
	defer fake.Close()
	dir := daemonDir(t, map[string]string{
		"yuqing.yaml": "store:\n  path: y.db\nmetrics:\n  open: true\n" +
			"delivery:\n  receivers:\n" +
			"    - name: xuanchuan\n      enabled: true\n      wecom:\n        key: " + key + "\n        api_url: " + fake.URL + "/cgi-bin/webhook/\n" +
			"reports:\n  formats: [html]\n  schedules:\n" +
			"    - {kind: daily, at: \"00:00\", workdays_only: false, receivers: [xuanchuan]}\n",
	})
	cfg := filepath.Join(dir, "yuqing.yaml")
	addr, stop := startDaemon(t, cfg)
	deadline := time.Now().Add(30 * time.Second)
	for len(robot.Messages()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	msgs := robot.Messages()
	if len(msgs) != 2 || msgs[0].Type != "markdown" || !strings.Contains(msgs[0].Content, "**医保舆情日报（") ||
		msgs[1].Type != "file" || !strings.HasSuffix(msgs[1].FileName, ".html") {
		t.Fatalf("robot got %+v", msgs)
	}
	if page := consoleGet(t, addr, "/reports"); !strings.Contains(page, "医保舆情日报（") || !strings.Contains(page, "已全部发送") {
		t.Errorf("报告 page:\n%s", page)
	}
	if m := fetch(t, "http://"+addr+"/metrics"); !strings.Contains(m, `yuqing_report_last_success_timestamp_seconds{kind="daily"}`) {
		t.Error("no last success exported")
	}
	stop()

	addr, stop = startDaemon(t, cfg)
	defer stop()
	if m := fetch(t, "http://"+addr+"/metrics"); !strings.Contains(m, `yuqing_report_last_success_timestamp_seconds{kind="daily"}`) {
		t.Error("the last success is not restored at start")
	}
	time.Sleep(200 * time.Millisecond) // a second send would have come by now
	if n := len(robot.Messages()); n != 2 {
		t.Errorf("after a restart the robot has %d messages, want the 2 it had", n)
	}
}
