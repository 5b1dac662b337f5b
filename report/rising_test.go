package report_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
)

// risingFixture: the words of 14 ordinary days (interval 0) and of today
// (interval 1), as TermCounts gives them.
func risingFixture() []store.TermCount {
	var terms []store.TermCount
	every := func(term string, perDay, today int) {
		if perDay > 0 {
			terms = append(terms, store.TermCount{Term: term, Bucket: 0, Posts: 14 * perDay})
		}
		terms = append(terms, store.TermCount{Term: term, Bucket: 1, Posts: today})
	}
	every("医保", 40, 45)                // always common: no rise with a busy day
	every("断缴", 0, 12)                 // new: rises most
	every("康福医院", 1, 9)                // 9 against 1 a day (+1): 4.5
	every("挂床", 2, 8)                  // 8 against 2 a day (+1): 2.7, below 3
	every("我们", 0, 20)                 // a stop word
	every("2026", 0, 20)               // a number
	every("43012319900101123X", 0, 20) // an ID number
	every("新政", 0, 4)                  // too few posts
	every("甲乙", 0, 6)                  // equal to 乙丙: ordered by the word
	every("乙丙", 0, 6)
	return terms
}

func TestRise(t *testing.T) {
	terms := risingFixture()
	got := report.Rise(terms, 14, report.RisingOptions{})
	var words []string
	for _, r := range got {
		words = append(words, r.Term)
	}
	if want := []string{"断缴", "乙丙", "甲乙", "康福医院"}; !slices.Equal(words, want) {
		t.Fatalf("rising words %v, want %v (%+v)", words, want, got)
	}
	if r := got[3]; r.Recent != 9 || r.PerDay != 1 || r.Ratio != 4.5 {
		t.Errorf("康福医院 = %+v, want 9 posts against 1 a day, ratio 4.5", r)
	}
	// The same counts in any order give the same list.
	r := rand.New(rand.NewPCG(1, 1))
	for range 5 {
		r.Shuffle(len(terms), func(i, j int) { terms[i], terms[j] = terms[j], terms[i] })
		if again := report.Rise(terms, 14, report.RisingOptions{}); !slices.Equal(again, got) {
			t.Fatalf("shuffled counts give %+v, want %+v", again, got)
		}
	}
	if top := report.Rise(terms, 14, report.RisingOptions{Limit: 2}); len(top) != 2 || top[0].Term != "断缴" {
		t.Errorf("limit 2: %+v", top)
	}
	if strict := report.Rise(terms, 14, report.RisingOptions{MinPosts: 10}); len(strict) != 1 || strict[0].Term != "断缴" {
		t.Errorf("at least 10 posts: %+v, want 断缴 only", strict)
	}
}

// TestRiseNeedsHistory: with posts on fewer than three ordinary days
// (a system just started) no word is judged to rise; a word's ordinary day
// is taken over the days that had posts.
func TestRiseNeedsHistory(t *testing.T) {
	terms := []store.TermCount{{Term: "康福医院", Bucket: 0, Posts: 3}, {Term: "康福医院", Bucket: 1, Posts: 8}}
	if got := report.Rise(terms, 2, report.RisingOptions{}); got != nil {
		t.Errorf("two days of history: %+v, want nothing", got)
	}
	got := report.Rise(terms, 3, report.RisingOptions{})
	if len(got) != 1 || got[0].PerDay != 1 || got[0].Ratio != 4 {
		t.Errorf("three days of history: %+v, want 康福医院 at 1 a day, 4 times that", got)
	}
}
