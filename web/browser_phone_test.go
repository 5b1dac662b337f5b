package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// phoneWidth is the narrowest phone the console is made for.
const phoneWidth = 360

// TestBrowserPagesFitPhoneWidth opens the console's pages in headless
// Chromium at 360 px and checks that none is wider than the screen (no
// sideways scrolling): tables become one card per row, the header and the
// forms wrap. YUQING_SCREENSHOTS=dir keeps a screenshot of each page.
func TestBrowserPagesFitPhoneWidth(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	bin := chromiumPath(t)
	f := setup(t)
	addInformation(t, f, "http://info/1", "市医保局发布门诊共济新政解读：门诊费用纳入统筹基金支付的具体办法和报销比例",
		"自2027年1月1日起，参保职工在定点医疗机构发生的普通门诊费用纳入统筹基金支付，起付标准和支付比例见附件。", taxonomy.Neutral)
	suspected := fileSuspected(t, f)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	if err := chromedp.Run(ctx,
		chromedp.EmulateViewport(phoneWidth, 740),
		chromedp.Navigate(f.srv.URL+"/login"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, "wang"),
		chromedp.SendKeys(`input[name="password"]`, "wang-password"),
		chromedp.Submit(`input[name="password"]`),
		chromedp.WaitVisible(`table.incidents`),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	shots := os.Getenv("YUQING_SCREENSHOTS")
	for _, page := range []struct{ name, path string }{
		{"list", "/incidents"},
		{"detail", "/incidents/" + f.major},
		{"suspected", "/incidents/" + suspected},
		{"information", "/information"},
		{"missed", "/missed?url=http://info/1"},
		{"sources", "/sources"},
		{"false-positives", "/rules/false-positives"},
	} {
		var width int
		var png []byte
		actions := []chromedp.Action{
			chromedp.Navigate(f.srv.URL + page.path),
			chromedp.WaitVisible(`main h1`),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
		}
		if shots != "" {
			actions = append(actions, chromedp.FullScreenshot(&png, 100))
		}
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", page.path, err)
		}
		if width > phoneWidth {
			t.Errorf("%s is %d px wide at a %d px screen", page.path, width, phoneWidth)
		}
		if shots != "" {
			if err := os.WriteFile(filepath.Join(shots, page.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
