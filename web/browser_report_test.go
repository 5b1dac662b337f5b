package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/chart"
)

// TestBrowserOverviewAndReportDownloads is the reporting half of the duty
// in a real headless Chromium, on a desktop and on a 360 px phone: an
// operator logs in, sees the overview's charts drawn, goes to 报告 by the
// navigation, builds a past week's 周报 with the form, opens it from the
// list, and downloads it as Word and as Excel by clicking the page's
// buttons; the files the browser saved are then read: the document's
// title and one picture per chart, the workbook's 概况 figures.
func TestBrowserOverviewAndReportDownloads(t *testing.T) {
	skipBrowserIfShort(t)
	reportFont(t)
	for _, width := range []int{desktopWidth, phoneWidth} {
		t.Run(strconv.Itoa(width), func(t *testing.T) { browseReport(t, width) })
	}
}

// reportFont skips (or, with YUQING_REQUIRE_REPORT_TOOLS=1, fails) a test
// that downloads a Word report when no CJK font draws its charts.
func reportFont(t *testing.T) {
	t.Helper()
	if _, err := chart.FindFont(""); err != nil {
		if os.Getenv("YUQING_REQUIRE_REPORT_TOOLS") == "1" {
			t.Fatalf("YUQING_REQUIRE_REPORT_TOOLS=1 but no CJK font: %v", err)
		}
		t.Skipf("no CJK font for the Word report's charts (scripts/install-report-tools.sh installs one): %v", err)
	}
}

func browseReport(t *testing.T, width int) {
	f := setup(t)
	seedOverview(t, f)
	// The week before the fixture's day (Monday 23 November 2026).
	week := time.Date(2026, 11, 16, 0, 0, 0, 0, cst)
	want, err := report.Build(context.Background(), f.st, report.Request{Kind: report.Weekly, Date: week, Now: f.now},
		report.Options{Location: cst})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, f.srv.URL, width)
	b.run("login", b.login("ops"))

	// The overview: every chart drawn, with a Chinese title, and marks in it.
	var charts []struct {
		Title  string
		Width  float64
		Height float64
		Marks  int
	}
	b.run("the overview", b.open("/"), chromedp.WaitVisible(`main svg.chart`),
		chromedp.Evaluate(`[...document.querySelectorAll('main svg.chart')].map(s => {
			const r = s.getBoundingClientRect(), t = s.querySelector(':scope > title');
			return {Title: t ? t.textContent : '', Width: r.width, Height: r.height,
				Marks: s.querySelectorAll('rect, path, polyline, circle').length};
		})`, &charts),
		b.fits("/"), b.shot("overview"))
	var titles []string
	for _, c := range charts {
		titles = append(titles, c.Title)
		if !regexp.MustCompile(`\p{Han}`).MatchString(c.Title) || c.Width < 100 || c.Height < 20 || c.Marks == 0 ||
			c.Width > float64(width) {
			t.Errorf("chart %q drawn %.0f×%.0f with %d marks", c.Title, c.Width, c.Height, c.Marks)
		}
	}
	for _, w := range []string{"每日采集与相关帖子", "相关帖子（按等级）"} {
		if !strings.Contains(strings.Join(titles, "\n"), w) {
			t.Errorf("the overview's charts %q lack %q", titles, w)
		}
	}

	// 报告 through the navigation; the week's 周报 built with the form.
	var loc, h1 string
	b.run("build a weekly report",
		chromedp.Click(`header nav a[href="/reports"]`),
		chromedp.WaitVisible(`form.build-report`),
		chromedp.SetValue(`form.build-report select[name="kind"]`, string(report.Weekly)),
		chromedp.SetValue(`form.build-report input[name="date"]`, week.Format(time.DateOnly)),
		b.fits("/reports"),
		chromedp.Click(`form.build-report button[type="submit"]`),
		chromedp.WaitVisible(`p.downloads`),
		chromedp.Location(&loc),
		// Back to the list, and the report opened from it.
		chromedp.Click(`main a[href="/reports"]`),
		chromedp.WaitVisible(`table.reports-list`),
		chromedp.Click(`//table[contains(@class,"reports-list")]//a[text()="`+want.Title+`"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.downloads`),
		chromedp.Text(`main h1`, &h1),
		b.fits("the report"), b.shot("report"),
	)
	if !regexp.MustCompile(`/reports/\d+$`).MatchString(loc) || h1 != want.Title {
		t.Fatalf("the form led to %s, the list to the report %q; want %q", loc, h1, want.Title)
	}

	docx := b.download(`p.downloads a[href$="/docx"]`, want.Title+".docx")
	checkDOCX(t, docx, want)
	xlsx := b.download(`p.downloads a[href$="/xlsx"]`, want.Title+".xlsx")
	checkXLSX(t, xlsx, want)
}

