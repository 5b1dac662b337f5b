package demo

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"
	"github.com/temoto/robotstxt"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gopkg.in/yaml.v3"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testStart is a fixed demo start so pages and golden files are reproducible.
var testStart = time.Date(2026, 11, 23, 9, 30, 0, 0, cst)

// clock is a settable clock shared with the server goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = testStart.Add(d)
}

type fixture struct {
	forum *Forum
	clock *clock
	srv   *httptest.Server
	cfg   sourcesDoc
}

func newFixture(t *testing.T, at time.Duration) *fixture {
	t.Helper()
	c := &clock{}
	c.Set(at)
	f := NewForum(c.Now, testStart)
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	return &fixture{forum: f, clock: c, srv: srv, cfg: decodeSources(t, SourcesYAML(srv.URL))}
}

// sourcesDoc mirrors the sources.yaml schema the crawler reads.
type sourcesDoc struct {
	Sources []sourceCfg `yaml:"sources"`
}

type sourceCfg struct {
	Name     string    `yaml:"name"`
	Title    string    `yaml:"title"`
	Kind     string    `yaml:"kind"`
	URL      string    `yaml:"url"`
	Interval string    `yaml:"interval"`
	Delay    string    `yaml:"delay"`
	Encoding string    `yaml:"encoding"`
	Weight   float64   `yaml:"weight"`
	Channel  string    `yaml:"channel"`
	Pages    int       `yaml:"pages"`
	MaxItems int       `yaml:"max_items"`
	List     listCfg   `yaml:"list"`
	Detail   detailCfg `yaml:"detail"`
}

type listCfg struct {
	Item    string `yaml:"item"`
	Link    string `yaml:"link"`
	Title   string `yaml:"title"`
	Time    string `yaml:"time"`
	Replies string `yaml:"replies"`
	Views   string `yaml:"views"`
	Author  string `yaml:"author"`
	Next    string `yaml:"next"`
}

type detailCfg struct {
	Title  string `yaml:"title"`
	Body   string `yaml:"body"`
	Time   string `yaml:"time"`
	Author string `yaml:"author"`
}

func decodeSources(t *testing.T, data []byte) sourcesDoc {
	t.Helper()
	var doc sourcesDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("SourcesYAML is not valid for the schema: %v", err)
	}
	return doc
}

