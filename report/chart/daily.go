package chart

import (
	"fmt"
	"math"
	"strings"
)

// Series is one quantity over a Daily chart's positions.
type Series struct {
	Name   string
	Color  string // #rrggbb
	Values []int  // one per position of the chart
	Href   string // where its legend entry links; "": nowhere
}

// Daily is a chart over consecutive positions, days most often: stacked
// bars (Stacked) or lines (Lines).
type Daily struct {
	Title string
	// Labels name the positions on the axis ("11-23"), Names in the
	// hover titles ("11月23日"); nil Names: the Labels.
	Labels, Names []string
	Series        []Series
	Unit          string // of the values, e.g. 条
}

// The plot area of a Daily chart, in viewBox units.
const (
	plotLeft   = 36.0
	plotRight  = Width - 6.0
	plotTop    = 32.0
	plotHeight = 150.0
	plotBottom = plotTop + plotHeight
)

// Stacked draws the series as bars stacked per position, the first at the
// bottom; each segment's title says its position, series and value.
func (c Daily) Stacked() SVG { return c.StackedDrawing().SVG() }

// StackedDrawing lays out Stacked.
func (c Daily) StackedDrawing() Drawing {
	n := len(c.Labels)
	tops := make([]int, n)
	for _, s := range c.Series {
		for i := range min(n, len(s.Values)) {
			tops[i] += s.Values[i]
		}
	}
	var w Drawing
	top := c.frame(&w, maxOf(tops))
	slot := (plotRight - plotLeft) / float64(max(n, 1))
	bar := math.Max(slot*0.7, 1)
	for i := range n {
		y := plotBottom
		for _, s := range c.Series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			h := float64(s.Values[i]) / top * plotHeight
			y -= h
			w.rect(plotLeft+float64(i)*slot+(slot-bar)/2, y, bar, h, s.Color, c.pointTitle(i, s))
		}
	}
	return w
}

// Lines draws each series as a line with a dot per position.
func (c Daily) Lines() SVG { return c.LinesDrawing().SVG() }

// LinesDrawing lays out Lines.
func (c Daily) LinesDrawing() Drawing {
	n := len(c.Labels)
	most := 0
	for _, s := range c.Series {
		most = max(most, maxOf(s.Values))
	}
	var w Drawing
	top := c.frame(&w, most)
	slot := (plotRight - plotLeft) / float64(max(n, 1))
	at := func(i, v int) (float64, float64) {
		return plotLeft + (float64(i)+0.5)*slot, plotBottom - float64(v)/top*plotHeight
	}
	for _, s := range c.Series {
		var pts []point
		for i := range min(n, len(s.Values)) {
			x, y := at(i, s.Values[i])
			pts = append(pts, point{x, y})
		}
		w.polyline(pts, s.Color)
		for i, p := range pts {
			w.circle(p.x, p.y, 2.5, s.Color, c.pointTitle(i, s))
		}
	}
	return w
}

// frame opens the chart and draws what every Daily chart has: title,
// gridlines with their values, the position labels and the legend. It
// returns the value at the top of the plot.
func (c Daily) frame(w *Drawing, most int) float64 {
	rows := c.legendRows()
	height := int(plotBottom) + 22 + len(rows)*legendRowH + 4
	w.open(height, c.Title, c.describe())
	top, step := scale(most)
	for v := 0.0; v <= top+step/2; v += step {
		y := plotBottom - v/top*plotHeight
		w.line(plotLeft, y, plotRight, y, grid)
		w.text(plotLeft-4, y+4, "end", muted, fmt.Sprintf("%d", int(v)))
	}
	n := len(c.Labels)
	slot := (plotRight - plotLeft) / float64(max(n, 1))
	// Every step-th label, counted from the last (today), fits.
	widest := 0.0
	for _, l := range c.Labels {
		widest = math.Max(widest, textWidth(l, fontSize))
	}
	every := max(int(math.Ceil((widest+6)/slot)), 1)
	for i, l := range c.Labels {
		if (n-1-i)%every == 0 {
			// Centred under its position, kept inside the chart.
			half := textWidth(l, fontSize) / 2
			x := math.Min(plotLeft+(float64(i)+0.5)*slot, Width-half)
			w.text(x, plotBottom+16, "middle", muted, l)
		}
	}
	if most == 0 {
		w.text((plotLeft+plotRight)/2, plotTop+plotHeight/2, "middle", muted, "暂无数据")
	}
	for r, row := range rows {
		y := plotBottom + 22 + float64(r)*legendRowH + 12
		x := plotLeft
		for _, s := range row {
			w.link(s.Href, func() {
				w.rect(x, y-10, 10, 10, s.Color, "")
				w.text(x+14, y, "start", ink, s.Name)
			})
			x += legendWidth(s)
		}
	}
	return top
}

// legendWidth is the room a legend entry takes: swatch, name, gap.
func legendWidth(s Series) float64 { return 14 + textWidth(s.Name, fontSize) + 14 }

// legendRows lays the legend out in rows that fit the chart's width.
func (c Daily) legendRows() [][]Series {
	var rows [][]Series
	x := plotLeft
	for _, s := range c.Series {
		if len(rows) == 0 || x+legendWidth(s) > Width {
			rows, x = append(rows, nil), plotLeft
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], s)
		x += legendWidth(s)
	}
	return rows
}

// pointTitle is the hover title of series s at position i.
func (c Daily) pointTitle(i int, s Series) string {
	name := c.Labels[i]
	if i < len(c.Names) {
		name = c.Names[i]
	}
	return fmt.Sprintf("%s %s：%d %s", name, s.Name, s.Values[i], c.Unit)
}

// describe sums each series over the chart, for its <desc>.
func (c Daily) describe() string {
	parts := make([]string, 0, len(c.Series))
	for _, s := range c.Series {
		sum := 0
		for _, v := range s.Values {
			sum += v
		}
		parts = append(parts, fmt.Sprintf("%s共 %d %s", s.Name, sum, c.Unit))
	}
	span := ""
	if n := len(c.Labels); n > 0 {
		first, last := c.Labels[0], c.Labels[n-1]
		if len(c.Names) == n {
			first, last = c.Names[0], c.Names[n-1]
		}
		span = first + "至" + last + "，"
	}
	return span + strings.Join(parts, "；")
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
