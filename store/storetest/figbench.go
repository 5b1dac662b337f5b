package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// benchPlaces are the districts the figures benchmark counts.
var benchPlaces = []string{"岚北区", "岚南区", "川东区", "临江区", "白沙县", "岚川高新区"}

// BenchFigures measures the counts behind the overview and the reports on
// a store holding 100,000 posts (or YUQING_BENCH_FIGURE_POSTS) first seen
// over 30 days, one in five relevant with its words kept, and 5,000
// incidents: each count of 30 days, the open incidents, the words of the
// last day against the 14 before it, the words of each of 30 days (those
// held by enough posts of the last 7), and all the overview counts
// (package report) together. It
// reports the p95 and the fastest of the calls as p95-ms and min-ms, and
// the process CPU a call takes as cpu-ms (SQLite: its whole cost).
// settle, when not nil, runs after seeding (statistics a database in use
// would have).
func BenchFigures(b *testing.B, s EngineStore, settle func() error) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("YUQING_BENCH_FIGURE_POSTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	days := store.Days(statsDay0, 30)
	start := time.Now()
	seedFigurePosts(b, s, n, days[0], days[30])
	seedManyIncidents(b, s, 5000)
	b.Logf("seeded %d posts and 5000 incidents in %s", n, time.Since(start).Round(time.Second))
	if settle != nil {
		if err := settle(); err != nil {
			b.Fatal(err)
		}
	}
	now := days[30].Add(-time.Hour)
	// The last 24 hours against the 14 days before, each window whole (as
	// report.RisingTerms asks).
	rising := store.Buckets{now.Add(-15 * 24 * time.Hour), now.Add(-24 * time.Hour), now}
	for _, c := range []struct {
		name  string
		count func() (int, error)
	}{
		{"post-counts-30d", func() (int, error) { c, err := s.PostCounts(ctx, days); return len(c), err }},
		{"source-counts-30d", func() (int, error) { c, err := s.SourceCounts(ctx, days[0], days[30]); return len(c), err }},
		{"place-counts-30d", func() (int, error) {
			c, err := s.PlaceCounts(ctx, days[0], days[30], benchPlaces)
			return slices.Max(c), err
		}},
		{"incident-counts", func() (int, error) { c, err := s.IncidentCounts(ctx, now); return len(c), err }},
		{"terms-1d-vs-14d", func() (int, error) {
			c, err := s.TermCounts(ctx, store.TermQuery{Buckets: rising, Recent: 1, MinPosts: 5})
			return len(c), err
		}},
		{"terms-by-day-7d-vs-23d", func() (int, error) {
			c, err := s.TermCounts(ctx, store.TermQuery{Buckets: days, Recent: 7, MinPosts: 10})
			return len(c), err
		}},
		// Everything the overview counts, its queries side by side.
		{"overview", func() (int, error) {
			f, err := report.CountPosts(ctx, s, report.LastDays(now, 30, now.Location()), report.Options{Places: benchPlaces})
			if err != nil {
				return 0, err
			}
			_, err = report.CountIncidents(ctx, s, now, 10)
			return f.Total(30).Collected, err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			var cpu time.Duration
			rows := 0
			for b.Loop() {
				t := time.Now()
				c0, _ := processCPU()
				n, err := c.count()
				took = append(took, time.Since(t))
				c1, measured := processCPU()
				if err != nil || n == 0 {
					b.Fatalf("%d rows, %v", n, err)
				}
				if measured {
					cpu += c1 - c0
				}
				rows = n
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			// The fastest call, and the CPU a call takes in this process (for
			// SQLite its whole cost): what a busy machine does not inflate.
			b.ReportMetric(float64(took[0].Microseconds())/1000, "min-ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(took)), "cpu-ms")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// seedFigurePosts stores n posts first seen evenly over [from, to) from
// four sources, each graded: one in five relevant (category and level by
// turn, half of them negative), one in five naming a district. Rows go in
// as multi-row INSERTs, with what SaveGrade notes on the post; the words
// of the relevant posts straight into post_terms, as Tx.IndexPost keeps
// them (PostTerms).
func seedFigurePosts(b testing.TB, s EngineStore, n int, from, to time.Time) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(r, 1.1, 1, 3599)
	vocab := make([]string, 3600)
	for i := range vocab {
		vocab[i] = benchWord(r)
	}
	sources := []string{"bbs", "tieba", "news", "12345"}
	sentiments := []string{taxonomy.Negative, taxonomy.Negative, taxonomy.Negative, taxonomy.Neutral, taxonomy.Neutral, taxonomy.Positive}
	step := to.Sub(from) / time.Duration(n)
	const batch = 400
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		var posts, grades, terms []any
		for i := lo; i < hi; i++ {
			words := make([]string, 0, 120)
			for range 120 {
				words = append(words, vocab[zipf.Uint64()])
			}
			if i%10 == 1 || i%10 == 4 {
				words[60] = benchPlaces[(i/10)%len(benchPlaces)]
			}
			id, at, hash := int64(i+1), from.Add(time.Duration(i)*step).UnixMilli(), fmt.Sprintf("f%d", i)
			relevant := i%5 == 1
			cat, level, sent := taxonomy.Category(""), taxonomy.Level(0), ""
			if relevant {
				cat, level, sent = taxonomy.Categories[i%len(taxonomy.Categories)], taxonomy.Levels[(i/5)%4], sentiments[(i/5)%len(sentiments)]
				j, _ := json.Marshal(store.PostTerms(strings.Join(words, " ")))
				terms = append(terms, id, string(j))
			}
			posts = append(posts, id, sources[i%len(sources)], fmt.Sprintf("http://figures.example/%d", i),
				strings.Join(words[:10], ""), strings.Join(words[10:], ""), at, at, hash, hash, relevant, cat, level, sent)
			grades = append(grades, id, id, hash, "v1", relevant, cat, level, 1.0, "[]", "[]", at, sent)
		}
		for _, ins := range []struct {
			q    string
			cols int
			args []any
		}{
			{`INSERT INTO posts (id, source, url, title, body, first_seen_at, fetched_at, content_hash, graded_hash,
				graded_relevant, graded_category, graded_level, graded_sentiment)`, 13, posts},
			{`INSERT INTO grades (id, post_id, content_hash, rules_version, relevant, category, level, score, matches,
				reasons, graded_at, sentiment)`, 12, grades},
			{`INSERT INTO post_terms (post_id, terms)`, 2, terms},
		} {
			row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ins.cols), ", ") + ")"
			values := strings.TrimSuffix(strings.Repeat(row+", ", len(ins.args)/ins.cols), ", ")
			if _, err := s.Exec(ctx, ins.q+` VALUES `+values, ins.args...); err != nil {
				b.Fatal(err)
			}
		}
	}
}
