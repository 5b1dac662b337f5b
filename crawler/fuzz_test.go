package crawler

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

// The extractors read untrusted pages. These fuzz targets check that no
// input makes them panic and that what they hand on is well formed: valid
// UTF-8 text, canonical http(s) links, failures that are layout or
// encoding errors. The corpus is kept under testdata/fuzz/<name>/ (go test
// runs it as regression cases); extend it with
//
//	go test ./crawler -run '^$' -fuzz FuzzExtractList -fuzztime 60s
//
// and copy new entries from $(go env GOCACHE)/fuzz/.../FuzzExtractList.

func seedFile(f *testing.F, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
}

func checkItems(t *testing.T, items []listItem) {
	t.Helper()
	for _, it := range items {
		u, err := url.Parse(it.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" && !spaRoute(u.Fragment) {
			t.Fatalf("bad item URL %q", it.URL)
		}
		if c, err := CanonicalURL(it.URL); err != nil || c != it.URL {
			t.Fatalf("item URL %q is not canonical (%q, %v)", it.URL, c, err)
		}
		for _, s := range []string{it.Title, it.Author, it.Body} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %+v", it.Item)
			}
		}
		if it.Replies < 0 || it.Views < 0 {
			t.Fatalf("negative counts in %+v", it.Item)
		}
		if !it.PublishedAt.IsZero() && (it.PublishedAt.Year() < 1990 || it.PublishedAt.After(testNow.Add(48*60*60*1e9))) {
			t.Fatalf("time out of range in %+v", it.Item)
		}
	}
}

func FuzzExtractList(f *testing.F) {
	seedFile(f, "testdata/board/list.html")
	seedFile(f, "testdata/gov/list.html")
	f.Add(`<table><tbody id="normalthread_1"><tr><th><a class="s xst" href="thread-1-1-1.html">标题</a></th>` +
		`<td class="by"><cite><a>作者</a></cite><em><span title="2026-11-20 10:21">3 天前</span></em></td>` +
		`<td class="num"><a class="xi2">1.2万</a><em>99</em></td></tr></tbody></table><div class="pg"><a class="nxt" href="?page=2">下一页</a></div>`)
	f.Add(`<li><a href="javascript:;">x</a></li><li><a href="mailto:a@b">y</a></li><li><a href="//other.example/p?utm_source=x#f">z</a></li>`)
	c, err := New(Options{Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	var srcs []Source
	for _, y := range []Source{
		{Name: "x3", Preset: PresetDiscuzX3, URL: "http://bbs.example/", Board: "2"},
		{Name: "gen", Preset: PresetGenericList, URL: "http://gov.example/tzgg/"},
		{Name: "board", URL: "http://bbs.example/list", List: ListSelectors{Item: "li.msg, li", Link: "a.t", Time: "span.time", Replies: "span.n"}},
	} {
		y.ApplyDefaults()
		srcs = append(srcs, y)
	}
	base, _ := url.Parse("http://bbs.example/forum.php?mod=forumdisplay&fid=2")
	f.Fuzz(func(t *testing.T, page string) {
		// Pages reach the extractors only through decodeBody, which
		// guarantees valid UTF-8.
		page = strings.ToValidUTF8(page, "\uFFFD")
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			return
		}
		for _, src := range srcs {
			j := &job{c: c, src: src, host: "bbs.example"}
			items, bad := j.extractList(doc, base)
			if bad < 0 {
				t.Fatalf("negative bad count")
			}
			checkItems(t, items)
		}
	})
}

func FuzzExtractJSON(f *testing.F) {
	for _, p := range []string{"testdata/liuyan/mp-page1.json", "testdata/liuyan/mp-page2.json", "testdata/liuyan/ruoyi-table.json"} {
		seedFile(f, p)
	}
	for _, s := range []string{`[]`, `{"data":{"list":null}}`, `)]}'` + "\n" + `{"data":{"list":[{"id":"a b&c"}]}}`,
		`{"data":{"list":[{"id":1e400}]}}`, `{"data":{"list":[{"id":{"x":1},"title":["t"]}]}}`, "\ufeff{}", `<html>验证码</html>`} {
		f.Add(s)
	}
	src := Source{Name: "ly", Preset: PresetLiuyan, URL: "http://gov.example/api/messages?current={page}",
		JSON: JSONFields{Link: "/detail.html?id={id}"}}
	src.ApplyDefaults()
	abs := src
	abs.JSON.Link = "url"
	base, _ := url.Parse("http://gov.example/api/messages?current=1")
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range []*Source{&src, &abs} {
			items, bad, err := extractJSON(s, text, base, testNow)
			if err != nil {
				if !errors.Is(err, ErrLayout) || len(items) != 0 {
					t.Fatalf("error %v is not a layout error (items %d)", err, len(items))
				}
				continue
			}
			if bad < 0 {
				t.Fatalf("negative bad count")
			}
			checkItems(t, items)
		}
	})
}

