// Package docx writes Word documents (Office Open XML WordprocessingML,
// .docx) for reports: a title, headings, paragraphs, tables with a header
// row repeated on each page, PNG images at a given width, an A4 page with
// page numbers in the footer, and Chinese fonts in the styles. It is a
// small writer over archive/zip and encoding/xml escaping: the reports
// need a sliver of OOXML, and the Go libraries that write it are paid
// (unioffice), AGPL (fumiama/go-docx), stale (gooxml, gomutex/godocx) or
// too young to lean on.
package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"math"
	"strings"
	"time"
)

// Page geometry in twentieths of a point (twips): A4 with 2.54 cm top and
// bottom margins and 2.8 cm at the sides.
const (
	pageWidth   = 11906
	pageHeight  = 16838
	marginTB    = 1440
	marginLR    = 1587
	textWidth   = pageWidth - 2*marginLR // twips
	emuPerTwip  = 635                    // English Metric Units, DrawingML's unit
	TextWidthCM = float64(textWidth) / 1440 * 2.54
)

// Fonts are the fonts a document's styles name: East Asian fonts for
// Chinese text (Word falls back on one it has; LibreOffice through
// fontconfig), Latin for Latin letters and digits.
type Fonts struct {
	Body, Heading, Table string // East Asian, e.g. 仿宋, 黑体, 宋体
	Latin                string // e.g. Times New Roman
}

// DefaultFonts are those of Chinese official documents: 仿宋 for the body,
// 黑体 for headings and the title, 宋体 in tables.
func DefaultFonts() Fonts {
	return Fonts{Body: "仿宋", Heading: "黑体", Table: "宋体", Latin: "Times New Roman"}
}

// Document is a Word document being written. Its zero value is not
// usable: call New.
type Document struct {
	title   string
	created time.Time
	fonts   Fonts
	body    strings.Builder
	images  [][]byte // PNG files, word/media/image<i+1>.png
	drawing int      // ids of drawing objects so far
}

// New starts a document with the given title (its properties) and
// creation time (its properties and the zip entries' times, so the same
// document always gives the same bytes).
func New(title string, created time.Time, fonts Fonts) *Document {
	return &Document{title: title, created: created, fonts: fonts}
}

// Title adds the document's title: centred, large, in the heading font.
func (d *Document) Title(text string) { d.paragraph("Title", "", text) }

// Heading adds a heading of level 1 or 2.
func (d *Document) Heading(level int, text string) {
	d.paragraph(fmt.Sprintf("Heading%d", min(max(level, 1), 2)), "", text)
}

// Paragraph adds a body paragraph (first line indented two characters);
// a newline in text breaks the line.
func (d *Document) Paragraph(text string) { d.paragraph("", "", text) }

// Caption adds a centred caption, e.g. a chart's title under it.
func (d *Document) Caption(text string) { d.paragraph("Caption", "", text) }

// Note adds a small paragraph, e.g. a table's source or a footnote.
func (d *Document) Note(text string) { d.paragraph("Note", "", text) }

// paragraph writes a paragraph of style (""; Normal) with runs of text.
func (d *Document) paragraph(style, props, text string) {
	d.body.WriteString("<w:p>")
	if style != "" || props != "" {
		d.body.WriteString("<w:pPr>")
		if style != "" {
			fmt.Fprintf(&d.body, `<w:pStyle w:val="%s"/>`, style)
		}
		d.body.WriteString(props)
		d.body.WriteString("</w:pPr>")
	}
	d.run("", text)
	d.body.WriteString("</w:p>")
}

// run writes text as one run with run properties rPr.
func (d *Document) run(rPr, text string) {
	if text == "" {
		return
	}
	d.body.WriteString("<w:r>")
	if rPr != "" {
		d.body.WriteString("<w:rPr>" + rPr + "</w:rPr>")
	}
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			d.body.WriteString("<w:br/>")
		}
		d.body.WriteString(`<w:t xml:space="preserve">` + escape(line) + "</w:t>")
	}
	d.body.WriteString("</w:r>")
}

