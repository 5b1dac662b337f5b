package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// testNow is the fixed clock of these tests: Monday 2026-11-23 12:00 in Beijing.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, shanghai)

func fixedNow() time.Time { return testNow }

// thread is one thread of the fake Discuz board.
type thread struct {
	TID, PID         int
	Title, Author    string
	Date, ListTime   string
	Replies, Views   int
	Body             template.HTML
	Sticky           bool
	NotOnFirstPage   bool
	DetailStatus     int // non-zero: answer the detail page with this status
	DetailRetryAfter string
}

// forum is a Discuz!-X3-like board served in GBK with the charset only in
// <meta>, counting every request by path.
type forum struct {
	t       *testing.T
	mu      sync.Mutex
	threads []*thread
	hits    map[string]int
	robots  string
	etag    string
	// onDetail, when set, runs before a detail page is served.
	onDetail func(w http.ResponseWriter, r *http.Request, tid int)
	list     *template.Template
	view     *template.Template
	srv      *httptest.Server
}

func newForum(t *testing.T) *forum {
	t.Helper()
	f := &forum{
		t:      t,
		hits:   map[string]int{},
		robots: "User-agent: *\nDisallow: /admin.php\nDisallow: /forum.php?mod=post\n",
		list:   template.Must(template.ParseFiles("testdata/discuz/forumdisplay.html.tmpl")),
		view:   template.Must(template.ParseFiles("testdata/discuz/viewthread.html.tmpl")),
		threads: []*thread{
			{TID: 101, PID: 1001, Title: "医保卡在药店被多刷了三百元，找谁投诉？", Author: "老街坊", Date: "2026-11-20 10:21", ListTime: "3 天前", Replies: 5, Views: 321,
				Body: "昨天在东门药店买药，<b>医保卡</b>被多刷了三百元。<br />\r\n店员说系统问题，让我找医保局。<br />\n<br />\n有没有人遇到过？&nbsp;&nbsp;怎么投诉？", Sticky: true},
			{TID: 102, PID: 1002, Title: "异地就医备案 网上办理 求教程", Author: "在外务工", Date: "2026-11-22 08:05", ListTime: "昨天 08:05", Replies: 0, Views: 45,
				Body: "<div>在深圳打工，老家是本市参保。</div><div>想问异地就医备案网上怎么办？</div>"},
			{TID: 103, PID: 1003, Title: "【转】门诊共济改革后个人账户怎么用", Author: "热心市民", Date: "2026-11-23 11:30", ListTime: "半小时前", Replies: 12, Views: 1024,
				Body: "<p>转自本地公众号：</p><ul><li>个人账户可以家庭共济</li><li>门诊报销比例提高</li></ul>"},
			{TID: 104, PID: 1004, Title: "医院挂床住院的事有人管吗", Author: "路人甲", Date: "2026-11-01 09:00", ListTime: "2026-11-1", Replies: 3, Views: 77,
				Body: "听说某医院挂床住院套取医保基金，有人举报过吗？", NotOnFirstPage: true},
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *forum) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *forum) hit(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *forum) threadByID(tid int) *thread {
	for _, th := range f.threads {
		if th.TID == tid {
			return th
		}
	}
	return nil
}

func (f *forum) serve(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	f.mu.Lock()
	f.hits[key]++
	f.hits["total"]++
	robots, etag := f.robots, f.etag
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, robots)
	case r.URL.Path == "/forum-2-1.html" || r.URL.Path == "/forum-2-2.html" ||
		(r.URL.Path == "/forum.php" && r.URL.Query().Get("mod") == "forumdisplay" && r.URL.Query().Get("fid") == "2"):
		if etag != "" {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		pg := 1
		if strings.HasSuffix(r.URL.Path, "-2.html") || r.URL.Query().Get("page") == "2" {
			pg = 2
		}
		data := map[string]any{"Page": pg}
		f.mu.Lock()
		var sticky, normal []*thread
		for _, th := range f.threads {
			if th.NotOnFirstPage != (pg == 2) {
				continue
			}
			normal = append(normal, th)
			if th.Sticky {
				sticky = append(sticky, th)
			}
		}
		f.mu.Unlock()
		data["Sticky"], data["Threads"] = sticky, normal
		if pg == 1 {
			data["Next"] = "forum-2-2.html"
		}
		f.mu.Lock()
		list := f.list
		f.mu.Unlock()
		f.writeGBK(w, list, data)
	case strings.HasPrefix(r.URL.Path, "/thread-") || (r.URL.Path == "/forum.php" && r.URL.Query().Get("mod") == "viewthread"):
		tid, _ := strconv.Atoi(r.URL.Query().Get("tid"))
		if strings.HasPrefix(r.URL.Path, "/thread-") {
			tid, _ = strconv.Atoi(strings.Split(strings.TrimPrefix(r.URL.Path, "/thread-"), "-")[0])
		}
		if f.onDetail != nil {
			f.onDetail(w, r, tid)
		}
		f.mu.Lock()
		th := f.threadByID(tid)
		var cp thread
		if th != nil {
			cp = *th
		}
		f.mu.Unlock()
		if th == nil {
			http.NotFound(w, r)
			return
		}
		if cp.DetailStatus != 0 {
			if cp.DetailRetryAfter != "" {
				w.Header().Set("Retry-After", cp.DetailRetryAfter)
			}
			w.WriteHeader(cp.DetailStatus)
			return
		}
		f.mu.Lock()
		view := f.view
		f.mu.Unlock()
		f.writeGBK(w, view, &cp)
	default:
		http.NotFound(w, r)
	}
}

