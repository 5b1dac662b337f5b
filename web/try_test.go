package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/web"
)

func TestTryPageShowsSegmentationRulesAndGrade(t *testing.T) {
	// The rules alone: this test is about what the page shows, and its
	// complaint must be filed as an incident whatever sentiment the
	// shipped model would guess.
	eng, err := classifier.LoadRules(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	con, err := web.New(web.Options{Classifier: classifier.New(eng), Auth: newAuth(t, st)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	defer srv.Close()
	operator := loginClient(t, srv, "ops", true)
	postForm := func(v url.Values) (int, string) {
		resp, err := operator.PostForm(srv.URL+"/try", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if resp, err := operator.Get(srv.URL + "/try"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `name="csrf"`) {
			t.Error("try form lacks the CSRF field")
		}
	}
	code, body := postForm(url.Values{"title": {"医保电子凭证扫码一直失败"}, "body": {"在药店买药<b>扫码</b>提示网络异常"}, "replies": {"3"}})
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{"Ⅳ级 一般", "系统技术", "研判依据", `<span class="domain" title="领域词，规则也可命中：医保 | 电子 | 凭证">医保电子凭证</span>`, "<span>失败</span>", "<mark", eng.Version(), "&lt;b&gt;", "判定：", "登记为舆情事件"} {
		if !strings.Contains(body, want) {
			t.Errorf("try page lacks %q", want)
		}
	}
	if code, body := postForm(url.Values{"title": {"小区保安招聘"}, "body": {"包吃住"}}); code != 200 || !strings.Contains(body, "无关") {
		t.Errorf("irrelevant text: %d", code)
	}
	if code, body := postForm(url.Values{"title": {""}, "body": {" "}}); code != 400 || !strings.Contains(body, "请填写标题或正文") {
		t.Errorf("empty form: %d", code)
	}
	if code, _ := postForm(url.Values{"title": {"医保"}, "replies": {"很多"}}); code != 400 {
		t.Errorf("bad count: %d", code)
	}
}