// download clicks the link sel of the page in view, waits until the
// browser has saved the file it starts, and returns the file's content.
// A link that does not download (an error page, a broken link) fails the
// test, as does a file not named name.
func (b *browser) download(sel, name string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	begun := make(chan *cdpbrowser.EventDownloadWillBegin, 1)
	done := make(chan *cdpbrowser.EventDownloadProgress, 1)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel() // stops the listener
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			select {
			case begun <- e:
			default:
			}
		case *cdpbrowser.EventDownloadProgress:
			if e.State == cdpbrowser.DownloadProgressStateCompleted || e.State == cdpbrowser.DownloadProgressStateCanceled {
				select {
				case done <- e:
				default:
				}
			}
		}
	})
	b.run("download "+name,
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click(sel))
	wait, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	var start *cdpbrowser.EventDownloadWillBegin
	select {
	case start = <-begun:
	case <-wait.Done():
		b.t.Fatalf("clicking %s downloaded nothing", sel)
	}
	if start.SuggestedFilename != name {
		b.t.Errorf("the download is named %q, want %q", start.SuggestedFilename, name)
	}
	select {
	case e := <-done:
		if e.State != cdpbrowser.DownloadProgressStateCompleted {
			b.t.Fatalf("the download of %s ended %s", name, e.State)
		}
	case <-wait.Done():
		b.t.Fatalf("the download of %s did not complete", name)
	}
	data, err := os.ReadFile(filepath.Join(dir, start.GUID))
	if err != nil {
		b.t.Fatalf("the downloaded %s: %v", name, err)
	}
	return data
}

// checkDOCX: the Word document is a zip whose document holds the report's
// title and a picture for each chart, each chart's caption under it.
func checkDOCX(t *testing.T, data []byte, want report.Report) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the Word download is not a zip: %v", err)
	}
	var doc []byte
	images := 0
	for _, zf := range z.File {
		if strings.HasPrefix(zf.Name, "word/media/") && strings.HasSuffix(zf.Name, ".png") {
			images++
		}
		if zf.Name != "word/document.xml" {
			continue
		}
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		doc, err = io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(doc), "")
	if !strings.Contains(text, want.Title) {
		t.Errorf("word/document.xml lacks the title %q", want.Title)
	}
	for i, c := range want.Charts {
		if caption := fmt.Sprintf("图%d　%s", i+1, c.Title); !strings.Contains(text, caption) {
			t.Errorf("word/document.xml lacks the caption %q", caption)
		}
	}
	drawn := strings.Count(string(doc), "<pic:pic>")
	if len(want.Charts) == 0 || images != len(want.Charts) || drawn != len(want.Charts) {
		t.Errorf("the document has %d pictures (%d placed), want one per chart: %d", images, drawn, len(want.Charts))
	}
}

// checkXLSX: the workbook opens and its 概况 sheet holds the week's
// figures. The fixture's week (16–22 November) has seedOverview's seven
// ordinary days of three posts, two relevant, one of them negative; the
// week before holds three of those days (13–15 November).
func checkXLSX(t *testing.T, data []byte, want report.Report) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the Excel download does not open: %v", err)
	}
	defer x.Close()
	cells := map[string]string{"A1": "指标", "B1": "本期", "C1": "上期",
		"A2": "采集信息（条）", "B2": "21", "C2": "9",
		"A3": "相关信息（条）", "B3": "14", "C3": "6",
		"A4": "负面信息（条）", "B4": "7", "C4": "3"}
	for cell, w := range cells {
		got, err := x.GetCellValue("概况", cell)
		if err != nil || got != w {
			t.Errorf("概况!%s = %q (%v), want %q", cell, got, err, w)
		}
	}
	if f := want.Figures; f.Collected != 21 || f.Relevant != 14 || f.Negative != 7 {
		t.Errorf("the report counts %d/%d/%d, the fixture holds 21/14/7", f.Collected, f.Relevant, f.Negative)
	}
}
