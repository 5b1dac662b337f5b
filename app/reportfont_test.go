package app

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/report/chart"
)

// `yuqing check` names the report font it found, or says plainly that
// Word reports need one and how to install it.
func TestCheckReportFont(t *testing.T) {
	if got := reportFontLine(nil, chart.ErrNoFont); !strings.Contains(got, "注意：Word 报告（docx）的图表需要中文字体") ||
		!strings.Contains(got, "scripts/install-report-tools.sh") {
		t.Errorf("no font: %q", got)
	}
	var out bytes.Buffer
	if err := Check(filepath.Join("..", "configs", "yuqing.yaml"), &out, beijing(t, "2026-12-07 10:00")); err != nil {
		t.Fatal(err)
	}
	f, err := chart.FindFont("")
	if want := reportFontLine(f, err); !strings.Contains(out.String(), want+"\n") {
		t.Errorf("check output lacks %q:\n%s", want, out.String())
	}
}
