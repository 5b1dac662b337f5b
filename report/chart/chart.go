// Package chart draws the console's and the reports' charts as SVG on the
// server: no script, no web font, nothing fetched, so they work offline
// on an intranet, print as they show, and go into a document as they are.
// Each chart is laid out once (Drawing); SVG paints it for pages, PNG for
// Word documents, with a CJK font read from a file (font.go).
// Every chart has a <title> and a <desc> for screen readers, each bar or
// point a <title> shown on hover, and a viewBox so that it scales down to
// a 360 px phone. Colours are fixed: the warning levels keep the colours
// of the console's level badges.
package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// SVG is a drawn chart: an <svg> element whose text is escaped, safe to
// put into a page or a document as it is.
type SVG string

// Width is the width of every chart's viewBox; pages scale it to fit. At
// 400 units the text stays legible on a 360 px phone (about 300 px for the
// chart: 13 units are 10 px).
const Width = 400

const (
	fontSize   = 13
	titleY     = 18 // baseline of a chart's title
	legendRowH = 18 // height of a legend row
	fontFamily = `"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`
	ink        = "#1f2933" // text
	muted      = "#52606d" // axis labels
	grid       = "#e4e7eb"
)

// levelColors are the warning colours of taxonomy.Level.Color, as the
// console's level badges show them (web/static/style.css).
var levelColors = map[string]string{"red": "#c81e1e", "orange": "#dd6b20", "yellow": "#d69e2e", "blue": "#2b6cb0"}

// LevelColor is the colour of a warning level (grey for none).
func LevelColor(l taxonomy.Level) string {
	if c, ok := levelColors[l.Color()]; ok {
		return c
	}
	return "#9aa5b1"
}

// sentimentColors: negative the console's alarm red-brown, neutral grey,
// positive green.
var sentimentColors = map[string]string{taxonomy.Negative: "#9b2c2c", taxonomy.Neutral: "#9aa5b1", taxonomy.Positive: "#2f855a"}

// SentimentColor is the colour of a sentiment key.
func SentimentColor(key string) string {
	if c, ok := sentimentColors[key]; ok {
		return c
	}
	return sentimentColors[taxonomy.Neutral]
}

// Palette colours the members of a series without colours of their own
// (categories, sources), in order; it avoids the level colours.
var Palette = []string{"#0b4f8a", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568", "#c05621"}

// PaletteColor is the i-th colour of Palette, round again past its end.
func PaletteColor(i int) string { return Palette[i%len(Palette)] }

// esc escapes s for SVG text and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// num writes a coordinate with at most one decimal: the same drawing
// always gives the same text.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// textWidth estimates the drawn width of s at the chart's font size: a
// Chinese character is square, other characters about half as wide.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x2e80 {
			w += size * 0.6
		} else {
			w += size
		}
	}
	return w
}

// clip shortens s to fit in width at the chart's font size, marking the
// cut with "…".
func clip(s string, width float64) string {
	if textWidth(s, fontSize) <= width {
		return s
	}
	room := width - textWidth("…", fontSize)
	for i := range s {
		if textWidth(s[:i], fontSize) > room {
			_, n := utf8.DecodeLastRuneInString(s[:i])
			return s[:i-n] + "…"
		}
	}
	return s
}

// scale is a value axis from 0: its top and the step between gridlines,
// a step of 1, 2 or 5 times a power of ten, at most five steps.
func scale(top int) (float64, float64) {
	if top <= 0 {
		return 4, 1
	}
	raw := float64(top) / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	step = math.Max(step, 1)
	return step * math.Ceil(float64(top)/step), step
}

// percent is n of total as a whole percentage ("—" of nothing).
func percent(n, total int) string {
	if total <= 0 {
		return "—"
	}
	return fmt.Sprintf("%d%%", int(math.Round(100*float64(n)/float64(total))))
}
