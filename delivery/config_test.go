package delivery

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// loadSection decodes a yuqing.yaml holding only a delivery section over
// the defaults, as config.Load does, and validates it.
func loadSection(t *testing.T, dir, yaml string) (Config, error) {
	t.Helper()
	var file struct {
		Delivery Config `yaml:"delivery"`
	}
	file.Delivery = Default()
	doc, err := yamlfile.Decode(filepath.Join(dir, "yuqing.yaml"), []byte(yaml), &file)
	if err != nil {
		return file.Delivery, err
	}
	file.Delivery.ResolvePaths(dir)
	return file.Delivery, errors.Join(file.Delivery.Validate(doc)...)
}

func TestConfigPlaceholdersLoadWhileDisabled(t *testing.T) {
	c, err := loadSection(t, t.TempDir(), `
delivery:
  receivers:
    - name: xuanchuan
      enabled: false
      wecom:
        key_file: /etc/yuqing/secrets/xuanchuan.key
    - name: baogao
      email:
        smarthost: smtp.example.gov.cn:587
        from: yuqing@example.gov.cn
        to: [xuanchuan@example.gov.cn]
        username: yuqing
        password_file: secrets/smtp.password
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Retry != DefaultRetry {
		t.Errorf("retry %+v, want the defaults", c.Retry)
	}
	for _, name := range []string{"xuanchuan", "baogao"} {
		if _, err := c.Open(name, Options{}); !errors.Is(err, ErrDisabled) {
			t.Errorf("Open(%s) = %v, want ErrDisabled", name, err)
		}
	}
	if _, err := c.Open("xinfang", Options{}); !errors.Is(err, ErrUnknown) {
		t.Errorf("Open(xinfang) = %v, want ErrUnknown", err)
	}
}

func TestConfigReadsSecretsOfEnabledReceivers(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(dir, "secrets", "robot.key"), []byte(robotKey+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "secrets", "smtp"), []byte("mail-password\n"), 0o600)
	c, err := loadSection(t, dir, `
delivery:
  retry: {attempts: 2, initial: 1s, max: 5s, timeout: 10s}
  receivers:
    - name: xuanchuan
      enabled: true
      wecom:
        key_file: secrets/robot.key
        api_url: http://127.0.0.1:9/cgi-bin/webhook/
    - name: baogao
      enabled: true
      email:
        smarthost: smtp.example.gov.cn:465
        from: 医保舆情监测系统 <yuqing@example.gov.cn>
        to: [xuanchuan@example.gov.cn]
        username: yuqing
        password_file: secrets/smtp
`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Open("xuanchuan", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := r.(*WeCom); w.key != robotKey || w.api.Host != "127.0.0.1:9" || w.retry.Attempts != 2 {
		t.Errorf("robot: key %q, api %s, retry %+v", w.key, w.api, w.retry)
	}
	r, err = c.Open("baogao", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := r.(*Email); e.pass != "mail-password" || !e.requireTLS || e.host != "smtp.example.gov.cn" {
		t.Errorf("email: pass %q, requireTLS %v, host %q", e.pass, e.requireTLS, e.host)
	}
}

func TestConfigErrorsNameFieldAndLine(t *testing.T) {
	dir := t.TempDir()
	_, err := loadSection(t, dir, `
delivery:
  retry: {attempts: 0}
  receivers:
    - name: 宣传科
      wecom: {key: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}
    - name: dup
      wecom: {}
    - name: dup
      email:
        smarthost: smtp.example.gov.cn
        from: not-an-address
        to: []
    - name: both
      wecom: {}
      email: {}
    - name: none
    - name: missing-key
      enabled: true
      wecom: {key_file: nokey}
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"yuqing.yaml:3: delivery.retry.attempts: ",
		"delivery.receivers[0].name: 名称 \"宣传科\"",
		"delivery.receivers[0].wecom.key: 请只填 webhook 地址中 key= 之后的部分",
		"delivery.receivers[2].name: 名称 \"dup\" 与 receivers[1] 重复",
		"delivery.receivers[2].email.smarthost: ",
		"delivery.receivers[2].email.from: ",
		"delivery.receivers[2].email.to: 至少需要一个收件人",
		"delivery.receivers[3]: 一个接收方只能是",
		"delivery.receivers[4]: 请写明接收方类型",
		"delivery.receivers[5].wecom.key_file: 无法读取密钥文件",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
