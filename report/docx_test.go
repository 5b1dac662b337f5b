package report_test

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/report/internal/reporttools"
)

// docxParts writes rep as a Word document and unzips it.
func docxParts(t *testing.T, rep report.Report) ([]byte, map[string][]byte) {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteDOCX(&b, rep, reporttools.Font(t)); err != nil {
		t.Fatal(err)
	}
	_, parts := reporttools.Unzip(t, b.Bytes())
	return b.Bytes(), parts
}

// docText is the text of a document part, tags dropped and entities
// read, so that it can be searched like the page.
func docText(part []byte) string {
	s := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(part), "")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(s)
}

// TestDOCXLayout: the Word document of a week's report and of a 专报 has
// the title, every summary paragraph, every chart as a PNG of the chart's
// layout with its title under it, and every table with its headings and
// cells, text escaped.
func TestDOCXLayout(t *testing.T) {
	for name, rep := range map[string]report.Report{"weekly": weekly(), "special": special()} {
		_, parts := docxParts(t, rep)
		doc := docText(parts["word/document.xml"])
		want := append([]string{rep.Title, "统计时段：" + rep.Period.Name()}, rep.Summary...)
		for i, c := range rep.Charts {
			want = append(want, fmt.Sprintf("图%d　%s", i+1, c.Title))
		}
		for _, tb := range rep.Tables() {
			want = append(want, tb.Name)
			want = append(want, tb.Columns...)
			for _, row := range tb.Rows {
				for _, c := range row {
					want = append(want, c.Text)
				}
			}
		}
		for _, w := range want {
			if !strings.Contains(doc, w) {
				t.Errorf("%s: the document lacks %q", name, w)
			}
		}
		if name == "weekly" && !strings.Contains(string(parts["word/document.xml"]), "住院报销&lt;迟迟&gt;不到账") {
			t.Errorf("%s: an incident's title is not escaped", name)
		}
		for i, c := range rep.Charts {
			img := parts[fmt.Sprintf("word/media/image%d.png", i+1)]
			cfg, err := png.DecodeConfig(bytes.NewReader(img))
			if err != nil {
				t.Fatalf("%s: chart %d (%s) is not a PNG: %v", name, i+1, c.Title, err)
			}
			d, _ := c.Drawing()
			if cfg.Width != chart.Width*chart.PNGScale || cfg.Height != d.Height*chart.PNGScale {
				t.Errorf("%s: chart %d is %d×%d, not its layout's size", name, i+1, cfg.Width, cfg.Height)
			}
			if !strings.Contains(string(parts["word/document.xml"]), `descr="`+strings.ReplaceAll(d.Desc, "&", "&amp;")) {
				t.Errorf("%s: chart %d has not its description as alternative text", name, i+1)
			}
		}
		if _, extra := parts[fmt.Sprintf("word/media/image%d.png", len(rep.Charts)+1)]; extra {
			t.Errorf("%s: more images than charts", name)
		}
	}
}

// TestDOCXUnknownChart: a chart of a style no renderer knows fails the
// document with its title named, rather than leaving a hole.
func TestDOCXUnknownChart(t *testing.T) {
	rep := weekly()
	rep.Charts = append(rep.Charts, report.Chart{Title: "饼图", Style: "pie"})
	err := report.WriteDOCX(io.Discard, rep, reporttools.Font(t))
	if err == nil || !strings.Contains(err.Error(), "饼图") {
		t.Fatalf("err = %v, want one naming the chart", err)
	}
}

// TestDOCXInLibreOffice converts a week's report to PDF with LibreOffice
// as an office would open it, then checks with poppler that the Chinese
// title, summary and table headings are in its text and that every
// chart is an image in it.
func TestDOCXInLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: LibreOffice takes seconds")
	}
	reporttools.Programs(t, "soffice", "pdftotext", "pdfimages")
	rep := weekly()
	b, _ := docxParts(t, rep)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weekly.docx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	run := toolsIn(t, dir)
	run("soffice", office(dir, "pdf", "weekly.docx")...)
	// pdftotext spaces out justified Chinese: compare without spaces.
	text := strings.Join(strings.Fields(run("pdftotext", "-enc", "UTF-8", "weekly.pdf", "-")), "")
	want := append([]string{rep.Title, "综述", "科室处置"}, rep.Summary...)
	for _, c := range rep.Charts {
		want = append(want, c.Title)
	}
	for _, w := range want {
		if w = strings.Join(strings.Fields(w), ""); !strings.Contains(text, w) {
			t.Errorf("the PDF's text lacks %q:\n%s", w, text)
		}
	}
	// pdfimages -list: two header lines, then a line per image.
	lines := strings.Split(strings.TrimSpace(run("pdfimages", "-list", "weekly.pdf")), "\n")
	images := 0
	for _, l := range lines[2:] {
		if f := strings.Fields(l); len(f) > 4 && f[2] == "image" && f[3] == "1200" {
			images++
		}
	}
	if images != len(rep.Charts) {
		t.Errorf("the PDF has %d chart images, want %d:\n%s", images, len(rep.Charts), strings.Join(lines, "\n"))
	}
}

// monthly is weekly's report stretched over 30 days: a month's charts.
func monthly() report.Report {
	rep := weekly()
	week := rep.Days
	rep.Days = nil
	for i := range 30 {
		d := week[i%7]
		d.Start = week[0].Start.AddDate(0, 0, i)
		rep.Days = append(rep.Days, d)
	}
	rep.Kind, rep.Period = report.Monthly, report.Period{From: rep.Days[0].Start, Days: 30}
	rep.Charts = report.PostFigures{Days: rep.Days, Sources: rep.Sources, Places: rep.Places}.ChartList(nil, report.Links{})
	return rep
}

// BenchmarkDOCX writes a month's report as a Word document (its charts
// drawn and encoded as PNG), with the font loaded once as a daemon does.
func BenchmarkDOCX(b *testing.B) {
	font := reporttools.Font(b)
	rep := monthly()
	for b.Loop() {
		if err := report.WriteDOCX(io.Discard, rep, font); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDOCXFindingFont is report.Write's DOCX, which finds and loads
// the font each time.
func BenchmarkDOCXFindingFont(b *testing.B) {
	reporttools.Font(b)
	rep := monthly()
	for b.Loop() {
		if err := report.Write(io.Discard, rep, report.DOCX); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChartsPNG draws a month's charts as PNG, the bulk of a DOCX.
func BenchmarkChartsPNG(b *testing.B) {
	font := reporttools.Font(b)
	rep := monthly()
	for b.Loop() {
		for _, c := range rep.Charts {
			d, _ := c.Drawing()
			if _, err := d.PNG(font); err != nil {
				b.Fatal(err)
			}
		}
	}
}
