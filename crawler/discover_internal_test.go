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

// A PHPWind 8 board (GBK, generator meta) has no preset: the probe
// recognises it and proposes PHPWind's selectors, which must read its
// threads and the first post only.
func TestDiscoverPHPWind(t *testing.T) {
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
	defer srv.Close()
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
