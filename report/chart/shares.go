package chart

import (
	"fmt"
	"strings"
)

// Bar is one row of a Shares chart.
type Bar struct {
	Label string
	Value int
	Color string // "": the palette's colour of its row
	Href  string // where the row links; "": nowhere
	// Detail is added to the row's hover title ("其中负面 12 条").
	Detail string
}

// Shares is a chart of horizontal bars, one per row, longest first as
// given: the share of each source or district in a whole.
type Shares struct {
	Title string
	Bars  []Bar
	Unit  string // of the values, e.g. 条
	// Total is the whole the shares are of (the relevant posts of the
	// period); 0: the sum of the values. A post naming two districts is
	// in both rows, so their shares need not add up to 100%.
	Total int
}

// Row geometry of a Shares chart.
const (
	shareLabelW = 100.0 // label column (right-aligned)
	shareValueW = 100.0 // value column after the longest bar
	shareRowH   = 24.0
	shareBarH   = 14.0
	shareTop    = 30.0
)

// SVG draws the chart; a row's title gives its label, value, share and
// detail in full.
func (c Shares) SVG() SVG { return c.Drawing().SVG() }

// Drawing lays out the chart.
func (c Shares) Drawing() Drawing {
	total, most := c.Total, 0
	for _, b := range c.Bars {
		most = max(most, b.Value)
		if c.Total == 0 {
			total += b.Value
		}
	}
	var w Drawing
	height := int(shareTop + float64(max(len(c.Bars), 1))*shareRowH + 6)
	w.open(height, c.Title, c.describe(total))
	if len(c.Bars) == 0 {
		w.text(Width/2, shareTop+16, "middle", muted, "暂无数据")
	}
	span := Width - shareLabelW - shareValueW
	for i, b := range c.Bars {
		y := shareTop + float64(i)*shareRowH
		color := b.Color
		if color == "" {
			color = PaletteColor(i)
		}
		length := 0.0
		if most > 0 {
			length = float64(b.Value) / float64(most) * span
		}
		title := fmt.Sprintf("%s：%d %s，占 %s", b.Label, b.Value, c.Unit, percent(b.Value, total))
		if b.Detail != "" {
			title += "，" + b.Detail
		}
		w.link(b.Href, func() {
			w.text(shareLabelW-6, y+shareBarH-2, "end", ink, clip(b.Label, shareLabelW-12))
			w.rect(shareLabelW, y, max(length, 1), shareBarH, color, title)
			w.text(shareLabelW+length+6, y+shareBarH-2, "start", ink,
				fmt.Sprintf("%d %s（%s）", b.Value, c.Unit, percent(b.Value, total)))
		})
	}
	return w
}

// describe lists the rows, for the chart's <desc>.
func (c Shares) describe(total int) string {
	parts := make([]string, 0, len(c.Bars))
	for _, b := range c.Bars {
		parts = append(parts, fmt.Sprintf("%s %d %s（%s）", b.Label, b.Value, c.Unit, percent(b.Value, total)))
	}
	if len(parts) == 0 {
		return "暂无数据"
	}
	return fmt.Sprintf("共 %d %s：", total, c.Unit) + strings.Join(parts, "；")
}
