package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/delivery/wecomfake"
)

// TestAlertmanagerToWeComRobot: an Alertmanager webhook notification
// (version 4) posted to the daemon reaches the named WeCom group robot as
// markdown in the Chinese text of the shipped templates, personal data
// masked; the endpoint needs the monitoring token, knows only configured
// robots, and a disabled robot sends nothing without failing Alertmanager.
func TestAlertmanagerToWeComRobot(t *testing.T) {
	const token, key = "0d6f3b2a9c8e7d1f4a5b6c7d8e9f0a1b", "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
	robot := &wecomfake.Robot{Key: key}
	fake := httptest.NewServer(robot)
	defer fake.Close()
	dir := daemonDir(t, map[string]string{
		"prometheus.token": token + "\n",
		"robot.key":        key + "\n",
		"yuqing.yaml": "store:\n  path: y.db\nmetrics:\n  token_file: prometheus.token\n" +
			"delivery:\n  receivers:\n" +
			"    - name: xuanchuan\n      enabled: true\n      wecom:\n        key_file: robot.key\n        api_url: " + fake.URL + "/cgi-bin/webhook/\n" +
			"    - name: xinfang\n      enabled: false\n      wecom:\n        key_file: missing.key\n" +
			"    - name: youjian\n      email:\n        smarthost: 127.0.0.1:25\n        from: a@example.gov.cn\n        to: [b@example.gov.cn]\n",
	})
	addr, stop := startDaemon(t, filepath.Join(dir, "yuqing.yaml"))
	defer stop()

	payload := alertPayload(t, "13812345678")
	post := func(receiver, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+"/alertmanager/wecom/"+receiver, strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if code, _ := post("xuanchuan", ""); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	for _, name := range []string{"duty", "youjian"} {
		if code, _ := post(name, token); code != http.StatusNotFound {
			t.Errorf("%s (no such robot): %d, want 404", name, code)
		}
	}
	if code, body := post("xinfang", token); code != http.StatusOK || !strings.Contains(body, "未启用") {
		t.Errorf("disabled robot: %d %q, want 200 and nothing sent", code, body)
	}
	if robot.Requests() != 0 {
		t.Fatalf("robot got %d requests before any enabled delivery", robot.Requests())
	}
	if code, body := post("xuanchuan", token); code != http.StatusOK {
		t.Fatalf("xuanchuan: %d %s", code, body)
	}
	got := robot.Messages()
	if len(got) != 1 || got[0].Type != "markdown" {
		t.Fatalf("robot got %+v", got)
	}
	md := got[0].Content
	for _, want := range []string{
		"**【舆情告警】YQ-20261123-0001 Ⅱ级重大 全市医保都刷不了了 联系人138****5678**\n正在告警 2 条：",
		"● 告警：Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件", "事件编号：YQ-20261123-0001", "等级：Ⅱ级 重大",
		"摘要：市一院所有收费窗口都刷不了医保，电话138****5678", "签收期限：2026-11-23 15:04（北京时间），已超时 2天3小时",
		"链接：http://127.0.0.1:8080/incidents/YQ-20261123-0001", "—— 医保舆情监测系统",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	for _, bad := range []string{"13812345678", "YuqingMajorIncident", "critical", "<no value>"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown shows %q:\n%s", bad, md)
		}
	}
}

// alertPayload is the shipped incident sample as Alertmanager posts it,
// with an unmasked phone number in one excerpt (as an alert from a rule
// outside this project could carry).
func alertPayload(t *testing.T, phone string) string {
	t.Helper()
	data, err := os.ReadFile("../configs/alertmanager/testdata/incident-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["version"], m["groupKey"], m["truncatedAlerts"] = "4", `{}/{team="duty",level=~"1|2"}:{number="YQ-20261123-0001"}`, 0
	alerts := m["alerts"].([]any)
	alerts[0].(map[string]any)["labels"].(map[string]any)["excerpt"] = "市一院所有收费窗口都刷不了医保，电话" + phone
	out, _ := json.Marshal(m)
	return string(out)
}
