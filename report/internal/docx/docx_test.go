package docx_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report/internal/docx"
	"github.com/yuqing-bureau/yuqing/report/internal/reporttools"
)

var update = flag.Bool("update", false, "rewrite testdata/small.golden")

// testPNG is a w×h PNG of one colour.
func testPNG(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// small is a document with one of everything.
func small(t *testing.T) ([]byte, [][]byte) {
	t.Helper()
	d := docx.New("医保舆情周报（2026年12月7日—12月13日）", time.Date(2026, 12, 14, 8, 30, 0, 0, time.UTC), docx.DefaultFonts())
	d.Title("医保舆情周报（2026年12月7日—12月13日）")
	d.Heading(1, "一、总体情况")
	d.Paragraph("本周共监测到医保相关舆情信息 120 条，环比上升 20%；\n负面 30 条 <含> & 转载。")
	imgs := [][]byte{testPNG(t, 400, 200, color.RGBA{200, 30, 30, 255}), testPNG(t, 300, 300, color.RGBA{0, 0, 200, 255})}
	if err := d.Image(imgs[0], 15, "每日采集与相关帖子：共 120 条"); err != nil {
		t.Fatal(err)
	}
	d.Caption("图1 每日采集与相关帖子")
	d.Heading(2, "（一）事件")
	d.Table([]string{"编号", "标题", "帖子数"}, [][]string{{"SJ-1", "门诊报销难", "12"}, {"SJ-2", "异地就医"}}, []bool{false, false, true})
	if err := d.Image(imgs[1], 40, "来源分布"); err != nil {
		t.Fatal(err)
	}
	d.Note("注：数据截至 12月14日 08:30。")
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), imgs
}

// TestGolden: the small document's parts are as testdata/small.golden
// says (images by size and hash); go test -update rewrites it, after
// opening the document in LibreOffice.
func TestGolden(t *testing.T) {
	b, _ := small(t)
	names, files := reporttools.Unzip(t, b)
	var dump strings.Builder
	for _, n := range names {
		if strings.HasSuffix(n, ".png") {
			fmt.Fprintf(&dump, "== %s: %d bytes, sha256 %x\n", n, len(files[n]), sha256.Sum256(files[n]))
			continue
		}
		fmt.Fprintf(&dump, "== %s\n%s\n", n, files[n])
	}
	golden := filepath.Join("testdata", "small.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(dump.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if dump.String() != string(want) {
		t.Errorf("the document differs from %s (go test -update to accept):\n%s", golden, dump.String())
	}
}

