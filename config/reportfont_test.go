package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/report/chart"
)

// TestReportFont: a configured report font must exist and draw Chinese;
// the error names the field. A real CJK font is taken, relative to the
// file's directory.
func TestReportFont(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	write(t, dir, "notafont.ttf", "not a font")
	for text, want := range map[string]string{
		"report_font: missing.ttc\n":  "report_font: 报告图表字体不可用：读取字体文件",
		"report_font: notafont.ttf\n": "report_font: 报告图表字体不可用：字体文件 " + filepath.Join(dir, "notafont.ttf") + " 无法解析",
	} {
		if _, err := Load(write(t, dir, "y.yaml", text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", text, err, want)
		}
	}
	font, err := chart.FindFont("")
	if err != nil {
		if os.Getenv("YUQING_REQUIRE_REPORT_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skipf("no CJK font to configure (scripts/install-report-tools.sh): %v", err)
	}
	rel, err := filepath.Rel(dir, font.Path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(write(t, dir, "y.yaml", "report_font: "+rel+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReportFont != font.Path {
		t.Errorf("report_font = %q, want %q", c.ReportFont, font.Path)
	}
}
