package crawler

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// Helpers for the external tests of this package (discover_test.go), which
// load sources through the config package and so cannot live inside it.

// FixedNow is the tests' clock.
var FixedNow = fixedNow

// FixtureSite serves one of the fixture sites of testdata/ on loopback. It
// returns the address an operator would probe and a hand-written source
// that reads the site correctly, as the reference for what a proposal must
// extract.
func FixtureSite(t *testing.T, name string) (probeURL string, reference Source) {
	t.Helper()
	switch name {
	case "discuz", "discuz-x2":
		f := newForum(t)
		preset := PresetDiscuzX3
		if name == "discuz-x2" {
			f.list = template.Must(template.ParseFiles("testdata/discuz/x2-forumdisplay.html.tmpl"))
			f.view = template.Must(template.ParseFiles("testdata/discuz/x2-viewthread.html.tmpl"))
			preset = PresetDiscuzX2
		}
		return f.srv.URL + "/forum.php?mod=forumdisplay&fid=2",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: %s, url: %q, board: \"2\"}\n", preset, f.srv.URL+"/"))
	case "board":
		srv, _ := newBoard(t)
		return srv.URL + "/list", boardSource(srv)
	case "gov":
		srv := newGov(t)
		return srv.URL + "/tzgg/2026/11/",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: generic-list, board: div.list-box, url: %q}\n", srv.URL+"/tzgg/2026/11/"))
	case "liuyan":
		srv, _ := newLiuyan(t)
		return srv.URL + "/lyb/api/letter/list?current=1&size=3",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: liuyan, url: %q, json: {link: \"/lyb/letter.html?id={id}\"}}\n",
				srv.URL+"/lyb/api/letter/list?current={page}&size=3"))
	case "feed", "atom", "feed-alternate":
		file, kind, ct := "testdata/feed.xml", KindRSS, "application/rss+xml"
		if name == "atom" {
			file, kind, ct = "testdata/atom.xml", KindAtom, "application/atom+xml"
		}
		feed, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/feed.xml":
				w.Header().Set("Content-Type", ct)
				w.Write(feed)
			case "/news/":
				// A news index announcing its feed (autodiscovery).
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, `<!doctype html><html><head><meta charset="utf-8"><title>新闻发布 - 某市医保局</title>`+
					`<link rel="alternate" type="application/rss+xml" title="新闻发布" href="/feed.xml"></head>`+
					`<body><ul class="nav"><li><a href="/">首页</a></li><li><a href="/news/">新闻</a></li></ul></body></html>`)
			default:
				http.NotFound(w, r)
			}
		}))
		t.Cleanup(srv.Close)
		ref := Source{Name: "ref", Kind: kind, URL: srv.URL + "/feed.xml", Delay: time.Millisecond}
		ref.ApplyDefaults()
		if name == "feed-alternate" {
			return srv.URL + "/news/", ref
		}
		return srv.URL + "/feed.xml", ref
	case "mailbox":
		srv := newMailbox(t)
		return srv.URL + "/hdjl/szxx/list.html",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: mailbox, board: table.listAll, url: %q}\n", srv.URL+"/hdjl/szxx/list.html"))
	case "rsshub":
		feed, err := os.ReadFile("testdata/rsshub/weibo-user.xml")
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/weibo/user/7654321098" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Write(feed)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/weibo/user/7654321098",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: rsshub, url: %q, board: weibo/user/7654321098}\n", srv.URL+"/"))
	case "summary-feed":
		// A GB2312 feed of summaries whose articles the crawl fetches by
		// default (no detail setting).
		site := newNewsSite(t)
		return site.srv.URL + "/rss/ybxw.xml",
			presetSource(t, fmt.Sprintf("  - {name: ref, kind: rss, url: %q}\n", site.srv.URL+"/rss/ybxw.xml"))
	case "letter-json":
		// A MyBatis-Plus page of letters without their text, the letters
		// HTML pages read with detail: auto.
		site := newNewsSite(t)
		return site.srv.URL + "/api/letter/page?current=1&size=10",
			presetSource(t, fmt.Sprintf("  - {name: ref, kind: json, url: %q, json: {items: data.records, link: \"/letter/detail.html?id={id}\", title: title, time: createTime}, detail: auto}\n",
				site.srv.URL+"/api/letter/page?current={page}&size=10"))
	case "wenzheng":
		srv := newWenzheng(t)
		return srv.URL + "/wlwz/",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: generic-list, board: div.list-box, url: %q}\n", srv.URL+"/wlwz/"))
	case "searxng":
		srv, _ := newSearXNG(t, "User-agent: *\nDisallow: /preferences\n")
		return srv.URL + "/search?q=" + url.QueryEscape("医保") + "&categories=news",
			presetSource(t, fmt.Sprintf("  - {name: ref, preset: searxng, url: %q, keywords: [医保]}\n", srv.URL+"/"))
	case "phpwind":
		// No preset: selectors written by hand for PHPWind 8's markup.
		srv, _ := newPHPWind(t)
		ref := Source{Name: "ref", URL: srv.URL + "/thread.php?fid=5", Delay: time.Millisecond,
			List: ListSelectors{Item: "table#ajaxtable tr.tr3", Link: "a.subject_t", Author: "td.author a.bl",
				Time: "td.author p", Replies: "td.num em"},
			Detail: DetailSelectors{Body: "#read_tpc", Time: "div.tipTop span[title]", Author: "div.readName a"}}
		ref.ApplyDefaults()
		return srv.URL + "/thread.php?fid=5", ref
	}
	t.Fatalf("no fixture site %q", name)
	return "", Source{}
}

// CrawlOnce crawls src once with a test crawler, without a store.
func CrawlOnce(t *testing.T, src Source) ([]Item, Stats, error) {
	t.Helper()
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	_, stats, err := c.Crawl(t.Context(), src, store.SourceState{Name: src.Name}, nil, collect(&items))
	return items, stats, err
}
