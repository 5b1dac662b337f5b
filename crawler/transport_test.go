package crawler

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// bombSize is what each bomb inflates to when read to the end.
const bombSize = 1 << 30

// writeBomb streams a compressed body that inflates to bombSize bytes of
// prefix followed by filler; it stops when the client hangs up (a client
// that honours its limit costs the server a few megabytes of work).
func writeBomb(w io.Writer, coding string, prefix, filler []byte) {
	var zw io.WriteCloser
	switch coding {
	case "gzip":
		zw, _ = gzip.NewWriterLevel(w, gzip.BestCompression)
	default:
		zw, _ = flate.NewWriter(w, flate.BestCompression)
	}
	if _, err := zw.Write(prefix); err != nil {
		return
	}
	chunk := bytes.Repeat(filler, (1<<20)/len(filler))
	for n := len(prefix); n < bombSize; n += len(chunk) {
		if _, err := zw.Write(chunk); err != nil {
			return
		}
	}
	zw.Close()
}

// peakHeap runs fn while sampling the live heap every millisecond and
// returns the largest growth over the heap before fn.
func peakHeap(fn func()) uint64 {
	sample := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { rtmetrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > base && v-base > peak.Load() {
				peak.Store(v - base)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// maxBombPeak is the bound on memory while a bomb is fetched.
const maxBombPeak = 300 << 20

// TestDecompressionBombs: a page that inflates to 1 GiB, whether announced
// by Content-Encoding or only by a gzip Content-Type (which colly inflates
// on its own), fails with ErrTruncated at the body limit after decoding,
// and the heap never grows by anything near the bomb.
func TestDecompressionBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("streams compressed bombs")
	}
	list := []byte(`<ul><li><a href="/1">一条留言</a></li></ul>` + "<!--")
	for _, tc := range []struct {
		name, contentType, encoding string
	}{
		{"Content-Encoding gzip", "text/html; charset=utf-8", "gzip"},
		{"Content-Type application/x-gzip only", "application/x-gzip", ""},
		{"Content-Encoding deflate", "text/html; charset=utf-8", "deflate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", tc.contentType)
				coding := "gzip"
				if tc.encoding != "" {
					w.Header().Set("Content-Encoding", tc.encoding)
					coding = tc.encoding
				}
				writeBomb(w, coding, list, []byte("医保"))
			}))
			defer srv.Close()
			c, _ := newTestCrawler(t, Options{Timeout: time.Minute})
			src := Source{Name: "bomb", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
			src.ApplyDefaults()
			var err error
			peak := peakHeap(func() {
				_, _, err = c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(new([]Item)))
			})
			t.Logf("peak heap growth %.1f MiB", float64(peak)/(1<<20))
			if !errors.Is(err, ErrTruncated) || ErrorKind(err) != ErrorKindTruncated {
				t.Errorf("err = %v (kind %q), want ErrTruncated", err, ErrorKind(err))
			}
			if peak > maxBombPeak {
				t.Errorf("peak heap growth %d MiB, want under %d MiB", peak>>20, maxBombPeak>>20)
			}
		})
	}
}

