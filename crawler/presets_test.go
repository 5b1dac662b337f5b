package crawler

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/store"
)

// presetSource builds a source from YAML as an operator would write it,
// applies defaults and validates it like the config loader does.
func presetSource(t *testing.T, y string) Source {
	t.Helper()
	srcs, doc := decodeSources(t, "sources:\n"+y)
	if len(srcs) != 1 {
		t.Fatalf("got %d sources", len(srcs))
	}
	s := srcs[0]
	s.ApplyDefaults()
	if err := s.Validate(doc, "sources[0]"); err != nil {
		t.Fatalf("preset source does not validate: %v", err)
	}
	s.Delay = time.Millisecond // politeness off for the loopback fixture
	return s
}

func TestPresetDiscuzX3(t *testing.T) {
	f := newForum(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: x3
    preset: discuz-x3
    url: %s/
    board: "2"
    pages: 2
`, f.srv.URL))
	if want := f.srv.URL + "/forum.php?mod=forumdisplay&fid=2"; src.URL != want {
		t.Fatalf("preset URL = %q, want %q", src.URL, want)
	}
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 4 || stats.Fetched != 4 || stats.ParseErrors != 0 {
		t.Errorf("stats = %+v", stats)
	}
	// The counts come from the thread page header (查看 | 回复).
	for _, it := range items {
		u, _ := url.Parse(it.URL)
		tid, _ := strconv.Atoi(u.Query().Get("tid"))
		if th := f.threadByID(tid); th == nil || it.Replies != th.Replies || it.Views != th.Views {
			t.Errorf("%s: replies/views %d/%d, want the thread's", it.URL, it.Replies, it.Views)
		}
	}
	golden(t, "preset-discuz-x3", items, f.host())
}

func TestPresetDiscuzX2(t *testing.T) {
	f := newForum(t)
	f.list = template.Must(template.ParseFiles("testdata/discuz/x2-forumdisplay.html.tmpl"))
	f.view = template.Must(template.ParseFiles("testdata/discuz/x2-viewthread.html.tmpl"))
	src := presetSource(t, fmt.Sprintf(`
  - name: x2
    preset: discuz-x2
    url: %s
    board: "2"
    encoding: gb18030
`, f.srv.URL+"/"))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.ListPages != 1 || stats.Found != 3 || stats.Fetched != 3 {
		t.Errorf("stats = %+v (one page by default)", stats)
	}
	golden(t, "preset-discuz-x2", items, f.host())
}

// newGov serves a government notice list and its articles (UTF-8, charset
// only in <meta>).
func newGov(t *testing.T) *httptest.Server {
	t.Helper()
	list, err := os.ReadFile("testdata/gov/list.html")
	if err != nil {
		t.Fatal(err)
	}
	art := template.Must(template.ParseFiles("testdata/gov/article.html.tmpl"))
	arts := map[string]map[string]any{
		"/tzgg/2026/11/art_1.html": {"Title": "关于调整2027年度城乡居民医保缴费标准的通知", "Date": "2026-11-20 16:30",
			"Body": template.HTML("<p>各县（区）医疗保障局：</p><p>2027年度城乡居民医保个人缴费标准为每人每年400元。</p>")},
		"/tzgg/2026/11/art_2.html": {"Title": "异地就医直接结算政策问答", "Date": "2026-11-18",
			"Body": template.HTML("<p>问：备案后多久生效？</p><p>答：即时生效。</p>")},
		"/tzgg/2026/11/art_3.html": {"Title": "关于开展定点医药机构医保基金使用专项检查的公告", "Date": "2026-11-02 09:00",
			"Body": template.HTML("<p>举报电话：0571-12345678。</p>")},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /admin/\n")
		case r.URL.Path == "/tzgg/2026/11/":
			w.Header().Set("Content-Type", "text/html")
			w.Write(list)
		case arts[r.URL.Path] != nil:
			w.Header().Set("Content-Type", "text/html")
			art.Execute(w, arts[r.URL.Path])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPresetGenericList(t *testing.T) {
	srv := newGov(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: tzgg
    title: 医保局通知公告
    preset: generic-list
    board: div.list-box
    url: %s/tzgg/2026/11/
`, srv.URL))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	// Navigation and footer links are outside the board container; the
	// javascript: row is ignored.
	if stats.Found != 3 || stats.Fetched != 3 || stats.ParseErrors != 0 {
		t.Errorf("stats = %+v", stats)
	}
	for _, it := range items {
		if strings.Contains(it.Body, "广告") {
			t.Errorf("script output in body: %q", it.Body)
		}
	}
	golden(t, "preset-generic-list", items, strings.TrimPrefix(srv.URL, "http://"))
}

