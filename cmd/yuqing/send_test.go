package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/delivery/wecomfake"
)

// TestSendTriesAReceiver: `yuqing send` delivers a test message with a
// file to the shipped 宣传科 robot once it is enabled and its key written,
// and refuses the still disabled 信访科 one.
func TestSendTriesAReceiver(t *testing.T) {
	const key = "3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9"
	robot := &wecomfake.Robot{Key: key}
	srv := httptest.NewServer(robot)
	defer srv.Close()
	dir := layout(t)
	cfgFile := filepath.Join(dir, "yuqing.yaml")
	shipped, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	placeholder := "    - name: xuanchuan\n      title: 宣传科工作群\n      enabled: false\n      wecom:\n        key_file: /etc/yuqing/secrets/xuanchuan-robot.key\n"
	if !bytes.Contains(shipped, []byte(placeholder)) {
		t.Fatalf("the shipped yuqing.yaml has no disabled xuanchuan robot:\n%s", shipped)
	}
	enabled := strings.Replace(string(shipped), placeholder, "    - name: xuanchuan\n      title: 宣传科工作群\n      enabled: true\n      wecom:\n"+
		"        key_file: robot.key\n        api_url: "+srv.URL+"/cgi-bin/webhook/\n", 1)
	os.WriteFile(cfgFile, []byte(enabled), 0o600)
	os.WriteFile(filepath.Join(dir, "robot.key"), []byte(key+"\n"), 0o600)
	report := filepath.Join(dir, "医保舆情日报（测试）.docx")
	os.WriteFile(report, []byte("PK\x03\x04测试报告"), 0o600)

	var out, errb bytes.Buffer
	if code := run([]string{"send", "-config", cfgFile, "-to", "xuanchuan", "-file", report}, nil, &out, &errb); code != 0 {
		t.Fatalf("send exit %d: %s", code, errb.String())
	}
	got := robot.Messages()
	if len(got) != 2 || !strings.HasPrefix(got[0].Content, "**医保舆情监测系统发送测试**\n这是一条测试消息") ||
		got[1].FileName != "医保舆情日报（测试）.docx" || string(got[1].FileData) != "PK\x03\x04测试报告" {
		t.Errorf("robot got %+v", got)
	}
	if !strings.Contains(out.String(), "已发送到 xuanchuan（1 个附件）") {
		t.Errorf("stdout %q", out.String())
	}

	errb.Reset()
	if code := run([]string{"send", "-config", cfgFile, "-to", "xinfang"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "接收方未启用") {
		t.Errorf("disabled receiver: exit %d, %q", code, errb.String())
	}
}
