package crawler

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/yuqing-bureau/yuqing/store"
)

// searxngRobots is the robots.txt SearXNG itself serves: it forbids every
// search URL to every crawler.
const searxngRobots = "User-agent: *\nDisallow: /stats\nDisallow: /image_proxy\nDisallow: /preferences\nDisallow: /*?*q=*\n"

type searchResult struct{ URL, Host, Path, Title, ISO, Date, Snippet string }

// newSearXNG serves a SearXNG instance's news results for two keywords;
// one article is found by both (once with a tracking parameter).
func newSearXNG(t *testing.T, robots string) (*httptest.Server, *sync.Map) {
	t.Helper()
	page := template.Must(template.ParseFiles("testdata/searxng/results.html.tmpl"))
	results := map[string][]searchResult{
		"医保": {
			{URL: "https://news.lanchuan.example/minsheng/2026/12/06/art_1.html", Host: "news.lanchuan.example", Path: "minsheng › 2026 › 12",
				Title: "岚川：2027年度城乡居民医保缴费进入最后一个月", ISO: "2026-11-22T09:30:00", Date: "2026-11-22 09:30:00",
				Snippet: "记者从市医保局获悉，2027年度城乡居民医保集中缴费期将于12月31日结束……"},
			{URL: "https://www.citypaper.example/content/2026-12/05/content_88.htm", Host: "www.citypaper.example", Path: "content › 2026-12",
				Title: "东门药店为何屡屡“系统升级”？参保人刷不了医保卡", ISO: "2026-11-21T18:02:00", Date: "2026-11-21 18:02:00",
				Snippet: "近日，多名市民反映东门一药店以系统升级为由拒绝刷医保卡，市医保局表示将核查。"},
		},
		"异地就医": {
			{URL: "https://www.citypaper.example/content/2026-12/05/content_88.htm?utm_source=searxng", Host: "www.citypaper.example", Path: "content › 2026-12",
				Title: "东门药店为何屡屡“系统升级”？参保人刷不了医保卡", ISO: "2026-11-21T18:02:00", Date: "2026-11-21 18:02:00",
				Snippet: "近日，多名市民反映东门一药店以系统升级为由拒绝刷医保卡。"},
			{URL: "https://gov.lanchuan.example/ybj/zcjd/202612/t20261204_99.html", Host: "gov.lanchuan.example", Path: "ybj › zcjd",
				Title: "异地就医直接结算政策解读", ISO: "2026-11-20T16:00:00", Date: "2026-11-20 16:00:00",
				Snippet: "跨省异地就医直接结算备案后即时生效……"},
		},
	}
	hits := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, robots)
		case "/search":
			q := r.URL.Query().Get("q")
			hits.Store(q, true)
			if r.URL.Query().Get("categories") != "news" {
				http.Error(w, "bad category", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			page.Execute(w, map[string]any{"Q": q, "Results": results[q]})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// TestPresetSearXNG: url and keywords poll a SearXNG instance; results
// are deduplicated by canonical URL across keywords and carry snippet and
// date; the instance's own robots.txt is obeyed.
func TestPresetSearXNG(t *testing.T) {
	const ownRobots = "User-agent: *\nDisallow: /preferences\n"
	srv, hits := newSearXNG(t, ownRobots)
	y := fmt.Sprintf(`
  - name: news-search
    preset: searxng
    url: %s/
    keywords: [医保, 异地就医]
`, srv.URL)
	src := presetSource(t, y)
	if want := srv.URL + "/search?q={keyword}&categories=news&language=zh-CN&time_range=week"; src.URL != want {
		t.Fatalf("preset URL = %q, want %q", src.URL, want)
	}
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	if err != nil {
		t.Fatal(err)
	}
	if stats.ListPages != 2 || stats.Found != 3 || stats.Emitted != 3 || stats.ParseErrors != 0 {
		t.Errorf("stats = %+v", stats)
	}
	for _, kw := range []string{"医保", "异地就医"} {
		if _, ok := hits.Load(kw); !ok {
			t.Errorf("keyword %q not searched", kw)
		}
	}
	for _, f := range []string{"list.title", "list.time", "list.body", "list.link"} {
		if m := fieldMatch(t, stats, f); m.Matched != 4 {
			t.Errorf("%s: %+v", f, m)
		}
	}
	golden(t, "preset-searxng", items, strings.TrimPrefix(srv.URL, "http://"))

	// SearXNG's own robots.txt forbids search URLs: the crawl is refused.
	blocked, _ := newSearXNG(t, searxngRobots)
	src = presetSource(t, strings.ReplaceAll(y, srv.URL, blocked.URL))
	_, _, err = c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
	if ErrorKind(err) != ErrorKindRobots {
		t.Errorf("err = %v, want robots.txt to forbid it", err)
	}
}

func TestSearchSourceValidation(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"no placeholder": {"  - {name: s, kind: search, url: 'https://so.example.cn/s?q=医保', keywords: [医保], list: {item: li}}\n", "{keyword}"},
		"no keywords":    {"  - {name: s, kind: search, url: 'https://so.example.cn/s?q={keyword}', list: {item: li}}\n", "keywords"},
		"detail":         {"  - {name: s, kind: search, url: 'https://so.example.cn/s?q={keyword}', keywords: [医保], list: {item: li}, detail: {body: div}}\n", "不抓详情页"},
		"html keywords":  {"  - {name: s, kind: html, url: 'https://so.example.cn/', keywords: [医保], list: {item: li}}\n", "只有 search"},
		"rsshub query":   {"  - {name: s, preset: rsshub, url: 'https://rsshub.example.cn/', board: 'weibo/user/1?x=1'}\n", "RSSHub 路由"},
	} {
		t.Run(name, func(t *testing.T) {
			srcs, doc := decodeSources(t, "sources:\n"+tc.yaml)
			s := srcs[0]
			s.ApplyDefaults()
			err := s.Validate(doc, "sources[0]")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
