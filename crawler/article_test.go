package crawler

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// newsSite is a 市医疗保障局 portal as such sites are built: a GB2312 RSS
// feed of summaries cut with "……" or "阅读全文", article pages in GB2312
// with the charset only in <meta>, a site header showing today's date, the
// 发布日期/来源 line, share bar and 上一篇/下一篇 links around the text; an
// Atom channel of a news site (UTF-8, <time datetime>); a 市长信箱 whose
// list is a MyBatis-Plus page object and whose letters are HTML pages.
type newsSite struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	hits map[string]int
	// throttled paths answer 429 with Retry-After this many more times.
	throttled  map[string]int
	retryAfter string
	articles   map[string]newsPage
}

// newsPage is one article page: the template that renders it and its data.
type newsPage struct {
	tmpl *htmltemplate.Template
	data map[string]any
	gbk  bool
}

func newNewsSite(t *testing.T) *newsSite {
	t.Helper()
	parse := func(name string) *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.ParseFiles("testdata/news/" + name))
	}
	trs, plain, atomArt, letter := parse("article-trs.html.tmpl"), parse("article-plain.html.tmpl"), parse("atom-article.html.tmpl"), parse("letter.html.tmpl")
	s := &newsSite{t: t, hits: map[string]int{}, throttled: map[string]int{}}
	s.articles = map[string]newsPage{
		"/art/2026/11/19/art_101_5001.html": {tmpl: trs, gbk: true},
		"/art/2026/11/18/art_101_5002.html": {tmpl: plain, gbk: true, data: map[string]any{
			"Title": "定点药店违规刷卡套取医保基金被查处", "Meta": "2026-11-18 09:12", "Shown": "2026-11-18",
			"Body": htmltemplate.HTML("<p>近日，市医保局在专项检查中发现某定点药店存在违规刷卡问题：药店工作人员将参保人医保卡中的个人账户资金用于购买日用品，涉及金额3.2万元。</p>\n" +
				"<p>市医保局已依法追回违规费用，暂停该药店医保结算服务6个月，并移交公安机关处理。</p>\n" +
				"<p>市医保局提醒广大参保群众，医保卡仅限本人使用，发现违规行为可拨打举报电话12393。</p>")}},
		"/art/2026/11/17/art_101_5003.html": {tmpl: plain, gbk: true, data: map[string]any{
			"Title": "异地就医备案“跨省通办”再提速", "Meta": "", "Shown": "2026-11-17 10:30",
			"Head": htmltemplate.HTML(`<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"异地就医备案跨省通办再提速","datePublished":"2026-11-17T10:30:00+08:00"}</script>`),
			"Body": htmltemplate.HTML("<p>参保人员可通过国家医保服务平台App办理异地就医备案，备案后即时生效，在备案地定点医疗机构住院、门诊费用均可直接结算，无需先行垫付再回参保地报销。</p>")}},
		"/yibao/2026/11/22/c_61.html": {tmpl: atomArt, data: map[string]any{
			"Title": "集采药品进基层：社区卫生服务中心也能买到", "Author": "本报记者 王小明", "Datetime": "2026-11-22T09:30:00+08:00", "Shown": "2026年11月22日 09:30",
			"Body": htmltemplate.HTML("<p>国家组织集采药品已全部进入社区卫生服务中心，群众在家门口就能买到降价后的降压药、降糖药。</p><p>据介绍，集采药品平均降价超过50%，医保按规定比例报销。</p>")}},
		"/yibao/2026/11/21/c_60.html": {tmpl: atomArt, data: map[string]any{
			"Title": "医保基金监管飞行检查启动", "Author": "本报记者 李华", "Datetime": "2026-11-21T15:00:00+08:00", "Shown": "2026年11月21日 15:00",
			"Body": htmltemplate.HTML("<p>2026年医保基金飞行检查启动，重点检查医疗机构分解住院、挂床住院、过度诊疗等问题。</p>")}},
		"/letter/detail.html?id=1862345678901234561": {tmpl: letter, data: map[string]any{
			"Title": "孩子出生后怎么办理医保", "Author": "张**", "Datetime": "2026-11-22T10:15:00+08:00", "Shown": "2026-11-22 10:15",
			"Body": "孩子10月出生，想问新生儿参加居民医保要带什么材料，出生前的住院费用能报销吗？", "Reply": "您好，新生儿可在出生后90天内办理参保。"}},
		"/letter/detail.html?id=1862345678901234562": {tmpl: letter, data: map[string]any{
			"Title": "门诊慢特病待遇认定进度查询", "Author": "李**", "Datetime": "2026-11-21T16:40:00+08:00", "Shown": "2026-11-21 16:40",
			"Body": "十月初提交了门诊慢特病认定申请，到现在还显示审核中，请问多久能办好？", "Reply": "您好，已转经办机构加快办理。"}},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *newsSite) host() string { return strings.TrimPrefix(s.srv.URL, "http://") }