// Table adds a table the width of the text: header is its first row,
// bold and shaded, repeated at the top of each page; a row keeps to one
// page. Right names the columns aligned right (numbers); nil: none.
// Columns are as wide as their widest cell (a heading may take two
// lines); a table too wide for the page at 10.5 pt is set at 9 pt.
func (d *Document) Table(header []string, rows [][]string, right []bool) {
	cols := len(header)
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	widths, size := columnWidths(header, rows, cols)
	d.body.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		fmt.Fprintf(&d.body, `<w:%s w:val="single" w:sz="4" w:space="0" w:color="808080"/>`, side)
	}
	fmt.Fprintf(&d.body, `</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="%d" w:type="dxa"/><w:right w:w="%d" w:type="dxa"/></w:tblCellMar>`+
		`<w:tblLook w:val="0020" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>`, cellMargin(size), cellMargin(size))
	for _, w := range widths {
		fmt.Fprintf(&d.body, `<w:gridCol w:w="%d"/>`, w)
	}
	d.body.WriteString(`</w:tblGrid>`)
	rPr := ""
	if size != tableSize {
		rPr = fmt.Sprintf(`<w:sz w:val="%d"/><w:szCs w:val="%d"/>`, size, size)
	}
	row := func(cells []string, head bool) {
		d.body.WriteString(`<w:tr><w:trPr><w:cantSplit/>`)
		if head {
			d.body.WriteString(`<w:tblHeader/>`)
		}
		d.body.WriteString(`</w:trPr>`)
		for c := range cols {
			text := ""
			if c < len(cells) {
				text = cells[c]
			}
			fmt.Fprintf(&d.body, `<w:tc><w:tcPr><w:tcW w:w="%d" w:type="dxa"/><w:tcMar><w:left w:w="%[2]d" w:type="dxa"/><w:right w:w="%[2]d" w:type="dxa"/></w:tcMar>`,
				widths[c], cellMargin(size))
			if head {
				d.body.WriteString(`<w:shd w:val="clear" w:color="auto" w:fill="DCE6F1"/>`)
			}
			d.body.WriteString(`<w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/>`)
			switch {
			case head:
				d.body.WriteString(`<w:jc w:val="center"/>`)
			case c < len(right) && right[c]:
				d.body.WriteString(`<w:jc w:val="right"/>`)
			}
			d.body.WriteString(`</w:pPr>`)
			if head {
				d.run("<w:b/>"+rPr, text)
			} else {
				d.run(rPr, text)
			}
			d.body.WriteString(`</w:p></w:tc>`)
		}
		d.body.WriteString(`</w:tr>`)
	}
	row(header, true)
	for _, r := range rows {
		row(r, false)
	}
	// Word needs a paragraph between two tables; it also spaces a table
	// from what follows.
	d.body.WriteString(`</w:tbl><w:p><w:pPr><w:pStyle w:val="Note"/></w:pPr></w:p>`)
}

// Table text sizes in half points.
const (
	tableSize      = 21 // 10.5 pt, 五号
	smallTableSize = 18 // 9 pt, 小五
)

// cellMargin is a cell's side margin in twips at a text size.
func cellMargin(size int) int { return size * 3 / 2 }

// columnWidths shares the text's width among the columns in proportion to
// their widest cell, and says the text size that lets the table fit
// (twips; half points). Data cells keep to one line where they can:
// headings take two lines, then three, then four, and then the text is
// set smaller.
func columnWidths(header []string, rows [][]string, cols int) ([]int, int) {
	data := make([]float64, cols) // in ems
	for c := range cols {
		for _, r := range rows {
			if c < len(r) {
				data[c] = math.Max(data[c], ems(r[c]))
			}
		}
	}
	natural := make([]float64, cols)
	var size int
	var sum float64
fit:
	for _, size = range []int{tableSize, smallTableSize} {
		for lines := 2.0; lines <= 4; lines++ {
			sum = 0
			for c := range cols {
				head := 0.0
				if c < len(header) {
					head = math.Ceil(ems(header[c]) / lines)
				}
				natural[c] = math.Max(math.Max(data[c], head), 1) + 0.4          // slack for the font the viewer has
				sum += natural[c]*float64(size)*10 + float64(2*cellMargin(size)) // an em is size/2 points, 20 twips a point
			}
			if sum <= textWidth {
				break fit
			}
		}
	}
	widths := make([]int, cols)
	left := textWidth
	for c, n := range natural {
		if c == cols-1 {
			widths[c] = left
			break
		}
		widths[c] = int((n*float64(size)*10 + float64(2*cellMargin(size))) / sum * textWidth)
		left -= widths[c]
	}
	return widths, size
}