func (fx *fixture) source(t *testing.T, name string) sourceCfg {
	t.Helper()
	for _, s := range fx.cfg.Sources {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("source %q not in SourcesYAML", name)
	return sourceCfg{}
}

func get(t *testing.T, u string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp
}

// fetchDoc gets a page, decodes it as the source's encoding says and parses it.
func fetchDoc(t *testing.T, u, encoding string) (*goquery.Document, []byte) {
	t.Helper()
	resp := get(t, u)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	body := raw
	if encoding == "auto" && bytes.Contains(raw, []byte(`<meta charset="gbk">`)) {
		encoding = "gb18030" // what the crawler's auto detection reads from <meta>
	}
	if encoding == "gb18030" {
		if body, err = simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err != nil {
			t.Fatalf("GET %s: not GB18030: %v", u, err)
		}
	}
	if !utf8.Valid(body) {
		t.Fatalf("GET %s: decoded page is not valid UTF-8", u)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc, body
}

type listed struct {
	URL, Title, Time, Author string
	Replies, Views           int
}

var digits = regexp.MustCompile(`^\d+$`)

// crawlList walks a source's list pages with its own selectors, the way the
// crawler does, and returns the items found.
func crawlList(t *testing.T, s sourceCfg) []listed {
	t.Helper()
	var out []listed
	pageURL := s.URL
	for range s.Pages {
		doc, _ := fetchDoc(t, pageURL, s.Encoding)
		base, _ := url.Parse(pageURL)
		doc.Find(s.List.Item).Each(func(_ int, row *goquery.Selection) {
			href, ok := row.Find(s.List.Link).Attr("href")
			if !ok {
				t.Errorf("%s: row without link: %s", s.Name, strings.TrimSpace(row.Text()))
				return
			}
			ref, err := base.Parse(href)
			if err != nil {
				t.Errorf("%s: bad link %q: %v", s.Name, href, err)
				return
			}
			it := listed{URL: ref.String(), Title: strings.TrimSpace(row.Find(s.List.Title).Text())}
			if s.List.Time != "" {
				it.Time = strings.TrimSpace(row.Find(s.List.Time).Text())
			}
			if s.List.Author != "" {
				it.Author = strings.TrimSpace(row.Find(s.List.Author).Text())
			}
			for sel, dst := range map[string]*int{s.List.Replies: &it.Replies, s.List.Views: &it.Views} {
				if sel == "" {
					continue
				}
				txt := strings.TrimSpace(row.Find(sel).Text())
				if !digits.MatchString(txt) {
					t.Errorf("%s: %q gives %q, want a number", s.Name, sel, txt)
				}
				*dst, _ = strconv.Atoi(txt)
			}
			out = append(out, it)
		})
		if s.List.Next == "" {
			break
		}
		next, ok := doc.Find(s.List.Next).Attr("href")
		if !ok {
			break
		}
		ref, err := base.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		pageURL = ref.String()
	}
	return out
}

func boardOf(name string) string {
	for _, b := range []string{boardBBS2, boardBBS41, boardGov, boardNews} {
		if sourceName(b) == name {
			return b
		}
	}
	return ""
}

// expected returns the non-sticky posts of a source visible at d, by title.
func (fx *fixture) expected(name string, d time.Duration) map[string]*post {
	m := map[string]*post{}
	for _, p := range fx.forum.visiblePosts(boardOf(name), testStart.Add(d)) {
		if !p.Sticky {
			m[p.Title] = p
		}
	}
	return m
}

func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func TestSourcesYAML(t *testing.T) {
	const base = "http://127.0.0.1:38211"
	data := SourcesYAML(base + "/")
	doc := decodeSources(t, data)
	name := regexp.MustCompile(`^[a-z0-9_-]+$`)
	seen := map[string]bool{}
	kinds := map[string]int{}
	for i, s := range doc.Sources {
		if !name.MatchString(s.Name) || seen[s.Name] {
			t.Errorf("sources[%d].name %q: invalid or duplicate", i, s.Name)
		}
		seen[s.Name] = true
		kinds[s.Kind]++
		if !strings.HasPrefix(s.URL, base+"/") || strings.HasPrefix(s.URL, base+"//") {
			t.Errorf("%s: url %q not under %s", s.Name, s.URL, base)
		}
		for field, v := range map[string]string{"interval": s.Interval, "delay": s.Delay} {
			if _, err := time.ParseDuration(v); err != nil {
				t.Errorf("%s.%s: %v", s.Name, field, err)
			}
		}
		switch s.Encoding {
		case "auto", "utf-8", "gb18030":
		default:
			t.Errorf("%s: encoding %q", s.Name, s.Encoding)
		}
		if s.Title == "" || s.Weight <= 0 || s.MaxItems <= 0 {
			t.Errorf("%s: title, weight and max_items are required: %+v", s.Name, s)
		}
		switch s.Kind {
		case "html":
			if s.List.Item == "" || s.List.Link == "" || s.Detail.Body == "" || s.Pages < 1 {
				t.Errorf("%s: html source needs list.item, list.link, detail.body and pages", s.Name)
			}
		case "rss":
			if s.List != (listCfg{}) || s.Detail != (detailCfg{}) {
				t.Errorf("%s: rss source has selectors", s.Name)
			}
		default:
			t.Errorf("%s: kind %q", s.Name, s.Kind)
		}
	}
	if kinds["html"] != 3 || kinds["rss"] != 1 {
		t.Errorf("kinds = %v, want 3 html and 1 rss", kinds)
	}
	for _, e := range NewForum(time.Now, testStart).Catalog() {
		if !seen[e.Source] {
			t.Errorf("catalog entry %q names unknown source %q", e.Title, e.Source)
		}
	}
	golden(t, "sources.golden.yaml", data)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file %s (run go test -update if intended)", name, path)
	}
}

func TestDiscuzListIsGBKWithMetaCharsetOnly(t *testing.T) {
	fx := newFixture(t, 10*time.Minute)
	s := fx.source(t, "lanchuan-bbs")
	resp := get(t, s.URL)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type = %q, want text/html without charset", ct)
	}
	if utf8.Valid(raw) {
		t.Error("page is valid UTF-8; want GBK bytes")
	}
	if !bytes.Contains(raw, []byte(`<meta charset="gbk">`)) {
		t.Error(`page lacks <meta charset="gbk">`)
	}
	page, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := doc.Find(`meta[name=generator]`).Attr("content"); g != "Discuz! X3.4" {
		t.Errorf("generator = %q", g)
	}
	if doc.Find("tbody[id^=stickthread]").Length() != 1 {
		t.Error("want one sticky announcement on page 1")
	}
	rows := doc.Find(s.List.Item)
	if rows.Length() != threadsPerPage {
		t.Errorf("page 1 has %d thread rows, want %d", rows.Length(), threadsPerPage)
	}
	// Rows are newest first and show Discuz's "2006-01-02 15:04" times.
	var prev time.Time
	rows.Each(func(i int, row *goquery.Selection) {
		ts := strings.TrimSpace(row.Find(s.List.Time).Text())
		at, err := time.ParseInLocation(listTime, ts, cst)
		if err != nil {
			t.Errorf("row %d: time %q: %v", i, ts, err)
		}
		if i > 0 && at.After(prev) {
			t.Errorf("row %d (%s) is newer than the row above", i, ts)
		}
		prev = at
		if id, _ := row.Attr("id"); !strings.HasPrefix(id, "normalthread_") {
			t.Errorf("row id %q", id)
		}
	})
	var want []string
	for _, p := range fx.forum.visiblePosts(boardBBS2, fx.clock.Now()) {
		if !p.Sticky && len(want) < threadsPerPage {
			want = append(want, p.Title)
		}
	}
	rows.Each(func(i int, row *goquery.Selection) {
		if got := row.Find(s.List.Title).Text(); i >= len(want) || got != want[i] {
			t.Errorf("row %d title %q, want %q", i, got, want[min(i, len(want)-1)])
		}
	})
	if href, _ := doc.Find(s.List.Next).Attr("href"); href != "forum.php?mod=forumdisplay&fid=2&page=2" {
		t.Errorf("next link = %q", href)
	}
	golden(t, "forumdisplay-fid2.html", page)
}

