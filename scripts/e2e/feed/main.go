// Command feed is the loopback RSS fixture of scripts/e2e-alerts.sh: a tiny
// news feed with one ordinary (Ⅳ) post visible from the start and one major
// (Ⅱ) post published on request (POST /-/release) or -release after start.
// It records when the Ⅱ post became visible and when it was first served,
// so the script can measure alert latency from the moment a post appears on
// the site.
//
// Usage: feed -state DIR [-listen 127.0.0.1:0] [-release 0]
// Files written to DIR: addr (listen address), release_ms (when the Ⅱ post
// became visible, unix ms) and served_ms (first response containing it).
package main

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/scripts/e2e/internal/loopback"
)

// item is one post of the feed; Major marks the post released late.
type item struct {
	ID, Title, Body string
	Major           bool
}

// items are written so the shipped rules grade them Ⅱ (system outage) and Ⅳ
// (treatment question); the Ⅱ title and body carry a phone number that must
// reach alerts (title and excerpt) masked.
var items = []item{
	{ID: "5301", Title: "社区医院开降压药，说医保一次只能开两周的量？",
		Body: "我妈高血压十几年了，一直在临江区滨江社区卫生服务中心拿药。以前一次开一个月的量，这个月医生说“医保规定慢性病一次最多开两周”。老人家腿脚不好，两周跑一趟太折腾了。我在网上查了一下，好像说长处方最多能开到12周，是政策改了还是这家社区医院自己定的规矩？有没有懂行的说一下该找谁问。"},
	{ID: "5302", Major: true, Title: "医保信息平台突发故障致全市结算中断 市民求助热线13812345678打不通",
		Body: "今日上午，我市医疗保障信息平台突发故障，全市定点医药机构医保结算业务中断，有市民反映拨打13812345678求助无人接听，市第一人民医院等多家医院出现大量群众排队滞留。市医疗保障局已启动应急预案，会同技术支撑单位全力抢修，并要求各定点医疗机构对急危重症患者先行救治、延后结算；已自费结算的参保群众，可在系统恢复后持票据办理退费重结。"},
}

type rssItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	Description string `xml:"description"`
	PubDate     string `xml:"pubDate"`
	GUID        string `xml:"guid"`
}

type rssDoc struct {
	XMLName xml.Name  `xml:"rss"`
	Version string    `xml:"version,attr"`
	Title   string    `xml:"channel>title"`
	Link    string    `xml:"channel>link"`
	Items   []rssItem `xml:"channel>item"`
}

// feed serves the RSS document; release is when the major post appears
// (zero: not yet released).
type feed struct {
	now      func() time.Time
	start    time.Time
	served   func(time.Time) // called once, on the first response with the major post
	released func(time.Time) // called once, when the major post is published

	mu      sync.Mutex
	release time.Time
	once    sync.Once
}

// releaseAt publishes the major post at t unless it was already published;
// it reports the time the post became visible.
func (f *feed) releaseAt(t time.Time) time.Time {
	f.mu.Lock()
	first := f.release.IsZero()
	if first {
		f.release = t
	}
	at := f.release
	f.mu.Unlock()
	if first && f.released != nil {
		f.released(at)
	}
	return at
}

var cst = time.FixedZone("CST", 8*3600)

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/-/release" && r.Method == http.MethodPost {
		at := f.releaseAt(f.now())
		fmt.Fprintln(w, at.UnixMilli())
		return
	}
	if r.URL.Path != "/rss.xml" {
		http.NotFound(w, r)
		return
	}
	now := f.now()
	f.mu.Lock()
	release := f.release
	f.mu.Unlock()
	base := "http://" + r.Host
	doc := rssDoc{Version: "2.0", Title: "岚川新闻网 · 民生（端到端测试）", Link: base + "/"}
	withMajor := false
	for _, it := range items {
		posted := f.start.Add(-10 * time.Minute)
		if it.Major {
			if release.IsZero() || now.Before(release) {
				continue
			}
			posted, withMajor = release, true
		}
		link := base + "/news/" + it.ID + ".html"
		doc.Items = append(doc.Items, rssItem{Title: it.Title, Link: link, Description: it.Body,
			PubDate: posted.In(cst).Format(time.RFC1123Z), GUID: link})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
	if withMajor && f.served != nil {
		f.once.Do(func() { f.served(now) })
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "feed:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "监听地址（只允许本机回环地址）")
	state := flag.String("state", "", "状态文件目录（addr、release_ms、served_ms）")
	release := flag.Duration("release", 0, "启动后多久自动发布Ⅱ级帖子；0 表示等 POST /-/release 时才发布")
	flag.Parse()
	if *state == "" {
		return errors.New("请用 -state 指定状态文件目录")
	}
	ln, err := loopback.Listen(*listen)
	if err != nil {
		return err
	}
	writeMS := func(name string, t time.Time) error {
		return os.WriteFile(filepath.Join(*state, name), []byte(strconv.FormatInt(t.UnixMilli(), 10)+"\n"), 0o644)
	}
	start := time.Now()
	f := &feed{now: time.Now, start: start, served: func(t time.Time) {
		if err := writeMS("served_ms", t); err != nil {
			fmt.Fprintln(os.Stderr, "feed:", err)
		}
	}, released: func(t time.Time) {
		if err := writeMS("release_ms", t); err != nil {
			fmt.Fprintln(os.Stderr, "feed:", err)
		}
	}}
	if *release > 0 {
		f.releaseAt(start.Add(*release))
	}
	if err := os.WriteFile(filepath.Join(*state, "addr"), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		return err
	}
	return loopback.Serve(ln, f)
}
