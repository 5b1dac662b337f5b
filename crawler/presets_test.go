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

// newLiuyan serves a 留言板: a JSON list paged by ?page= and HTML details.
func newLiuyan(t *testing.T) (*httptest.Server, *sync.Map) {
	t.Helper()
	pages := map[string][]byte{}
	for _, n := range []string{"1", "2"} {
		b, err := os.ReadFile("testdata/liuyan/page" + n + ".json")
		if err != nil {
			t.Fatal(err)
		}
		pages[n] = b
	}
	detail := template.Must(template.ParseFiles("testdata/liuyan/detail.html.tmpl"))
	msgs := map[string]map[string]any{
		"9001": {"Title": "门诊慢特病认定什么时候能办下来？", "Date": "2026-11-21 15:02", "Replies": 1,
			"Body": template.HTML("上个月交的材料，<br>一直显示审核中。我的电话13812345678。"), "Reply": "您好，已转经办科室。"},
		"9002": {"Title": "药店医保卡不能用了", "Date": "2026-11-22 09:10", "Replies": 0,
			"Body": template.HTML("东门药店说系统升级，医保卡刷不了。"), "Reply": ""},
		"9003": {"Title": "建议提高大病保险报销比例", "Date": "2026-11-20 08:53", "Replies": 2,
			"Body": template.HTML("<p>大病保险二次报销比例偏低。</p>"), "Reply": "感谢建议。"},
	}
	hits := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := hits.LoadOrStore(r.URL.RequestURI(), new(int))
		*n.(*int)++
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/api/messages":
			if r.URL.Query().Get("board") != "5" {
				http.Error(w, `{"code":1,"msg":"版块不存在"}`, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			b, ok := pages[r.URL.Query().Get("page")]
			if !ok {
				b = []byte(`{"code":0,"data":{"total":3,"list":[]}}`)
			}
			w.Write(b)
		case "/api/detail.html": // the preset's link is relative to the list endpoint
			m, ok := msgs[r.URL.Query().Get("id")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			detail.Execute(w, m)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func TestPresetLiuyanJSON(t *testing.T) {
	srv, hits := newLiuyan(t)
	src := presetSource(t, fmt.Sprintf(`
  - name: liuyan
    title: 网上留言板
    preset: liuyan
    url: %s/
    board: "5"
    pages: 5
`, srv.URL))
	if want := srv.URL + "/api/messages?board=5&page={page}"; src.URL != want {
		t.Fatalf("preset URL = %q, want %q", src.URL, want)
	}
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	// Page 3 is empty and ends the paging; the row without an id is a parse error.
	if stats.ListPages != 3 || stats.Found != 3 || stats.Fetched != 3 || stats.ParseErrors != 1 {
		t.Errorf("stats = %+v", stats)
	}
	if _, ok := hits.Load("/api/messages?board=5&page=4"); ok {
		t.Error("paging went on after an empty page")
	}
	golden(t, "preset-liuyan", items, strings.TrimPrefix(srv.URL, "http://"))
}

func TestJSONLayoutChange(t *testing.T) {
	for name, body := range map[string]string{
		"not json":      `<html><body>请输入验证码</body></html>`,
		"items missing": `{"code":0,"data":{"rows":[]}}`,
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
			src := presetSource(t, fmt.Sprintf("  - {name: j, preset: liuyan, url: %q, board: \"5\"}\n", srv.URL+"/"))
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
		presetSource(t, fmt.Sprintf("  - {name: j, preset: liuyan, url: %q, board: \"5\"}\n", srv.URL+"/")),
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