// TestSelectorsExtractEveryPost crawls each html source with exactly the
// selectors of SourcesYAML and checks every visible post comes out whole.
func TestSelectorsExtractEveryPost(t *testing.T) {
	for _, at := range []time.Duration{0, 10 * time.Minute} {
		fx := newFixture(t, at)
		for _, s := range fx.cfg.Sources {
			if s.Kind != "html" {
				continue
			}
			want := fx.expected(s.Name, at)
			items := crawlList(t, s)
			if len(items) != len(want) || len(items) == 0 {
				t.Errorf("%s at +%v: %d items listed, want %d", s.Name, at, len(items), len(want))
			}
			for _, it := range items {
				p := want[it.Title]
				if p == nil {
					t.Errorf("%s: unexpected list title %q", s.Name, it.Title)
					continue
				}
				delete(want, it.Title)
				if it.Time == "" || (s.List.Author != "" && it.Author != p.Author) {
					t.Errorf("%s %q: list time %q author %q (want %q)", s.Name, it.Title, it.Time, it.Author, p.Author)
				}
				if s.List.Replies != "" && it.Replies != p.replies(testStart.Add(at)) {
					t.Errorf("%s %q: replies %d", s.Name, it.Title, it.Replies)
				}
				doc, _ := fetchDoc(t, it.URL, s.Encoding)
				title := strings.TrimSpace(doc.Find(s.Detail.Title).Text())
				body := doc.Find(s.Detail.Body)
				if title != p.Title {
					t.Errorf("%s: detail title %q, want %q", it.URL, title, p.Title)
				}
				if body.Length() != 1 || squash(body.Text()) != squash(p.Body) {
					t.Errorf("%s: %d body matches, text %q\nwant %q", it.URL, body.Length(), squash(body.Text()), squash(p.Body))
				}
				ts := strings.TrimSpace(doc.Find(s.Detail.Time).Text())
				got, err := time.ParseInLocation("2006-01-02 15:04", ts[:min(len(ts), 16)], cst)
				if err != nil || !got.Equal(p.postedAt.Truncate(time.Minute)) {
					t.Errorf("%s: detail time %q, want %v", it.URL, ts, p.postedAt.In(cst))
				}
				if a := strings.TrimSpace(doc.Find(s.Detail.Author).Text()); a != p.Author {
					t.Errorf("%s: detail author %q, want %q", it.URL, a, p.Author)
				}
			}
			for title := range want {
				t.Errorf("%s at +%v: %q visible but not found by the crawl", s.Name, at, title)
			}
		}
	}
}

