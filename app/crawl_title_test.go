package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yuqing-bureau/yuqing/demo"
)

// gbk encodes s as the demo forum's pages are (GBK).
func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Error(err)
	}
	return b
}

// The crawl command's "→ 事件" line cuts the title at 40 characters. It must
// mask first: a phone number cut to "1381234" is no longer recognised by
// privacy.Mask and would be printed as is.
func TestCrawlCommandMasksTitleBeforeCutting(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the classifier; skipped in -short mode")
	}
	const (
		orig = "康宁医院住院清单有问题，同病房三个人都被多收了"
		// The number starts at rune 33, so a 40-rune cut falls inside it.
		long = orig + "，请核查，家属电话：13812345678请回电"
	)
	if i := strings.Index(long, "138"); len([]rune(long[:i])) != 33 {
		t.Fatalf("fixture: number starts at rune %d", len([]rune(long[:i])))
	}
	// The demo forum (GBK pages), with that thread's title carrying the number.
	forum := demo.NewForum(time.Now, time.Now().Add(-time.Hour)).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		forum.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(bytes.ReplaceAll(rec.Body.Bytes(), gbk(t, orig), gbk(t, long)))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if err := writeDemoConfig(dir, srv.URL, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "dict"))
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	copyRules(t, filepath.Join(dir, "rules.yaml"))

	var out bytes.Buffer
	err := Crawl(t.Context(), CrawlOptions{ConfigFile: filepath.Join(dir, "yuqing.yaml"), Source: "lanchuan-bbs",
		Once: true, Store: true, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "→ 事件") && strings.Contains(l, "康宁医院住院清单") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no incident line for the thread:\n%s", out.String())
	}
	if strings.Contains(line, "1381234") || !strings.Contains(line, "138****") {
		t.Errorf("incident line %q: want the number masked, then cut", line)
	}
}