func (s *newsSite) hit(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[uri]
}

func (s *newsSite) throttle(uri string, times int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttled[uri], s.retryAfter = times, retryAfter
}

func (s *newsSite) serve(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.RequestURI()
	s.mu.Lock()
	s.hits[uri]++
	throttled := s.throttled[uri] > 0
	if throttled {
		s.throttled[uri]--
		w.Header().Set("Retry-After", s.retryAfter)
	}
	page, isArticle := s.articles[uri]
	s.mu.Unlock()
	if throttled {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	switch {
	case uri == "/robots.txt":
		fmt.Fprint(w, "User-agent: *\nDisallow: /admin/\n")
	case uri == "/rss/ybxw.xml":
		w.Header().Set("Content-Type", "text/xml") // the charset only in the XML declaration
		s.write(w, s.xml("rss.xml"), true)
	case uri == "/yibao/atom.xml":
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		s.write(w, s.xml("atom.xml"), false)
	case strings.HasPrefix(uri, "/api/letter/page"):
		b, err := os.ReadFile("testdata/news/records.json")
		if err != nil {
			s.t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write(b)
	case isArticle:
		var buf bytes.Buffer
		if err := page.tmpl.Execute(&buf, page.data); err != nil {
			s.t.Errorf("template: %v", err)
		}
		w.Header().Set("Content-Type", "text/html") // charset only in <meta>
		s.write(w, buf.Bytes(), page.gbk)
	default:
		http.NotFound(w, r)
	}
}

func (s *newsSite) xml(name string) []byte {
	tmpl := template.Must(template.ParseFiles("testdata/news/" + name))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, map[string]string{"Host": s.host()}); err != nil {
		s.t.Errorf("template: %v", err)
	}
	return buf.Bytes()
}

func (s *newsSite) write(w http.ResponseWriter, b []byte, gbk bool) {
	if gbk {
		var err error
		if b, err = simplifiedchinese.GBK.NewEncoder().Bytes(b); err != nil {
			s.t.Errorf("encode GB2312: %v", err)
		}
	}
	w.Write(b)
}

const article5001 = "为进一步减轻参保职工门诊费用负担，经市政府同意，自2026年12月1日起，职工医保普通门诊统筹起付标准由1000元降至800元，在职职工报销比例由50%提高至60%，退休人员由60%提高至70%。\n" +
	"参保职工在基层医疗机构就医的，报销比例再提高10个百分点。个人账户可用于支付配偶、父母、子女在定点医疗机构就医和定点药店购药的个人负担费用。\n" +
	"咨询电话：12393。"

// TestSummaryFeedStoresWholeArticles: a GB2312 feed of summaries, with no
// detail setting, is stored with each article's full text and its own
// time; the item whose description is whole and the off-site one are not
// fetched; stored articles are not fetched again.
func TestSummaryFeedStoresWholeArticles(t *testing.T) {
	site := newNewsSite(t)
	src := presetSource(t, fmt.Sprintf("  - {name: ybxw, title: 医保要闻, kind: rss, url: %q}\n", site.srv.URL+"/rss/ybxw.xml"))
	c, _ := newTestCrawler(t, Options{})
	m := newMemStore()
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, knownIn(m), saveTo(m, src.Name))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 5 || stats.Fetched != 3 || stats.Emitted != 5 || stats.ParseErrors != 0 {
		t.Errorf("stats = %+v, want 5 found, 3 articles fetched, 5 stored", stats)
	}
	if site.hit("/art/2026/11/16/art_101_5004.html") != 0 {
		t.Error("an item with its whole text in the feed was fetched")
	}
	u := "http://" + site.host() + "/art/2026/11/19/art_101_5001.html"
	p, ok := m.posts[u]
	if !ok {
		t.Fatalf("article %s not stored", u)
	}
	if p.Body != article5001 {
		t.Errorf("body of the TRS article =\n%s\nwant\n%s", p.Body, article5001)
	}
	// The date under the headline, not the header's today nor the feed's build time.
	if want := time.Date(2026, 11, 19, 15, 20, 0, 0, shanghai); !p.PublishedAt.Equal(want) {
		t.Errorf("time = %v, want %v", p.PublishedAt, want)
	}
	var posts []model.Post
	for _, path := range []string{"19/art_101_5001", "18/art_101_5002", "17/art_101_5003", "16/art_101_5004"} {
		posts = append(posts, m.posts["http://"+site.host()+"/art/2026/11/"+path+".html"])
	}
	posts = append(posts, m.posts["https://www.nhsa.example/art/2026/11/15/art_14_1.html"])
	for i := range posts {
		posts[i].FetchedAt = time.Time{}
	}
	golden(t, "summary-feed", posts, site.host())

	// The feed changes; the stored articles are not fetched again.
	_, stats, err = c.Crawl(t.Context(), src, store.SourceState{}, knownIn(m), saveTo(m, src.Name))
	if err != nil || stats.Fetched != 0 || stats.Skipped != 3 || site.hit("/art/2026/11/19/art_101_5001.html") != 1 {
		t.Errorf("second crawl: %v, %+v", err, stats)
	}
	if m.posts[u].Body != article5001 {
		t.Error("the stored article fell back to its summary")
	}
}

