package report_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/report"
)

// TestBrowserPageAtPhoneWidth opens the weekly page in Debian's headless
// Chromium (scripts/install-chromium.sh; CI sets YUQING_REQUIRE_BROWSER=1)
// 360 px wide: nothing is wider than the screen (wide tables scroll in
// their own box), every chart is drawn within it, and the page prints.
func TestBrowserPageAtPhoneWidth(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("YUQING_REQUIRE_BROWSER") != "" {
			t.Fatal("YUQING_REQUIRE_BROWSER is set but no chromium was found; run scripts/install-chromium.sh")
		}
		t.Skip("skipping browser test: chromium not installed (run scripts/install-chromium.sh)")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", report.HTML.ContentType())
		if err := report.Write(w, weekly(), report.HTML); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	const phone = 360
	var pageWidth, widestChart, charts int
	var pdf []byte
	if err := chromedp.Run(ctx,
		chromedp.EmulateViewport(phone, 800),
		chromedp.Navigate(srv.URL),
		chromedp.WaitReady(`footer`),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &pageWidth),
		chromedp.Evaluate(`Math.ceil(Math.max(...[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().right)))`, &widestChart),
		chromedp.Evaluate(`document.querySelectorAll('figure svg').length`, &charts),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = page.PrintToPDF().Do(ctx)
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	if pageWidth > phone || widestChart > phone || charts != 6 {
		t.Errorf("at %d px: page %d px wide, charts end at %d px, %d charts", phone, pageWidth, widestChart, charts)
	}
	if len(pdf) < 1000 || string(pdf[:5]) != "%PDF-" {
		t.Errorf("printing gave %d bytes", len(pdf))
	}
}
