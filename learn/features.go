package learn

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Feature name prefixes. A name is its prefix and its text, so one
// vocabulary holds every kind without collisions.
const (
	prefixWord   = "w:" // a caller-supplied token, lower-cased
	prefixBigram = "c:" // two adjacent Han characters of the text
	prefixRule   = "r:" // a rule hit, as the caller names it
	prefixNum    = "n:" // an engagement figure (not in the vocabulary)
)

// numericFeatures are the dense features after the vocabulary, in order.
var numericFeatures = []string{"n:log1p_replies", "n:log1p_views", "n:log1p_reposts"}

// numericScale divides log1p(count): a million views gives about 1.4, the
// same order as a rule hit, so one L2 strength suits every kind.
const numericScale = 10

// maxTokenRunes drops absurd "tokens" (a URL, a run of digits) that would
// only bloat the vocabulary.
const maxTokenRunes = 24

// FeatureSettings say how an Example becomes features. They are recorded
// in the model file, and Load refuses a file whose settings this build
// does not implement.
type FeatureSettings struct {
	Words   bool `json:"words"`   // caller tokens, lower-cased
	Bigrams bool `json:"bigrams"` // Han character bigrams of Text
	Rules   bool `json:"rules"`   // rule hits
	Numeric bool `json:"numeric"` // log1p engagement
	// MinDF and MaxVocab prune the vocabulary: a name must occur in at
	// least MinDF training examples, and only the MaxVocab most frequent
	// (ties by name) are kept.
	MinDF    int `json:"min_df"`
	MaxVocab int `json:"max_vocab"`
}

// DefaultFeatures is every kind, pruned to names seen at least twice.
func DefaultFeatures() FeatureSettings {
	return FeatureSettings{Words: true, Bigrams: true, Rules: true, Numeric: true, MinDF: 2, MaxVocab: 30000}
}

// names returns the sorted distinct sparse feature names of ex.
func (s FeatureSettings) names(ex *Example) []string {
	var out []string
	if s.Words {
		for _, t := range ex.Tokens {
			if t = normToken(t); t != "" {
				out = append(out, prefixWord+t)
			}
		}
	}
	if s.Bigrams {
		out = appendBigrams(out, ex.Text)
	}
	if s.Rules {
		for _, r := range ex.Rules {
			if r = strings.TrimSpace(r); r != "" {
				out = append(out, prefixRule+r)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// normToken lower-cases a token and drops one with no letter or digit.
func normToken(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "" || utf8.RuneCountInString(t) > maxTokenRunes {
		return ""
	}
	for _, r := range t {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return t
		}
	}
	return ""
}

// appendBigrams adds every pair of adjacent Han characters in text.
func appendBigrams(out []string, text string) []string {
	var prev rune = -1
	for _, r := range text {
		if !unicode.Is(unicode.Han, r) {
			prev = -1
			continue
		}
		if prev >= 0 {
			out = append(out, prefixBigram+string(prev)+string(r))
		}
		prev = r
	}
	return out
}

// numeric returns the dense engagement features of ex.
func numeric(ex *Example) [3]float64 {
	f := func(n int) float64 { return math.Log1p(float64(max(n, 0))) / numericScale }
	return [3]float64{f(ex.Replies), f(ex.Views), f(ex.Reposts)}
}

// vector is one example as sparse features: idx ascending, the numeric
// features (if any) at the end with indices ≥ len(vocab).
type vector struct {
	idx []int32
	val []float64
}

// buildVocab counts document frequency over names and keeps the pruned,
// sorted vocabulary.
func buildVocab(s FeatureSettings, names [][]string) []string {
	df := map[string]int{}
	for _, ns := range names {
		for _, n := range ns {
			df[n]++
		}
	}
	kept := make([]string, 0, len(df))
	for n, c := range df {
		if c >= max(s.MinDF, 1) {
			kept = append(kept, n)
		}
	}
	// Most frequent first, ties by name: the cut does not depend on map order.
	slices.SortFunc(kept, func(a, b string) int {
		if df[a] != df[b] {
			return df[b] - df[a]
		}
		return strings.Compare(a, b)
	})
	if s.MaxVocab > 0 && len(kept) > s.MaxVocab {
		kept = kept[:s.MaxVocab]
	}
	slices.Sort(kept)
	return kept
}

// vectorize maps the names of ex onto vocab (sorted). Text features
// (words and bigrams) share a weight of 1/√n so a long letter and a short
// comment weigh alike; rule hits count 1 each.
func vectorize(s FeatureSettings, vocab []string, names []string, ex *Example) vector {
	var v vector
	text := 0
	for _, n := range names {
		i, ok := slices.BinarySearch(vocab, n)
		if !ok {
			continue
		}
		v.idx = append(v.idx, int32(i))
		if strings.HasPrefix(n, prefixRule) {
			v.val = append(v.val, 1)
		} else {
			v.val = append(v.val, -1) // text: set below
			text++
		}
	}
	for j := range v.val {
		if v.val[j] < 0 {
			v.val[j] = 1 / math.Sqrt(float64(text))
		}
	}
	if s.Numeric {
		for j, x := range numeric(ex) {
			v.idx = append(v.idx, int32(len(vocab)+j))
			v.val = append(v.val, x)
		}
	}
	return v
}

// dims is the number of weights per class: the vocabulary, then the
// numeric features.
func (s FeatureSettings) dims(vocab int) int {
	if s.Numeric {
		return vocab + len(numericFeatures)
	}
	return vocab
}