// TestPackage: every part is well-formed XML, has a content type, every
// relationship points at a part, every image the document embeds is in
// the package as given, and images keep their aspect ratio within the
// text's width.
func TestPackage(t *testing.T) {
	b, imgs := small(t)
	names, files := reporttools.Unzip(t, b)
	if names[0] != "[Content_Types].xml" {
		t.Errorf("first part is %s, not [Content_Types].xml", names[0])
	}
	var types struct {
		Default []struct {
			Extension string `xml:",attr"`
		}
		Override []struct {
			PartName string `xml:",attr"`
		}
	}
	if err := xml.Unmarshal(files["[Content_Types].xml"], &types); err != nil {
		t.Fatal(err)
	}
	typed := map[string]bool{}
	for _, d := range types.Default {
		typed["."+d.Extension] = true
	}
	for _, o := range types.Override {
		typed[o.PartName] = true
	}
	for _, n := range names {
		if n == "[Content_Types].xml" {
			continue
		}
		if !typed["/"+n] && !typed[path.Ext(n)] {
			t.Errorf("%s has no content type", n)
		}
		if strings.HasSuffix(n, ".xml") || strings.HasSuffix(n, ".rels") {
			d := xml.NewDecoder(bytes.NewReader(files[n]))
			for {
				_, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s is not well-formed: %v", n, err)
				}
			}
		}
	}
	rels := map[string]string{} // id → target of word/document.xml
	for _, relsPart := range []string{"_rels/.rels", "word/_rels/document.xml.rels"} {
		var r struct {
			Relationship []struct {
				ID     string `xml:"Id,attr"`
				Target string `xml:",attr"`
			}
		}
		if err := xml.Unmarshal(files[relsPart], &r); err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(path.Dir(path.Dir(relsPart)), ".")
		for _, rel := range r.Relationship {
			target := path.Join(base, rel.Target)
			if _, ok := files[target]; !ok {
				t.Errorf("%s: %s points at %s, not in the package", relsPart, rel.ID, target)
			}
			if relsPart == "word/_rels/document.xml.rels" {
				rels[rel.ID] = target
			}
		}
	}
	doc := string(files["word/document.xml"])
	embeds := regexp.MustCompile(`<wp:extent cx="(\d+)" cy="(\d+)"/>.*?r:embed="(rId\d+)"`).FindAllStringSubmatch(doc, -1)
	if len(embeds) != len(imgs) {
		t.Fatalf("%d images embedded, want %d", len(embeds), len(imgs))
	}
	for i, m := range embeds {
		if !bytes.Equal(files[rels[m[3]]], imgs[i]) {
			t.Errorf("image %d (%s → %s) is not the PNG given", i+1, m[3], rels[m[3]])
		}
		cfg, _ := png.DecodeConfig(bytes.NewReader(imgs[i]))
		var cx, cy int64
		fmt.Sscan(m[1], &cx)
		fmt.Sscan(m[2], &cy)
		if got, want := float64(cy)/float64(cx), float64(cfg.Height)/float64(cfg.Width); got < want*0.999 || got > want*1.001 {
			t.Errorf("image %d: aspect %.3f, want %.3f", i+1, got, want)
		}
		if cx > int64(docx.TextWidthCM*360000)+1 {
			t.Errorf("image %d is %d EMU wide, wider than the text", i+1, cx)
		}
	}
	for _, want := range []string{`<w:pgSz w:w="11906" w:h="16838"/>`, `<w:tblHeader/>`, `负面 30 条 &lt;含&gt; &amp; 转载。`, `<w:br/>`, `descr="来源分布"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	if styles := string(files["word/styles.xml"]); !strings.Contains(styles, `w:eastAsia="仿宋"`) || !strings.Contains(styles, `w:eastAsia="黑体"`) {
		t.Errorf("styles lack the Chinese fonts:\n%s", styles)
	}
}

// TestImageNotPNG: an image that is not a PNG is refused, the document
// left as it was.
func TestImageNotPNG(t *testing.T) {
	d := docx.New("t", time.Time{}, docx.DefaultFonts())
	if err := d.Image([]byte("GIF89a"), 10, "x"); err == nil {
		t.Fatal("a GIF was taken as a PNG")
	}
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	names, _ := reporttools.Unzip(t, b.Bytes())
	for _, n := range names {
		if strings.HasPrefix(n, "word/media/") {
			t.Errorf("refused image written: %s", n)
		}
	}
}

// TestControlCharacters: characters XML cannot hold (a control character
// pasted into a post's title) become U+FFFD; the part stays well-formed.
func TestControlCharacters(t *testing.T) {
	d := docx.New("t\x01", time.Time{}, docx.DefaultFonts())
	d.Paragraph("住院\x01报销\x0b")
	d.Table([]string{"标题"}, [][]string{{"a\x02b"}}, nil)
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	_, files := reporttools.Unzip(t, b.Bytes())
	for _, name := range []string{"word/document.xml", "docProps/core.xml"} {
		if err := xml.Unmarshal(files[name], new(struct{})); err != nil {
			t.Errorf("%s is not well-formed: %v", name, err)
		}
	}
	if doc := string(files["word/document.xml"]); !strings.Contains(doc, "住院\uFFFD报销\uFFFD") || !strings.Contains(doc, "a\uFFFDb") {
		t.Errorf("control characters not replaced:\n%s", doc)
	}
}
