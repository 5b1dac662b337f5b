package learn

import (
	"cmp"
	"slices"
	"strings"
)

// TermWeight is one word or Han bigram the model knows, as text, with its
// weight for a class: what an operator can turn into a rule term.
type TermWeight struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
	// Word: the model knows the text as a token of some post, not only
	// as two adjacent characters (which may straddle two words).
	Word bool `json:"word"`
}

// TopTerms returns up to n terms (words and bigrams; rule hits and
// engagement are not text) with the largest positive weight for class of
// head, strongest first (ties by text). The weight is centred over the
// head's classes as in Explain, so it says how much the term speaks for
// this class rather than for the others. A word and a bigram with the same
// text are one term: their weights add up, since a two-character word
// brings its bigram with it. keep (nil: all) filters the terms, asked
// strongest first until n pass (n < 0: all).
func (m *Model) TopTerms(headName, class string, n int, keep func(TermWeight) bool) ([]TermWeight, error) {
	h, c, err := m.headClass(headName, class)
	if err != nil {
		return nil, err
	}
	k := len(h.classes)
	sum, word := map[string]float64{}, map[string]bool{}
	for i, name := range m.vocab.names {
		t, ok := Term(name)
		if !ok {
			continue
		}
		if strings.HasPrefix(name, prefixWord) {
			word[t] = true
		}
		ws := m.byFeature[i*m.stride+h.off : i*m.stride+h.off+k]
		var mean float64
		for _, w := range ws {
			mean += float64(w)
		}
		sum[t] += float64(ws[c]) - mean/float64(k)
	}
	all := make([]TermWeight, 0, len(sum))
	for t, w := range sum {
		if w > 0 {
			all = append(all, TermWeight{Term: t, Weight: w, Word: word[t]})
		}
	}
	slices.SortFunc(all, func(a, b TermWeight) int {
		if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
			return c
		}
		return cmp.Compare(a.Term, b.Term)
	})
	out := all[:0]
	for _, tw := range all { // keep is asked strongest first, only until n pass
		if n >= 0 && len(out) == n {
			break
		}
		if keep == nil || keep(tw) {
			out = append(out, tw)
		}
	}
	return slices.Clip(out), nil
}

// Classes returns the classes of head in the model's order, nil for an
// unknown head.
func (m *Model) Classes(headName string) []string {
	for _, h := range m.heads {
		if h.name == headName {
			return slices.Clone(h.classes)
		}
	}
	return nil
}