// TestFeedArticleFailureKeepsSummary: with no detail setting, an article
// page that cannot be had leaves the feed's own text stored, and the feed
// is not judged by it.
func TestFeedArticleFailureKeepsSummary(t *testing.T) {
	site := newNewsSite(t)
	site.mu.Lock()
	delete(site.articles, "/art/2026/11/18/art_101_5002.html")
	delete(site.articles, "/art/2026/11/17/art_101_5003.html")
	site.mu.Unlock()
	src := presetSource(t, fmt.Sprintf("  - {name: ybxw, kind: rss, url: %q}\n", site.srv.URL+"/rss/ybxw.xml"))
	c, _ := newTestCrawler(t, Options{})
	m := newMemStore()
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, knownIn(m), saveTo(m, src.Name))
	if err != nil {
		t.Fatalf("two 404 article pages failed the feed: %v", err)
	}
	p := m.posts["http://"+site.host()+"/art/2026/11/18/art_101_5002.html"]
	if stats.Emitted != 5 || p.Body != "近日，市医保局在专项检查中发现某定点药店存在违规刷卡问题。阅读全文" {
		t.Errorf("stats %+v, body %q", stats, p.Body)
	}
}

// TestAtomFeedDetailAuto: an Atom channel configured with detail: auto;
// the article's <time datetime> inside <article>, not the header's.
func TestAtomFeedDetailAuto(t *testing.T) {
	site := newNewsSite(t)
	src := presetSource(t, fmt.Sprintf("  - {name: jksb, kind: atom, url: %q, detail: auto}\n", site.srv.URL+"/yibao/atom.xml"))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Fetched != 2 || len(items) != 2 {
		t.Fatalf("stats = %+v", stats)
	}
	if want := time.Date(2026, 11, 22, 9, 30, 0, 0, shanghai); !items[0].PublishedAt.Equal(want) {
		t.Errorf("time = %v, want %v", items[0].PublishedAt, want)
	}
	for _, it := range items {
		for _, chrome := range []string{"标签", "相关阅读", "首页", "版权所有", it.Title} {
			if strings.Contains(it.Body, chrome) {
				t.Errorf("%s: body has page chrome %q:\n%s", it.URL, chrome, it.Body)
			}
		}
	}
	golden(t, "atom-detail-auto", items, site.host())
}

