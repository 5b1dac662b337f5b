package alerting

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const amTestdata = "../configs/alertmanager/testdata"

// sample reads a template-data sample of configs/alertmanager/testdata as
// the version 4 webhook payload Alertmanager would post with it.
func sample(t *testing.T, file string) *Notification {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["version"], m["groupKey"] = "4", `{}:{number="YQ-20261123-0001"}`
	payload, _ := json.Marshal(m)
	n, err := ParseNotification(strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// chineseOnly runs the project's notification check
// (scripts/check-notification-text.sh) on text.
func chineseOnly(t *testing.T, name, text string) {
	t.Helper()
	cmd := exec.Command("bash", "../scripts/check-notification-text.sh", "-n", name)
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", name, err, out)
	}
}

func TestRendererWordsIncidentAlert(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Message(sample(t, filepath.Join(amTestdata, "incident-firing.json")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "【舆情告警】YQ-20261123-0001 Ⅱ级重大 全市医保都刷不了了 联系人138****5678"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	for _, want := range []string{"正在告警 2 条", "● 告警：签收超时", "事件编号：YQ-20261123-0001", "等级：Ⅱ级 重大",
		"签收期限：2026-11-23 15:04（北京时间），已超时 2天3小时", "链接：http://127.0.0.1:8080/incidents/YQ-20261123-0001",
		"紧急程度：紧急，开始于 2026-11-23 14:04:00（北京时间）", "—— 医保舆情监测系统"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	chineseOnly(t, "incident-firing", m.Subject+"\n"+m.Text)
}

// TestRendererMatchesAlertmanager renders every sample with amtool (what
// Alertmanager's e-mails say) and here: the texts must be the same.
func TestRendererMatchesAlertmanager(t *testing.T) {
	amtool, err := exec.LookPath("amtool")
	if err != nil {
		t.Skip("amtool not installed (scripts/install-prom-tools.sh)")
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(amTestdata, "*.json"))
	if len(files) < 5 {
		t.Fatalf("samples: %v", files)
	}
	for _, file := range files {
		m, err := r.Message(sample(t, file))
		if err != nil {
			t.Fatal(err)
		}
		for tmpl, got := range map[string]string{"yuqing.subject": m.Subject, "yuqing.text": m.Text} {
			out, err := exec.Command(amtool, "template", "render", "--template.glob=../configs/alertmanager/templates/*.tmpl",
				`--template.text={{ template "`+tmpl+`" . }}`, "--template.data="+file).CombinedOutput()
			if err != nil {
				t.Fatalf("amtool: %v\n%s", err, out)
			}
			if want := strings.TrimSpace(string(out)); strings.TrimSpace(got) != want {
				t.Errorf("%s %s differs from Alertmanager's:\n--- here\n%s\n--- amtool\n%s", filepath.Base(file), tmpl, got, want)
			}
		}
		chineseOnly(t, filepath.Base(file), m.Subject+"\n"+m.Text)
	}
}

func TestRendererMasksAndCountsLeftOut(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	n := sample(t, filepath.Join(amTestdata, "incident-firing.json"))
	n.Alerts[0].Labels["title"] = "电话13812345678无人接听"
	n.TruncatedAlerts = 3
	m, err := r.Message(n)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "13812345678") || !strings.Contains(m.Text, "138****5678无人接听") {
		t.Errorf("phone number not masked:\n%s", m.Text)
	}
	if !strings.HasSuffix(m.Text, "另有 3 条告警未列出，请在控制台查看。") {
		t.Errorf("no note of the alerts left out:\n%s", m.Text)
	}
}

func TestParseNotificationRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"not json":  `{"version":`,
		"version 3": `{"version":"3","status":"firing","alerts":[{"status":"firing"}]}`,
		"status":    `{"version":"4","status":"burning","alerts":[{"status":"firing"}]}`,
		"no alerts": `{"version":"4","status":"firing","alerts":[]}`,
	} {
		if _, err := ParseNotification(strings.NewReader(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
