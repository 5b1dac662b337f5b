package app

import (
	"bytes"
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

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// growingBoard is a Discuz! X3.4 board (GBK, charset only in <meta>) whose
// list page 1 never changes and answers 304 to its weak ETag, while a
// thread on page 2 keeps gaining replies.
type growingBoard struct {
	mu      sync.Mutex
	replies int // of the growing thread
	hits    map[string]int
	list    *template.Template
	view    *template.Template
	srv     *httptest.Server
}

type boardThread struct {
	TID, PID                      int
	Title, Author, Date, ListTime string
	Replies, Views                int
	Body                          template.HTML
}

const growingTID = 7031

func newGrowingBoard(t *testing.T) *growingBoard {
	t.Helper()
	dir := filepath.Join("testdata", "discuz-growing")
	b := &growingBoard{hits: map[string]int{},
		list: template.Must(template.ParseFiles(filepath.Join(dir, "forumdisplay.html.tmpl"))),
		view: template.Must(template.ParseFiles(filepath.Join(dir, "viewthread.html.tmpl")))}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.hits[r.URL.RequestURI()]++
		b.mu.Unlock()
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /admin.php\n")
		case r.URL.Path == "/forum.php" && q.Get("mod") == "forumdisplay" && q.Get("fid") == "2":
			page := 1
			if q.Get("page") == "2" {
				page = 2
			}
			data := map[string]any{"Page": page, "Threads": b.threads(page)}
			if page == 1 {
				// Page 1 never changes: a weak validator, as nginx gives a
				// compressed page.
				w.Header().Set("ETag", `W/"list-1"`)
				if r.Header.Get("If-None-Match") == `W/"list-1"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				data["Next"] = "forum.php?mod=forumdisplay&fid=2&page=2"
			}
			b.writeGBK(t, w, b.list, data)
		case strings.HasPrefix(r.URL.Path, "/thread-") || (r.URL.Path == "/forum.php" && q.Get("mod") == "viewthread"):
			// Discuz serves a thread under its rewritten and its plain
			// address; revisits use the canonical (plain) one.
			var tid int
			if _, err := fmt.Sscanf(r.URL.Path, "/thread-%d-", &tid); err != nil {
				tid, _ = strconv.Atoi(q.Get("tid"))
			}
			for _, p := range []int{1, 2} {
				for _, th := range b.threads(p) {
					if th.TID == tid {
						b.writeGBK(t, w, b.view, th)
						return
					}
				}
			}
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// threads lists a page: page 1 holds three quiet threads, page 2 the
// growing complaint and a quiet one.
func (b *growingBoard) threads(page int) []boardThread {
	b.mu.Lock()
	replies := b.replies
	b.mu.Unlock()
	if page == 1 {
		return []boardThread{
			{TID: 7101, PID: 9101, Title: "周末去哪里爬山", Author: "山友", Date: "2026-11-22 09:00", ListTime: "昨天 09:00", Replies: 4, Views: 80, Body: "想找个人少的地方。"},
			{TID: 7102, PID: 9102, Title: "小区门口新开了一家面馆", Author: "吃货", Date: "2026-11-22 11:00", ListTime: "昨天 11:00", Replies: 2, Views: 60, Body: "味道还行，就是有点咸。"},
			{TID: 7103, PID: 9103, Title: "二手自行车出售", Author: "骑手", Date: "2026-11-22 15:00", ListTime: "昨天 15:00", Replies: 0, Views: 20, Body: "九成新，价格面议。"},
		}
	}
	return []boardThread{
		{TID: growingTID, PID: 9031, Title: "异地就医备案后报销还是被拒，医保窗口互相推诿", Author: "在外务工",
			Date: "2026-11-20 10:00", ListTime: "2026-11-20", Replies: replies, Views: 40 * replies,
			Body: "在外地住院前已经办了异地就医备案，出院回来医保报销却被拒，窗口说材料不全，" +
				"让去医院开证明，医院又说要找医保局，来回跑了五趟没人管，医保报销到底找谁？"},
		{TID: 7032, PID: 9032, Title: "钓鱼的好地方分享", Author: "渔夫", Date: "2026-11-19 08:00", ListTime: "2026-11-19", Replies: 1, Views: 30, Body: "河边那片不错。"},
	}
}

func (b *growingBoard) writeGBK(t *testing.T, w http.ResponseWriter, tmpl *template.Template, data any) {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		t.Errorf("template: %v", err)
		return
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		t.Errorf("encode GBK: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.Write(gbk)
}

func (b *growingBoard) hit(uri string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits[uri]
}

// TestCrawlStoreFollowsGrowingThreadBehindUnchangedPage1 (issue 12, point 1):
// `yuqing crawl -store -once` run every 30 minutes against a board whose
// page 1 answers 304: the complaint on page 2 is seen to grow at the next
// deep sample, is then hot and revisited on its own schedule, its stored
// counts follow the site, and the shipped rules raise its incident once
// its replies pass their engagement tier (1000).
func TestCrawlStoreFollowsGrowingThreadBehindUnchangedPage1(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the classifier; skipped in -short mode")
	}
	board := newGrowingBoard(t)
	dir := t.TempDir()
	if err := writeDemoConfig(dir, board.srv.URL, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "dict"))
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	copyRules(t, filepath.Join(dir, "rules.yaml"))
	// The block an operator writes: the preset, two list pages, page 2
	// sampled hourly.
	sources := fmt.Sprintf(`sources:
  - name: lanchuan-bbs
    title: 岚川论坛·民生杂谈
    preset: discuz-x3
    url: %s/
    board: "2"
    pages: 2
    interval: 30m
    deep_interval: 1h
    delay: 500ms
`, board.srv.URL)
	if err := os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte(sources), 0o640); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "yuqing.yaml")
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}

	clock := time.Date(2026, 11, 23, 9, 0, 0, 0, cfg.Location)
	now := func() time.Time { return clock }
	threadURL := fmt.Sprintf("%s/forum.php?mod=viewthread&tid=%d", board.srv.URL, growingTID)
	type seen struct {
		replies  int
		level    taxonomy.Level
		incident string
	}
	var rounds []seen
	for round, replies := range []int{300, 600, 800, 1300} {
		board.mu.Lock()
		board.replies = replies
		board.mu.Unlock()
		var out bytes.Buffer
		if err := Crawl(t.Context(), CrawlOptions{ConfigFile: cfgFile, Source: "lanchuan-bbs", Once: true, Store: true,
			Out: &out, Now: now}); err != nil {
			t.Fatalf("round %d: %v\n%s", round+1, err, out.String())
		}
		if testing.Verbose() {
			t.Logf("round %d:\n%s", round+1, out.String())
		}
		st, err := openStore(t.Context(), cfg, true)
		if err != nil {
			t.Fatal(err)
		}
		p, ok, err := st.PostByURL(t.Context(), threadURL)
		if err != nil || !ok {
			st.Close()
			t.Fatalf("round %d: thread not stored (%v)", round+1, err)
		}
		var s seen
		s.replies = p.Replies
		if err := st.InTx(t.Context(), func(tx store.Tx) error {
			inc, found, err := tx.IncidentOfPost(t.Context(), p.ID)
			s.level, s.incident = inc.Level, inc.Number
			if err == nil && !found {
				err = fmt.Errorf("thread filed into no incident")
			}
			return err
		}); err != nil {
			st.Close()
			t.Fatalf("round %d: %v", round+1, err)
		}
		if round == 3 {
			h, err := st.EngagementHistory(t.Context(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, e := range h {
				got = append(got, e.Replies)
			}
			if fmt.Sprint(got) != "[300 800 1300]" {
				t.Errorf("engagement history = %v, want [300 800 1300]", got)
			}
		}
		st.Close()
		rounds = append(rounds, s)
		clock = clock.Add(30 * time.Minute)
	}
	// 9:30 page 1 answers 304 and page 2 is not due: the thread keeps its
	// count. 10:00 the deep sample sees 800 (grown: hot). 10:30 the revisit
	// fetches 1300.
	var stored []int
	for _, s := range rounds {
		stored = append(stored, s.replies)
	}
	if fmt.Sprint(stored) != "[300 300 800 1300]" {
		t.Errorf("stored replies after each round = %v, want [300 300 800 1300]", stored)
	}
	first, last := rounds[0], rounds[len(rounds)-1]
	if last.incident != first.incident {
		t.Errorf("thread moved from incident %s to %s", first.incident, last.incident)
	}
	for i := 1; i < len(rounds)-1; i++ {
		if rounds[i].level != first.level {
			t.Errorf("round %d: level %d before the thread passed 1000 replies, want %d", i+1, rounds[i].level, first.level)
		}
	}
	if last.level != first.level-1 {
		t.Errorf("incident level after the thread passed 1000 replies = %d, want raised from %d to %d", last.level, first.level, first.level-1)
	}
	// Page 2 was read by the deep samples only (9:00, 10:00); the thread's
	// page through page 2's link at first sight and at 10:00 (its replies
	// changed), and at 10:30 as a hot revisit.
	if got := board.hit("/forum.php?mod=forumdisplay&fid=2&page=2"); got != 2 {
		t.Errorf("page 2 read %d times, want 2", got)
	}
	listed, revisited := board.hit(fmt.Sprintf("/thread-%d-1-2.html", growingTID)), board.hit(fmt.Sprintf("/forum.php?mod=viewthread&tid=%d", growingTID))
	if listed != 2 || revisited != 1 {
		t.Errorf("growing thread fetched %d times from page 2 and %d times as a revisit, want 2 and 1", listed, revisited)
	}
}
