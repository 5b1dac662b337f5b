package docx

import (
	"fmt"
	"strings"
	"time"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const contentTypes = xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Default Extension="png" ContentType="image/png"/>` +
	`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
	`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
	`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
	`<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
	`</Types>`

const packageRels = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const appProps = xmlHeader + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>yuqing</Application></Properties>`

func (d *Document) core() string {
	at := d.created.UTC().Format(time.RFC3339)
	return xmlHeader + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<dc:title>` + escape(d.title) + `</dc:title><dc:creator>yuqing</dc:creator>` +
		`<dcterms:created xsi:type="dcterms:W3CDTF">` + at + `</dcterms:created>` +
		`<dcterms:modified xsi:type="dcterms:W3CDTF">` + at + `</dcterms:modified></cp:coreProperties>`
}

const relImage = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"

func (d *Document) documentRels() string {
	var b strings.Builder
	b.WriteString(xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>`)
	for i := range d.images {
		fmt.Fprintf(&b, `<Relationship Id="%s" Type="%s" Target="media/image%d.png"/>`, imageRID(i+1), relImage, i+1)
	}
	b.WriteString(`</Relationships>`)
	return b.String()
}

// namespaces of the document part.
const bodyNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
	`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ` +
	`xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" ` +
	`xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ` +
	`xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"`

func (d *Document) document() string {
	return xmlHeader + `<w:document ` + bodyNS + `><w:body>` + d.body.String() +
		fmt.Sprintf(`<w:sectPr><w:footerReference w:type="default" r:id="rId3"/><w:pgSz w:w="%d" w:h="%d"/>`+
			`<w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" w:header="851" w:footer="992" w:gutter="0"/>`+
			`<w:docGrid w:type="lines" w:linePitch="312"/></w:sectPr>`, pageWidth, pageHeight, marginTB, marginLR, marginTB, marginLR) +
		`</w:body></w:document>`
}

// footer: the page number, centred ("第 1 页 共 3 页").
const footer = xmlHeader + `<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
	`<w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>` +
	`<w:r><w:t xml:space="preserve">第 </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>` +
	`<w:r><w:t xml:space="preserve"> 页 共 </w:t></w:r><w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple>` +
	`<w:r><w:t xml:space="preserve"> 页</w:t></w:r></w:p></w:ftr>`

const settings = xmlHeader + `<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
	`<w:defaultTabStop w:val="420"/><w:characterSpacingControl w:val="compressPunctuation"/>` +
	`<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>`

// styles: sizes are in half points. Body 14 pt (四号), title 22 pt (二号),
// headings 16 pt (三号) and 14 pt, tables and notes 10.5 pt (五号).
func (d *Document) styles() string {
	f := d.fonts
	fonts := func(eastAsia string) string {
		return fmt.Sprintf(`<w:rFonts w:ascii="%[1]s" w:hAnsi="%[1]s" w:eastAsia="%[2]s" w:cs="%[1]s"/>`, escape(f.Latin), escape(eastAsia))
	}
	style := func(id, name, pPr, rPr string) string {
		return fmt.Sprintf(`<w:style w:type="paragraph" w:customStyle="1" w:styleId="%s"><w:name w:val="%s"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr>%s</w:pPr><w:rPr>%s</w:rPr></w:style>`,
			id, name, pPr, rPr)
	}
	return xmlHeader + `<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
		`<w:docDefaults><w:rPrDefault><w:rPr>` + fonts(f.Body) + `<w:sz w:val="28"/><w:szCs w:val="28"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>` +
		`<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="360" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
		`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="560"/><w:jc w:val="both"/></w:pPr></w:style>` +
		style("Title", "Title", `<w:spacing w:before="240" w:after="360" w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/><w:outlineLvl w:val="0"/>`, fonts(f.Heading)+`<w:sz w:val="44"/><w:szCs w:val="44"/>`) +
		style("Heading1", "heading 1", `<w:keepNext/><w:spacing w:before="240" w:after="120"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:outlineLvl w:val="0"/>`, fonts(f.Heading)+`<w:sz w:val="32"/><w:szCs w:val="32"/>`) +
		style("Heading2", "heading 2", `<w:keepNext/><w:spacing w:before="120" w:after="60"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:outlineLvl w:val="1"/>`, fonts(f.Heading)+`<w:sz w:val="28"/><w:szCs w:val="28"/>`) +
		style("Figure", "Figure", `<w:keepNext/><w:spacing w:before="120" w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/>`, "") +
		style("Caption", "caption", `<w:spacing w:after="240"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/>`, fonts(f.Heading)+`<w:sz w:val="21"/><w:szCs w:val="21"/>`) +
		style("TableText", "Table Text", `<w:spacing w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="left"/>`, fonts(f.Table)+`<w:sz w:val="21"/><w:szCs w:val="21"/>`) +
		style("Note", "Note", `<w:spacing w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/>`, fonts(f.Table)+`<w:sz w:val="21"/><w:szCs w:val="21"/>`) +
		style("Footer", "footer", `<w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/>`, fonts(f.Table)+`<w:sz w:val="18"/><w:szCs w:val="18"/>`) +
		`</w:styles>`
}
