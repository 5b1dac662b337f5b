package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// BenchPosts measures the post list (舆情信息) on a store holding many
// posts (1,000,000, or YUQING_BENCH_POSTS), each graded and indexed: a
// search for a common two-character word (报销, in about a fifth of the
// posts), for a rare one (断缴, about one post in 2,000), each alone and
// within 舆情信息, and the first page of 舆情信息 and of every post
// without a search, each with its (capped) total. It reports the p95 of
// one call as p95-ms (goal: ≤ 200 ms).
func BenchPosts(b *testing.B, s EngineStore) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("YUQING_BENCH_POSTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	start := time.Now()
	seedManyPosts(b, s, n)
	b.Logf("seeded %d posts in %s", n, time.Since(start).Round(time.Second))
	page3 := store.PostFilter{Words: []string{"报销"}}
	for range 2 {
		page, err := s.Posts(ctx, page3)
		if err != nil {
			b.Fatal(err)
		}
		page3.After = page.Next
	}
	for _, c := range []struct {
		name string
		f    store.PostFilter
	}{
		{"common-word", store.PostFilter{Words: []string{"报销"}}},
		{"common-word-page3", page3},
		{"rare-word", store.PostFilter{Words: []string{"断缴"}}},
		{"two-words", store.PostFilter{Words: []string{"报销", "医保"}}},
		{"common-word-information", store.PostFilter{Words: []string{"报销"}, Scope: store.ScopeInformation}},
		{"rare-word-information", store.PostFilter{Words: []string{"断缴"}, Scope: store.ScopeInformation}},
		{"information", store.PostFilter{Scope: store.ScopeInformation}},
		{"all", store.PostFilter{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			var total int
			for b.Loop() {
				start := time.Now()
				page, err := s.Posts(ctx, c.f)
				took = append(took, time.Since(start))
				if err != nil || len(page.Posts) == 0 || page.Total == 0 {
					b.Fatalf("page: %d posts of %d, %v", len(page.Posts), page.Total, err)
				}
				total = page.Total
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(total), "total")
		})
	}
}

// benchChars make the filler words of the seeded posts: two characters
// each, 3,600 of them, none of the searched words.
const benchChars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"

func benchWord(r *rand.Rand) string {
	c := []rune(benchChars)
	return string(c[r.IntN(60)]) + string(c[r.IntN(60)])
}

// seedManyPosts stores n posts over about a year, each graded (one in
// five relevant, half of those 舆情信息) and indexed. Posts and grades go
// in as multi-row INSERTs of benchBatch rows (the Store's one-post-at-a-
// time path would take most of an hour for a million on PostgreSQL); the
// search text goes through Tx.IndexPost, as the grader writes it.
func seedManyPosts(b *testing.B, s EngineStore, n int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 1, 3599)
	vocab := make([]string, 3600)
	for i := range vocab {
		for vocab[i] == "" || vocab[i] == "报销" || vocab[i] == "断缴" || vocab[i] == "医保" {
			vocab[i] = benchWord(r)
		}
	}
	sources := []string{"bbs", "tieba", "news", "12345"}
	const benchBatch = 400
	rows := func(n, cols int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
		return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	for start := 0; start < n; start += benchBatch {
		end := min(start+benchBatch, n)
		var posts, grades []any
		texts := make([]string, 0, end-start)
		for i := start; i < end; i++ {
			words := make([]string, 0, 48)
			for range 40 {
				words = append(words, vocab[zipf.Uint64()])
			}
			if r.IntN(5) == 0 {
				words = append(words, "报销")
			}
			if r.IntN(7) == 0 {
				words = append(words, "医保")
			}
			if r.IntN(2000) == 0 {
				words = append(words, "断缴")
			}
			r.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
			texts = append(texts, strings.Join(words, " "))
			id, at := int64(i+1), t0.Add(time.Duration(i)*30*time.Second).UnixMilli()
			hash := fmt.Sprintf("h%d", i)
			posts = append(posts, id, sources[i%len(sources)], fmt.Sprintf("http://bench.example/%d", i),
				strings.Join(words[:8], ""), strings.Join(words[8:], ""), at, at, hash, hash)
			relevant, info := i%5 == 1, i%10 == 1
			var cat taxonomy.Category
			var level taxonomy.Level
			if relevant {
				cat, level = taxonomy.Categories[i%len(taxonomy.Categories)], taxonomy.Levels[i%4]
			}
			grades = append(grades, id, id, hash, "v1", relevant, cat, level, 1.0, "[]", "[]", at, info)
		}
		if _, err := s.Exec(ctx, `INSERT INTO posts (id, source, url, title, body, first_seen_at, fetched_at,
			content_hash, graded_hash) VALUES `+rows(end-start, 9), posts...); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Exec(ctx, `INSERT INTO grades (id, post_id, content_hash, rules_version, relevant, category,
			level, score, matches, reasons, graded_at, information) VALUES `+rows(end-start, 12), grades...); err != nil {
			b.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx store.Tx) error {
			for i, text := range texts {
				if err := tx.IndexPost(ctx, int64(start+i+1), fmt.Sprintf("h%d", start+i), text); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
