package report

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// Rising words: the words of relevant posts (their search text, as the
// grader cut it with gse) held by many more posts in the last day (or
// days) than on an ordinary day before. Each word is held against its own
// baseline, so a word always common (医保) does not rise with the volume
// of a busy day, and a word that was never there (a new hospital's name,
// 断缴) rises as soon as enough posts hold it.

// RisingOptions tune what counts as a rise.
type RisingOptions struct {
	Recent   int     // days (24 hours each, ending now) a rise is looked for in; default 1
	Baseline int     // days before them that are ordinary; default 14
	MinPosts int     // a rising word is held by at least this many posts of the recent days; default 5
	MinRatio float64 // and by this many times what its baseline expects (see Rising.Ratio); default 3
	Limit    int     // at most this many words; default 10
}

func (o RisingOptions) withDefaults() RisingOptions {
	o.Recent, o.Baseline, o.MinPosts = cmp.Or(o.Recent, 1), cmp.Or(o.Baseline, 14), cmp.Or(o.MinPosts, 5)
	o.MinRatio, o.Limit = cmp.Or(o.MinRatio, 3), cmp.Or(o.Limit, 10)
	return o
}

// minBaselineDays is the fewest days of history a rise is judged on: a
// system running for a day would see every word rise.
const minBaselineDays = 3

// Rising is a word that rose.
type Rising struct {
	Term   string
	Recent int // relevant posts holding it in the recent days
	// PerDay is how many relevant posts held it on an ordinary day (the
	// mean over the baseline days that had posts).
	PerDay float64
	// Ratio is Recent against what the baseline expects for the recent
	// days, one post a day added to the expectation so that a word seen
	// twice before and five times now is not a rise of "infinity".
	Ratio float64
}

// RisingTerms reads the words of the Baseline days and of the Recent days
// (of 24 hours) that end at end, each window counted whole (two groups a
// word, however many days), and which baseline days had relevant posts,
// and picks the rising words (Rise).
func RisingTerms(ctx context.Context, r Reader, end time.Time, o RisingOptions) ([]Rising, error) {
	o = o.withDefaults()
	const day = 24 * time.Hour
	start, split := end.Add(-time.Duration(o.Baseline+o.Recent)*day), end.Add(-time.Duration(o.Recent)*day)
	days := make(store.Buckets, o.Baseline+1)
	for i := range days {
		days[i] = start.Add(time.Duration(i) * day)
	}
	var terms []store.TermCount
	var posts []store.PostCount
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() {
		terms, errs[0] = r.TermCounts(ctx, store.TermQuery{Buckets: store.Buckets{start, split, end}, Recent: 1, MinPosts: o.MinPosts})
	})
	wg.Go(func() { posts, errs[1] = r.PostCounts(ctx, days) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	relevant := make([]int, days.Len())
	for _, c := range posts {
		if c.Relevant {
			relevant[c.Bucket] += c.Posts
		}
	}
	history := 0
	for _, n := range relevant {
		if n > 0 {
			history++
		}
	}
	return Rise(terms, history, o), nil
}

// Rise picks the rising words from terms, TermCounts over two intervals:
// the baseline days (interval 0) and the recent days (interval 1). A
// word's ordinary day is its baseline posts over history, the baseline
// days that had relevant posts (days before the system ran do not count);
// with fewer than minBaselineDays of them nothing is judged. Stop words
// and words of no letter are left out. The result is ordered by ratio,
// then posts, then the word: the same counts always give the same list.
func Rise(terms []store.TermCount, history int, o RisingOptions) []Rising {
	o = o.withDefaults()
	if history < minBaselineDays {
		return nil
	}
	recent, base := map[string]int{}, map[string]int{}
	for _, c := range terms {
		if c.Bucket > 0 {
			recent[c.Term] += c.Posts
		} else {
			base[c.Term] += c.Posts
		}
	}
	var out []Rising
	for term, n := range recent {
		if n < o.MinPosts || !wordLike(term) {
			continue
		}
		perDay := float64(base[term]) / float64(history)
		r := Rising{Term: term, Recent: n, PerDay: perDay, Ratio: float64(n) / ((perDay + 1) * float64(o.Recent))}
		if r.Ratio >= o.MinRatio {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Rising) int {
		return cmp.Or(cmp.Compare(b.Ratio, a.Ratio), b.Recent-a.Recent, strings.Compare(a.Term, b.Term))
	})
	return out[:min(len(out), o.Limit)]
}

// wordLike reports whether a word can rise: it has a letter (not a
// number or a sign), is not a stop word and holds no personal data (an ID
// number with its X).
func wordLike(t string) bool {
	return strings.IndexFunc(t, unicode.IsLetter) >= 0 && !incident.StopTerm(t) && privacy.Mask(t) == t
}
