package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// openIncidents is how many open incidents the handler's store holds:
// the fixture's two and the ones seedOpenIncidents files.
const openIncidents = 500

// seedOpenIncidents files n posts as n Ⅲ incidents in one transaction
// through the store and the incident service (as grading files them),
// the newest first seen first; it returns them in that order.
func seedOpenIncidents(t *testing.T, f *fixture, n int) []model.Incident {
	t.Helper()
	ctx := context.Background()
	svc := incident.New(f.st, incident.DefaultPolicy(), func() time.Time { return f.now }, nil)
	matters := []string{"挂号排长队", "药价比外面贵", "押金收得太高", "窗口态度生硬", "系统经常卡顿", "结算单看不懂", "异地备案难办"}
	out := make([]model.Incident, 0, n)
	err := f.st.InTx(ctx, func(tx store.Tx) error {
		out = out[:0]
		for i := range n {
			// Titles and bodies apart enough that grouping files each alone.
			p := model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/open/%d", i),
				Title:     fmt.Sprintf("第%d号问题 事项%c%c%s", i+1, rune('甲'+i%10), rune('子'+i/10), matters[i%len(matters)]),
				Body:      fmt.Sprintf("内容%d", i+1),
				FetchedAt: f.now.Add(-time.Duration(i+1) * time.Minute)}
			if _, err := tx.SavePost(ctx, &p); err != nil {
				return err
			}
			o, err := svc.File(ctx, tx, p, model.Grade{PostID: p.ID, RulesVersion: "abc123", Relevant: true,
				Category: taxonomy.Categories[i%len(taxonomy.Categories)], Level: taxonomy.LevelIII, Score: 2,
				Reasons: []string{"命中「投诉」"}, GradedAt: f.now})
			if err != nil {
				return err
			}
			out = append(out, o.Incident)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.st.Incidents(ctx, store.IncidentFilter{OnlyOpen: true, Limit: 1})
	if err != nil || page.Total != n+2 {
		t.Fatalf("seeded %d posts: %d open incidents (%v), want each its own", n, page.Total, err)
	}
	return out
}

// forumPosts serves the threads the 舆情信息 posts link to, as the
// forum would: the handler opens one from the search results.
func forumPosts(t *testing.T, titles map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		title, ok := titles[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>楼主发帖</p>", title, title)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// workday is what a walk saw: the text <main> showed at each step, and
// the words to compare across widths (incident numbers, titles).
type workday struct {
	steps  []string
	texts  map[string]string
	titles []string
	done   bool // the walk reached its end
}

// TestBrowserWorkday walks a handler's working day, at desktop width and
// on a 360 px phone, in a store with 500 open incidents: the console's
// home (the open list) → page 3 → a search for a two-character word on
// 舆情信息, the hits marked → narrowed by sentiment → open a post → attach it to an incident →
// merge that incident into another → the guided sign-for, follow-up and
// close with its confirmation → the audit log, in Chinese, as an
// administrator. Each step's page fits the screen with every control in
// reach and is kept as a screenshot; the phone shows the same incidents
// and titles as the desktop at every step.
func TestBrowserWorkday(t *testing.T) {
	skipBrowserIfShort(t)
	chromiumPath(t)
	days := map[int]*workday{}
	t.Run("walks", func(t *testing.T) {
		for _, width := range []int{desktopWidth, phoneWidth} {
			day := &workday{texts: map[string]string{}}
			days[width] = day
			t.Run(strconv.Itoa(width)+"px", func(t *testing.T) {
				t.Parallel()
				walkWorkday(t, width, day)
			})
		}
	})
	desk, phone := days[desktopWidth], days[phoneWidth]
	if !desk.done || !phone.done {
		return
	}
	numbers := regexp.MustCompile(`YQ-\d{8}-\d{4}`)
	for _, step := range desk.steps {
		d, p := desk.texts[step], phone.texts[step]
		if dn, pn := numbers.FindAllString(d, -1), numbers.FindAllString(p, -1); !slices.Equal(dn, pn) {
			i := 0
			for i < min(len(dn), len(pn)) && dn[i] == pn[i] {
				i++
			}
			t.Errorf("%s: the phone shows %d incident numbers, the desktop %d; they part at the %dth: %v, %v",
				step, len(pn), len(dn), i+1, pn[i:min(i+3, len(pn))], dn[i:min(i+3, len(dn))])
		}
		for _, title := range desk.titles {
			if strings.Contains(d, title) != strings.Contains(p, title) {
				t.Errorf("%s: %q shown on the desktop %v, on the phone %v", step, title, strings.Contains(d, title), strings.Contains(p, title))
			}
		}
	}
}

// walkWorkday is the walk at one width, recorded in day.
func walkWorkday(t *testing.T, width int, day *workday) {
	f := setup(t)
	seeded := seedOpenIncidents(t, f, openIncidents-2)
	// The list's order: the Ⅱ incident, the Ⅲ ones newest first, the Ⅳ one.
	order := []string{f.major}
	for _, inc := range seeded {
		order = append(order, inc.Number)
		day.titles = append(day.titles, inc.Title)
	}
	order = append(order, f.minor)
	paths := map[string]string{"/t/1": "异地就医报销需要哪些材料", "/t/2": "职工医保断缴后怎么补缴", "/t/3": "长护险申请流程"}
	forum := forumPosts(t, paths)
	post := addInformation(t, f, forum.URL+"/t/1", paths["/t/1"], "在外地住院后回参保地报销，需要发票、费用清单和出院小结。", taxonomy.Neutral)
	addInformation(t, f, forum.URL+"/t/2", paths["/t/2"], "断缴三个月后补缴，补缴期间住院能不能报销？", taxonomy.Neutral)
	addInformation(t, f, forum.URL+"/t/3", paths["/t/3"], "长护险由街道受理，评估后按月支付。", taxonomy.Neutral)
	for _, title := range paths {
		day.titles = append(day.titles, title)
	}
	b := newBrowser(t, f.srv.URL, width)
	// see records a step: the page fits, its screenshot, its text.
	see := func(step string) chromedp.Action {
		day.steps = append(day.steps, step)
		text := new(string)
		return chromedp.Tasks{b.fits(step), b.shot(step), shown(text),
			chromedp.ActionFunc(func(context.Context) error { day.texts[step] = *text; return nil })}
	}

	// The open list, most severe first (the console's home is 总览).
	var home string
	var rows []string
	b.run("the home page", b.open("/incidents"), signIn("wang"), chromedp.WaitVisible(`table.incidents`),
		chromedp.Location(&home), listed(&rows), see("home"))
	if !strings.HasSuffix(home, "/incidents") || !strings.Contains(day.texts["home"], fmt.Sprintf("共 %d 件，第 1 页（第 1–50 件）", openIncidents)) {
		t.Errorf("home %s:\n%.300s", home, day.texts["home"])
	}
	if !slices.Equal(rows, order[:50]) {
		t.Errorf("page 1 lists %v, want %v", rows, order[:50])
	}

	// Page 3, by the 下一页 links.
	b.run("page 3", chromedp.Click(`a[rel="next"]`), waitText("第 2 页（第 51–100 件）"),
		chromedp.Click(`a[rel="next"]`), waitText("第 3 页（第 101–150 件）"), listed(&rows), see("page3"))
	if !slices.Equal(rows, order[100:150]) {
		t.Errorf("page 3 lists %v, want %v", rows, order[100:150])
	}
	target := order[100] // the first on page 3: the incident the post belongs to

	// 舆情信息, searched for a two-character word: the hits, marked.
	var marks []string
	b.run("search", chromedp.Click(`header nav a[href="/information"]`), chromedp.WaitVisible(`input[name="q"]`),
		chromedp.SendKeys(`input[name="q"]`, "报销"), chromedp.Submit(`input[name="q"]`), waitText("共 2 条"),
		chromedp.Evaluate(`[...document.querySelectorAll('table.information mark')].map(m => m.textContent)`, &marks),
		see("search"))
	text := day.texts["search"]
	if !strings.Contains(text, paths["/t/1"]) || !strings.Contains(text, paths["/t/2"]) || strings.Contains(text, paths["/t/3"]) {
		t.Errorf("search for 报销 shows:\n%s", text)
	}
	if len(marks) < 3 || slices.ContainsFunc(marks, func(m string) bool { return m != "报销" }) {
		t.Errorf("marked %q, want 报销 in both hits' titles or excerpts", marks)
	}

	// The same search narrowed by sentiment, from 更多筛选 (open again on
	// the page a filter behind it chose): the filter and the search are
	// kept together.
	b.run("sentiment", chromedp.Click(`details.more-filters > summary`),
		chromedp.SetValue(`select[name="sentiment"]`, taxonomy.Negative), chromedp.Submit(`input[name="q"]`),
		waitText("没有包含「报销」的帖子"), chromedp.WaitVisible(`details.more-filters[open] select[name="sentiment"]`),
		chromedp.SetValue(`select[name="sentiment"]`, taxonomy.Neutral), chromedp.Submit(`input[name="q"]`),
		waitText("共 2 条"), see("sentiment"))
	if text := day.texts["sentiment"]; !strings.Contains(text, paths["/t/1"]) || strings.Contains(text, paths["/t/3"]) {
		t.Errorf("报销 among 中性 posts shows:\n%s", text)
	}

	// Open the post: the forum's thread, in a new tab.
	var thread string
	b.inNewTab("open the post", chromedp.Click(`td.title a[href="`+forum.URL+`/t/1"]`),
		chromedp.WaitVisible(`h1`), chromedp.Text(`h1`, &thread))
	if thread != paths["/t/1"] {
		t.Errorf("the post's link opened %q", thread)
	}

	// Attach it to the incident from page 3.
	attach := fmt.Sprintf(`form[action="/posts/%d/attach"]`, post)
	var posts []string
	var status string
	b.run("attach", chromedp.SendKeys(attach+` input[name="target"]`, target),
		chromedp.SendKeys(attach+` input[name="note"]`, "网民追问同一件事"),
		chromedp.Click(attach+` button`), logHas("并入帖子"), postTitles(&posts), see("attach"))
	if !slices.Contains(posts, paths["/t/1"]) || len(posts) != 2 {
		t.Errorf("%s holds %q after the attach", target, posts)
	}

	// One matter filed twice: merge it into the Ⅱ incident.
	merge := stepForm(target, "merge")
	b.run("merge", openMore(merge+` input[name="target"]`),
		chromedp.SendKeys(merge+` input[name="target"]`, f.major),
		chromedp.SendKeys(merge+` input[name="note"]`, "同一件事登记了两次"),
		chromedp.Click(merge+` input[name="confirmed"]`), chromedp.Click(merge+` button`),
		logHas("合并"), statusOf(&status), see("merge"))
	if status != "已办结" {
		t.Errorf("merged incident %s is %q", target, status)
	}
	b.run("the merged incident", b.open("/incidents/"+f.major), chromedp.WaitVisible(stepForm(f.major, "ack")),
		postTitles(&posts), see("merged"))
	want := []string{"康福医院骗保 电话13812345678", seeded[99].Title, paths["/t/1"]}
	if len(posts) != 3 || !slices.Contains(posts, want[0]) || !slices.Contains(posts, want[1]) || !slices.Contains(posts, want[2]) {
		t.Errorf("%s holds %q after the merge, want %q", f.major, posts, want)
	}

	// The guided steps: each says what comes next and offers its form
	// first; 办结 waits under 更多操作 and asks to confirm.
	for _, s := range []struct{ step, field, note, event, status, next, offered string }{
		{"ack", "input", "已签收，启动应急响应", "签收", "已签收", "待跟进回复", "followup"},
		{"followup", "textarea", "已联系医院核实", "跟进回复", "已跟进", "待调查核实", "investigated"},
	} {
		form := stepForm(f.major, s.step)
		b.run(s.step, chromedp.SendKeys(form+` `+s.field+`[name="note"]`, s.note), chromedp.Click(form+` button`),
			logHas(s.event), waitText("已完成「"+s.event+"」，已记入处置记录。下一步："+s.next+"。"),
			chromedp.WaitVisible(`main > section.actions `+stepForm(f.major, s.offered)), statusOf(&status), see(s.step))
		if status != s.status {
			t.Errorf("after %s the incident is %q, want %q", s.event, status, s.status)
		}
	}
	closeForm := stepForm(f.major, "close")
	var unticked bool
	b.run("close unconfirmed", openMore(`details.more-actions `+closeForm+` textarea[name="note"]`),
		chromedp.SendKeys(closeForm+` textarea[name="note"]`, "已整改，答复网民"),
		chromedp.Click(closeForm+` button`),
		chromedp.Evaluate(`document.querySelector('`+closeForm+` input[name="confirmed"]').validity.valueMissing`, &unticked),
		statusOf(&status))
	if !unticked || status != "已跟进" {
		t.Errorf("办结 without its confirmation: refused %v, status %q", unticked, status)
	}
	b.run("close", chromedp.Click(closeForm+` input[name="confirmed"]`), chromedp.Click(closeForm+` button`),
		logHas("办结"), statusOf(&status), see("close"))
	if status != "已办结" {
		t.Errorf("after 办结 the incident is %q", status)
	}

	// The administrator reads what was done, in Chinese.
	var audit [][]string
	b.run("audit", chromedp.Click(`form.logout button`), chromedp.WaitVisible(`input[name="username"]`),
		b.login("admin"), b.open("/admin/audit"), chromedp.WaitVisible(`table.audit`),
		chromedp.Evaluate(`[...document.querySelectorAll('table.audit tbody tr')].map(tr => [...tr.cells].map(td => td.innerText.trim()))`, &audit),
		see("audit"))
	checkAudit(t, audit, f.major, target)
	if bad := identifiers(day.texts["audit"], nil); len(bad) > 0 {
		t.Errorf("the audit page shows identifiers: %v", bad)
	}
	checkWorkdayStored(t, f, post, target)
	day.done = true
}

// checkAudit checks the handler's rows of the audit log, newest first:
// each action by its Chinese name, on its incident, succeeded.
func checkAudit(t *testing.T, rows [][]string, major, merged string) {
	t.Helper()
	want := [][2]string{{"退出登录", ""}, {"办结", major}, {"跟进回复", major}, {"签收", major},
		{"合并", merged}, {"并入帖子", merged}, {"登录", ""}}
	var got [][2]string
	for _, r := range rows { // 时间 操作人 来源地址 操作 对象 说明 结果
		if len(r) != 7 || r[1] != "wang" {
			continue
		}
		if r[6] != "成功" {
			t.Errorf("audit row %q did not succeed", r)
		}
		target := ""
		if strings.HasPrefix(r[4], "YQ-") {
			target = r[4]
		}
		got = append(got, [2]string{r[3], target})
	}
	// The fixture's HTTP client logged in as the handler first.
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("the handler's audit rows %q, want %q first", got, want)
	}
}

// checkWorkdayStored checks the store agrees with what the browser showed.
func checkWorkdayStored(t *testing.T, f *fixture, post int64, merged string) {
	t.Helper()
	ctx := context.Background()
	d, err := f.st.IncidentDetail(ctx, f.major)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []model.EventKind
	for _, e := range d.Events {
		if e.Kind == model.EventAcknowledged || e.Kind == model.EventFollowedUp || e.Kind == model.EventClosed {
			kinds = append(kinds, e.Kind)
		}
	}
	if d.Incident.Status != model.StatusClosed || len(d.Posts) != 3 ||
		!slices.Equal(kinds, []model.EventKind{model.EventAcknowledged, model.EventFollowedUp, model.EventClosed}) {
		t.Errorf("stored %s: status %q, %d posts, steps %v", f.major, d.Incident.Status, len(d.Posts), kinds)
	}
	inc, ok, err := f.st.IncidentOfPost(ctx, post)
	if err != nil || !ok || inc.Number != f.major {
		t.Errorf("the attached post is in %q (%v, %v), want %s", inc.Number, ok, err, f.major)
	}
	page, err := f.st.Incidents(ctx, store.IncidentFilter{OnlyOpen: true, Limit: 1})
	if err != nil || page.Total != openIncidents-2 {
		t.Errorf("%d incidents open after %s was merged and %s closed (%v)", page.Total, merged, f.major, err)
	}
}

// waitText waits until <main> shows text.
func waitText(text string) chromedp.Action {
	return chromedp.WaitVisible(`//main//*[contains(text(),"`+text+`")]`, chromedp.BySearch)
}

// listed reads the incident numbers of the list in view, in order.
func listed(numbers *[]string) chromedp.Action {
	return chromedp.Evaluate(`[...document.querySelectorAll('table.incidents tbody td.num a')].map(a => a.textContent)`, numbers)
}

// postTitles reads the titles of the posts of the incident in view.
func postTitles(titles *[]string) chromedp.Action {
	return chromedp.Evaluate(`[...document.querySelectorAll('section.posts article h3')].map(h => h.textContent)`, titles)
}

// statusOf reads the 状态 of the incident in view.
func statusOf(status *string) chromedp.Action {
	return chromedp.Evaluate(`[...document.querySelectorAll('dl.facts dt')].find(dt => dt.textContent === '状态').nextElementSibling.textContent`, status)
}
