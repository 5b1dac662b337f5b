package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/yuqing-bureau/yuqing/store"
)

// Benchmarks of the crawl pipeline on loopback with politeness off (no
// per-host delay): list page -> items -> detail pages -> decode, parse,
// extract -> SQLite. The goal (issue 4): at 100 sources x 20 pages every
// 5 minutes (6.7 pages/s) the pipeline, not the network, is never the
// limit, and memory stays flat over an hour. Run:
//
//	go test ./crawler -run '^$' -bench . -benchtime 3x
//
// Figures measured are recorded in .notes/issue4.md.

// farm serves many boards on one loopback host: /b/<board>/list and
// /b/<board>/t/<id>, pages padded to the size of real forum pages. Every
// generation numbers its threads anew, so each round is all new posts.
type farm struct {
	srv   *httptest.Server
	gen   atomic.Int64
	pages atomic.Int64
	items int
	pad   string
}

func newFarm(tb testing.TB, items int) *farm {
	f := &farm{items: items, pad: strings.Repeat(`<div class="ad"><a href="/home">首页</a> 站点导航 热门版块 友情链接 </div>`+"\n", 400)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *farm) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/robots.txt" {
		w.Write([]byte("User-agent: *\nDisallow: /admin\n"))
		return
	}
	f.pages.Add(1)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || parts[0] != "b" {
		http.NotFound(w, r)
		return
	}
	board, gen := parts[1], f.gen.Load()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=\"utf-8\"><title>版块</title></head><body>\n")
	b.WriteString(f.pad)
	switch parts[2] {
	case "list":
		b.WriteString("<table>")
		for i := range f.items {
			fmt.Fprintf(&b, `<tbody id="normalthread_%d"><tr><th><a class="s xst" href="/b/%s/t/%d-%d">第%d轮 医保报销问题求助 %s-%d</a></th>`+
				`<td class="by"><cite><a href="#">网友%d</a></cite><em><span title="2026-11-23 10:%02d">1 小时前</span></em></td>`+
				`<td class="num"><a class="xi2">%d</a><em>%d</em></td></tr></tbody>`+"\n",
				i, board, gen, i, gen, board, i, i, i%60, i, i*10)
		}
		b.WriteString("</table>")
	case "t":
		fmt.Fprintf(&b, `<div id="postlist"><div id="post_1"><table><tr><td class="plc"><em id="authorposton1">发表于 <span title="2026-11-23 10:00">1 小时前</span></em>`+
			`<td class="t_f" id="postmessage_1">%s</td></tr></table></div></div>`,
			strings.Repeat("住院报销材料交了两个月还没有到账，打电话问医保经办说在审核。药店刷卡多扣了钱。<br>\n", 30))
	}
	b.WriteString(f.pad)
	b.WriteString("</body></html>")
	w.Write([]byte(b.String()))
}

func (f *farm) source(board int) Source {
	s := Source{Name: "s" + strconv.Itoa(board), URL: fmt.Sprintf("%s/b/%d/list", f.srv.URL, board),
		MaxItems: f.items, Interval: 5 * time.Minute,
		List: ListSelectors{Item: "tbody[id^=normalthread]", Link: "a.xst", Time: "td.by em span",
			Replies: "td.num a.xi2", Views: "td.num em", Author: "td.by cite a"},
		Detail: DetailSelectors{Body: "td[id^=postmessage]", Time: "em[id^=authorposton]"}}
	s.ApplyDefaults()
	s.Delay = time.Nanosecond // politeness off: measure the pipeline
	return s
}

func benchStore(tb testing.TB) store.Store {
	return openSQLite(tb, filepath.Join(tb.TempDir(), "bench.db"))
}