func TestTimeReleaseFillsTheBoards(t *testing.T) {
	fx := newFixture(t, 0)
	total := len(fx.forum.Catalog())
	count := func() int {
		n := 0
		for _, s := range fx.cfg.Sources {
			if s.Kind == "html" {
				n += len(crawlList(t, s))
			} else {
				feed, err := gofeed.NewParser().ParseURL(s.URL)
				if err != nil {
					t.Fatal(err)
				}
				n += len(feed.Items)
			}
		}
		return n
	}
	steps := []time.Duration{0, 15 * time.Second, 45 * time.Second, 90 * time.Second, 2 * time.Minute, 3 * time.Minute}
	var counts []int
	for _, d := range steps {
		fx.clock.Set(d)
		counts = append(counts, count())
	}
	t.Logf("visible posts at %v: %v of %d", steps, counts, total)
	if counts[0] < total*2/5 || counts[0] > total*3/5 {
		t.Errorf("%d of %d visible at start, want about half", counts[0], total)
	}
	for i := 1; i < len(counts); i++ {
		if counts[i] <= counts[i-1] {
			t.Errorf("no new posts between +%v and +%v (%d → %d)", steps[i-1], steps[i], counts[i-1], counts[i])
		}
	}
	if counts[len(counts)-1] != total {
		t.Errorf("at +3m %d visible, want all %d", counts[len(counts)-1], total)
	}
}

func TestHotThreadGainsReplies(t *testing.T) {
	fx := newFixture(t, 0)
	s := fx.source(t, "lanchuan-bbs")
	const title = "全市医保都刷不了了？！市一院门诊大厅挤满了人"
	replies := func(d time.Duration) (int, int, bool) {
		fx.clock.Set(d)
		for _, it := range crawlList(t, s) {
			if it.Title == title {
				return it.Replies, it.Views, true
			}
		}
		return 0, 0, false
	}
	if _, _, ok := replies(0); ok {
		t.Fatal("hot thread visible at start; it should break during the demo")
	}
	r1, v1, ok1 := replies(time.Minute)
	r2, v2, ok2 := replies(4 * time.Minute)
	r3, _, _ := replies(48 * time.Hour)
	if !ok1 || !ok2 || r2 <= r1 || v2 <= v1 {
		t.Errorf("replies/views %d/%d at +1m, %d/%d at +4m: want growth", r1, v1, r2, v2)
	}
	if r3 >= 1000 {
		t.Errorf("replies reach %d; keep below 1000 so engagement does not raise the level", r3)
	}
}

func TestUnreleasedPostsAreNotServed(t *testing.T) {
	fx := newFixture(t, 0)
	for _, e := range fx.forum.Catalog() {
		resp := get(t, fx.srv.URL+e.Path)
		resp.Body.Close()
		want := http.StatusOK
		if e.Visible > 0 {
			want = http.StatusNotFound
		}
		if resp.StatusCode != want {
			t.Errorf("%s (%s, visible at +%v): status %d at start, want %d", e.Path, e.Title, e.Visible, resp.StatusCode, want)
		}
	}
}

func TestMessageBoardReplyAppearsLater(t *testing.T) {
	fx := newFixture(t, 2*time.Minute)
	s := fx.source(t, "lanchuan-12345")
	const title = "失能老人申请长期护理保险需要什么条件"
	status := func(d time.Duration) string {
		fx.clock.Set(d)
		doc, _ := fetchDoc(t, s.URL, s.Encoding)
		var st string
		doc.Find(s.List.Item).Each(func(_ int, row *goquery.Selection) {
			if strings.TrimSpace(row.Find(s.List.Title).Text()) == title {
				st = strings.TrimSpace(row.Find("td.ly-status").Text())
			}
		})
		return st
	}
	if a, b := status(2*time.Minute), status(3*time.Minute); a != "未回复" || b != "已回复" {
		t.Errorf("status %q at +2m, %q at +3m; want 未回复 then 已回复", a, b)
	}
}

func TestRSSFeed(t *testing.T) {
	fx := newFixture(t, 0)
	s := fx.source(t, "lanchuan-news")
	parse := func() (*gofeed.Feed, string) {
		resp := get(t, s.URL)
		defer resp.Body.Close()
		feed, err := gofeed.NewParser().Parse(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return feed, resp.Header.Get("Last-Modified")
	}
	early, lm := parse()
	if feed := early; feed.FeedType != "rss" || feed.FeedVersion != "2.0" {
		t.Errorf("feed type %s %s", feed.FeedType, feed.FeedVersion)
	}
	resp := get(t, s.URL, "If-Modified-Since", lm)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET with unchanged feed: %d, want 304", resp.StatusCode)
	}
	fx.clock.Set(5 * time.Minute)
	resp = get(t, s.URL, "If-Modified-Since", lm)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("conditional GET after new items: %d, want 200", resp.StatusCode)
	}
	late, _ := parse()
	if len(late.Items) <= len(early.Items) || len(early.Items) == 0 {
		t.Errorf("feed has %d items at start, %d later: want growth", len(early.Items), len(late.Items))
	}
	for _, it := range late.Items {
		if it.PublishedParsed == nil || it.Description == "" || !strings.HasPrefix(it.Link, fx.srv.URL+"/news/") {
			t.Errorf("item %q: pubDate %v, link %q, description %d bytes", it.Title, it.PublishedParsed, it.Link, len(it.Description))
			continue
		}
		doc, _ := fetchDoc(t, it.Link, "utf-8")
		if got := doc.Find("h1").Text(); got != it.Title {
			t.Errorf("article page title %q, want %q", got, it.Title)
		}
	}
}