// ems estimates how wide s is drawn, in ems: a Chinese character is one,
// a Latin letter or digit a little more than half (the longest line,
// if several).
func ems(s string) float64 {
	most := 0.0
	for _, line := range strings.Split(s, "\n") {
		w := 0.0
		for _, r := range line {
			if r < 0x2e80 {
				w += 0.6
			} else {
				w++
			}
		}
		most = math.Max(most, w)
	}
	return most
}

// Image adds a PNG image as its own centred paragraph, widthCM wide
// (at most the text's width) and as high as its aspect ratio makes it;
// alt is its alternative text.
func (d *Document) Image(pngData []byte, widthCM float64, alt string) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	if err != nil {
		return fmt.Errorf("图片不是 PNG: %w", err)
	}
	if cfg.Width == 0 || cfg.Height == 0 {
		return fmt.Errorf("图片大小为零（%d×%d）", cfg.Width, cfg.Height)
	}
	widthCM = min(widthCM, TextWidthCM)
	cx := int64(widthCM * 360000) // EMU per cm
	cy := cx * int64(cfg.Height) / int64(cfg.Width)
	d.images = append(d.images, pngData)
	d.drawing++
	n, rid := d.drawing, imageRID(len(d.images))
	name := fmt.Sprintf("图%d", n)
	fmt.Fprintf(&d.body, `<w:p><w:pPr><w:pStyle w:val="Figure"/></w:pPr><w:r><w:drawing>`+
		`<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="%d" cy="%d"/><wp:effectExtent l="0" t="0" r="0" b="0"/>`+
		`<wp:docPr id="%d" name="%s" descr="%s"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>`+
		`<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>`+
		`<pic:nvPicPr><pic:cNvPr id="%d" name="image%d.png" descr="%s"/><pic:cNvPicPr/></pic:nvPicPr>`+
		`<pic:blipFill><a:blip r:embed="%s"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>`+
		`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="%d" cy="%d"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>`+
		`</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`,
		cx, cy, n, escape(name), escape(alt), n, len(d.images), escape(alt), rid, cx, cy)
	return nil
}

// imageRID is the relationship id of the i-th image (from 1); rId1..3
// are the styles, settings and footer.
func imageRID(i int) string { return fmt.Sprintf("rId%d", i+3) }

// PageBreak starts a new page.
func (d *Document) PageBreak() { d.body.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`) }

// Write writes the document as a .docx file.
func (d *Document) Write(w io.Writer) error {
	z := zip.NewWriter(w)
	for _, p := range d.parts() {
		h := &zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: d.created}
		if strings.HasSuffix(p.name, ".png") {
			h.Method = zip.Store // already compressed
		}
		f, err := z.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("写出 %s: %w", p.name, err)
		}
		if _, err := f.Write(p.data); err != nil {
			return fmt.Errorf("写出 %s: %w", p.name, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("写出 docx: %w", err)
	}
	return nil
}

type part struct {
	name string
	data []byte
}

// parts are the package's files, [Content_Types].xml first as Word
// expects.
func (d *Document) parts() []part {
	ps := []part{
		{"[Content_Types].xml", []byte(contentTypes)},
		{"_rels/.rels", []byte(packageRels)},
		{"docProps/core.xml", []byte(d.core())},
		{"docProps/app.xml", []byte(appProps)},
		{"word/document.xml", []byte(d.document())},
		{"word/_rels/document.xml.rels", []byte(d.documentRels())},
		{"word/styles.xml", []byte(d.styles())},
		{"word/settings.xml", []byte(settings)},
		{"word/footer1.xml", []byte(footer)},
	}
	for i, img := range d.images {
		ps = append(ps, part{fmt.Sprintf("word/media/image%d.png", i+1), img})
	}
	return ps
}

// escape escapes s for XML text and attributes; characters XML cannot
// hold become U+FFFD.
func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // a strings.Builder does not fail
	return b.String()
}
