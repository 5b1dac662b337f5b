package app

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/demo"
)

// regexpPhone is a whole mainland mobile number.
var regexpPhone = regexp.MustCompile(`(?:^|\D)1[3-9]\d{9}(?:\D|$)`)

// `yuqing source probe` on the demo's GBK Discuz! board recognises it,
// proposes the preset and prints a block the loader accepts.
func TestSourceProbePrintsAPresetBlock(t *testing.T) {
	cfg := crawlFixture(t)
	forum := httptest.NewServer(demo.NewForum(time.Now, time.Now().Add(-time.Hour)).Handler())
	defer forum.Close()
	var out bytes.Buffer
	err := SourceProbe(t.Context(), SourceProbeOptions{ConfigFile: cfg, URL: forum.URL + "/forum.php?mod=forumdisplay&fid=2",
		Out: &out, Delay: time.Millisecond})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	if testing.Verbose() {
		t.Log("\n" + s)
	}
	for _, want := range []string{"识别为 Discuz! X3.4", "建议：预设 discuz-x3", "gbk（网页 <meta> 声明）", "列表中提取到",
		"按建议配置试抓第一条", "正文（共", "preset: discuz-x3", `board: "2"`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	_, block, ok := strings.Cut(s, "yuqing crawl -source 名称 -once：\n\n")
	if !ok {
		t.Fatalf("no block in output:\n%s", s)
	}
	srcs, err := config.ParseSources("sources.yaml", []byte("sources:\n"+block))
	if err != nil || len(srcs) != 1 || srcs[0].Preset != "discuz-x3" {
		t.Errorf("printed block: %v, %+v\n%s", err, srcs, block)
	}
	if regexpPhone.MatchString(s) {
		t.Errorf("output shows a full phone number:\n%s", s)
	}
}

// The console's probe cannot be pointed at this machine or at link-local
// addresses (cloud metadata), whatever name resolves there.
func TestConsoleProbeRefusesLocalAddresses(t *testing.T) {
	srv := httptest.NewServer(demo.NewForum(time.Now, time.Now()).Handler())
	defer srv.Close()
	cfgFile := crawlFixture(t)
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	probe := consoleProbe(func() *config.Config { return cfg }, nil)
	for _, u := range []string{srv.URL + "/forum.php?mod=forumdisplay&fid=2", "http://localhost:1/", "http://169.254.169.254/latest/meta-data/"} {
		_, err := probe(t.Context(), u, "")
		if !errors.Is(err, errLocalAddress) {
			t.Errorf("%s: err = %v, want a refusal", u, err)
		}
	}
	for _, addr := range []string{"10.1.2.3:80", "192.168.0.8:8080", "203.0.113.7:443"} {
		if err := refuseLocal("tcp", addr, nil); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
}
