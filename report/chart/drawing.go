package chart

import (
	"fmt"
	"strings"
)

// Drawing is a chart laid out: every mark and where it goes, in viewBox
// units. The layout is computed once (daily.go, shares.go); SVG and PNG
// only paint it, so a page and a document show the same chart.
type Drawing struct {
	Height int    // of the viewBox; its width is Width
	Title  string // the chart's title, drawn on top
	Desc   string // what it shows, in words: for screen readers and a document's alternative text
	marks  []mark
}

type markKind uint8

const (
	textMark markKind = iota
	titleMark
	rectMark
	lineMark
	polylineMark
	circleMark
	linkOpen
	linkClose
)

type point struct{ x, y float64 }

// mark is one thing drawn. Which fields count depends on its kind: a
// text's (x, y) is its baseline's anchor point; a line runs from pts[0]
// to pts[1]; a circle is centred at (x, y) with radius w.
type mark struct {
	kind       markKind
	x, y, w, h float64
	pts        []point
	color      string // fill, or stroke for lines
	anchor     string // text: start, middle or end
	text       string // text: what is drawn; rect, circle: hover title; link: href
}

// open starts the drawing: its size, title and description.
func (d *Drawing) open(height int, title, desc string) {
	d.Height, d.Title, d.Desc = height, title, desc
	d.marks = append(d.marks, mark{kind: titleMark, x: 0, y: titleY, anchor: "start", color: ink, text: title})
}

// text draws s at (x, y); anchor is start, middle or end.
func (d *Drawing) text(x, y float64, anchor, fill, s string) {
	d.marks = append(d.marks, mark{kind: textMark, x: x, y: y, anchor: anchor, color: fill, text: s})
}

// rect draws a filled rectangle with a hover title ("" for none).
func (d *Drawing) rect(x, y, width, height float64, fill, title string) {
	d.marks = append(d.marks, mark{kind: rectMark, x: x, y: y, w: width, h: height, color: fill, text: title})
}

// line draws a line one unit wide.
func (d *Drawing) line(x1, y1, x2, y2 float64, stroke string) {
	d.marks = append(d.marks, mark{kind: lineMark, pts: []point{{x1, y1}, {x2, y2}}, color: stroke})
}

// polyline draws a line two units wide through pts.
func (d *Drawing) polyline(pts []point, stroke string) {
	d.marks = append(d.marks, mark{kind: polylineMark, pts: pts, color: stroke})
}

// circle draws a dot of radius r with a hover title.
func (d *Drawing) circle(x, y, r float64, fill, title string) {
	d.marks = append(d.marks, mark{kind: circleMark, x: x, y: y, w: r, color: fill, text: title})
}

// link wraps what draw draws in a link to href ("" draws it bare).
func (d *Drawing) link(href string, draw func()) {
	if href == "" {
		draw()
		return
	}
	d.marks = append(d.marks, mark{kind: linkOpen, text: href})
	draw()
	d.marks = append(d.marks, mark{kind: linkClose})
}

// titleSize is the font size of a chart's title.
const titleSize = 15

// SVG paints the drawing as an <svg> element, with hover titles and links.
func (d Drawing) SVG() SVG {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="%s" font-size="%d">`,
		Width, d.Height, esc(d.Title), esc(fontFamily), fontSize)
	fmt.Fprintf(&b, `<title>%s</title><desc>%s</desc>`, esc(d.Title), esc(d.Desc))
	for _, m := range d.marks {
		switch m.kind {
		case textMark, titleMark:
			extra := ""
			if m.kind == titleMark {
				extra = fmt.Sprintf(` font-weight="bold" font-size="%d"`, titleSize)
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" fill="%s"%s>%s</text>`, num(m.x), num(m.y), m.anchor, m.color, extra, esc(m.text))
		case rectMark:
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s">`, num(m.x), num(m.y), num(m.w), num(m.h), m.color)
			if m.text != "" {
				fmt.Fprintf(&b, `<title>%s</title>`, esc(m.text))
			}
			b.WriteString(`</rect>`)
		case lineMark:
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
				num(m.pts[0].x), num(m.pts[0].y), num(m.pts[1].x), num(m.pts[1].y), m.color)
		case polylineMark:
			pts := make([]string, len(m.pts))
			for i, p := range m.pts {
				pts[i] = num(p.x) + "," + num(p.y)
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), m.color)
		case circleMark:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="%s" fill="%s"><title>%s</title></circle>`, num(m.x), num(m.y), num(m.w), m.color, esc(m.text))
		case linkOpen:
			fmt.Fprintf(&b, `<a href="%s">`, esc(m.text))
		case linkClose:
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return SVG(b.String())
}
