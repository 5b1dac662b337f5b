package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/reportsched"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/taxonomy"
	"github.com/yuqing-bureau/yuqing/web"
)

var cst = time.FixedZone("CST", 8*3600)

type fixture struct {
	srv    *httptest.Server
	st     store.Database
	major  string
	minor  string
	now    time.Time
	client *http.Client // logged in as wang (王科员, handler), sending the CSRF token
	auth   *auth.Service
	// file stores a post and files it with the given grade; it returns the incident number.
	file     func(url, title, body string, level taxonomy.Level, cat taxonomy.Category, matches []model.Match) string
	filePost func(p model.Post, level taxonomy.Level, cat taxonomy.Category, matches []model.Match) string
}

func setup(t *testing.T) *fixture { t.Helper(); return setupWith(t, nil) }

// setupWith is setup with the console's workflow made by wrap from the
// incident service (nil: the service itself).
func setupWith(t *testing.T, wrap func(*incident.Service) web.Workflow) *fixture {
	t.Helper()
	return setupOpts(t, wrap, nil)
}

// setupOpts is setupWith with the console's options changed by edit
// (nil: as setup makes them).
func setupOpts(t *testing.T, wrap func(*incident.Service) web.Workflow, edit func(*web.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, now: time.Date(2026, 11, 23, 10, 0, 0, 0, cst)}
	clock := func() time.Time { return f.now }
	svc := incident.New(st, incident.DefaultPolicy(), clock, nil)
	filePost := func(p model.Post, level taxonomy.Level, cat taxonomy.Category, matches []model.Match) string {
		if _, err := st.SavePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
		var out incident.Outcome
		if err := st.InTx(ctx, func(tx store.Tx) error {
			out, err = svc.File(ctx, tx, p, model.Grade{PostID: p.ID, RulesVersion: "abc123", Relevant: true,
				Category: cat, Level: level, Score: 3, Matches: matches, Reasons: []string{"命中「骗保」"}, GradedAt: f.now})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out.Incident.Number
	}
	fileOne := func(url, title, body string, level taxonomy.Level, cat taxonomy.Category, matches []model.Match) string {
		return filePost(model.Post{Source: "bbs", URL: url, Title: title, Body: body, FetchedAt: f.now, Replies: 12}, level, cat, matches)
	}
	body := "有人组织骗保<script>alert(1)</script>，联系电话13812345678"
	start := strings.Index(body, "骗保")
	f.major = fileOne("http://bbs/1", "康福医院骗保 电话13812345678", body, 2, "institution",
		[]model.Match{{Rule: "fraud", Term: "骗保", Field: "body", Start: start, End: start + len("骗保")}})
	f.minor = fileOne("http://bbs/2", "报销材料怎么交", "请问住院报销要什么材料", 4, "reimbursement", nil)
	f.file, f.filePost = fileOne, filePost
	f.now = f.now.Add(90 * time.Minute) // the Ⅱ incident's 1-hour acknowledgement is overdue
	f.auth = newAuth(t, st)
	var wf web.Workflow = svc
	if wrap != nil {
		wf = wrap(svc)
	}
	build := func(ctx context.Context, req report.Request) (report.Report, error) {
		return report.Build(ctx, st, req, report.Options{Location: cst})
	}
	opts := web.Options{Store: st, Workflow: wf, Now: clock, Location: cst, Auth: f.auth,
		SourceTitle: func(string) string { return "岚川论坛" }, Reports: reportsched.NewArchive(st, build, nil, clock),
		ReceiverTitle: func(name string) string {
			return map[string]string{"robot": "宣传科工作群", "mail": "报告邮件组", "leaders": "领导邮箱"}[name]
		}}
	if edit != nil {
		edit(&opts)
	}
	con, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(con.Handler())
	t.Cleanup(f.srv.Close)
	f.client = loginClient(t, f.srv, "wang", true)
	return f
}

func get(t *testing.T, f *fixture, path string) (int, string) {
	t.Helper()
	resp, err := f.client.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, f *fixture, path string, form url.Values, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestListShowsOpenFirstWithDeadlinesAndMasks(t *testing.T) {
	f := setup(t)
	code, body := get(t, f, "/incidents")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	iMajor, iMinor := strings.Index(body, f.major), strings.Index(body, f.minor)
	if iMajor < 0 || iMinor < 0 || iMajor > iMinor {
		t.Errorf("Ⅱ incident should be listed before Ⅳ (%d, %d)", iMajor, iMinor)
	}
	for _, want := range []string{"Ⅱ级 重大", "Ⅳ级 一般", "已超时 30分钟", "剩余 22小时30分", "岚川论坛", "138****5678"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	if strings.Contains(body, "13812345678") {
		t.Error("list shows an unmasked phone number")
	}
	if code, _ := get(t, f, "/incidents?level=9"); code != 400 {
		t.Errorf("bad level filter: %d", code)
	}
	if _, body := get(t, f, "/incidents?level=4"); strings.Contains(body, f.major) || !strings.Contains(body, f.minor) {
		t.Error("level filter not applied")
	}
}

func TestDetailHighlightsAndEscapes(t *testing.T) {
	f := setup(t)
	code, body := get(t, f, "/incidents/"+f.major)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	if !strings.Contains(body, `<mark title="命中规则：研判规则">骗保</mark>`) {
		t.Error("matched term not highlighted")
	}
	if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("post text not escaped")
	}
	for _, want := range []string{"签收时限（应急响应）", "应急响应", "命中「骗保」", "登记"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if code, _ := get(t, f, "/incidents/YQ-20000101-0001"); code != 404 {
		t.Errorf("missing incident: %d", code)
	}
}

// A multi-megabyte post is shown in parts of about web.PartBytes, each with
// its own highlights, so the page stays small.
func TestDetailShowsLongBodyInParts(t *testing.T) {
	f := setup(t)
	line := strings.Repeat("医院门口排长队，", 50) + "\n" // 1,201 bytes
	body := strings.Repeat(line, 1000)            // ~1.2 MB
	at := 3*web.PartBytes + 10*len(line)          // inside part 4
	body = body[:at] + "骗保" + body[at:]
	number := f.file("http://bbs/long", "长帖", body, 3, "institution",
		[]model.Match{{Rule: "fraud", Term: "骗保", Field: "body", Start: at, End: at + len("骗保")}})
	_, first := get(t, f, "/incidents/"+number)
	if len(first) > 2*web.PartBytes || !strings.Contains(first, "分 20 部分显示，当前第 1 部分") ||
		strings.Contains(first, "<mark") || !strings.Contains(first, "part=2#post-") {
		t.Fatalf("first part: %d bytes, pager or marks wrong", len(first))
	}
	d, err := f.st.IncidentDetail(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	id := d.Posts[0].Post.ID
	_, fourth := get(t, f, fmt.Sprintf("/incidents/%s?post=%d&part=4", number, id))
	if !strings.Contains(fourth, "当前第 4 部分") || !strings.Contains(fourth, `<mark title="命中规则：研判规则">骗保</mark>`) ||
		!strings.Contains(fourth, "part=3#post-") || !strings.Contains(fourth, "part=5#post-") {
		t.Error("part 4 lacks its highlight or pager")
	}
	_, last := get(t, f, fmt.Sprintf("/incidents/%s?post=%d&part=99", number, id))
	if !strings.Contains(last, "当前第 20 部分") || strings.Contains(last, "下一部分") {
		t.Error("a part past the end should show the last one")
	}
	var joined strings.Builder
	starts := web.BodyParts(body)
	if starts[3] > at || starts[4] < at {
		t.Fatalf("the match is not in part 4: %v", starts[:5])
	}
	for k := range starts {
		for _, seg := range web.HighlightPart(body, nil, "body", starts, k) {
			joined.WriteString(seg.Text)
		}
	}
	if joined.String() != body {
		t.Error("the parts do not add up to the body")
	}
}

// A body the crawler cut says so, with how much was kept of how much.
func TestDetailSaysABodyWasCut(t *testing.T) {
	f := setup(t)
	number := f.filePost(model.Post{Source: "bbs", URL: "http://bbs/cut", Title: "超长帖", Body: strings.Repeat("医保", 600),
		FullBodyChars: 987654, FetchedAt: f.now}, 4, "policy", nil)
	_, body := get(t, f, "/incidents/"+number)
	if !strings.Contains(body, "正文过长，只保存并研判了前 1200 字（原文共 987654 字）") {
		t.Error("the detail page does not say the body was cut")
	}
	_, other := get(t, f, "/incidents/"+f.minor)
	if strings.Contains(other, "正文过长") {
		t.Error("a whole body is said to be cut")
	}
}

func TestFollowUpFormRecordsAndRedirects(t *testing.T) {
	f := setup(t)
	resp := post(t, f, "/incidents/"+f.minor+"/followup", url.Values{"actor": {"王科员"}, "note": {"已电话回复网友报销所需材料"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow-up status %d", resp.StatusCode)
	}
	_, body := get(t, f, "/incidents/"+f.minor)
	if !strings.Contains(body, "已电话回复网友报销所需材料") || !strings.Contains(body, "已按时完成") || !strings.Contains(body, "王科员") {
		t.Error("follow-up not shown in the event log")
	}
	// Empty note: the form comes back with the error and what was typed.
	resp = post(t, f, "/incidents/"+f.major+"/followup", url.Values{"actor": {"李科长"}, "note": {""}}, nil)
	if resp.StatusCode != 400 {
		t.Errorf("empty note: %d", resp.StatusCode)
	}
	// Cross-site form posts are refused.
	resp = post(t, f, "/incidents/"+f.major+"/ack", url.Values{"actor": {"x"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", resp.StatusCode)
	}
	d, _ := f.st.IncidentDetail(context.Background(), f.major)
	if !d.Incident.AckedAt.IsZero() {
		t.Error("cross-site post changed the incident")
	}
	// 办结 of an incident nobody signed for needs the reason, and the
	// confirmation; the page then says it was done.
	code, body := postPage(t, f, "/incidents/"+f.major+"/close", url.Values{"note": {"核实后移交基金监管科"}, "confirmed": {"1"}})
	if code != 400 || !strings.Contains(body, "办结失败：事件尚未签收：请先签收，或填写未经签收直接办结的原因") ||
		!strings.Contains(body, `name="reason" required`) || !strings.Contains(body, "核实后移交基金监管科") {
		t.Errorf("close before ack without a reason: %d", code)
	}
	resp = post(t, f, "/incidents/"+f.major+"/close", url.Values{"actor": {"李科长"}, "note": {"核实后移交基金监管科"},
		"reason": {"已移交基金监管科，本科室不再处置"}, "confirmed": {"1"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "?done=close") {
		t.Errorf("close: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := get(t, f, "/incidents/"+f.major+"?done=close"); !strings.Contains(body, "已完成「办结」，已记入处置记录。") ||
		!strings.Contains(body, "当前环节：<strong>已办结</strong>") {
		t.Error("no notice of what was done")
	}
	if _, body := get(t, f, "/incidents"); strings.Contains(body, f.major) {
		t.Error("closed incident still in the open list")
	}
	if _, body := get(t, f, "/incidents?status=all"); !strings.Contains(body, f.major) {
		t.Error("closed incident missing from the full list")
	}
}

func TestHighlightIgnoresBadOffsets(t *testing.T) {
	text := "医保报销"
	segs := web.Highlight(text, []model.Match{
		{Field: "body", Start: 6, End: 12, Rule: "r"},
		{Field: "body", Start: 1, End: 4},  // cuts a character
		{Field: "body", Start: 0, End: 99}, // out of range
		{Field: "title", Start: 0, End: 6}, // other field
		{Field: "body", Start: 6, End: 9},  // overlaps the first
	}, "body")
	if len(segs) != 2 || segs[0].Text != "医保" || segs[0].Mark || segs[1].Text != "报销" || !segs[1].Mark {
		t.Errorf("segments %+v", segs)
	}
}