// writeGBK renders tmpl and sends it GBK-encoded with no charset in the
// header, as many Discuz installations do.
func (f *forum) writeGBK(w http.ResponseWriter, tmpl *template.Template, data any) {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		f.t.Errorf("template: %v", err)
		return
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		f.t.Errorf("encode GBK: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.Write(gbk)
}

func discuzSource(f *forum) Source {
	s := Source{
		Name: "discuz", Title: "本地论坛", Kind: KindHTML, URL: f.srv.URL + "/forum-2-1.html",
		Delay: time.Millisecond, Pages: 2,
		List: ListSelectors{
			Item: "tbody[id^=normalthread], tbody[id^=stickthread]", Link: "a.xst",
			Time: "td.by em span", Replies: "td.num a.xi2", Views: "td.num em",
			Author: "td.by cite a", Next: "div.pg a.nxt",
		},
		Detail: DetailSelectors{Body: "div#postlist div[id^=post] td[id^=postmessage]", Time: "em[id^=authorposton]"},
	}
	s.ApplyDefaults()
	return s
}

func newTestCrawler(t *testing.T, opts Options) (*Crawler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

// collect returns an emit func that appends to items.
func collect(items *[]Item) func(context.Context, Item) error {
	var mu sync.Mutex
	return func(_ context.Context, it Item) error {
		mu.Lock()
		defer mu.Unlock()
		*items = append(*items, it)
		return nil
	}
}

// golden compares got (as indented JSON, with the loopback host replaced)
// with testdata/golden/name.json; -update rewrites the file.
func golden(t *testing.T, name string, got any, hosts ...string) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, h := range hosts {
		s = strings.ReplaceAll(s, h, "HOST")
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != s {
		t.Errorf("%s differs from golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, s, want)
	}
}

// memStore is an in-memory SchedulerStore.
type memStore struct {
	mu     sync.Mutex
	states map[string]store.SourceState
	posts  map[string]model.Post
	// failures are the item failure records by URL.
	failures map[string]store.ItemFailure
	// beforeSave runs inside SavePost, before the post is recorded.
	beforeSave func(ctx context.Context, p *model.Post)
	// savedState, when set, runs after SaveSourceState recorded st (see
	// watchState).
	savedState func(st store.SourceState)
}

func newMemStore() *memStore {
	return &memStore{states: map[string]store.SourceState{}, posts: map[string]model.Post{}, failures: map[string]store.ItemFailure{}}
}

func (m *memStore) SourceState(_ context.Context, name string) (store.SourceState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[name]
	if !ok {
		return store.SourceState{Name: name}, nil
	}
	return st, nil
}

func (m *memStore) SaveSourceState(_ context.Context, st store.SourceState) error {
	m.mu.Lock()
	m.states[st.Name] = st
	saved := m.savedState
	m.mu.Unlock()
	if saved != nil {
		saved(st)
	}
	return nil
}

func (m *memStore) SavePost(ctx context.Context, p *model.Post) (store.SaveResult, error) {
	if m.beforeSave != nil {
		m.beforeSave(ctx, p)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.posts[p.URL]
	m.posts[p.URL] = *p
	switch {
	case !ok:
		return store.Created, nil
	case old.Title != p.Title || old.Body != p.Body:
		return store.Changed, nil
	}
	return store.Unchanged, nil
}

func (m *memStore) PostByURL(_ context.Context, url string) (model.Post, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.posts[url]
	return p, ok, nil
}

// HotPosts: a memStore keeps no engagement history, so no thread is hot.
func (m *memStore) HotPosts(context.Context, store.HotQuery) ([]model.Post, error) { return nil, nil }

func (m *memStore) ItemFailure(_ context.Context, url string) (store.ItemFailure, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.failures[url]
	return f, ok, nil
}

func (m *memStore) SaveItemFailure(_ context.Context, f store.ItemFailure) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[f.URL] = f
	return nil
}

func (m *memStore) DeleteItemFailure(_ context.Context, url string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.failures, url)
	return nil
}

func (m *memStore) state(name string) store.SourceState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.states[name]
}

func (m *memStore) postCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.posts)
}

