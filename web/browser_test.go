package web_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/yuqing-bureau/yuqing/model"
)

// chromiumPath finds Debian's chromium (scripts/install-chromium.sh installs
// it). CI sets YUQING_REQUIRE_BROWSER=1 so a missing browser fails there
// instead of skipping.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("YUQING_REQUIRE_BROWSER") != "" {
		t.Fatal("YUQING_REQUIRE_BROWSER is set but no chromium was found; run scripts/install-chromium.sh")
	}
	t.Skip("skipping browser test: chromium not installed (run scripts/install-chromium.sh)")
	return ""
}

// TestBrowserHandlesIncidentEndToEnd is a member of staff's whole round in a
// real headless Chromium: log in, open the Ⅱ incident from the list, sign
// for it, hand it to an office, record a follow-up, close it, and read the
// event log. It exercises what the HTTP tests cannot: the real forms with
// their CSRF fields, redirects, cookies and the CSP in a browser.
func TestBrowserHandlesIncidentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	bin := chromiumPath(t)
	f := setup(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-gpu", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Errors the browser logs (a CSP violation, a failing script, a 4xx/5xx
	// subresource) fail the test: the console must work under its own CSP.
	var mu sync.Mutex
	var consoleErrs []string
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError {
				msg = e.Entry.Text + " " + e.Entry.URL
			}
		case *runtime.EventExceptionThrown:
			msg = e.ExceptionDetails.Error()
		}
		if msg != "" {
			mu.Lock()
			consoleErrs = append(consoleErrs, msg)
			mu.Unlock()
		}
	})

	form := func(action string) string { return `form[action="/incidents/` + f.major + `/` + action + `"]` }
	// logHas waits until the event log lists an entry of the given name.
	logHas := func(name string) chromedp.Action {
		return chromedp.WaitVisible(`//section[@id="log"]//li/strong[text()="`+name+`"]`, chromedp.BySearch)
	}

	var loginURL, listText, office, logText, facts string
	err := chromedp.Run(ctx,
		// Unauthenticated: sent to the login page.
		chromedp.Navigate(f.srv.URL+"/incidents"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.Location(&loginURL),
		chromedp.SendKeys(`input[name="username"]`, "wang"),
		chromedp.SendKeys(`input[name="password"]`, "wang-password"),
		chromedp.Submit(`input[name="password"]`),
		// The list, then the incident from it.
		chromedp.WaitVisible(`a[href="/incidents/`+f.major+`"]`),
		chromedp.Text(`main`, &listText),
		chromedp.Click(`a[href="/incidents/`+f.major+`"]`),
		chromedp.WaitVisible(form("ack")),

		chromedp.SendKeys(form("ack")+` input[name="note"]`, "已签收，启动应急响应"),
		chromedp.Click(form("ack")+` button`),
		logHas("签收"),

		// Assign to the second office offered (the first is preselected by no one).
		chromedp.Evaluate(`(() => { const s = document.querySelector('`+form("assign")+` select[name="office"]');
			s.selectedIndex = Math.min(1, s.options.length - 1); return s.value })()`, &office),
		chromedp.SendKeys(form("assign")+` input[name="note"]`, "请核实"),
		chromedp.Click(form("assign")+` button`),
		logHas("分派"),

		chromedp.SendKeys(form("followup")+` textarea[name="note"]`, "已联系医院核实，情况属实，正在处理"),
		chromedp.Click(form("followup")+` button`),
		logHas("跟进回复"),

		// The page says what was done and what comes next; 办结 before
		// 调查核实 and 答复反馈 waits under 更多操作 and asks to confirm.
		chromedp.WaitVisible(`//p[contains(@class,"notice")][contains(.,"已完成「跟进回复」")][contains(.,"下一步：待调查核实")]`, chromedp.BySearch),
		chromedp.Click(`details.more-actions > summary`),
		chromedp.WaitVisible(form("close")+` textarea[name="note"]`),
		chromedp.SendKeys(form("close")+` textarea[name="note"]`, "医院已整改，涉事人员已处理"),
		chromedp.Click(form("close")+` button`),
		// An unticked confirmation is refused (by the browser, else by the
		// server): the form comes back and nothing is logged.
		chromedp.Click(form("close")+` input[name="confirmed"]`),
		chromedp.Click(form("close")+` button`),
		logHas("办结"),

		chromedp.Text(`#log`, &logText),
		chromedp.Text(`dl.facts`, &facts),
	)
	if err != nil {
		t.Fatalf("browser run: %v\nlog so far:\n%s", err, logText)
	}
	if !strings.Contains(loginURL, "/login") {
		t.Errorf("unauthenticated visit landed on %s, want the login page", loginURL)
	}
	if !strings.Contains(listText, f.major) {
		t.Errorf("incident list does not show %s:\n%s", f.major, listText)
	}
	if strings.Contains(listText, "13812345678") {
		t.Errorf("incident list shows an unmasked phone number:\n%s", listText)
	}
	for _, want := range []string{"登记", "签收", "已签收，启动应急响应", "分派", office, "跟进回复",
		"已联系医院核实", "办结", "医院已整改", "王科员"} {
		if !strings.Contains(logText, want) {
			t.Errorf("event log lacks %q:\n%s", want, logText)
		}
	}
	if !strings.Contains(facts, "已办结") && !strings.Contains(facts, "办结") {
		t.Errorf("incident facts do not show it closed:\n%s", facts)
	}
	mu.Lock()
	if len(consoleErrs) > 0 {
		t.Errorf("browser logged errors: %q", consoleErrs)
	}
	mu.Unlock()

	// The browser's view matches what the store recorded, in order.
	d, err := f.st.IncidentDetail(context.Background(), f.major)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []model.EventKind
	for _, e := range d.Events {
		if e.Kind != model.EventCreated && e.Kind != model.EventPostJoined && e.Kind != model.EventLevelChanged {
			kinds = append(kinds, e.Kind)
			if !strings.Contains(e.Actor, "王科员") {
				t.Errorf("event %s recorded actor %q, want the logged-in user", e.Kind, e.Actor)
			}
		}
	}
	want := []model.EventKind{model.EventAcknowledged, model.EventAssigned, model.EventFollowedUp, model.EventClosed}
	if !slices.Equal(kinds, want) {
		t.Errorf("stored events %v, want %v", kinds, want)
	}
	if d.Incident.Status != model.StatusClosed || d.Incident.Office != office {
		t.Errorf("stored incident status %q office %q, want closed and %q", d.Incident.Status, d.Incident.Office, office)
	}
}
