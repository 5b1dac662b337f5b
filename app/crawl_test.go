package app

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/demo"
)

// crawlFixture writes a demo configuration pointing at a loopback sample
// forum with every post released, using the repository's rules.
func crawlFixture(t *testing.T) string {
	t.Helper()
	forum := httptest.NewServer(demo.NewForum(time.Now, time.Now().Add(-time.Hour)).Handler())
	t.Cleanup(forum.Close)
	return filepath.Join(demoConfigDir(t, forum.URL), "yuqing.yaml")
}

// demoConfigDir writes the demo's configuration for the sample forum at
// forumURL into a new directory, with the repository's dictionary and
// rules, and returns the directory.
func demoConfigDir(t *testing.T, forumURL string) string {
	t.Helper()
	dir := t.TempDir()
	if err := writeDemoConfig(dir, forumURL, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "dict"))
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	copyRules(t, filepath.Join(dir, "rules.yaml"))
	return dir
}

// dbFiles lists the database files of the configuration (none before any write).
func dbFiles(t *testing.T, cfgFile string) []string {
	t.Helper()
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(cfg.Store.Path + "*")
	return m
}

func TestCrawlCommandPrintsWithoutStoring(t *testing.T) {
	cfg := crawlFixture(t)
	var out bytes.Buffer
	err := Crawl(t.Context(), CrawlOptions{ConfigFile: cfg, Source: "lanchuan-bbs", Once: true, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	if testing.Verbose() {
		t.Log("\n" + s)
	}
	for _, want := range []string{"数据源 lanchuan-bbs（岚川论坛·民生杂谈）", "试抓", "标题：", "正文（共", "抓取成功"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "\n["); n < 5 {
		t.Errorf("printed %d items, want several:\n%s", n, s)
	}
	if regexp.MustCompile(`(^|\D)1[3-9]\d{9}(\D|$)`).MatchString(s) {
		t.Errorf("output shows an unmasked phone number")
	}
	if f := dbFiles(t, cfg); len(f) != 0 {
		t.Errorf("crawl without -store wrote %v", f)
	}

	err = Crawl(t.Context(), CrawlOptions{ConfigFile: cfg, Source: "no-such", Once: true, Out: &out})
	if err == nil || !strings.Contains(err.Error(), "lanchuan-bbs") {
		t.Errorf("unknown source: err = %v, want the list of sources", err)
	}
}

func TestCrawlCommandStoreFilesIncidentsAndDaemonExportsHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the classifier; skipped in -short mode")
	}
	cfg := crawlFixture(t)
	var out bytes.Buffer
	err := Crawl(t.Context(), CrawlOptions{ConfigFile: cfg, Source: "lanchuan-bbs", Once: true, Store: true, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "【新帖】") || !regexp.MustCompile(`→ 事件 YQ-\d{8}-\d{4}`).MatchString(s) {
		t.Errorf("-store output lacks stored items or filed incidents:\n%s", s)
	}
	if f := dbFiles(t, cfg); len(f) == 0 {
		t.Error("-store wrote no database")
	}
	// A second run stores nothing new: known threads are not refetched.
	out.Reset()
	if err := Crawl(t.Context(), CrawlOptions{ConfigFile: cfg, Source: "lanchuan-bbs", Once: true, Store: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "【新帖】") {
		t.Errorf("second run stored new posts:\n%s", out.String())
	}

	// The daemon exports the stored health of the source before crawling it.
	addr, stop := startDaemon(t, cfg)
	defer stop()
	m := fetch(t, "http://"+addr+"/metrics")
	if !regexp.MustCompile(`(?m)^yuqing_source_last_success_timestamp_seconds\{source="lanchuan-bbs"\} \d`).MatchString(m) {
		t.Errorf("last success of lanchuan-bbs not exported at start")
	}
}

// TestCrawlSummaryReportsLeftoversAnd404s: the trial crawl's summary lists
// fields that matched nothing (marking the preset's) and the detail pages
// that answered 404, with the hint about how json.link resolves.
func TestCrawlSummaryReportsLeftoversAnd404s(t *testing.T) {
	var out bytes.Buffer
	p := &crawlPrinter{out: &out, loc: time.UTC, bodyChars: 200}
	p.summary(crawler.Stats{ListPages: 1, Found: 2,
		Fields: []crawler.FieldMatch{
			{Field: "json.author", Preset: true, Tried: 2},
			{Field: "json.title", Preset: true, Tried: 2, Matched: 2},
		},
		DetailErrors: []crawler.DetailError{{URL: "https://gov.example/lyb/api/detail?id=1", Status: 404}},
	}, nil)
	s := out.String()
	for _, want := range []string{
		"json.author（预设） 0/2  ← 没有匹配到任何内容", "json.title（预设） 2/2\n",
		"HTTP 404  https://gov.example/lyb/api/detail?id=1", "以 / 开头时从网站根目录算起",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
