package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/taxonomy"
	"github.com/yuqing-bureau/yuqing/web"
)

// suggestRules know 医保 and 骗保; the model trained below learns 套现 and
// 报销 besides.
const suggestRules = `options:
  relevance_threshold: 2
rules:
  - id: core
    any: [医保]
    weight: 2
  - id: cat_fraud
    any: [骗保]
    category: institution
    votes: 1
`

// suggestEngine loads suggestRules, with a model trained through them
// unless plain.
func suggestEngine(t *testing.T, plain bool) *classifier.Engine {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.yaml")
	os.WriteFile(file, []byte(suggestRules), 0o644)
	e, err := classifier.Load(file, "", nil)
	if err != nil || plain {
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	var exs []learn.Example
	add := func(n int, title, body string, relevant bool, cat taxonomy.Category, level taxonomy.Level) {
		for i := range n {
			ex := e.Example(classifier.Post{Title: title, Body: strings.Repeat(body, i%2+1)})
			ex.ID, ex.Relevant, ex.Category, ex.Level, ex.Sentiment = fmt.Sprint(title, i), relevant, cat, level, learn.Neutral
			exs = append(exs, ex)
		}
	}
	add(4, "药店刷卡套现", "有人组织刷卡套现，倒卖药品", true, "institution", 2)
	add(4, "诊所团伙套现", "团伙套现倒卖，金额巨大", true, "institution", 2)
	add(4, "报销太慢", "报销材料交了很久还没到账", true, "reimbursement", 4)
	add(4, "报销进度", "报销拖了三个月，材料一直在审", true, "reimbursement", 4)
	add(4, "周末出游", "天气很好，去公园看花", false, "", 0)
	add(4, "美食推荐", "这家面馆好吃，推荐大家去", false, "", 0)
	opts := learn.DefaultOptions()
	opts.Features.MinDF, opts.L2 = 1, 1e-3
	m, err := learn.Train(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Meta.Command, m.Meta.DataSHA256 = "test", strings.Repeat("0", 64)
	if err := m.SaveFile(filepath.Join(dir, "test.model")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte(strings.Replace(suggestRules, "options:\n", "options:\n  model: test.model\n", 1)), 0o644)
	if e, err = classifier.Load(file, "", nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// suggestServer is a console on a store of graded posts with rules and a
// model: 23 posts the rules miss and the model finds, one nobody's
// business, and the newest with a phone number in its title. newServer
// gives another console on the same store and accounts.
func suggestServer(t *testing.T) (srv *httptest.Server, eng *classifier.Engine, newServer func(*classifier.Engine) *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	eng = suggestEngine(t, false)
	save := func(i int, title, body string) {
		p := model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/%d", i), Title: title, Body: body, FetchedAt: now}
		if _, err := st.SavePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
		g := grader.ToGrade(p.ID, eng.Grade(grader.ClassifierPost(p, grader.SourceGrading{Weight: 1}, store.Engagement{})), now, false)
		if err := st.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, g) }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 23 {
		save(i, fmt.Sprintf("报销拖了%d个月", i+1), "报销材料交了很久还没到账")
	}
	save(23, "周末出游", "天气很好")
	save(24, "报销拖了好久 电话13812345678", "报销材料交了很久还没到账")

	authSvc := newAuth(t, st)
	newServer = func(e *classifier.Engine) *httptest.Server {
		con, err := web.New(web.Options{Store: st, Classifier: classifier.New(e), Posts: st, Auth: authSvc,
			SourceTitle: func(string) string { return "岚川论坛" }, Location: cst})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(con.Handler())
		t.Cleanup(srv.Close)
		return srv
	}
	return newServer(eng), eng, newServer
}

func TestRulesSuggestPage(t *testing.T) {
	srv, eng, newServer := suggestServer(t)
	ops := loginClient(t, srv, "ops", true)
	code, page, _ := do(t, ops, "GET", srv.URL+"/rules/suggest", "", nil)
	if code != 200 {
		t.Fatalf("operator: status %d\n%s", code, page)
	}
	for _, want := range []string{"规则建议", eng.Version(), "报销拖了好久 电话138****5678", "岚川论坛",
		"无关", "Ⅳ级 一般·医保报销", "判定：模型", "相关可能性", "下一页", "page=2",
		"定点机构管理", "套现（", `<pre class="snippet">`, "- id: suggest_institution_1", "any: [", `<div class="scroll">`,
		`<a href="/rules/suggest">规则建议</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "13812345678") {
		t.Error("a phone number unmasked")
	}
	if strings.Contains(page, "周末出游") {
		t.Error("a post the model had no say on is listed")
	}
	// 医保 and 骗保 are the rules' words: never suggested.
	terms := page[strings.Index(page, "模型权重高而规则尚未包含的词"):]
	if strings.Contains(terms, "医保（") || strings.Contains(terms, "骗保（") {
		t.Error("a rule's term is suggested")
	}
	if regexp.MustCompile(`\d+h\d+m|\d+m\d+s|720h`).MatchString(page) {
		t.Error("a Go duration on the page")
	}
	if n := strings.Count(page, "<tr"); n != 20+1+9+1 { // 20 posts and a header, 9 classes and a header
		t.Errorf("%d table rows", n)
	}
	_, page2, _ := do(t, ops, "GET", srv.URL+"/rules/suggest?days=7&page=2", "", nil)
	if strings.Contains(page2, "下一页") || !strings.Contains(page2, "上一页") || !strings.Contains(page2, "报销拖了1个月") ||
		strings.Contains(page2, "报销拖了好久") || strings.Count(page2, "报销拖了") != 4 {
		t.Errorf("page 2:\n%s", page2)
	}
	if code, _, _ := do(t, ops, "GET", srv.URL+"/rules/suggest?page=x", "", nil); code != 400 {
		t.Errorf("bad page: %d", code)
	}
	admin := loginClient(t, srv, "admin", true)
	if code, _, _ := do(t, admin, "GET", srv.URL+"/rules/suggest", "", nil); code != 200 {
		t.Errorf("admin: %d", code)
	}
	for _, who := range []string{"wang", "zhao"} {
		c := loginClient(t, srv, who, true)
		if code, body, _ := do(t, c, "GET", srv.URL+"/rules/suggest", "", nil); code != 403 || !strings.Contains(body, "权限不足") {
			t.Errorf("%s: status %d", who, code)
		}
		if _, body, _ := do(t, c, "GET", srv.URL+"/incidents", "", nil); strings.Contains(body, "/rules/suggest") {
			t.Errorf("%s sees the link to the operators' page", who)
		}
	}

	// Rules without a model: the page says what to do.
	plain := newServer(suggestEngine(t, true))
	code, page, _ = do(t, loginClient(t, plain, "ops", true), "GET", plain.URL+"/rules/suggest", "", nil)
	if code != 200 || !strings.Contains(page, "options.model") || !strings.Contains(page, "yuqing train") || strings.Contains(page, "<pre") {
		t.Errorf("without a model: %d\n%s", code, page)
	}
}

// TestBrowserRulesSuggestAtPhoneWidth opens the page as an operator in a
// real Chromium 360 px wide: nothing is wider than the screen (the tables
// become cards, the snippet scrolls inside its box) and the page works
// under the console's CSP.
func TestBrowserRulesSuggestAtPhoneWidth(t *testing.T) {
	skipBrowserIfShort(t)
	srv, _, _ := suggestServer(t)
	b := newBrowser(t, srv.URL, phoneWidth)
	var pageWidth, preWidth, preBox, cardCells int
	var text string
	b.run("open the suggestions",
		b.login("ops"),
		b.open("/rules/suggest"),
		chromedp.WaitVisible(`pre.snippet`),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &pageWidth),
		chromedp.Evaluate(`document.querySelector('pre.snippet').scrollWidth`, &preWidth),
		chromedp.Evaluate(`Math.ceil(document.querySelector('pre.snippet').getBoundingClientRect().right)`, &preBox),
		chromedp.Evaluate(`[...document.querySelectorAll('table.suggest-posts td')].filter(td => getComputedStyle(td).display === 'block').length`, &cardCells),
		chromedp.Text(`main`, &text),
		b.shot("suggest"),
	)
	if pageWidth > phoneWidth || preBox > phoneWidth {
		t.Errorf("at %d px the page is %d px wide, the snippet's box ends at %d px", phoneWidth, pageWidth, preBox)
	}
	if preWidth <= phoneWidth {
		t.Errorf("the snippet (%d px) should be wider than the screen and scroll inside its box", preWidth)
	}
	if cardCells != 4*20 {
		t.Errorf("%d table cells laid out as card lines, want 80", cardCells)
	}
	if !strings.Contains(text, "报销拖了好久 电话138****5678") || !strings.Contains(text, "suggest_institution_1") {
		t.Errorf("page text:\n%s", text)
	}
}