// BenchmarkPipeline crawls 100 sources of 1 list page + 19 new detail pages
// each (2,000 pages, 1,900 new posts) per iteration, 4 sources at a time
// like the daemon, storing into SQLite.
func BenchmarkPipeline(b *testing.B) {
	const sources, items = 100, 19
	farms := []*farm{newFarm(b, items), newFarm(b, items), newFarm(b, items), newFarm(b, items)}
	st := benchStore(b)
	c, err := New(Options{Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	s := NewScheduler(c, st, nil, nil)
	var srcs []Source
	for i := range sources {
		srcs = append(srcs, farms[i%len(farms)].source(i))
	}
	s.SetSources(srcs)
	b.ResetTimer()
	start := time.Now()
	var pages int64
	for n := 0; n < b.N; n++ {
		for _, f := range farms {
			f.gen.Add(1)
			pages -= f.pages.Load()
		}
		sem := make(chan struct{}, defaultConcurrency)
		var wg sync.WaitGroup
		for _, src := range srcs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := s.CrawlNow(context.Background(), src.Name); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		for _, f := range farms {
			pages += f.pages.Load()
		}
	}
	el := time.Since(start).Seconds()
	total, _, _ := st.CountPosts(context.Background())
	b.ReportMetric(float64(pages)/el, "pages/s")
	b.ReportMetric(float64(total)/el, "posts/s")
	b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
	b.ReportMetric(2000/(float64(pages)/el), "s/2000pages")
}

// BenchmarkExtract is the parse-only cost of one list page and one detail
// page (no network, no store).
func BenchmarkExtract(b *testing.B) {
	f := newFarm(b, 19)
	src := f.source(1)
	get := func(path string) []byte {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return []byte(sb.String())
	}
	list, detail := get("/b/1/list"), get("/b/1/t/0-0")
	c, _ := New(Options{Now: fixedNow})
	j := &job{c: c, src: src, host: strings.TrimPrefix(f.srv.URL, "http://")}
	b.SetBytes(int64(len(list) + len(detail)))
	b.ResetTimer()
	for b.Loop() {
		text, _, err := decodeBody(list, "text/html", EncodingAuto, false)
		if err != nil {
			b.Fatal(err)
		}
		doc, err := goqueryDoc(text)
		if err != nil {
			b.Fatal(err)
		}
		if items, _ := j.extractList(doc, mustURL(src.URL)); len(items) != 19 {
			b.Fatalf("%d items", len(items))
		}
		dt, _, err := decodeBody(detail, "text/html", EncodingAuto, false)
		if err != nil {
			b.Fatal(err)
		}
		dd, _ := goqueryDoc(dt)
		if dd.Find(src.Detail.Body).Length() != 1 {
			b.Fatal("no body")
		}
	}
}

// BenchmarkSchedulerMemory measures the heap held per scheduled source:
// 1,000 sources on 50 hosts, their state loaded and exported, one crawl
// each done (so every host has its collector), then idle.
func BenchmarkSchedulerMemory(b *testing.B) {
	const sources = 1000
	var farms []*farm
	for range 50 {
		farms = append(farms, newFarm(b, 2))
	}
	for b.Loop() {
		st := newMemStore()
		runtime.GC()
		before := heapAlloc()
		c, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := NewScheduler(c, st, nil, nil)
		var srcs []Source
		for i := range sources {
			src := farms[i%len(farms)].source(i)
			src.Detail = DetailSelectors{}
			srcs = append(srcs, src)
		}
		s.SetSources(srcs)
		s.Prime(context.Background())
		scheduled := heapAlloc()
		sem := make(chan struct{}, defaultConcurrency)
		var wg sync.WaitGroup
		for _, src := range srcs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := s.CrawlNow(context.Background(), src.Name); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		crawled := heapAlloc()
		b.ReportMetric(float64(scheduled-before)/sources, "B/source-scheduled")
		b.ReportMetric(float64(crawled-before)/sources, "B/source-after-crawl")
		b.ReportMetric(float64(crawled-before)/1e6, "MB/1000sources")
		runtime.KeepAlive(s)
		runtime.KeepAlive(st)
	}
}

// BenchmarkHourMemory runs the daemon's scheduler for a simulated hour:
// 100 sources x (1 list + 19 new detail pages) every 5 minutes into SQLite,
// and reports the live heap after the first and the last round: flat means
// nothing accumulates per crawl (collectors, responses, states).
func BenchmarkHourMemory(b *testing.B) {
	const sources, items, rounds = 100, 19, 12
	farms := []*farm{newFarm(b, items), newFarm(b, items), newFarm(b, items), newFarm(b, items)}
	for b.Loop() {
		st := benchStore(b)
		clk := &clock{t: testNow}
		c, err := New(Options{Now: clk.now})
		if err != nil {
			b.Fatal(err)
		}
		s := NewScheduler(c, st, nil, clk.now)
		s.poll = 5 * time.Millisecond
		var srcs []Source
		for i := range sources {
			srcs = append(srcs, farms[i%len(farms)].source(i))
		}
		s.SetSources(srcs)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		var first, last uint64
		for r := range rounds {
			for _, f := range farms {
				f.gen.Add(1)
			}
			// Wait until every source has been crawled this round.
			want := clk.now()
			for {
				states, _ := s.States(context.Background())
				ok := 0
				for _, st := range states {
					if !st.LastCheckAt.Before(want) {
						ok++
					}
				}
				if ok == sources {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			runtime.GC()
			h := heapAlloc()
			if r == 0 {
				first = h
			}
			last = h
			clk.add(5 * time.Minute)
		}
		cancel()
		<-done
		b.ReportMetric(float64(first)/1e6, "MB-heap-round1")
		b.ReportMetric(float64(last)/1e6, "MB-heap-round12")
		b.ReportMetric(float64(last)/float64(first), "growth")
		total, _, _ := st.CountPosts(context.Background())
		b.ReportMetric(float64(total), "posts")
		st.Close()
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func goqueryDoc(text string) (*goquery.Document, error) {
	return goquery.NewDocumentFromReader(strings.NewReader(text))
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