// TestJSONListDetailAuto: a 市长信箱 whose list is a MyBatis-Plus page
// object (data.records, createTime, long string ids) and whose letters are
// HTML pages, read with detail: auto.
func TestJSONListDetailAuto(t *testing.T) {
	site := newNewsSite(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: szxx
    kind: json
    url: %s/api/letter/page?current={page}&size=10
    json: {items: data.records, link: "/letter/detail.html?id={id}", title: title, time: createTime}
    detail: auto
`, site.srv.URL))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Fetched != 2 || len(items) != 2 {
		t.Fatalf("stats = %+v", stats)
	}
	if !strings.HasPrefix(items[0].Body, "孩子10月出生") || strings.Contains(items[0].Body, "来信时间") {
		t.Errorf("letter body = %q", items[0].Body)
	}
	golden(t, "json-detail-auto", items, site.host())
}

// TestArticle429DelaysOnlyIt: an article answered 429 with a short
// Retry-After waits alone; the others are stored in the same crawl, and it
// is fetched again after the wait and stored before the crawl ends.
func TestArticle429DelaysOnlyIt(t *testing.T) {
	site := newNewsSite(t)
	site.throttle("/art/2026/11/19/art_101_5001.html", 1, "1")
	src := presetSource(t, fmt.Sprintf("  - {name: ybxw, kind: rss, url: %q}\n", site.srv.URL+"/rss/ybxw.xml"))
	c, _ := newTestCrawler(t, Options{})
	m := newMemStore()
	var order []string
	save := saveTo(m, src.Name)
	start := time.Now()
	st, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, knownIn(m), func(ctx context.Context, it Item) error {
		order = append(order, strings.TrimPrefix(it.URL, "http://"+site.host()))
		return save(ctx, it)
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Postponed != 1 || stats.Fetched != 3 || stats.Emitted != 5 {
		t.Errorf("stats = %+v", stats)
	}
	if n := site.hit("/art/2026/11/19/art_101_5001.html"); n != 2 {
		t.Errorf("throttled article requested %d times, want 2", n)
	}
	if time.Since(start) < time.Second {
		t.Error("the article was asked for again before its Retry-After")
	}
	if len(order) != 5 || order[4] != "/art/2026/11/19/art_101_5001.html" {
		t.Errorf("stored in the order %q, want the throttled article last", order)
	}
	if m.posts["http://"+site.host()+"/art/2026/11/19/art_101_5001.html"].Body != article5001 {
		t.Error("throttled article not stored whole")
	}
	if st.ETag != "" || len(m.failures) != 0 {
		t.Errorf("state %+v, failure records %v", st, m.failures)
	}
}

// TestArticle429SpansCrawls: a Retry-After longer than a crawl waits
// leaves the article to the first crawl after that time; its wait is kept
// in the store (here a SQLite file reopened, as after a restart).
func TestArticle429SpansCrawls(t *testing.T) {
	site := newNewsSite(t)
	site.throttle("/art/2026/11/18/art_101_5002.html", 1, "3600")
	src := presetSource(t, fmt.Sprintf("  - {name: ybxw, kind: rss, url: %q}\n", site.srv.URL+"/rss/ybxw.xml"))
	path := t.TempDir() + "/yuqing.db"
	now := testNow
	clock := func() time.Time { return now }

	// Each crawl is a fresh start: a new crawler on the reopened database.
	crawl := func() {
		t.Helper()
		db, err := sqlite.Open(t.Context(), path, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, _ := newTestCrawler(t, Options{Now: clock})
		s := NewScheduler(c, db, nil, clock)
		s.SetSources([]Source{src})
		if err := s.CrawlNow(t.Context(), src.Name); err != nil {
			t.Fatal(err)
		}
	}
	u := "http://" + site.host() + "/art/2026/11/18/art_101_5002.html"
	stored := func() (model.Post, bool) {
		db, err := sqlite.Open(t.Context(), path, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		p, ok, err := db.PostByURL(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		return p, ok
	}
	crawl()
	if _, ok := stored(); ok {
		t.Fatal("throttled article stored (as its summary?) before it was fetched")
	}
	if site.hit("/art/2026/11/19/art_101_5001.html") != 1 || site.hit("/art/2026/11/17/art_101_5003.html") != 1 {
		t.Error("the other articles were not fetched in the same crawl")
	}
	now = testNow.Add(30 * time.Minute) // restart; still inside Retry-After
	crawl()
	if n := site.hit("/art/2026/11/18/art_101_5002.html"); n != 1 {
		t.Errorf("article asked for again %d times inside its Retry-After", n-1)
	}
	now = testNow.Add(61 * time.Minute)
	crawl()
	p, ok := stored()
	if !ok || !strings.HasPrefix(p.Body, "近日，市医保局在专项检查中发现某定点药店存在违规刷卡问题：") {
		t.Fatalf("after Retry-After: stored %v, body %q", ok, p.Body)
	}
	if want := time.Date(2026, 11, 18, 9, 12, 0, 0, shanghai); !p.PublishedAt.Equal(want) {
		t.Errorf("time = %v, want %v (the page's PubDate)", p.PublishedAt, want)
	}
}

// wenzhengComment is the first 网络问政 article's text.
const wenzhengComment = "我是退休职工，今年11月医保个人账户划入金额比去年少了一半，请问是什么原因？"

// newWenzheng serves a 网络问政 list and its article pages, the comment
// wrapped in the headline, 发布时间/来源 line, share and 上一篇/下一篇 links.
func newWenzheng(t *testing.T) *httptest.Server {
	t.Helper()
	list, err := os.ReadFile("testdata/wenzheng/list.html")
	if err != nil {
		t.Fatal(err)
	}
	art := htmltemplate.Must(htmltemplate.ParseFiles("testdata/wenzheng/article.html.tmpl"))
	arts := map[string]map[string]any{
		"/wlwz/2026/11/t20261116_8801.html": {"Title": "退休人员医保卡个人账户划入少了", "Date": "2026-11-16 10:05", "Body": wenzhengComment},
		"/wlwz/2026/11/t20261115_8800.html": {"Title": "异地就医备案后住院报销比例", "Date": "2026-11-15 17:42",
			"Body": "备案到广州后住院，报销比例和在本市一样吗？"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/wlwz/":
			w.Write(list)
		case arts[r.URL.Path] != nil:
			art.Execute(w, arts[r.URL.Path])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestGenericListDetailClean (issue 12, Why 4): a 网络问政 article page
// whose container holds the headline, the 发布时间/来源 line, share and
// 上一篇/下一篇 links: the preset stores the comment alone, with its own
// date, not the header's today.
func TestGenericListDetailClean(t *testing.T) {
	srv := newWenzheng(t)
	src := presetSource(t, fmt.Sprintf("  - {name: wlwz, preset: generic-list, board: div.list-box, url: %q}\n", srv.URL+"/wlwz/"))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items)); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	if items[0].Body != wenzhengComment {
		t.Errorf("body = %q (%d characters), want the %d-character comment alone", items[0].Body,
			len([]rune(items[0].Body)), len([]rune(wenzhengComment)))
	}
	if want := time.Date(2026, 11, 16, 10, 5, 0, 0, shanghai); !items[0].PublishedAt.Equal(want) {
		t.Errorf("time = %v, want %v (not the header's today)", items[0].PublishedAt, want)
	}
	if want := time.Date(2026, 11, 15, 17, 42, 0, 0, shanghai); !items[1].PublishedAt.Equal(want) {
		t.Errorf("time = %v, want %v", items[1].PublishedAt, want)
	}
}

func TestDetailYAML(t *testing.T) {
	srcs, doc := decodeSources(t, `
sources:
  - {name: a, kind: rss, url: "http://a.example/rss.xml", detail: auto}
  - {name: b, kind: rss, url: "http://b.example/rss.xml", detail: none}
  - {name: c, kind: atom, url: "http://c.example/atom.xml", detail: {body: div.TRS_Editor, time: span.date}}
  - {name: d, kind: json, url: "http://d.example/api?p={page}", json: {items: data.records, link: "/d?id={id}"}, detail: {body: auto, author: td.name}}
  - {name: e, preset: generic-list, url: "http://e.example/list/", detail: none}
`)
	want := []DetailSelectors{{Body: DetailAuto}, {Body: DetailNone}, {Body: "div.TRS_Editor", Time: "span.date"},
		{Body: DetailAuto, Author: "td.name"}, {Body: DetailNone}}
	for i, s := range srcs {
		s.ApplyDefaults()
		if s.Detail != want[i] {
			t.Errorf("%s: detail = %+v, want %+v", s.Name, s.Detail, want[i])
		}
		if err := s.Validate(doc, fmt.Sprintf("sources[%d]", i)); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	for y, msg := range map[string]string{
		`{name: x, kind: rss, url: "http://x.example/", detail: full}`:                          "detail 只能是 auto、none",
		`{name: x, kind: rss, url: "http://x.example/", detail: {body: auto, bdy: p}}`:          "bdy: 未知字段",
		`{name: x, kind: rss, url: "http://x.example/", detail: {body: none, time: span.date}}`: "不能再设置其他详情页选择器",
		`{name: x, kind: rss, url: "http://x.example/", detail: {time: span.date}}`:             "缺少正文选择器",
	} {
		var f struct {
			Sources []Source `yaml:"sources"`
		}
		doc, err := yamlfile.Decode("sources.yaml", []byte("sources:\n  - "+y+"\n"), &f)
		if err == nil {
			f.Sources[0].ApplyDefaults()
			err = f.Sources[0].Validate(doc, "sources[0]")
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: err = %v, want %q", y, err, msg)
		}
	}
}

func TestLooksLikeSummary(t *testing.T) {
	for _, tc := range []struct {
		text    string
		content bool
		want    bool
	}{
		{"", false, true},
		{"为进一步减轻参保职工门诊费用负担，自2026年12月1日起，职工医保普通门诊统筹起付标准由……", false, true},
		{"近日发现某定点药店存在违规刷卡问题。阅读全文", false, true},
		{"可通过国家医保服务平台App办理...", false, true},
		{"详见通知 [详细]", false, true},
		{"短的通知全文。", false, true},
		{"短的通知全文。", true, false},
		{strings.Repeat("参保人员可通过国家医保服务平台办理异地就医备案。", 10), false, false},
	} {
		if got := looksLikeSummary(tc.text, tc.content); got != tc.want {
			t.Errorf("looksLikeSummary(%q, %v) = %v", tc.text, tc.content, got)
		}
	}
}

func TestStripChrome(t *testing.T) {
	in := "退休人员医保卡个人账户划入少了\n发布时间：2026-11-16 10:05 来源：网络问政平台\n" +
		"我是退休职工。\n下一篇说的是什么？来源：我自己\n最后一段。\n分享到：微信 微博\n【打印本页】 【关闭窗口】\n上一篇：异地就医\n下一篇：门诊慢特病"
	want := "我是退休职工。\n下一篇说的是什么？来源：我自己\n最后一段。"
	if got := stripChrome(in, "退休人员医保卡个人账户划入少了"); got != want {
		t.Errorf("stripChrome =\n%s\nwant\n%s", got, want)
	}
	// A dateline goes; a first sentence that mentions a date stays.
	in = "本报记者 王小明 2026年11月22日 09:30\n2026年11月22日，国家组织集采药品已全部进入社区卫生服务中心。"
	want = "2026年11月22日，国家组织集采药品已全部进入社区卫生服务中心。"
	if got := stripChrome(in, ""); got != want {
		t.Errorf("stripChrome =\n%s\nwant\n%s", got, want)
	}
}
