package web_test

import (
	"context"
	"html"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
)

// buildReport posts the 立即生成 form as ops (an operator) and returns
// the status and where it leads.
func buildReport(t *testing.T, f *fixture, form string) (int, string, string) {
	t.Helper()
	ops := loginClient(t, f.srv, "ops", true)
	ops.CheckRedirect = noRedirect
	code, body, h := do(t, ops, "POST", f.srv.URL+"/reports", form, nil)
	return code, h.Get("Location"), body
}

func TestReportBuiltNowOpensAndDownloads(t *testing.T) {
	f := setup(t)
	code, loc, body := buildReport(t, f, "kind=daily&date=2026-11-23")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/reports/") {
		t.Fatalf("build: %d to %q: %s", code, loc, body)
	}
	want, err := report.Build(context.Background(), f.st, report.Request{Kind: report.Daily,
		Date: time.Date(2026, 11, 23, 0, 0, 0, 0, cst), Now: f.now}, report.Options{Location: cst})
	if err != nil {
		t.Fatal(err)
	}
	code, list := get(t, f, "/reports")
	if code != http.StatusOK || !strings.Contains(list, `href="`+loc+`">`+want.Title+`</a>`) ||
		!strings.Contains(list, "2026年11月23日") || !strings.Contains(list, "手工生成，未发送") {
		t.Errorf("list (%d) lacks the report %q at %s:\n%s", code, want.Title, loc, list)
	}
	if strings.Contains(list, `method="post" action="/reports"`) {
		t.Error("a handler is offered the build form")
	}
	code, page := get(t, f, loc)
	if code != http.StatusOK || !strings.Contains(page, "<h1>"+want.Title+"</h1>") ||
		!strings.Contains(page, loc+`/docx">下载Word 文档`) || !strings.Contains(page, "手工生成的报告不自动发送") {
		t.Errorf("report page (%d):\n%s", code, page)
	}
	for _, p := range want.Summary {
		if !strings.Contains(page, html.EscapeString(p)) {
			t.Errorf("report page lacks the summary %q", p)
		}
	}
	for _, tc := range []struct{ path, disposition, ctype string }{
		{loc + "/html", "attachment", report.HTML.ContentType()},
		{loc + "/view", "inline", report.HTML.ContentType()},
		{loc + "/xlsx", "attachment", report.XLSX.ContentType()},
	} {
		resp, err := f.client.Get(f.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		d, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		if resp.StatusCode != http.StatusOK || d != tc.disposition || resp.Header.Get("Content-Type") != tc.ctype ||
			!strings.HasPrefix(params["filename"], want.Title) {
			t.Errorf("%s: %d, %q %v, %s", tc.path, resp.StatusCode, d, params, resp.Header.Get("Content-Type"))
		}
	}
	if code, _ := get(t, f, loc+"/pdf"); code != http.StatusNotFound {
		t.Errorf("unknown format: %d", code)
	}
	if code, _ := get(t, f, "/reports/999"); code != http.StatusNotFound {
		t.Errorf("unknown report: %d", code)
	}
}

func TestReportBuildFormRefusesBadInput(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct{ form, want string }{
		{"kind=yearly&date=2026-11-23", "请选择报告种类"},
		{"kind=daily&date=11/23", "请填写日期"},
		{"kind=weekly&date=2026-12-01", "日期不能晚于今天"},
		{"kind=incident&incident=bbs", "专报请填写事件编号"},
	} {
		code, _, body := buildReport(t, f, tc.form)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.form, code, tc.want)
		}
	}
	// A handler may read reports, not build them.
	code, _, _ := do(t, f.client, "POST", f.srv.URL+"/reports", "kind=daily&date=2026-11-22", nil)
	if code != http.StatusForbidden {
		t.Errorf("handler built a report: %d", code)
	}
	if rs, _ := f.st.Reports(context.Background(), store.ReportFilter{}); len(rs) != 0 {
		t.Errorf("stored %d reports from refused forms", len(rs))
	}
}

// TestScheduledReportShowsDeliveries: a report the scheduler built shows
// each receiver's delivery in Chinese, and is not replaced by hand.
func TestScheduledReportShowsDeliveries(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, cst)
	id, ok, err := f.st.ClaimReport(ctx, "daily", day, f.now, time.Minute)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	sr := store.StoredReport{ID: id, Kind: "daily", PeriodStart: day, Title: "医保舆情日报（测试）", BuiltAt: f.now,
		Body:       []byte(`{"Kind":"daily","Title":"医保舆情日报（测试）"}`),
		Deliveries: []store.ReportDelivery{{Receiver: "robot"}, {Receiver: "mail"}, {Receiver: "leaders"}}}
	if err := f.st.SaveReport(ctx, &sr); err != nil {
		t.Fatal(err)
	}
	for _, a := range []store.DeliveryAttempt{
		{ReportID: id, Receiver: "robot", At: f.now},
		{ReportID: id, Receiver: "mail", At: f.now, Err: "连接邮件服务器失败", Next: f.now.Add(5 * time.Minute)},
	} {
		if err := f.st.RecordDelivery(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	path := "/reports/" + strconv.FormatInt(id, 10)
	code, page := get(t, f, path)
	for _, want := range []string{"按计划生成", "宣传科工作群", "已发送（2026-11-23 11:30）", "报告邮件组",
		"发送失败，将于 2026-11-23 11:35 重试（已尝试 1 轮）", "领导邮箱", "待发送"} {
		if !strings.Contains(page, want) {
			t.Errorf("report page (%d) lacks %q", code, want)
		}
	}
	text := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " "))
	if bad := identifiers(text, nil); len(bad) > 0 || strings.Contains(page, "连接邮件服务器失败") {
		t.Errorf("a handler reads identifiers %v or the error meant for operators", bad)
	}
	ops := loginClient(t, f.srv, "ops", true)
	if _, page, _ := do(t, ops, "GET", f.srv.URL+path, "", nil); !strings.Contains(page, "连接邮件服务器失败") {
		t.Error("an operator does not see why the mail failed")
	}
	if _, list := get(t, f, "/reports"); !strings.Contains(list, "1 个接收方发送失败") {
		t.Error("the list does not say a delivery failed")
	}
	code, _, body := buildReport(t, f, "kind=daily&date=2026-11-22")
	if code != http.StatusConflict || !strings.Contains(body, "已按计划生成并发送") {
		t.Errorf("hand build over the scheduled report: %d", code)
	}
}
