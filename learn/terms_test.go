package learn

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Each category's planted word is its strongest term; rule hits and
// engagement never come back; keep filters before the cut.
func TestTopTerms(t *testing.T) {
	m := train(t, synthetic(400, 1))
	for _, cat := range taxonomy.Categories {
		ts, err := m.TopTerms(HeadCategory, string(cat), 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 3 || ts[0].Term != catWords[cat] || !ts[0].Word {
			t.Errorf("%s: top terms %+v, want %s first, as a word", cat, ts, catWords[cat])
		}
		if !slices.IsSortedFunc(ts, func(a, b TermWeight) int { return cmp.Compare(b.Weight, a.Weight) }) || ts[len(ts)-1].Weight <= 0 {
			t.Errorf("%s: not strongest first or not positive: %+v", cat, ts)
		}
		// The planted word also comes as a bigram: one term, weights added.
		var word, bigram float64
		h := &m.heads[1]
		k := len(h.classes)
		c := slices.Index(h.classes, string(cat))
		for i, n := range m.vocab.names {
			if n == prefixWord+catWords[cat] || n == prefixBigram+catWords[cat] {
				var mean float64
				for cc := range k { // h.w is classes × dim, row by row
					mean += float64(h.w[cc*m.dim()+i])
				}
				w := float64(h.w[c*m.dim()+i]) - mean/float64(k)
				if strings.HasPrefix(n, prefixWord) {
					word = w
				} else {
					bigram = w
				}
			}
		}
		if d := ts[0].Weight - (word + bigram); d > 1e-9 || d < -1e-9 || bigram == 0 {
			t.Errorf("%s: weight %v, word %v + bigram %v", cat, ts[0].Weight, word, bigram)
		}
		kept, err := m.TopTerms(HeadCategory, string(cat), 2, func(tw TermWeight) bool { return tw.Term != catWords[cat] })
		if err != nil || len(kept) != 2 || kept[0] != ts[1] || kept[1] != ts[2] {
			t.Errorf("%s: with the planted word left out %+v, want %+v", cat, kept, ts[1:])
		}
	}
	for _, band := range []string{Major, Elevated, Ordinary} {
		ts, err := m.TopTerms(HeadSeverity, band, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tw := range ts {
			if strings.Contains(tw.Term, ":") {
				t.Errorf("%s: a feature name came back: %+v", band, tw)
			}
		}
	}
	if _, err := m.TopTerms("nope", Major, 3, nil); err == nil {
		t.Error("unknown head accepted")
	}
	if _, err := m.TopTerms(HeadSeverity, "nope", 3, nil); err == nil {
		t.Error("unknown class accepted")
	}
	if got := m.Classes(HeadSeverity); !slices.Equal(got, []string{Major, Elevated, Ordinary}) || m.Classes("nope") != nil {
		t.Errorf("Classes %v", got)
	}
}
