package crawler

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yuqing-bureau/yuqing/store"
)

func discoverOpts() DiscoverOptions {
	return DiscoverOptions{Options: Options{Now: fixedNow, Timeout: 5 * time.Second, UserAgent: "yuqing-test/1.0 (+mailto:ops@example.gov.cn)"}, Delay: time.Millisecond}
}

// A probe is polite: robots.txt read first and obeyed, the configured
// User-Agent sent, and every page fetched once (the trial crawl of the
// proposal reads them from memory).
func TestDiscoverFetchesEachPageOnce(t *testing.T) {
	f := newForum(t)
	var agents []string
	f.onDetail = func(_ http.ResponseWriter, r *http.Request, _ int) {
		f.mu.Lock()
		agents = append(agents, r.UserAgent())
		f.mu.Unlock()
	}
	d, err := Discover(t.Context(), f.srv.URL+"/forum.php?mod=forumdisplay&fid=2", discoverOpts())
	if err != nil {
		t.Fatal(err)
	}
	if d.Trial == nil || d.Trial.Body == "" {
		t.Fatalf("trial item: %+v (%v)", d.Trial, d.TrialErr)
	}
	if n := f.hit("/robots.txt"); n != 1 {
		t.Errorf("robots.txt read %d times", n)
	}
	if n := f.hit("/forum.php?mod=forumdisplay&fid=2"); n != 1 {
		t.Errorf("list page fetched %d times, want once", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(agents) != 1 || agents[0] != "yuqing-test/1.0 (+mailto:ops@example.gov.cn)" {
		t.Errorf("detail pages fetched with agents %q, want one fetch with the configured agent", agents)
	}
	if f.hits["total"] != 3 {
		t.Errorf("%d requests in all, want robots.txt, list and one detail page: %v", f.hits["total"], f.hits)
	}
}

func TestDiscoverObeysRobots(t *testing.T) {
	f := newForum(t)
	f.robots = "User-agent: *\nDisallow: /forum.php\n"
	_, err := Discover(t.Context(), f.srv.URL+"/forum.php?mod=forumdisplay&fid=2", discoverOpts())
	if !errors.Is(err, ErrBlockedByRobots) {
		t.Fatalf("err = %v, want ErrBlockedByRobots", err)
	}
	if n := f.hit("/forum.php?mod=forumdisplay&fid=2"); n != 0 {
		t.Errorf("list fetched %d times despite robots.txt", n)
	}
}

// A GBK board that declares no charset anywhere gets encoding: gb18030 in
// its proposal (auto would refuse it), and the proposal still crawls.
func TestDiscoverUndeclaredGBK(t *testing.T) {
	f := newForum(t)
	for _, name := range []string{"list", "view"} {
		tm := f.list
		if name == "view" {
			tm = f.view
		}
		src := tm.Tree.Root.String()
		src = strings.Replace(src, `<meta http-equiv="Content-Type" content="text/html; charset=gbk" />`, "", 1)
		nt, err := tm.New(name).Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if name == "list" {
			f.list = nt
		} else {
			f.view = nt
		}
	}
	d, err := Discover(t.Context(), f.srv.URL+"/forum.php?mod=forumdisplay&fid=2", discoverOpts())
	if err != nil {
		t.Fatal(err)
	}
	if d.Source.Encoding != EncodingGB18030 || !strings.Contains(d.YAML, "encoding: gb18030") || !strings.Contains(d.Encoding, "GBK") {
		t.Errorf("encoding %q, source %q, yaml:\n%s", d.Encoding, d.Source.Encoding, d.YAML)
	}
	if d.Trial == nil || d.Trial.Body == "" || d.TrialErr != nil {
		t.Errorf("trial: %+v, %v", d.Trial, d.TrialErr)
	}
}

func TestDiscoverRefusesNonHTTP(t *testing.T) {
	for _, u := range []string{"ftp://example.cn/", "example.cn/forum", ""} {
		if _, err := Discover(t.Context(), u, discoverOpts()); err == nil || !strings.Contains(err.Error(), "http(s)://") {
			t.Errorf("%q: err = %v", u, err)
		}
	}
}

func TestSourceYAMLQuotes(t *testing.T) {
	y := SourceYAML(Source{Name: "bbs", Title: "yes", URL: "http://x.cn/a?b=1&c={page}", Board: "2",
		List: ListSelectors{Item: `ul li:has(a[href])`, Next: `a:contains("下一页")`}})
	for _, want := range []string{"  - name: bbs\n", `    title: "yes"`, `    url: "http://x.cn/a?b=1&c={page}"`, `    board: "2"`,
		`      item: "ul li:has(a[href])"`, `      next: "a:contains(\"下一页\")"`} {
		if !strings.Contains(y, want) {
			t.Errorf("yaml lacks %q:\n%s", want, y)
		}
	}
}

// newPHPWind serves a PHPWind 8.7 board in GBK (generator meta): a thread
// list and thread pages whose first post is the thread's, and the posts
// the pages show.
func newPHPWind(t *testing.T) (*httptest.Server, map[string]map[string]any) {
	t.Helper()
	list, err := os.ReadFile("testdata/phpwind/thread.html")
	if err != nil {
		t.Fatal(err)
	}
	read := template.Must(template.ParseFiles("testdata/phpwind/read.html.tmpl"))
	posts := map[string]map[string]any{
		"301": {"Title": "职工医保个人账户的钱能给家人用吗", "Author": "老王", "Date": "2026-11-20 09:12", "Body": template.HTML("听说可以家庭共济，<br />具体怎么绑定？")},
		"302": {"Title": "住院押金退不回来，医院说要等医保结算", "Author": "心急如焚", "Date": "2026-11-21 17:30", "Body": template.HTML("出院一周了押金还没退。")},
		"303": {"Title": "灵活就业人员医保断缴了怎么补", "Author": "自由职业", "Date": "2026-11-22 20:00", "Body": template.HTML("断了三个月，能补缴吗？")},
	}
	gbk := func(w http.ResponseWriter, b []byte) {
		out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(out)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /admin.php\n")
		case r.URL.Path == "/thread.php" && r.URL.Query().Get("fid") == "5":
			gbk(w, list)
		case r.URL.Path == "/read.php" && posts[r.URL.Query().Get("tid")] != nil:
			var b bytes.Buffer
			read.Execute(&b, posts[r.URL.Query().Get("tid")])
			gbk(w, b.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, posts
}

// A PHPWind 8 board (GBK, generator meta) has no preset: the probe
// recognises it and proposes PHPWind's selectors, which must read its
// threads and the first post only.
func TestDiscoverPHPWind(t *testing.T) {
	srv, posts := newPHPWind(t)
	d, err := Discover(t.Context(), srv.URL+"/thread.php?fid=5", discoverOpts())
	if err != nil {
		t.Fatal(err)
	}
	if d.Software != "PHPWind 8.7" || d.Method != "selectors" || d.PageSize != 3 {
		t.Errorf("software %q, method %q, page size %d", d.Software, d.Method, d.PageSize)
	}
	t.Logf("%s", d.YAML)
	src := presetSource(t, d.YAML)
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items)); err != nil {
		t.Fatalf("%v\n%s", err, d.YAML)
	}
	if len(items) != 3 {
		t.Fatalf("%d items\n%s", len(items), d.YAML)
	}
	for _, it := range items {
		tid := it.URL[strings.LastIndex(it.URL, "=")+1:]
		p := posts[tid]
		wantTime, _ := ParseTime(p["Date"].(string), "", testNow)
		if it.Title != p["Title"] || it.Body != HTMLToText(string(p["Body"].(template.HTML))) || !it.PublishedAt.Equal(wantTime) {
			t.Errorf("%s: %q %q %v", it.URL, it.Title, it.Body, it.PublishedAt)
		}
		if it.Replies == 0 && tid != "303" {
			t.Errorf("%s: replies not read", it.URL)
		}
	}
}

// A JSON list in the MyBatis-Plus page shape no preset knows: the probe
// finds data.records, names the fields, follows the link field to a detail
// page and infers its body; the proposal crawls every letter whole.
func TestDiscoverInfersJSONList(t *testing.T) {
	letters := map[string][2]string{
		"1790000000000000001": {"门诊慢特病认定什么时候能办下来", "上个月交的材料，一直显示审核中，请尽快办理。"},
		"1790000000000000002": {"药店医保卡刷不了", "东门药店说系统升级，医保卡刷不了，已经三天了。"},
		"1790000000000000003": {"建议提高大病保险报销比例", "大病保险二次报销比例偏低，建议参照周边城市提高。"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/lyb/api/letter/page":
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			fmt.Fprint(w, `{"code":200,"msg":"操作成功","data":{"records":[`)
			n := 0
			for _, id := range []string{"1790000000000000001", "1790000000000000002", "1790000000000000003"} {
				if n > 0 {
					fmt.Fprint(w, ",")
				}
				n++
				fmt.Fprintf(w, `{"id":"%s","letterTitle":"%s","createTime":"2026-11-2%d 15:02:11","replyStatus":1,"viewCount":%d,"detailUrl":"/lyb/letter/%s.html"}`,
					id, letters[id][0], n, n*10, id)
			}
			fmt.Fprint(w, `],"total":3,"size":10,"current":1,"pages":1}}`)
		case strings.HasPrefix(r.URL.Path, "/lyb/letter/"):
			l, ok := letters[strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/lyb/letter/"), ".html")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<html><body><div class="top-nav"><a href="/">首页</a> 今天是2026年11月23日</div><div class="letter"><h2>%s</h2>`+
				`<div class="letter-info">来信时间：<span class="letter-time">2026-11-20 09:00</span></div><div class="letter-content">%s</div>`+
				`<div class="letter-reply"><b>答复：</b>已转办。</div></div></body></html>`, l[0], l[1])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	d, err := Discover(t.Context(), srv.URL+"/lyb/api/letter/page?current=1&size=10", discoverOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%q\n%s", d.Notes, d.YAML)
	if d.Method != "selectors" || d.Source.JSON.Items != "data.records" || d.Source.JSON.Title != "letterTitle" ||
		d.Source.JSON.Link != "detailUrl" || d.Source.JSON.Time != "createTime" || d.Source.JSON.Views != "viewCount" ||
		d.Source.JSON.Replies != "" { // replyStatus is a flag, not a count
		t.Errorf("proposal %+v", d.Source.JSON)
	}
	if !strings.Contains(d.Source.URL, "current={page}") {
		t.Errorf("page number not templated: %s", d.Source.URL)
	}
	src := presetSource(t, d.YAML)
	c, _ := newTestCrawler(t, Options{})
	var items []Item
	if _, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items)); err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("%d items", len(items))
	}
	for _, it := range items {
		id := strings.TrimSuffix(it.URL[strings.LastIndex(it.URL, "/")+1:], ".html")
		if it.Title != letters[id][0] || it.Body != letters[id][1] {
			t.Errorf("%s: %q / %q", it.URL, it.Title, it.Body)
		}
	}
}

// An RSSHub feed's address splits into the instance (perhaps under a
// path) and the route the preset rebuilds it from; an address with a
// query, or a feed RSSHub did not render, does not.
func TestRSSHubRoute(t *testing.T) {
	hub := &gofeed.Feed{Generator: "RSSHub", FeedLink: "http://rsshub.example:1200/weibo/keyword/%E5%8C%BB%E4%BF%9D"}
	for _, tc := range []struct {
		feed           *gofeed.Feed
		url            string
		instance, want string
	}{
		{hub, "http://rsshub.example:1200/weibo/keyword/%E5%8C%BB%E4%BF%9D", "http://rsshub.example:1200/", "weibo/keyword/医保"},
		{hub, "https://hub.bureau.example/rsshub/weibo/keyword/%E5%8C%BB%E4%BF%9D", "https://hub.bureau.example/rsshub/", "weibo/keyword/医保"},
		{&gofeed.Feed{Description: "岚川医保 - Powered by RSSHub"}, "http://h.example/zhihu/people/activities/abc", "http://h.example/", "zhihu/people/activities/abc"},
		{hub, "http://rsshub.example:1200/weibo/keyword/%E5%8C%BB%E4%BF%9D?limit=10", "", ""},
		{&gofeed.Feed{Generator: "WordPress"}, "http://h.example/feed/", "", ""},
	} {
		inst, route, ok := rsshubRoute(tc.feed, tc.url)
		if inst != tc.instance || route != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %q %v, want %q %q", tc.url, inst, route, ok, tc.instance, tc.want)
		}
	}
}