// newLiuyan serves a 留言板 built on Spring + MyBatis-Plus: a single-page
// front end under /lyb/, the letters' JSON list at
// /lyb/api/letter/list?current=N&size=3 (the page object wrapped in
// {"code":200,"msg":…,"data":…}), letter pages at /lyb/letter.html?id=…,
// and a 12345 公开件 list in RuoYi's TableDataInfo shape.
func newLiuyan(t *testing.T) (*httptest.Server, *sync.Map) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/liuyan/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pages := map[string][]byte{"1": read("mp-page1.json"), "2": read("mp-page2.json")}
	empty, table, letter := read("mp-empty.json"), read("ruoyi-table.json"), read("letter.html")
	hits := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := hits.LoadOrStore(r.URL.RequestURI(), new(int))
		*n.(*int)++
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /lyb/admin/\n")
		case "/lyb/api/letter/list":
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			b, ok := pages[r.URL.Query().Get("current")]
			if !ok {
				b = empty
			}
			w.Write(b)
		case "/prod-api/hotline/public/list":
			w.Header().Set("Content-Type", "application/json")
			w.Write(table)
		case "/lyb/letter.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(letter)
		case "/lyb/", "/hotline/":
			fmt.Fprint(w, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>留言板</title></head><body><div id="app"></div><script src="/lyb/static/js/app.js"></script></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// fieldMatch returns the count of one field from a crawl's stats.
func fieldMatch(t *testing.T, stats Stats, field string) FieldMatch {
	t.Helper()
	for _, f := range stats.Fields {
		if f.Field == field {
			return f
		}
	}
	t.Fatalf("no count for %s in %+v", field, stats.Fields)
	return FieldMatch{}
}

// TestPresetLiuyanMyBatisPlus: the preset, the list endpoint and the
// letter link (plus pages) crawl a MyBatis-Plus 留言板; the preset's author
// and view-count guesses match nothing there and are reported as such.
func TestPresetLiuyanMyBatisPlus(t *testing.T) {
	srv, hits := newLiuyan(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: lyb
    preset: liuyan
    url: %s/lyb/api/letter/list?current={page}&size=3
    json: {link: "/lyb/#/letter/detail?id={id}"}
    pages: 5
`, srv.URL))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	// Page 3 is empty and ends the paging; the record without an id is a parse error.
	if stats.ListPages != 3 || stats.Found != 4 || stats.Fetched != 0 || stats.ParseErrors != 1 {
		t.Errorf("stats = %+v", stats)
	}
	if _, ok := hits.Load("/lyb/api/letter/list?current=4&size=3"); ok {
		t.Error("paging went on after an empty page")
	}
	// The front end's route names the letter: it survives canonicalisation,
	// and a snowflake id sent as a JSON number keeps every digit.
	if len(items) != 4 || !strings.HasSuffix(items[2].URL, "/lyb/#/letter/detail?id=1861234567890123460") {
		t.Fatalf("items = %+v", items)
	}
	for _, f := range []string{"json.title", "json.time", "json.body", "json.link"} {
		if m := fieldMatch(t, stats, f); !m.Preset && f != "json.link" || m.Matched < 4 {
			t.Errorf("%s: %+v, want matched on every letter", f, m)
		}
	}
	for _, f := range []string{"json.author", "json.views"} {
		if m := fieldMatch(t, stats, f); !m.Preset || !m.Unmatched() {
			t.Errorf("%s: %+v, want a preset field that matched nothing", f, m)
		}
	}
	golden(t, "preset-liuyan", items, strings.TrimPrefix(srv.URL, "http://"))
}

// TestPresetLiuyanRuoYiTable: the same preset reads RuoYi's TableDataInfo
// ({"total","rows"}) with its appeal* field names.
func TestPresetLiuyanRuoYiTable(t *testing.T) {
	srv, _ := newLiuyan(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: hotline
    preset: liuyan
    url: %s/prod-api/hotline/public/list?pageNum=1&pageSize=10
    json: {link: "/hotline/#/public/detail/{appealId}"}
`, srv.URL))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 2 || stats.ParseErrors != 0 {
		t.Errorf("stats = %+v", stats)
	}
	golden(t, "preset-liuyan-ruoyi", items, strings.TrimPrefix(srv.URL, "http://"))
}

