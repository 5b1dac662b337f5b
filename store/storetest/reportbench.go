package storetest

import (
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report"
)

// BenchReport measures a month's report (月报) on a store holding 100,000
// posts (or YUQING_BENCH_FIGURE_POSTS) first seen over November 2026, as
// BenchFigures seeds them, and 5,000 incidents: Build, then writing it as
// a workbook and as a page. It reports each phase's p95 and fastest call
// (build-, xlsx-, html- p95-ms and min-ms) and the workbook's size.
// settle, when not nil, runs after seeding.
func BenchReport(b *testing.B, s EngineStore, settle func() error) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("YUQING_BENCH_FIGURE_POSTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	loc := t0.Location()
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, loc), time.Date(2026, 12, 1, 0, 0, 0, 0, loc)
	start := time.Now()
	seedFigurePosts(b, s, n, from, to)
	seedManyIncidents(b, s, 5000)
	b.Logf("seeded %d posts and 5000 incidents in %s", n, time.Since(start).Round(time.Second))
	if settle != nil {
		if err := settle(); err != nil {
			b.Fatal(err)
		}
	}
	req := report.Request{Kind: report.Monthly, Date: from, Now: to.Add(8 * time.Hour)}
	o := reportOptions
	o.Places = benchPlaces
	var build, xlsx, html []time.Duration
	size := 0
	for b.Loop() {
		t := time.Now()
		rep, err := report.Build(ctx, s, req, o)
		if err != nil || rep.Figures.Collected != n {
			b.Fatalf("%d posts, %v", rep.Figures.Collected, err)
		}
		build = append(build, time.Since(t))
		t = time.Now()
		w := &countingWriter{}
		if err := report.Write(w, rep, report.XLSX); err != nil {
			b.Fatal(err)
		}
		xlsx, size = append(xlsx, time.Since(t)), w.n
		t = time.Now()
		if err := report.Write(io.Discard, rep, report.HTML); err != nil {
			b.Fatal(err)
		}
		html = append(html, time.Since(t))
	}
	for _, p := range []struct {
		name string
		took []time.Duration
	}{{"build", build}, {"xlsx", xlsx}, {"html", html}} {
		slices.Sort(p.took)
		b.ReportMetric(float64(p.took[len(p.took)*95/100].Microseconds())/1000, p.name+"-p95-ms")
		b.ReportMetric(float64(p.took[0].Microseconds())/1000, p.name+"-min-ms")
	}
	b.ReportMetric(float64(size), "xlsx-bytes")
}

// countingWriter counts what is written to it.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