func TestRobotsAllowsTheCrawler(t *testing.T) {
	fx := newFixture(t, 10*time.Minute)
	resp := get(t, fx.srv.URL+"/robots.txt")
	robots, err := robotstxt.FromResponse(resp)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/gov/liuyan/show?id=1", "/news/article/1.html"}
	for _, s := range fx.cfg.Sources {
		paths = append(paths, strings.TrimPrefix(s.URL, fx.srv.URL))
	}
	for _, e := range fx.forum.Catalog() {
		paths = append(paths, e.Path)
	}
	for _, p := range paths {
		if !robots.TestAgent(p, "yuqing/1.0") {
			t.Errorf("robots.txt disallows %s", p)
		}
	}
	for _, p := range []string{"/admin.php", "/forum.php?mod=post&action=newthread&fid=2", "/home.php?mod=spacecp"} {
		if robots.TestAgent(p, "yuqing/1.0") {
			t.Errorf("robots.txt allows %s", p)
		}
	}
}

// TestCatalogCoverage keeps the sample data honest about what it
// demonstrates: every category and level, hard negatives, a repost, and
// personal data for the masking demonstration.
func TestCatalogCoverage(t *testing.T) {
	f := NewForum(time.Now, testStart)
	cats := map[taxonomy.Category]int{}
	levels := map[taxonomy.Level]int{}
	visibleAtStart := 0
	for _, e := range f.Catalog() {
		cats[e.Category]++
		levels[e.Level]++
		if e.Visible == 0 {
			visibleAtStart++
		}
		if (e.Category == "") != (e.Level == 0) || e.Level < 0 || e.Level > 4 {
			t.Errorf("%q: category %q with level %d", e.Title, e.Category, e.Level)
		}
	}
	total := len(f.Catalog())
	t.Logf("%d posts, %d at start; categories %v; levels %v", total, visibleAtStart, cats, levels)
	for _, c := range taxonomy.Categories {
		if cats[c] < 3 {
			t.Errorf("category %s has %d posts, want at least 3", c, cats[c])
		}
	}
	if len(cats) != 7 {
		t.Errorf("unknown categories in %v", cats)
	}
	if levels[2] < 2 || levels[3] < 4 || levels[4] < 12 || levels[0] < 10 || levels[0] > 14 || levels[1] != 0 {
		t.Errorf("levels %v: want ≥2 重大, ≥4 较大, ≥12 一般, 10-14 negatives, no 特别重大", levels)
	}
	if total < 36 || total > 46 {
		t.Errorf("%d posts, want about 40", total)
	}
	// The repost: same event on two boards with near-identical text.
	reposts := map[string][]*post{}
	for _, p := range f.posts {
		if p.RepostOf != "" {
			reposts[p.RepostOf] = append(reposts[p.RepostOf], p)
		}
	}
	for ev, ps := range reposts {
		if len(ps) != 2 || ps[0].Board == ps[1].Board {
			t.Errorf("repost %s: want two posts on different boards", ev)
			continue
		}
		a, b := squash(ps[0].Body), squash(ps[1].Body)
		if !strings.Contains(a, b[len(b)/3:]) && !strings.Contains(b, a[len(a)/3:]) {
			t.Errorf("repost %s: texts differ too much", ev)
		}
	}
	if len(reposts) == 0 {
		t.Error("no repost pair")
	}
	var phone, id bool
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	idCard := regexp.MustCompile(`\d{17}[\dX]`)
	for _, p := range f.posts {
		if p.Level > 0 {
			phone = phone || mobile.MatchString(p.Body)
			id = id || idCard.MatchString(p.Body)
		}
	}
	if !phone || !id {
		t.Errorf("relevant posts with a phone number: %v, with an ID number: %v; want both for the masking demo", phone, id)
	}
}