func FuzzDecodeBody(f *testing.F) {
	b, err := os.ReadFile("testdata/gov/list.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "text/html", "auto", false)
	f.Add([]byte(`<meta charset="gbk"><p>`+"\xd2\xbd\xb1\xa3"+`</p>`), "text/html", "auto", false)
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"gb2312\"?><rss>\xd2\xbd</rss>"), "application/xml", "auto", true)
	f.Add([]byte("\xef\xbb\xbf医保"), "text/html; charset=gbk", "gb18030", false)
	f.Add([]byte("é¢ä¿ç§ä¿"), "text/html; charset=iso-8859-1", "utf-8", false)
	f.Fuzz(func(t *testing.T, body []byte, contentType, want string, isXML bool) {
		text, _, err := decodeBody(body, contentType, want, isXML)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v does not wrap ErrEncoding", err)
			}
			return
		}
		if !utf8.ValidString(text) {
			t.Fatalf("decodeBody returned invalid UTF-8")
		}
		if mojibake(text) != "" {
			t.Fatalf("decodeBody returned text it calls mojibake")
		}
	})
}

// FuzzDecodedBody feeds arbitrary bytes, declared as identity, gzip or
// deflate (what contentCoding passes on), through the transport's decoder:
// it must never hand on more than its limit, an identity body must come
// through unchanged up to the limit, and a compressed one either decodes or
// fails as a truncation, an encoding error or a corrupt stream.
func FuzzDecodedBody(f *testing.F) {
	var gz, zl bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(bytes.Repeat([]byte("医保"), 4096))
	w.Close()
	z := zlib.NewWriter(&zl)
	z.Write([]byte("<p>报销</p>"))
	z.Close()
	f.Add(gz.Bytes(), uint8(1))
	f.Add(zl.Bytes(), uint8(2))
	f.Add([]byte("\x78\x9c\x03\x00"), uint8(2))
	f.Add([]byte("plain"), uint8(0))
	f.Add([]byte{}, uint8(1))
	codings := []string{"", "gzip", "deflate"}
	f.Fuzz(func(t *testing.T, raw []byte, which uint8) {
		const limit = 1000
		coding := codings[int(which)%len(codings)]
		b := &decodedBody{raw: io.NopCloser(bytes.NewReader(raw)), coding: coding, limit: limit}
		out, err := io.ReadAll(b)
		b.Close()
		if len(out) > limit {
			t.Fatalf("%d bytes passed a limit of %d", len(out), limit)
		}
		if coding == "" {
			if want := raw[:min(len(raw), limit)]; !bytes.Equal(out, want) || (err != nil) != (len(raw) > limit) {
				t.Fatalf("identity body changed: %d of %d bytes, err %v", len(out), len(raw), err)
			}
			return
		}
		var corrupt flate.CorruptInputError
		switch {
		case err == nil, errors.Is(err, ErrTruncated), errors.Is(err, ErrEncoding), errors.As(err, &corrupt),
			errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum),
			errors.Is(err, zlib.ErrChecksum), errors.Is(err, zlib.ErrHeader), errors.Is(err, zlib.ErrDictionary):
		default:
			t.Fatalf("unexpected error %T %v", err, err)
		}
	})
}
