package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// reachable is a script listing the controls of <main> (links, buttons,
// fields, summaries) that are visible but do not fit inside the viewport's
// width, or are not visible: on a phone every action must be reachable
// without sideways scrolling. Controls inside a closed <details> count as
// reachable once it is opened, so they are skipped.
const reachable = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll('main a, main button, main input, main select, main textarea, main summary')) {
    if (el.type === 'hidden' || el.closest('details:not([open]) > :not(summary)')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right > window.innerWidth + 1 || r.left < -1) {
      bad.push((el.name || el.textContent || el.tagName).trim().slice(0, 20) + ' @' + Math.round(r.left) + '-' + Math.round(r.right));
    }
  }
  return bad;
})()`

// TestBrowserWorkdayAtPhoneWidth walks a handler's day on a 360 px phone:
// the list of 120 incidents to page 3, an incident merged into another
// from 更多操作 (with its confirmation), then the guided sign-for,
// follow-up and close with the confirmation. Every page fits the screen
// and every control on it is reachable, and the list shows the same
// incidents at phone and desktop width.
func TestBrowserWorkdayAtPhoneWidth(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	bin := chromiumPath(t)
	f := setup(t)
	for i := range 118 {
		f.file(fmt.Sprintf("http://bbs/w%d", i), fmt.Sprintf("第%d号问题 事项%c%c", i, rune('甲'+i%10), rune('子'+i/10)),
			fmt.Sprintf("内容%d", i), taxonomy.LevelIV, taxonomy.Categories[i%6], nil)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// fits checks the page in view: no sideways scrolling, every control reachable.
	fits := func(what string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var width int
			var bad []string
			if err := chromedp.Evaluate(`document.documentElement.scrollWidth`, &width).Do(ctx); err != nil {
				return err
			}
			if err := chromedp.Evaluate(reachable, &bad).Do(ctx); err != nil {
				return err
			}
			if width > phoneWidth {
				t.Errorf("%s is %d px wide at a %d px screen", what, width, phoneWidth)
			}
			if len(bad) > 0 {
				t.Errorf("%s: controls out of reach at %d px: %v", what, phoneWidth, bad)
			}
			return nil
		})
	}
	form := func(number, action string) string { return `form[action="/incidents/` + number + `/` + action + `"]` }
	logHas := func(name string) chromedp.Action {
		return chromedp.WaitVisible(`//section[@id="log"]//li/strong[text()="`+name+`"]`, chromedp.BySearch)
	}
	var page3, phoneList, desktopList string
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(phoneWidth, 740),
		chromedp.Navigate(f.srv.URL+"/login?next=/incidents"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, "wang"),
		chromedp.SendKeys(`input[name="password"]`, "wang-password"),
		chromedp.Submit(`input[name="password"]`),
		chromedp.WaitVisible(`table.incidents`),
		fits("the list"),
		chromedp.Text(`main`, &phoneList),
		chromedp.Click(`a[rel="next"]`),
		chromedp.WaitVisible(`//p[contains(.,"第 2 页")]`, chromedp.BySearch),
		chromedp.Click(`a[rel="next"]`),
		chromedp.WaitVisible(`//p[contains(.,"第 3 页（第 101–120 件）")]`, chromedp.BySearch),
		fits("page 3"),
		chromedp.Text(`main`, &page3),

		// One event filed twice: merge the minor incident into the major.
		chromedp.Navigate(f.srv.URL+"/incidents/"+f.minor),
		chromedp.WaitVisible(form(f.minor, "ack")),
		fits("the detail page"),
		chromedp.Click(`details.more-actions > summary`),
		chromedp.WaitVisible(form(f.minor, "merge")+` input[name="target"]`),
		fits("the detail page with 更多操作 open"),
		chromedp.SendKeys(form(f.minor, "merge")+` input[name="target"]`, f.major),
		chromedp.SendKeys(form(f.minor, "merge")+` input[name="note"]`, "同一件事"),
		chromedp.Click(form(f.minor, "merge")+` input[name="confirmed"]`),
		chromedp.Click(form(f.minor, "merge")+` button`),
		logHas("合并"),

		// The guided handling of the incident that holds both posts.
		chromedp.Navigate(f.srv.URL+"/incidents/"+f.major),
		chromedp.WaitVisible(form(f.major, "ack")),
		chromedp.SendKeys(form(f.major, "ack")+` input[name="note"]`, "已签收"),
		chromedp.Click(form(f.major, "ack")+` button`),
		logHas("签收"),
		chromedp.SendKeys(form(f.major, "followup")+` textarea[name="note"]`, "已联系医院核实"),
		chromedp.Click(form(f.major, "followup")+` button`),
		logHas("跟进回复"),
		fits("the detail page after the follow-up"),
		chromedp.Click(`details.more-actions > summary`),
		chromedp.WaitVisible(form(f.major, "close")+` textarea[name="note"]`),
		chromedp.SendKeys(form(f.major, "close")+` textarea[name="note"]`, "已处理完毕"),
		chromedp.Click(form(f.major, "close")+` input[name="confirmed"]`),
		chromedp.Click(form(f.major, "close")+` button`),
		logHas("办结"),
		fits("the closed incident"),

		// The same list at desktop width shows the same incidents.
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(f.srv.URL+"/incidents"),
		chromedp.WaitVisible(`table.incidents`),
		chromedp.Text(`main`, &desktopList),
	)
	if err != nil {
		t.Fatalf("browser run: %v", err)
	}
	// Most severe first, newest first: the Ⅱ incident leads page 1, the
	// oldest Ⅳ one ends page 3.
	if !strings.Contains(page3, f.minor) || strings.Contains(page3, f.major) {
		t.Errorf("page 3 has the oldest Ⅳ incident %v, the Ⅱ one %v", strings.Contains(page3, f.minor), strings.Contains(page3, f.major))
	}
	numbers := func(text string) int {
		n := 0
		for _, w := range strings.Fields(text) {
			if strings.HasPrefix(w, "YQ-") {
				n++
			}
		}
		return n
	}
	// The same list at both widths: 50 a page; two fewer open after the
	// walk (one merged, one closed).
	if numbers(phoneList) != 50 || numbers(desktopList) != 50 || !strings.Contains(phoneList, "共 120 件") || !strings.Contains(desktopList, "共 118 件") {
		t.Errorf("phone list: %d incidents; desktop list after the walk: %d\n%.200s\n%.200s", numbers(phoneList), numbers(desktopList), phoneList, desktopList)
	}
}