// TestJSONLinkResolution: a relative json.link resolves against the API's
// directory (here to 404s, which the crawl lists), one starting with /
// against the site root.
func TestJSONLinkResolution(t *testing.T) {
	srv, _ := newLiuyan(t)
	c, _ := newTestCrawler(t, Options{})
	crawl := func(link string) ([]Item, Stats, error) {
		src := presetSource(t, fmt.Sprintf(`
  - name: lyb
    preset: liuyan
    url: %s/lyb/api/letter/list?current=1&size=3
    json: {link: %q}
    detail: {body: div.letter-content}
`, srv.URL, link))
		var items []Item
		_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
		return items, stats, err
	}
	_, stats, err := crawl("letter.html?id={id}")
	if err == nil || len(stats.DetailErrors) != 3 {
		t.Fatalf("relative link: err = %v, detail errors %+v", err, stats.DetailErrors)
	}
	for _, de := range stats.DetailErrors {
		if de.Status != http.StatusNotFound || !strings.HasPrefix(de.URL, srv.URL+"/lyb/api/letter/letter.html?id=") {
			t.Errorf("detail error %+v, want a 404 under the API's directory", de)
		}
	}
	items, stats, err := crawl("/lyb/letter.html?id={id}")
	if err != nil || stats.Fetched != 3 || len(stats.DetailErrors) != 0 {
		t.Fatalf("root-relative link: err = %v, stats = %+v", err, stats)
	}
	if !strings.HasPrefix(items[0].URL, srv.URL+"/lyb/letter.html?id=") {
		t.Errorf("item URL %s, want under the site root", items[0].URL)
	}
}

