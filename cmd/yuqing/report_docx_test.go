package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// TestReportCommandDOCX: `yuqing report -format docx` writes a Word
// document with every chart as an image, drawn in the font report_font
// names; without a font it says what to install and writes nothing.
func TestReportCommandDOCX(t *testing.T) {
	font, err := chart.FindFont("")
	if err != nil {
		if os.Getenv("YUQING_REQUIRE_REPORT_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skipf("no CJK font (scripts/install-report-tools.sh): %v", err)
	}
	dir := layout(t)
	cfg := filepath.Join(dir, "yuqing.yaml")
	yaml, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	yaml = bytes.Replace(yaml, []byte(`report_font: ""`), []byte("report_font: "+font.Path), 1)
	if err := os.WriteFile(cfg, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "..", "data", "yuqing.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	out := filepath.Join(t.TempDir(), "周报.docx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"report", "-config", cfg, "-kind", "weekly", "-date", "2026-12-03", "-format", "docx", "-out", out}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	z, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	images, doc := 0, ""
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "word/media/") {
			images++
		}
		if f.Name == "word/document.xml" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			doc = string(b)
		}
	}
	captions := len(regexp.MustCompile(`>图\d+　`).FindAllString(doc, -1))
	if !strings.Contains(doc, "医保舆情周报（2026年11月30日—12月6日）") || captions < 4 || images != captions {
		t.Errorf("document: title %v, %d chart captions, %d images", strings.Contains(doc, "医保舆情周报"), captions, images)
	}

	if err := os.WriteFile(cfg, bytes.Replace(yaml, []byte("report_font: "+font.Path), []byte("report_font: "+cfg), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	other := filepath.Join(t.TempDir(), "x.docx")
	if code := run([]string{"report", "-config", cfg, "-kind", "weekly", "-format", "docx", "-out", other}, nil, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "report_font") {
		t.Errorf("a configured file that is no font: exit %d, %s", code, stderr.String())
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a failed report left a file: %v", err)
	}
}
