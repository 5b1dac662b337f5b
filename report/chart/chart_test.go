package chart_test

import (
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata/")

// days are the labels and names of n days from 2026-11-01.
func days(n int) ([]string, []string) {
	labels, names := make([]string, n), make([]string, n)
	for i := range n {
		labels[i], names[i] = fmt.Sprintf("11-%02d", i+1), fmt.Sprintf("11月%d日", i+1)
	}
	return labels, names
}

func charts() map[string]chart.SVG {
	svgs := map[string]chart.SVG{}
	for name, d := range drawings() {
		svgs[name] = d.SVG()
	}
	return svgs
}

// drawings are the test charts laid out.
func drawings() map[string]chart.Drawing {
	labels7, names7 := days(7)
	var levels []chart.Series
	for _, l := range taxonomy.Levels {
		v := make([]int, 7)
		for i := range v {
			v[i] = (i + 1) * int(l) % 9
		}
		levels = append(levels, chart.Series{Name: l.Label(), Color: chart.LevelColor(l), Values: v,
			Href: fmt.Sprintf("/information?scope=relevant&level=%d", l)})
	}
	labels30, names30 := days(30)
	collected, relevant := make([]int, 30), make([]int, 30)
	for i := range 30 {
		collected[i], relevant[i] = 300+(i*37)%120, 40+(i*13)%35
	}
	return map[string]chart.Drawing{
		"levels-stacked": chart.Daily{Title: "每日相关帖子（按等级）", Labels: labels7, Names: names7, Series: levels, Unit: "条"}.StackedDrawing(),
		"volume-lines": chart.Daily{Title: "每日采集与相关帖子", Labels: labels30, Names: names30, Unit: "条", Series: []chart.Series{
			{Name: "采集", Color: chart.PaletteColor(0), Values: collected},
			{Name: "相关", Color: chart.PaletteColor(1), Values: relevant, Href: "/information?scope=relevant"},
		}}.LinesDrawing(),
		"empty-stacked": chart.Daily{Title: "每日相关帖子（按情感倾向）", Labels: labels7, Unit: "条", Series: []chart.Series{
			{Name: "负面", Color: chart.SentimentColor(taxonomy.Negative), Values: make([]int, 7)},
		}}.StackedDrawing(),
		"shares": chart.Shares{Title: "来源分布", Unit: "条", Total: 200, Bars: []chart.Bar{
			{Label: "岚川论坛·民生杂谈版块精华区", Value: 120, Href: "/information?scope=relevant&source=bbs2", Detail: "其中负面 80 条"},
			{Label: "12345 <留言板> & 信箱", Value: 60},
			{Label: "岚川新闻网", Value: 0, Color: "#2b6cb0"},
		}}.Drawing(),
		"shares-empty": chart.Shares{Title: "区县分布", Unit: "条"}.Drawing(),
	}
}

// TestGolden: each chart draws exactly as its file under testdata/ (go
// test -update rewrites them; look at them in a browser before committing).
func TestGolden(t *testing.T) {
	for name, svg := range charts() {
		path := filepath.Join("testdata", name+".svg")
		if *update {
			if err := os.WriteFile(path, []byte(svg+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(svg)+"\n" != string(want) {
			t.Errorf("%s differs from %s (go test -update to accept)", name, path)
		}
	}
}

// TestWellFormed: every chart is well-formed XML, scales by its viewBox,
// names itself in a <title> and <desc>, runs no script and shows text
// only escaped.
func TestWellFormed(t *testing.T) {
	for name, svg := range charts() {
		s := string(svg)
		d := xml.NewDecoder(strings.NewReader(s))
		var titles, texts []string
		var inTitle, inText bool
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed: %v", name, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if tok.Name.Local == "script" || tok.Name.Local == "foreignObject" {
					t.Errorf("%s has a <%s>", name, tok.Name.Local)
				}
				inTitle, inText = tok.Name.Local == "title", tok.Name.Local == "text"
			case xml.CharData:
				if inTitle {
					titles = append(titles, string(tok))
				}
				if inText {
					texts = append(texts, string(tok))
				}
			case xml.EndElement:
				inTitle, inText = false, false
			}
		}
		if !strings.HasPrefix(s, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 400 `) ||
			!strings.Contains(s, `role="img" aria-label="`) || !strings.Contains(s, "<desc>") {
			t.Errorf("%s: no viewBox of width 400, label or description: %.200s", name, s)
		}
		if len(titles) == 0 || !strings.Contains(s, "<title>"+titles[0]+"</title>") {
			t.Errorf("%s: no <title>", name)
		}
		if name == "shares" && !strings.Contains(strings.Join(texts, "|"), "12345 <留…") {
			t.Errorf("shares: a label is not clipped or not escaped right: %q", texts)
		}
	}
}

// TestStackedHeights: stacked segments are as tall as their values, on
// one scale: the day with most posts reaches the scale's top.
func TestStackedHeights(t *testing.T) {
	svg := string(chart.Daily{Title: "测试", Labels: []string{"1", "2"}, Unit: "条", Series: []chart.Series{
		{Name: "甲", Color: "#000001", Values: []int{10, 30}},
		{Name: "乙", Color: "#000002", Values: []int{10, 10}},
	}}.Stacked())
	// Scale: 40 at the top (step 10) over 150 units: 10 posts are 37.5.
	for _, want := range []string{`height="37.5" fill="#000001"><title>1 甲：10 条</title>`,
		`height="112.5" fill="#000001"><title>2 甲：30 条</title>`,
		`x="241.8" y="32" width="125.3" height="37.5" fill="#000002"><title>2 乙：10 条</title>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("stacked bars lack %s:\n%s", want, svg)
		}
	}
}
