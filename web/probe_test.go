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

	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/web"
)

// probeBoard is a small UTF-8 message board on loopback: a list of three
// messages and their pages, one title carrying a phone number and markup.
func probeBoard(t *testing.T) *httptest.Server {
	t.Helper()
	titles := []string{"咨询异地就医备案 电话13812345678", "药店医保卡刷不了 <b>急</b>", "建议提高门诊报销比例"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/list", r.URL.Path == longListPath:
			fmt.Fprint(w, `<html><head><title>网上留言板 - 某市医保局</title></head><body><ul class="nav"><li><a href="/">首页</a></li></ul><ul class="msgs">`)
			for i, title := range titles {
				fmt.Fprintf(w, `<li class="msg"><a href="/msg/%d">%s</a><span class="date">2026-11-2%d</span></li>`, i, template(title), i)
			}
			fmt.Fprint(w, `</ul></body></html>`)
		case strings.HasPrefix(r.URL.Path, "/msg/"):
			fmt.Fprintf(w, `<html><body><div class="header">网上留言板</div><h1>留言</h1><p class="info">留言时间：<span class="date">2026-11-20 10:00</span></p>`+
				`<div class="content">我的医保卡在药店刷不了，店员说系统升级，已经三天了，请问什么时候能恢复？联系电话13912345678。</div></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// longListPath is a list address as long as real government sites have.
const longListPath = "/gongzhonghudong/liuyanban/zixuntousu/list_minsheng_yibao_2026.html"

// template escapes text as a page would print it.
func template(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

func probeConsole(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	con, err := web.New(web.Options{Store: st, Auth: newAuth(t, st), Reload: func() error { return nil },
		ProbeSource: func(ctx context.Context, u, example string) (*crawler.Discovery, error) {
			return crawler.Discover(ctx, u, crawler.DiscoverOptions{Delay: time.Millisecond, Example: example})
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// Operators probe an address on /sources/probe and get the proposed block
// and what it extracts, personal numbers masked and markup escaped; other
// roles get no wizard.
func TestProbePageProposesABlock(t *testing.T) {
	board := probeBoard(t)
	srv := probeConsole(t)
	operator := loginClient(t, srv, "ops", true)
	body := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, page := body(operator.Get(srv.URL + "/sources")); code != 200 || !strings.Contains(page, `href="/sources/probe"`) {
		t.Errorf("/sources for an operator: %d, wizard link present %v", code, strings.Contains(page, "/sources/probe"))
	}
	code, page := body(operator.PostForm(srv.URL+"/sources/probe", url.Values{"url": {board.URL + "/list"}}))
	if code != 200 {
		t.Fatalf("status %d:\n%s", code, page)
	}
	if testing.Verbose() {
		_, res, _ := strings.Cut(page, "识别结果")
		t.Log(res)
	}
	// The list is read either through the generic-list preset or by
	// selectors inferred from the page, whichever captures more.
	if !strings.Contains(page, "preset: generic-list") && !strings.Contains(page, "item: &#34;ul.msgs li.msg&#34;") {
		t.Errorf("the proposal reads neither through generic-list nor ul.msgs li.msg")
	}
	for _, want := range []string{"识别结果", "店员说系统升级",
		"列表条数</dt><dd>3", "药店医保卡刷不了 &lt;b&gt;急&lt;/b&gt;", "138****5678", "139****5678"} {
		if !strings.Contains(page, want) {
			t.Errorf("result page lacks %q", want)
		}
	}
	for _, bad := range []string{"13812345678", "13912345678", "<b>急</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("result page shows %q", bad)
		}
	}
	if code, page := body(operator.PostForm(srv.URL+"/sources/probe", url.Values{"url": {"ftp://x"}})); code != 422 || !strings.Contains(page, "http(s)://") {
		t.Errorf("bad address: %d", code)
	}
	handler := loginClient(t, srv, "wang", true)
	if code, _ := body(handler.PostForm(srv.URL+"/sources/probe", url.Values{"url": {board.URL + "/list"}})); code != http.StatusForbidden {
		t.Errorf("a handler may probe: status %d", code)
	}
	if code, page := body(handler.Get(srv.URL + "/sources")); code != 200 || strings.Contains(page, "/sources/probe") {
		t.Errorf("/sources shows a handler the wizard")
	}
}

// The wizard's result fits a 360 px phone: the block scrolls inside itself.
func TestBrowserProbePageFitsPhoneWidth(t *testing.T) {
	skipBrowserIfShort(t)
	board := probeBoard(t)
	srv := probeConsole(t)
	b := newBrowser(t, srv.URL, phoneWidth)
	var yaml string
	b.run("probe a board",
		b.login("ops"),
		b.open("/sources/probe"),
		chromedp.WaitVisible(`input[name="url"]`),
		chromedp.SendKeys(`input[name="url"]`, board.URL+longListPath+"?columnId=20261123&category=minsheng"),
		chromedp.Submit(`input[name="url"]`),
		chromedp.WaitVisible(`pre.yaml`),
		chromedp.Text(`pre.yaml`, &yaml),
		b.fits("/sources/probe"),
	)
	if !strings.Contains(yaml, "- name: ") {
		t.Errorf("no block shown: %q", yaml)
	}
}