// TestRobotsBomb: a robots.txt inflating to 1 GiB is read up to 512 KiB
// (RFC 9309's parsing limit) and obeyed as far as it was read.
func TestRobotsBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a compressed bomb")
	}
	var lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Encoding", "gzip")
			writeBomb(w, "gzip", []byte("User-agent: *\nDisallow: /private\n"), []byte("# padding comment line\n"))
		case "/private/list":
			lists.Add(1)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<ul><li><a href="/1">一条留言</a></li></ul>`)
		}
	}))
	defer srv.Close()
	c, _ := newTestCrawler(t, Options{Timeout: time.Minute})
	src := Source{Name: "r", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
	src.ApplyDefaults()
	var items []Item
	var err error
	peak := peakHeap(func() {
		_, _, err = c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
	})
	t.Logf("peak heap growth %.1f MiB", float64(peak)/(1<<20))
	if err != nil || len(items) != 1 {
		t.Errorf("allowed list: err = %v, items = %d", err, len(items))
	}
	if peak > maxBombPeak {
		t.Errorf("peak heap growth %d MiB, want under %d MiB", peak>>20, maxBombPeak>>20)
	}
	blocked := src
	blocked.Name, blocked.URL = "p", srv.URL+"/private/list"
	if _, _, err := c.Crawl(t.Context(), blocked, store.SourceState{}, nil, collect(&items)); !errors.Is(err, ErrBlockedByRobots) || lists.Load() != 0 {
		t.Errorf("Disallow read from the bombed robots.txt not obeyed: err = %v, requests %d", err, lists.Load())
	}
}

// TestCompressedPagesDecoded: ordinary gzip and deflate (zlib-wrapped and
// raw) pages decode once; a coding we did not ask for fails clearly.
func TestCompressedPagesDecoded(t *testing.T) {
	page := `<ul><li><a href="/1">医保报销咨询</a></li></ul>`
	compress := func(coding string) []byte {
		var b bytes.Buffer
		var w io.WriteCloser
		switch coding {
		case "gzip":
			w = gzip.NewWriter(&b)
		case "zlib":
			w = zlib.NewWriter(&b)
		case "raw":
			w, _ = flate.NewWriter(&b, flate.DefaultCompression)
		}
		w.Write([]byte(page))
		w.Close()
		return b.Bytes()
	}
	for _, tc := range []struct {
		name, ce string
		body     []byte
		ok       bool
	}{
		{"gzip", "gzip", compress("gzip"), true},
		{"x-gzip", "x-gzip", compress("gzip"), true},
		{"deflate zlib", "deflate", compress("zlib"), true},
		{"deflate raw", "deflate", compress("raw"), true},
		{"identity", "", []byte(page), true},
		{"brotli not asked for", "br", []byte("\x1b\x2c"), false},
		{"corrupt gzip", "gzip", []byte("not gzip at all"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var accept atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					http.NotFound(w, r)
					return
				}
				accept.Store(r.Header.Get("Accept-Encoding"))
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				if tc.ce != "" {
					w.Header().Set("Content-Encoding", tc.ce)
				}
				w.Write(tc.body)
			}))
			defer srv.Close()
			c, _ := newTestCrawler(t, Options{})
			src := Source{Name: "z", URL: srv.URL + "/", Delay: time.Millisecond, List: ListSelectors{Item: "li"}}
			src.ApplyDefaults()
			var items []Item
			_, _, err := c.Crawl(t.Context(), src, store.SourceState{}, nil, collect(&items))
			if !tc.ok {
				if !errors.Is(err, ErrEncoding) {
					t.Fatalf("err = %v, want ErrEncoding", err)
				}
				return
			}
			if err != nil || len(items) != 1 || items[0].Title != "医保报销咨询" {
				t.Fatalf("err = %v, items = %+v", err, items)
			}
			if got, _ := accept.Load().(string); got != "gzip, deflate" {
				t.Errorf("Accept-Encoding = %q", got)
			}
		})
	}
}

func TestReadRobotsCutsAtLine(t *testing.T) {
	long := "User-agent: *\n" + strings.Repeat("Disallow: /a-rather-long-path/\n", maxRobotsBytes/16)
	text, cut, err := readRobots(strings.NewReader(long))
	if err != nil || !cut || len(text) > maxRobotsBytes || !bytes.HasSuffix(text, []byte("/\n")) {
		t.Fatalf("cut %v, %d bytes, err %v, ends %q", cut, len(text), err, text[max(0, len(text)-20):])
	}
	text, cut, _ = readRobots(strings.NewReader("User-agent: *\nDisallow: /x\n"))
	if cut || string(text) != "User-agent: *\nDisallow: /x\n" {
		t.Errorf("short robots.txt changed: %q", text)
	}
}