// newMailbox serves a 市长信箱 in GB2312 (declared only in <meta>): a
// list table and letters laid out as label/value cells.
func newMailbox(t *testing.T) *httptest.Server {
	t.Helper()
	list, err := os.ReadFile("testdata/mailbox/list.html")
	if err != nil {
		t.Fatal(err)
	}
	show := template.Must(template.ParseFiles("testdata/mailbox/show.html.tmpl"))
	letters := map[string]map[string]any{
		"20261121001": {"No": "20261121001", "Title": "关于门诊慢特病待遇认定进度的咨询", "Writer": "王**", "Date": "2026-11-21 15:02:11",
			"Body": template.HTML("上个月提交了门诊慢特病认定材料，<br/>至今显示审核中，请问多久能办下来？"), "ReplyDate": "2026-11-23 10:00:00", "Reply": "您好，您的材料已于11月22日审核通过。"},
		"20261120007": {"No": "20261120007", "Title": "反映某定点药店拒绝使用医保卡", "Writer": "匿名", "Date": "2026-11-20 08:40:00",
			"Body": template.HTML("东门某药店连续三天以系统升级为由拒绝刷医保卡。"), "ReplyDate": "", "Reply": ""},
		"20261118003": {"No": "20261118003", "Title": "建议延长城乡居民医保缴费期", "Writer": "李**", "Date": "2026-11-18 19:12:45",
			"Body": template.HTML("<p>外出务工人员年底才回乡，建议缴费期延长到次年2月。</p>"), "ReplyDate": "2026-11-25 16:30:00", "Reply": "缴费期由省里统一确定，您的建议已转报。"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
			return
		case r.URL.Path == "/hdjl/szxx/list.html":
			buf.Write(list)
		case r.URL.Path == "/hdjl/szxx/show.jsp" && letters[r.URL.Query().Get("id")] != nil:
			show.Execute(&buf, letters[r.URL.Query().Get("id")])
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
		if err != nil {
			t.Error(err)
		}
		w.Write(gbk)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPresetMailbox: url and board (the list table) crawl a 市长信箱;
// bodies are the letters (not the replies, not the page's share links),
// times the letters' own (not the header's date).
func TestPresetMailbox(t *testing.T) {
	srv := newMailbox(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: szxx
    preset: mailbox
    url: %s/hdjl/szxx/list.html
    board: table.listAll
`, srv.URL))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 3 || stats.Fetched != 3 || stats.ParseErrors != 0 {
		t.Errorf("stats = %+v", stats)
	}
	for _, it := range items {
		if strings.Contains(it.Body, "您好") || strings.Contains(it.Body, "分享") || it.PublishedAt.Month() != time.November {
			t.Errorf("%s: body %q at %v", it.URL, it.Body, it.PublishedAt)
		}
	}
	if m := fieldMatch(t, stats, "detail.author"); m.Matched != 3 {
		t.Errorf("detail.author: %+v", m)
	}
	golden(t, "preset-mailbox", items, strings.TrimPrefix(srv.URL, "http://"))
}

// TestPresetRSSHub: url (the instance) and board (the route) subscribe to
// an RSSHub route; a Chinese keyword in the route is escaped.
func TestPresetRSSHub(t *testing.T) {
	feed, err := os.ReadFile("testdata/rsshub/weibo-user.xml")
	if err != nil {
		t.Fatal(err)
	}
	var paths sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path, true)
		switch r.URL.Path {
		case "/weibo/user/7654321098", "/weibo/keyword/医保":
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Write(feed)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	for _, route := range []string{"weibo/user/7654321098", "/weibo/keyword/医保"} {
		src := presetSource(t, fmt.Sprintf("  - {name: wb, preset: rsshub, url: %q, board: %q}\n", srv.URL+"/", route))
		var items []Item
		_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
		if err != nil {
			t.Fatalf("%s (%s): %v", route, src.URL, err)
		}
		if stats.Found != 2 || len(items) != 2 {
			t.Fatalf("%s: stats = %+v", route, stats)
		}
		if route == "weibo/user/7654321098" {
			golden(t, "preset-rsshub", items, strings.TrimPrefix(srv.URL, "http://"))
		}
	}
	if _, ok := paths.Load("/weibo/keyword/医保"); !ok {
		t.Error("the keyword route was not requested")
	}
}

func TestJSONLayoutChange(t *testing.T) {
	for name, body := range map[string]string{
		"not json":      `<html><body>请输入验证码</body></html>`,
		"items missing": `{"code":0,"data":{"entries":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			src := presetSource(t, fmt.Sprintf("  - {name: j, preset: liuyan, url: %q, json: {link: \"/m/{id}\"}}\n", srv.URL+"/api/messages"))
			c, _ := newTestCrawler(t, Options{})
			_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
			if ErrorKind(err) != ErrorKindLayout {
				t.Fatalf("err = %v (kind %q), want a layout error", err, ErrorKind(err))
			}
		})
	}
}

func TestAtomFeed(t *testing.T) {
	feed, err := os.ReadFile("testdata/atom.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/atom.xml" {
			w.Header().Set("Content-Type", "application/atom+xml")
			w.Header().Set("ETag", `"a1"`)
			if r.Header.Get("If-None-Match") == `"a1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Write(feed)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	src := presetSource(t, fmt.Sprintf("  - {name: news, kind: atom, url: %q}\n", srv.URL+"/atom.xml"))
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	st, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 2 || st.ETag != `"a1"` {
		t.Errorf("stats = %+v, state = %+v", stats, st)
	}
	golden(t, "atom", items, strings.TrimPrefix(srv.URL, "http://"))
	_, stats, err = c.Crawl(t.Context(), src, st, nil, collect(&items))
	if err != nil || !stats.NotModified || len(items) != 2 {
		t.Errorf("second crawl: %+v, %v, %d items", stats, err, len(items))
	}
}

// TestSourcesYAMLExample checks that the worked example in README.md (the
// section 接入新的数据源) loads and validates, so the documentation cannot
// drift from the code.
func TestSourcesYAMLExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := bytes.Cut(readme, []byte("## 接入新的数据源"))
	if !ok {
		t.Skip("README.md has no section 接入新的数据源 yet")
	}
	_, block, ok := bytes.Cut(sec, []byte("```yaml\n"))
	if !ok {
		t.Fatal("no yaml block in the section 接入新的数据源")
	}
	block, _, _ = bytes.Cut(block, []byte("```"))
	var f struct {
		Sources []Source `yaml:"sources"`
	}
	doc, err := yamlfile.Decode("README.md", block, &f)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sources) < 3 {
		t.Fatalf("example has %d sources", len(f.Sources))
	}
	for i := range f.Sources {
		f.Sources[i].ApplyDefaults()
		if err := f.Sources[i].Validate(doc, fmt.Sprintf("sources[%d]", i)); err != nil {
			t.Errorf("README example: %v", err)
		}
	}
}

// TestEmptyListAfterItemsIsLayoutChange: a JSON list or feed that yielded
// items last time and is now empty means the endpoint changed; the first
// crawl of an empty one is not an error.
func TestEmptyListAfterItemsIsLayoutChange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/atom.xml":
			w.Header().Set("Content-Type", "application/atom+xml")
			fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>空</title></feed>`)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"code":0,"data":{"list":[]}}`)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{})
	for _, src := range []Source{
		presetSource(t, fmt.Sprintf("  - {name: j, preset: liuyan, url: %q, json: {link: \"/m/{id}\"}}\n", srv.URL+"/api/messages")),
		presetSource(t, fmt.Sprintf("  - {name: a, kind: atom, url: %q}\n", srv.URL+"/atom.xml")),
	} {
		if _, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item))); err != nil || stats.Found != 0 {
			t.Errorf("%s: first crawl of an empty list: %v, %+v", src.Name, err, stats)
		}
		_, _, err := c.Crawl(t.Context(), src, store.SourceState{LastItems: 12}, nil, collect(new([]Item)))
		if ErrorKind(err) != ErrorKindLayout {
			t.Errorf("%s: empty after 12 items: err = %v, want a layout error", src.Name, err)
		}
	}
}

// TestSourceNotes: without fetching, a source says which fields its preset
// supplies and where a json.link template resolves.
func TestSourceNotes(t *testing.T) {
	for link, want := range map[string]string{
		"detail?id={id}":  "相对于列表接口所在目录解析：编号为 123 的帖子链接为 https://gov.example/lyb/api/detail?id=123；详情页若在网站根目录下，请写成以 / 开头的 /detail?id={id}",
		"/detail?id={id}": "从网站根目录算起：编号为 123 的帖子链接为 https://gov.example/detail?id=123",
	} {
		src := presetSource(t, fmt.Sprintf("  - {name: l, preset: liuyan, url: 'https://gov.example/lyb/api/list?current={page}', json: {link: %q}}\n", link))
		notes := strings.Join(src.Notes(), "\n")
		if !strings.Contains(notes, want) || !strings.Contains(notes, "预设 liuyan 提供的字段：json.author、json.body") {
			t.Errorf("%s: notes\n%s\nwant %q", link, notes, want)
		}
		if strings.Contains(notes, "json.link、") {
			t.Errorf("json.link was set by the operator, not the preset: %s", notes)
		}
	}
}
