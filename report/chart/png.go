package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// PNGScale is how many pixels a viewBox unit takes in a PNG: 1200 pixels
// across, sharp at 200 dpi on a 15 cm wide page.
const PNGScale = 3

// PNG paints the drawing as a PNG image PNGScale times the viewBox, on
// white, with its text in font. Links and hover titles have no place in
// an image; a document gives Desc as the image's alternative text.
func (d Drawing) PNG(f *Font) ([]byte, error) {
	img, err := d.Image(f)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("编码图表 PNG: %w", err)
	}
	return b.Bytes(), nil
}

// Image paints the drawing into an image (see PNG).
func (d Drawing) Image(f *Font) (*image.RGBA, error) {
	if f == nil {
		return nil, ErrNoFont
	}
	p := painter{img: image.NewRGBA(image.Rect(0, 0, Width*PNGScale, d.Height*PNGScale)), faces: map[float64]font.Face{}, font: f}
	defer p.closeFaces()
	draw.Draw(p.img, p.img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, m := range d.marks {
		var err error
		switch m.kind {
		case textMark:
			err = p.text(m, fontSize, false)
		case titleMark:
			err = p.text(m, titleSize, true)
		case rectMark:
			p.polygon(m.color, point{m.x, m.y}, point{m.x + m.w, m.y}, point{m.x + m.w, m.y + m.h}, point{m.x, m.y + m.h})
		case lineMark:
			p.segment(m.pts[0], m.pts[1], 1, m.color)
		case polylineMark:
			for i := 1; i < len(m.pts); i++ {
				p.segment(m.pts[i-1], m.pts[i], 2, m.color)
			}
			for _, pt := range m.pts { // round joins
				p.disc(pt, 1, m.color)
			}
		case circleMark:
			p.disc(point{m.x, m.y}, m.w, m.color)
		}
		if err != nil {
			return nil, err
		}
	}
	return p.img, nil
}

// painter paints marks given in viewBox units onto an image.
type painter struct {
	img   *image.RGBA
	r     vector.Rasterizer
	font  *Font
	faces map[float64]font.Face // by size in pixels
}

func (p *painter) closeFaces() {
	for _, f := range p.faces {
		f.Close()
	}
}

// polygon fills the polygon through pts (viewBox units) with colour c,
// anti-aliased.
func (p *painter) polygon(c string, pts ...point) {
	// Rasterize only the polygon's bounding box: a chart has hundreds of
	// small marks.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, pt := range pts {
		minX, minY = math.Min(minX, pt.x*PNGScale), math.Min(minY, pt.y*PNGScale)
		maxX, maxY = math.Max(maxX, pt.x*PNGScale), math.Max(maxY, pt.y*PNGScale)
	}
	box := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
	if box.Empty() {
		return
	}
	p.r.Reset(box.Dx(), box.Dy())
	for i, pt := range pts {
		x, y := float32(pt.x*PNGScale-float64(box.Min.X)), float32(pt.y*PNGScale-float64(box.Min.Y))
		if i == 0 {
			p.r.MoveTo(x, y)
		} else {
			p.r.LineTo(x, y)
		}
	}
	p.r.ClosePath()
	p.r.Draw(p.img, box, image.NewUniform(parseColor(c)), image.Point{})
}

// segment strokes the line from a to b, width units wide.
func (p *painter) segment(a, b point, width float64, c string) {
	dx, dy := b.x-a.x, b.y-a.y
	n := math.Hypot(dx, dy)
	if n == 0 {
		return
	}
	// Half the width across the line.
	ox, oy := -dy/n*width/2, dx/n*width/2
	p.polygon(c, point{a.x + ox, a.y + oy}, point{b.x + ox, b.y + oy}, point{b.x - ox, b.y - oy}, point{a.x - ox, a.y - oy})
}

// disc fills a circle of radius r around o.
func (p *painter) disc(o point, r float64, c string) {
	const sides = 24
	pts := make([]point, sides)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / sides
		pts[i] = point{o.x + r*math.Cos(a), o.y + r*math.Sin(a)}
	}
	p.polygon(c, pts...)
}

// text draws m's text at size (viewBox units), anchored as m says; bold
// is drawn twice a little apart (the regular face is all a chart needs).
func (p *painter) text(m mark, size float64, bold bool) error {
	px := size * PNGScale
	face, ok := p.faces[px]
	if !ok {
		var err error
		face, err = opentype.NewFace(p.font.f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return fmt.Errorf("字体 %s: %w", p.font.Name, err)
		}
		p.faces[px] = face
	}
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(parseColor(m.color)), Face: face}
	x := m.x * PNGScale
	switch m.anchor {
	case "middle":
		x -= float64(d.MeasureString(m.text)) / 64 / 2
	case "end":
		x -= float64(d.MeasureString(m.text)) / 64
	}
	strokes := []float64{0}
	if bold {
		strokes = append(strokes, px/30)
	}
	for _, dx := range strokes {
		d.Dot = fixed.Point26_6{X: fixed.Int26_6((x + dx) * 64), Y: fixed.Int26_6(m.y * PNGScale * 64)}
		d.DrawString(m.text)
	}
	return nil
}

// parseColor reads "#rrggbb" (black if it is not).
func parseColor(s string) color.RGBA {
	v, err := strconv.ParseUint(s[min(1, len(s)):], 16, 32)
	if len(s) != 7 || s[0] != '#' || err != nil {
		return color.RGBA{A: 255}
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}