// knownIn adapts a memStore to Known for direct Crawl calls.
func knownIn(m *memStore) Known { return storeKnown{m} }

// saveTo returns an emit func storing into m like the scheduler does.
func saveTo(m *memStore, source string) func(context.Context, Item) error {
	return func(ctx context.Context, it Item) error {
		_, err := m.SavePost(ctx, &model.Post{Source: source, URL: it.URL, Title: it.Title, Body: it.Body,
			Author: it.Author, PublishedAt: it.PublishedAt, Replies: it.Replies, Views: it.Views, FetchedAt: testNow})
		return err
	}
}

// hostsTransport serves requests in memory from one handler per host, so
// crawls can run inside a synctest bubble on its fake clock (real sockets
// would not let the bubble's time advance). A handler that waits for the
// request's context models a page that hangs until the client gives up.
type hostsTransport map[string]http.Handler

func (h hostsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	handler, ok := h[r.URL.Host]
	if !ok {
		return nil, fmt.Errorf("no such host %s", r.URL.Host)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// inMemory is a hostsTransport to the handlers of httptest servers, for
// tests whose fixtures are such servers but that run in a synctest bubble:
// the crawler reaches the handlers without a socket, and the servers,
// started outside the bubble, stay idle.
func inMemory(srvs ...*httptest.Server) hostsTransport {
	h := hostsTransport{}
	for _, srv := range srvs {
		h[strings.TrimPrefix(srv.URL, "http://")] = srv.Config.Handler
	}
	return h
}

// fakeBoard is a UTF-8 board served through hostsTransport: a list of
// threads, each with a detail page unless it is deleted.
type fakeBoard struct {
	mu      sync.Mutex
	threads []string // titles; thread i is /t/i
	deleted map[int]bool
	delay   time.Duration // before each detail page
	etag    string
	hits    map[string]int
}

func newFakeBoard(titles ...string) *fakeBoard {
	return &fakeBoard{threads: titles, deleted: map[int]bool{}, hits: map[string]int{}}
}

func (b *fakeBoard) add(title string) {
	b.mu.Lock()
	b.threads = append(b.threads, title)
	b.mu.Unlock()
}

func (b *fakeBoard) hit(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits[path]
}

func (b *fakeBoard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.hits[r.URL.Path]++
	threads, delay, etag := append([]string(nil), b.threads...), b.delay, b.etag
	b.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case r.URL.Path == "/robots.txt":
		http.NotFound(w, r)
	case r.URL.Path == "/list":
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		fmt.Fprint(w, "<ul>")
		for i := len(threads) - 1; i >= 0; i-- { // newest first
			fmt.Fprintf(w, `<li><a href="/t/%d">%s</a></li>`, i, threads[i])
		}
		fmt.Fprint(w, "</ul>")
	case strings.HasPrefix(r.URL.Path, "/t/"):
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		i, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/t/"))
		b.mu.Lock()
		gone := b.deleted[i]
		b.mu.Unlock()
		if gone || i >= len(threads) {
			// What Discuz shows for a deleted thread: a 200 page without a post.
			fmt.Fprint(w, `<div class="alert">抱歉，指定的主题不存在或已被删除或正在被审核</div>`)
			return
		}
		fmt.Fprintf(w, `<div class="b">%s 的正文</div>`, threads[i])
	default:
		http.NotFound(w, r)
	}
}

func (b *fakeBoard) source(name, host string, interval time.Duration) Source {
	s := Source{Name: name, URL: "http://" + host + "/list", Interval: interval, Delay: time.Second,
		List: ListSelectors{Item: "li"}, Detail: DetailSelectors{Body: "div.b"}}
	s.ApplyDefaults()
	return s
}
