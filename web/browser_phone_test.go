package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// TestBrowserPagesFitPhoneWidth opens the console's pages in headless
// Chromium at 360 px and checks that none is wider than the screen (no
// sideways scrolling) and every control is in reach: tables become one
// card per row, the header and the forms wrap. YUQING_SCREENSHOTS=dir
// keeps a screenshot of each page.
func TestBrowserPagesFitPhoneWidth(t *testing.T) {
	skipBrowserIfShort(t)
	f := setup(t)
	addInformation(t, f, "http://info/1", "市医保局发布门诊共济新政解读：门诊费用纳入统筹基金支付的具体办法和报销比例",
		"自2027年1月1日起，参保职工在定点医疗机构发生的普通门诊费用纳入统筹基金支付，起付标准和支付比例见附件。", taxonomy.Neutral)
	suspected := fileSuspected(t, f)
	seedOverview(t, f) // the overview's charts (overview_test.go)
	if code, loc, _ := buildReport(t, f, "kind=weekly&date=2026-11-16"); loc != "/reports/1" {
		t.Fatalf("building a report: %d to %q", code, loc)
	}
	b := newBrowser(t, f.srv.URL, phoneWidth)
	b.run("login", b.login("wang"))
	for _, page := range []struct{ name, path string }{
		{"overview", "/"},
		{"list", "/incidents"},
		{"detail", "/incidents/" + f.major},
		{"suspected", "/incidents/" + suspected},
		{"information", "/information"},
		{"missed", "/missed?url=http://info/1"},
		{"sources", "/sources"},
		{"false-positives", "/rules/false-positives"},
		{"reports", "/reports"},
		{"report", "/reports/1"},
	} {
		b.run(page.path, b.open(page.path), chromedp.WaitVisible(`main h1`), b.fits(page.path), b.shot(page.name))
	}
}
