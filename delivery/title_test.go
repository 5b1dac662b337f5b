package delivery

import (
	"strings"
	"testing"
)

func TestReceiverTitles(t *testing.T) {
	c, err := loadSection(t, t.TempDir(), `
delivery:
  receivers:
    - {name: xuanchuan, title: 宣传科工作群, wecom: {key: abcdefgh12}}
    - {name: robot, wecom: {key: abcdefgh12}}
    - {name: mail, email: {smarthost: "127.0.0.1:25", from: a@example.gov.cn, to: [b@example.gov.cn]}}
`)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"xuanchuan": "宣传科工作群", "robot": "企业微信群机器人", "mail": "邮件",
		"gone": "已从配置中删除的接收方"} {
		if got := c.TitleOf(name); got != want {
			t.Errorf("TitleOf(%s) = %q, want %q", name, got, want)
		}
	}
	_, err = loadSection(t, t.TempDir(), "delivery:\n  receivers:\n    - {name: robot, title: "+strings.Repeat("长", 31)+", wecom: {key: abcdefgh12}}\n")
	if err == nil || !strings.Contains(err.Error(), "delivery.receivers[0].title: 名称最多 30 个字") {
		t.Errorf("a long title: %v", err)
	}
}
