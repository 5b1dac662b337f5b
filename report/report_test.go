package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

var cst = time.FixedZone("CST", 8*3600)

// TestLastDays: the overview's 30 days end with today, in the bureau's
// zone whatever the zone of the clock, the last one counted up to now.
func TestLastDays(t *testing.T) {
	now := time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai
	p := report.LastDays(now, 30, cst)
	b, err := p.Buckets()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 31 || !b[0].Equal(time.Date(2026, 10, 25, 0, 0, 0, 0, cst)) || !b[29].Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, cst)) ||
		!b[30].Equal(now) {
		t.Errorf("buckets %v … %v, %v", b[0], b[29], b[30])
	}
	for _, bad := range []report.Period{{From: b[0], Days: 0}, {From: b[0], Days: 2, Until: b[0]}, {From: b[0], Days: 1, Until: b[2]}} {
		if _, err := bad.Buckets(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestCharts: the figures drawn, each count linking to its list on the
// console and to nothing in a document; sources by their names.
func TestCharts(t *testing.T) {
	day := report.Day{Start: time.Date(2026, 11, 23, 0, 0, 0, 0, cst), Collected: 9, Relevant: 4, Negative: 3,
		Categories: map[taxonomy.Category]int{taxonomy.Policy: 4}, Levels: [5]int{0, 0, 1, 0, 3}, Sentiments: [3]int{3, 1, 0}}
	f := report.PostFigures{Days: []report.Day{day}, Sources: []report.Share{{Key: "bbs", Posts: 9, Relevant: 4, Negative: 3}}}
	links := report.Links{Relevant: "/r", Category: func(c taxonomy.Category) string { return "/c/" + string(c) },
		Level: func(l taxonomy.Level) string { return "/l/" + l.Roman() }, Source: func(s string) string { return "/s/" + s }}
	c := f.Charts(func(string) string { return "岚川论坛" }, links)
	for svg, want := range map[string][]string{
		string(c.Volume):     {"<title>11月23日 采集：9 条</title>", `<a href="/r">`},
		string(c.Categories): {"<title>11月23日 政策执行：4 条</title>", `<a href="/c/policy">`},
		string(c.Levels):     {"<title>11月23日 Ⅳ级 一般：3 条</title>", `<a href="/l/Ⅱ">`, `fill="#dd6b20"`},
		string(c.Sentiments): {"<title>11月23日 负面：3 条</title>"},
		string(c.Sources):    {"<title>岚川论坛：4 条，占 100%，共采集 9 条，其中负面 3 条</title>", `<a href="/s/bbs">`},
	} {
		for _, w := range want {
			if !strings.Contains(svg, w) {
				t.Errorf("chart lacks %s: %.300s", w, svg)
			}
		}
	}
	if c.Places != "" {
		t.Error("a district chart without districts")
	}
	doc := f.Charts(nil, report.Links{})
	if strings.Contains(string(doc.Volume+doc.Levels+doc.Sources), "<a ") || !strings.Contains(string(doc.Sources), "<title>bbs：") {
		t.Error("a document's charts link somewhere, or name a source otherwise than by its key")
	}
}
