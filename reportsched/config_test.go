package reportsched

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

const receiversYAML = `
delivery:
  receivers:
    - name: robot
      enabled: false
      wecom: {key_file: /nonexistent/robot.key}
    - name: mail
      enabled: false
      email: {smarthost: "127.0.0.1:25", from: yuqing@example.gov.cn, to: [a@example.gov.cn]}
`

// loadSection decodes a yuqing.yaml of a delivery and a reports section
// over the defaults and validates both, as config.Load does.
func loadSection(t *testing.T, yaml string) (Config, error) {
	t.Helper()
	file := struct {
		Delivery delivery.Config `yaml:"delivery"`
		Reports  Config          `yaml:"reports"`
	}{delivery.Default(), Default()}
	doc, err := yamlfile.Decode(filepath.Join(t.TempDir(), "yuqing.yaml"), []byte(receiversYAML+yaml), &file)
	if err != nil {
		return file.Reports, err
	}
	return file.Reports, errors.Join(append(file.Delivery.Validate(doc), file.Reports.Validate(doc, &file.Delivery)...)...)
}

func TestConfigLoads(t *testing.T) {
	c, err := loadSection(t, `
reports:
  schedules:
    - {kind: daily, at: "08:30", receivers: [robot, mail]}
    - {kind: weekly, at: "09:00"}
    - {kind: monthly, day: 3, at: "23:59", workdays_only: false}
`)
	if err != nil {
		t.Fatal(err)
	}
	daily, weekly, monthly := c.Schedules[0], c.Schedules[1], c.Schedules[2]
	if daily.clock != 8*60+30 || !daily.workdaysOnly() || weekly.Weekday != 1 || monthly.Day != 3 || monthly.workdaysOnly() ||
		monthly.clock != 23*60+59 {
		t.Errorf("loaded %+v", c.Schedules)
	}
	if len(c.Formats) != 1 || c.Formats[0] != "docx" || c.Retry.Rounds != 6 {
		t.Errorf("defaults %+v", c)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`{schedules: [{kind: daily, at: "08:30", receivers: [nobody]}]}`,
			`reports.schedules[0].receivers[0]: delivery.receivers 中没有名为 "nobody" 的接收方`},
		{`{schedules: [{kind: daily, at: "8:30"}]}`, `reports.schedules[0].at: 生成时间 "8:30" 应写成 时:分`},
		{`{schedules: [{kind: daily, at: "24:00"}]}`, `reports.schedules[0].at`},
		{`{schedules: [{kind: yearly, at: "08:30"}]}`, `reports.schedules[0].kind: 未知的报告种类 "yearly"`},
		{`{schedules: [{kind: weekly, at: "08:30", weekday: 8}]}`, `reports.schedules[0].weekday: 周报的生成日应为 1（周一）到 7（周日）`},
		{`{schedules: [{kind: monthly, at: "08:30", day: 31}]}`, `reports.schedules[0].day: 月报的生成日应为每月 1 日到 28 日`},
		{`{schedules: [{kind: daily, at: "08:30", day: 2}]}`, `reports.schedules[0].day: 只有月报`},
		{`{schedules: [{kind: daily, at: "08:30"}, {kind: daily, at: "17:00"}]}`, `reports.schedules[1].kind: 日报已在 schedules[0] 中安排`},
		{`{schedules: [{kind: daily, at: "08:30", receivers: [robot, robot]}]}`, `reports.schedules[0].receivers[1]: 接收方 "robot" 重复`},
		{`{formats: [pdf]}`, `reports.formats[0]: 未知的报告格式 "pdf"`},
		{`{formats: []}`, `reports.formats: 至少要发送一种格式`},
		{`{retry: {rounds: 0}}`, `reports.retry.rounds`},
		{`{schedules: [{kind: daily, at: "08:30", when: "x"}]}`, `when`},
	} {
		_, err := loadSection(t, "reports: "+tc.yaml+"\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestScheduleDescribe(t *testing.T) {
	c, err := loadSection(t, `
reports:
  schedules:
    - {kind: daily, at: "08:30", receivers: [robot, mail]}
    - {kind: weekly, at: "09:00", weekday: 5, workdays_only: false}
    - {kind: monthly, at: "09:00"}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"日报：每个工作日 08:30（周末、节假日的日报在其后第一个工作日一并生成）生成，发给 robot、mail",
		"周报：每周五 09:00生成，不发送",
		"月报：每月 1 日 09:00（遇周末、节假日顺延到下一个工作日）生成，不发送",
	}
	for i, s := range c.Schedules {
		if got := s.Describe(); got != want[i] {
			t.Errorf("Describe() = %q, want %q", got, want[i])
		}
	}
}
