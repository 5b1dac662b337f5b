package chart_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/report/internal/reporttools"
)

// TestPNG: every chart paints as a PNG of the drawing's size times
// PNGScale, white around, with text in the title's band (set
// YUQING_CHART_PNG_DIR to look at them).
func TestPNG(t *testing.T) {
	f := reporttools.Font(t)
	for name, d := range drawings() {
		b, err := d.PNG(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if dir := os.Getenv("YUQING_CHART_PNG_DIR"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", name, err)
		}
		if got, want := img.Bounds().Size(), image.Pt(chart.Width*chart.PNGScale, d.Height*chart.PNGScale); got != want {
			t.Errorf("%s: size %v, want %v", name, got, want)
		}
		if c := color.RGBAModel.Convert(img.At(img.Bounds().Dx()-1, img.Bounds().Dy()-1)).(color.RGBA); c != (color.RGBA{255, 255, 255, 255}) {
			t.Errorf("%s: bottom right corner is %v, not white", name, c)
		}
		// The title: dark ink between x 0 and its width, around its baseline.
		if n := countNear(img, image.Rect(0, 4*chart.PNGScale, 60*chart.PNGScale, 20*chart.PNGScale), color.RGBA{0x1f, 0x29, 0x33, 255}); n < 50 {
			t.Errorf("%s: title band has %d ink pixels", name, n)
		}
	}
}

// TestPNGBars: a stacked bar is painted where its SVG rect is, in its
// colour (the layout TestStackedHeights checks).
func TestPNGBars(t *testing.T) {
	f := reporttools.Font(t)
	d := chart.Daily{Title: "测试", Labels: []string{"1", "2"}, Unit: "条", Series: []chart.Series{
		{Name: "甲", Color: "#000001", Values: []int{10, 30}},
		{Name: "乙", Color: "#c81e1e", Values: []int{10, 10}},
	}}.StackedDrawing()
	img, err := d.Image(f)
	if err != nil {
		t.Fatal(err)
	}
	// SVG: x="241.8" y="32" width="125.3" height="37.5" fill="#c81e1e".
	s := float64(chart.PNGScale)
	inside := image.Rect(int(245*s), int(35*s), int(365*s), int(67*s))
	if n := countNear(img, inside, color.RGBA{0xc8, 0x1e, 0x1e, 255}); n != inside.Dx()*inside.Dy() {
		t.Errorf("bar 2 乙: %d of %d pixels in its colour", n, inside.Dx()*inside.Dy())
	}
	above := image.Rect(int(245*s), int(20*s), int(365*s), int(30*s))
	if n := countNear(img, above, color.RGBA{0xc8, 0x1e, 0x1e, 255}); n != 0 {
		t.Errorf("%d pixels of the bar's colour above it", n)
	}
}

// countNear counts the pixels of r within a small distance of c.
func countNear(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if absDiff(p.R, c.R)+absDiff(p.G, c.G)+absDiff(p.B, c.B) < 24 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestLoadFont: a file that is no font, or a font without Chinese, is
// refused with its path named.
func TestLoadFont(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.ttf")
	if err := os.WriteFile(bad, []byte("not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(t.TempDir(), "missing.ttc")} {
		if _, err := chart.LoadFont(path); err == nil {
			t.Errorf("LoadFont(%s) accepted it", path)
		}
	}
	if _, err := chart.FindFont(bad); err == nil {
		t.Error("FindFont took a configured file that is no font")
	}
}

// BenchmarkPNG paints the test charts (a report has five or six) as PNG.
func BenchmarkPNG(b *testing.B) {
	f := reporttools.Font(b)
	ds := drawings()
	for b.Loop() {
		for _, d := range ds {
			if _, err := d.PNG(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFindFont reads and checks the default CJK font.
func BenchmarkFindFont(b *testing.B) {
	for b.Loop() {
		if _, err := chart.FindFont(""); err != nil {
			b.Skip(err)
		}
	}
}

// TestPNGMatchesSVG: the PNG paints the SVG's layout: at the centre of
// every rectangle and dot of the SVG, the PNG has its fill colour.
func TestPNGMatchesSVG(t *testing.T) {
	f := reporttools.Font(t)
	shape := regexp.MustCompile(`<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="#([0-9a-f]{6})"|<circle cx="([\d.]+)" cy="([\d.]+)" r="[\d.]+" fill="#([0-9a-f]{6})"`)
	for name, d := range drawings() {
		img, err := d.Image(f)
		if err != nil {
			t.Fatal(err)
		}
		shapes := shape.FindAllStringSubmatch(string(d.SVG()), -1)
		if len(shapes) == 0 && !strings.Contains(name, "empty") {
			t.Fatalf("%s: no shapes in the SVG", name)
		}
		for _, m := range shapes {
			var x, y float64
			var fill string
			if m[1] != "" {
				x, y, fill = num(m[1])+num(m[3])/2, num(m[2])+num(m[4])/2, m[5]
			} else {
				x, y, fill = num(m[6]), num(m[7]), m[8]
			}
			v, _ := strconv.ParseUint(fill, 16, 32)
			want := color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
			px, py := int(x*chart.PNGScale), int(y*chart.PNGScale)
			if countNear(img, image.Rect(px, py, px+1, py+1), want) != 1 {
				t.Errorf("%s: at (%.1f, %.1f) the PNG has %v, the SVG #%s", name, x, y, img.At(px, py), fill)
			}
		}
	}
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}
