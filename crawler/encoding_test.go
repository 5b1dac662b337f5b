package crawler

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const sample = "参保人反映：在定点药店购药时，医保卡被多刷了三百元，店员称系统故障，要求医保局核查处理。"

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeBody(t *testing.T) {
	page := func(meta string) string {
		return "<html><head>" + meta + "<title>t</title></head><body>" + sample + "</body></html>"
	}
	for _, tc := range []struct {
		name, ct, want string
		body           []byte
		xml            bool
		ok             bool
	}{
		{"gbk meta only", "text/html", "auto", gbk(t, page(`<meta http-equiv="Content-Type" content="text/html; charset=gbk" />`)), false, true},
		{"gb2312 html5 meta", "", "auto", gbk(t, page(`<meta charset="gb2312">`)), false, true},
		{"gbk header", "text/html; charset=GBK", "auto", gbk(t, page("")), false, true},
		{"configured gb18030", "text/html", "gb18030", gbk(t, page("")), false, true},
		{"utf-8 undeclared", "text/html", "auto", []byte(page("")), false, true},
		{"utf-8 with BOM", "", "auto", append([]byte{0xef, 0xbb, 0xbf}, page("")...), false, true},
		{"gbk undeclared", "text/html", "auto", gbk(t, page("")), false, false},
		{"header says utf-8, body gbk", "text/html; charset=utf-8", "auto", gbk(t, page("")), false, false},
		{"configured utf-8, body gbk", "text/html", "utf-8", gbk(t, page(`<meta charset="gbk">`)), false, false},
		{"meta says gbk, body utf-8", "", "auto", []byte(page(`<meta charset="gbk">`)), false, false},
		{"configured gb18030, body utf-8", "", "gb18030", []byte(page("")), false, false},
		{"latin-1 header on a chinese page", "text/html; charset=iso-8859-1", "auto", gbk(t, page("")), false, false},
		{"unknown charset", "text/html; charset=x-martian", "auto", []byte(page("")), false, false},
		{"gbk xml declaration", "application/rss+xml", "auto", gbk(t, `<?xml version="1.0" encoding="gb2312"?><rss><channel><title>`+sample+`</title></channel></rss>`), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := decodeBody(tc.body, tc.ct, tc.want, tc.xml)
			if !tc.ok {
				if !errors.Is(err, ErrEncoding) {
					t.Fatalf("err = %v, want ErrEncoding", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, sample) {
				t.Errorf("decoded text lacks the sample: %q", got)
			}
			if tc.xml && !strings.Contains(got, `encoding="utf-8"`) {
				t.Errorf("XML declaration not rewritten: %q", got[:60])
			}
		})
	}
}

func TestMojibakeDetected(t *testing.T) {
	// UTF-8 bytes read as GBK, then re-encoded: what a wrong charset yields.
	garbled, _ := simplifiedchinese.GBK.NewDecoder().String(sample)
	if mojibake(garbled) == "" {
		t.Errorf("GBK-read UTF-8 not flagged: %q", garbled)
	}
	latin, _ := charmap.Windows1252.NewDecoder().String(sample)
	if mojibake(latin) == "" {
		t.Errorf("Latin-1-read UTF-8 not flagged: %q", latin)
	}
	for _, ok := range []string{sample, "Résumé café naïve", "价格 ¥100，温度 36°C"} {
		if why := mojibake(ok); why != "" {
			t.Errorf("genuine text %q flagged: %s", ok, why)
		}
	}
	// The same check guards pages that claim UTF-8 but were double-encoded.
	if _, _, err := decodeBody([]byte("<p>"+garbled+"</p>"), "text/html; charset=utf-8", "auto", false); !errors.Is(err, ErrEncoding) {
		t.Errorf("double-encoded page accepted: %v", err)
	}
}

// TestBrokenBytesReplaced: a few broken sequences in a page in the right
// encoding are replaced and counted; a page in another encoding still fails.
func TestBrokenBytesReplaced(t *testing.T) {
	cutUTF8 := []byte("<p>" + sample + "</p><p>医保\xe5\x8c</p><p>" + sample + "</p>") // 报 lost its last byte
	for _, tc := range []struct {
		name, ct, want string
		body           []byte
		replaced       int
	}{
		{"utf-8 declared, one cut character", "text/html; charset=utf-8", "auto", cutUTF8, 1},
		{"utf-8 undeclared, one cut character", "text/html", "auto", cutUTF8, 1},
		{"utf-8 configured, stray byte", "", "utf-8", []byte("<p>" + sample + "\xff</p>"), 1},
		{"gbk, one cut character", "text/html; charset=gbk", "auto", append(gbk(t, "<p>"+sample), 0xd2, '<', '/', 'p', '>'), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, replaced, err := decodeBody(tc.body, tc.ct, tc.want, false)
			if err != nil {
				t.Fatal(err)
			}
			if replaced != tc.replaced || strings.Count(text, "\ufffd") != tc.replaced || !strings.Contains(text, sample) {
				t.Errorf("replaced %d (want %d): %q", replaced, tc.replaced, text)
			}
		})
	}
	// Four broken characters in a short text are not damage but a sign of
	// the wrong encoding.
	if _, _, err := decodeBody([]byte("<p>医保\xe5\x8c 报销\xe5\x8c 药店\xe5\x8c 住院\xe5\x8c</p>"), "text/html; charset=utf-8", "auto", false); !errors.Is(err, ErrEncoding) {
		t.Errorf("four broken characters in twelve accepted: %v", err)
	}
}
