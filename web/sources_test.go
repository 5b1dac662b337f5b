package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/web"
)

// TestSourcesPageShowsHealthEscaped: the source-health page lists every
// configured source in order with its last success, failures, items,
// breaker and last error; what a site sent is shown as text, never as HTML,
// and personal numbers are masked.
func TestSourcesPageShowsHealthEscaped(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, cst)
	clock := func() time.Time { return now }
	for _, s := range []store.SourceState{
		{Name: "bbs", LastCheckAt: now.Add(-5 * time.Minute), LastSuccessAt: now.Add(-5 * time.Minute),
			NextCheckAt: now.Add(5 * time.Minute), LastItems: 37, LastNewItemAt: now.Add(-time.Hour)},
		{Name: "gov", LastCheckAt: now.Add(-time.Minute), LastSuccessAt: now.Add(-26 * time.Hour),
			ConsecutiveFailures: 6, LastErrorKind: "layout", BreakerOpenUntil: now.Add(40 * time.Minute),
			LastError: `列表页没有匹配到任何条目：<script>alert("x")</script> 客服 13812345678`},
		{Name: "removed", LastCheckAt: now, LastSuccessAt: now},
	} {
		if err := st.SaveSourceState(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []store.ItemFailure{
		{URL: "https://bbs.example/thread-9.html", Source: "bbs", Tries: 1, LastErrorKind: "http", LastError: "HTTP 404 联系 13812345678",
			FirstAt: now.Add(-time.Hour), LastAt: now.Add(-time.Hour), GivenUpAt: now.Add(-time.Hour)},
		{URL: "https://gov.example/detail?id=7", Source: "gov", Tries: 1, LastErrorKind: "network", LastError: "超时",
			FirstAt: now, LastAt: now},
	} {
		if err := st.SaveItemFailure(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	authSvc := auth.New(auth.Options{Store: st, Now: clock, Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if _, err := authSvc.AddUser(ctx, auth.Actor{Name: "cli"}, "zhangsan", "张三", auth.RoleViewer, "correct-horse-1"); err != nil {
		t.Fatal(err)
	}
	session, _, err := authSvc.Login(ctx, "zhangsan", "correct-horse-1", "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	con, err := web.New(web.Options{Store: st, Workflow: incident.New(st, incident.DefaultPolicy(), clock, nil), Now: clock,
		Location: cst, Auth: authSvc, Sources: func() []web.SourceInfo {
			return []web.SourceInfo{
				{Name: "gov", Title: "市政府留言板", Kind: "json", URL: "https://gov.example/api?page={page}", Interval: 10 * time.Minute},
				{Name: "bbs", Title: "岚川论坛", Kind: "html", URL: "https://bbs.example/forum.php", Interval: 5 * time.Minute},
				{Name: "fresh", Title: "新加的来源", Kind: "rss", URL: "https://news.example/rss.xml", Interval: time.Hour},
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	defer srv.Close()
	get := func(cookie string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/sources", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "yuqing_session", Value: cookie})
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(""); code == http.StatusOK {
		t.Error("source page served without a login")
	}
	code, body := get(session)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	iGov, iBbs, iFresh := strings.Index(body, `id="source-gov"`), strings.Index(body, `id="source-bbs"`), strings.Index(body, `id="source-fresh"`)
	if iGov < 0 || iBbs < 0 || iFresh < 0 || !(iGov < iBbs && iBbs < iFresh) {
		t.Errorf("rows missing or not in configuration order: %d %d %d", iGov, iBbs, iFresh)
	}
	if strings.Contains(body, "source-removed") {
		t.Error("a source no longer configured is listed")
	}
	row := func(name string) string {
		i := strings.Index(body, `id="source-`+name+`"`)
		if i < 0 {
			return ""
		}
		j := strings.Index(body[i:], "</tr>")
		return body[i : i+j]
	}
	for name, wants := range map[string][]string{
		"gov": {"市政府留言板", "已熔断", "2026-11-22 08:00", "<td class=\"count\">6</td>", "页面结构不符", "至 2026-11-23 10:40", "&lt;script&gt;", "138****5678"},
		"bbs": {"岚川论坛", "正常", "2026-11-23 09:55", "<td class=\"count\">37</td>", "关闭", "2026-11-23 09:00",
			"1 个帖子多次打不开，已暂停抓取", "https://bbs.example/thread-9.html", "HTTP 404 联系 138****5678"},
		"fresh": {"新加的来源", "尚未抓取"},
	} {
		r := row(name)
		for _, w := range wants {
			if !strings.Contains(r, w) {
				t.Errorf("row %s lacks %q:\n%s", name, w, r)
			}
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "13812345678") {
		t.Error("last error rendered raw or unmasked")
	}
	if strings.Contains(row("gov"), "暂停抓取") {
		t.Error("an item still being retried is listed as given up")
	}
	if !strings.Contains(body, "1 个异常") {
		t.Error("summary does not count the broken source")
	}
}
