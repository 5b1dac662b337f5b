package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/yuqing-bureau/yuqing/model"
)

// TestBrowserHandlesIncidentEndToEnd is a member of staff's whole round in a
// real headless Chromium: log in, open the Ⅱ incident from the list, sign
// for it, hand it to an office, record a follow-up, close it, and read the
// event log. It exercises what the HTTP tests cannot: the real forms with
// their CSRF fields, redirects, cookies and the CSP in a browser.
func TestBrowserHandlesIncidentEndToEnd(t *testing.T) {
	skipBrowserIfShort(t)
	f := setup(t)
	b := newBrowser(t, f.srv.URL, desktopWidth)
	form := func(step string) string { return stepForm(f.major, step) }

	var loginURL, listText, office, logText, facts string
	b.run("the round",
		// Unauthenticated: sent to the login page.
		b.open("/incidents"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.Location(&loginURL),
		signIn("wang"),
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
		openMore(form("close")+` textarea[name="note"]`),
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
	if !strings.Contains(facts, "已办结") {
		t.Errorf("incident facts do not show it closed:\n%s", facts)
	}

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
