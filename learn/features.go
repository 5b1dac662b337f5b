package learn

import (
	"math"
	mathbits "math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/internal/hanrune"
)

// Feature name prefixes. A name is its prefix and its text, so one
// vocabulary holds every kind without collisions.
const (
	prefixWord   = "w:" // a caller-supplied token, lower-cased
	prefixBigram = "c:" // two adjacent Han characters of the text
	prefixRule   = "r:" // a rule hit, as the caller names it
	prefixChan   = "p:" // the channel the post comes from (taxonomy.Channels)
	prefixNum    = "n:" // an engagement figure (not in the vocabulary)
)

// numericFeatures are the dense features after the vocabulary, in order.
var numericFeatures = []string{prefixNum + "log1p_replies", prefixNum + "log1p_views", prefixNum + "log1p_reposts"}

// numericScale divides log1p(count): a million views gives about 1.4, the
// same order as a rule hit, so one L2 strength suits every kind.
const numericScale = 10

// maxTokenRunes drops absurd "tokens" (a URL, a pasted code) that would
// only bloat the vocabulary.
const maxTokenRunes = 24

// maxDigitRun drops a token with a longer run of digits: phone, ID-card
// and social-security numbers must never reach the model file, while
// hotline numbers (12345, 12393) stay.
const maxDigitRun = 6

// FeatureSettings say how an Example becomes features. They are recorded
// in the model file, and Load refuses a file whose settings this build
// does not implement.
type FeatureSettings struct {
	Words   bool `json:"words"`   // caller tokens, lower-cased
	Bigrams bool `json:"bigrams"` // Han character bigrams of Text
	Rules   bool `json:"rules"`   // rule hits
	Numeric bool `json:"numeric"` // log1p engagement
	Channel bool `json:"channel"` // the post's channel
	// MinDF and MaxVocab prune the vocabulary: a name must occur in at
	// least MinDF training examples, and only the MaxVocab most frequent
	// (ties by name) are kept.
	MinDF    int `json:"min_df"`
	MaxVocab int `json:"max_vocab"`
}

// DefaultFeatures is every kind, pruned to names seen at least twice.
func DefaultFeatures() FeatureSettings {
	return FeatureSettings{Words: true, Bigrams: true, Rules: true, Numeric: true, Channel: true, MinDF: 2, MaxVocab: 30000}
}

// eachName calls f with every sparse feature name of ex, repeats
// included, built in one reused buffer (f must not keep it): the one
// definition of the names, for counting them in training and for looking
// them up without allocating when predicting. When short is not nil, a
// Han bigram and a word of one or two Han characters are appended to it
// instead, as a number (pairKey) rather than a name: predicting looks
// those, most of a post's features, up in a table of numbers, several
// times faster, and in one loop over the numbers rather than a call each.
func (s FeatureSettings) eachName(ex *Example, f func(name []byte), short *[]uint64) {
	buf := make([]byte, 0, 64)
	if s.Words {
		for _, t := range ex.Tokens {
			if short != nil {
				// One or two Han characters, most tokens: no space to
				// trim (their bytes are no space's), the key at once.
				if a, n := hanrune.Han(t); n == len(t) && isHan(a) {
					*short = append(*short, pairKey(kindWord1, a, 0))
					continue
				} else if b, m := hanrune.Han(t[min(n, len(t)):]); n > 0 && n+m == len(t) && isHan(a) && isHan(b) {
					*short = append(*short, pairKey(kindWord2, a, b))
					continue
				}
				t = trimSpace(t)
				if k, ok := hanWordKey(t); ok {
					*short = append(*short, k)
					continue
				}
			}
			if buf = appendToken(buf[:0], t); len(buf) > 0 {
				f(buf)
			}
		}
	}
	if s.Bigrams {
		prev := rune(-1)
		for i, text := 0, ex.Text; i < len(text); { // as range would, Han inline
			r, n := hanrune.Han(text[i:])
			if n == 0 {
				r, n = utf8.DecodeRuneInString(text[i:])
			}
			i += n
			if !isHan(r) {
				prev = -1
				continue
			}
			switch {
			case prev < 0:
			case short != nil:
				*short = append(*short, pairKey(kindBigram, prev, r))
			default:
				f(utf8.AppendRune(utf8.AppendRune(append(buf[:0], prefixBigram...), prev), r))
			}
			prev = r
		}
	}
	if s.Rules {
		for _, r := range ex.Rules {
			if r = trimSpace(r); r != "" {
				f(append(append(buf[:0], prefixRule...), r...))
			}
		}
	}
	if c := trimSpace(ex.Channel); s.Channel && c != "" {
		f(append(append(buf[:0], prefixChan...), c...))
	}
}

// Kinds of feature that pairKey numbers.
const (
	kindBigram = 1 + iota // c:ab
	kindWord2             // w:ab
	kindWord1             // w:a
)

// pairKey numbers a feature of one or two Han characters (b = 0 for one):
// kind, then each rune in 21 bits, 44 bits in all.
func pairKey(kind uint64, a, b rune) uint64 { return kind<<42 | uint64(a)<<21 | uint64(b) }

// hanWordKey returns the pairKey of word feature of the trimmed token t
// when t is one or two Han characters (its name is then prefixWord and t,
// as appendToken gives it).
func hanWordKey(t string) (uint64, bool) {
	a, la := hanrune.Decode(t)
	if la == 0 || !isHan(a) {
		return 0, false
	}
	if la == len(t) {
		return pairKey(kindWord1, a, 0), true
	}
	b, lb := hanrune.Decode(t[la:])
	if la+lb != len(t) || !isHan(b) {
		return 0, false
	}
	return pairKey(kindWord2, a, b), true
}

// nameKey is hanWordKey or the bigram's pairKey for a vocabulary name.
func nameKey(name string) (uint64, bool) {
	if t, ok := strings.CutPrefix(name, prefixWord); ok {
		return hanWordKey(t)
	}
	if t, ok := strings.CutPrefix(name, prefixBigram); ok {
		a, la := utf8.DecodeRuneInString(t)
		b, lb := utf8.DecodeRuneInString(t[la:])
		if la > 0 && lb > 0 && la+lb == len(t) && isHan(a) && isHan(b) {
			return pairKey(kindBigram, a, b), true
		}
	}
	return 0, false
}

// pairTable maps pairKeys to feature numbers: open addressing, linear
// probing, at most three quarters full (small, so that it stays in the
// cache between posts), each slot the key and the number plus one
// in one word (0: empty), so a lookup mostly reads one cache line and
// compares one integer. Numbers too large for pairIDBits go to overflow.
type pairTable struct {
	slots    []uint64
	shift    uint
	overflow map[uint64]int32
}

const pairIDBits = 64 - 44

func newPairTable(n int) pairTable {
	size, bits := 16, uint(4)
	for size*3 < 4*n {
		size, bits = size*2, bits+1
	}
	return pairTable{slots: make([]uint64, size), shift: 64 - bits}
}

func (t *pairTable) slot(key uint64) uint64 { return (key * 0x9e3779b97f4a7c15) >> t.shift }

func (t *pairTable) put(key uint64, id int32) {
	if id+1 >= 1<<pairIDBits {
		if t.overflow == nil {
			t.overflow = map[uint64]int32{}
		}
		t.overflow[key] = id
		return
	}
	mask := uint64(len(t.slots) - 1)
	h := t.slot(key)
	for t.slots[h] != 0 {
		h = (h + 1) & mask
	}
	t.slots[h] = key<<pairIDBits | uint64(id+1)
}

func (t *pairTable) get(key uint64) (int32, bool) {
	// Small enough to be inlined into the loop over a post's keys.
	mask := uint64(len(t.slots) - 1)
	for h := t.slot(key); ; h = (h + 1) & mask {
		s := t.slots[h]
		if s == 0 {
			return t.getOverflow(key)
		}
		if s>>pairIDBits == key {
			return int32(s&(1<<pairIDBits-1)) - 1, true
		}
	}
}

func (t *pairTable) getOverflow(key uint64) (int32, bool) {
	if t.overflow != nil {
		id, ok := t.overflow[key]
		return id, ok
	}
	return 0, false
}

// names returns the sorted distinct sparse feature names of ex.
func (s FeatureSettings) names(ex *Example) []string {
	var out []string
	s.eachName(ex, func(n []byte) { out = append(out, string(n)) }, nil)
	slices.Sort(out)
	return slices.Compact(out)
}

// appendToken appends the word feature of token t to buf (prefix, then
// the token lower-cased), or returns buf[:0] for a token with no letter or
// digit, longer than maxTokenRunes or with more than maxDigitRun digits in
// a row.
func appendToken(buf []byte, t string) []byte {
	t = trimSpace(t)
	buf = append(buf, prefixWord...)
	n, digits, useful := 0, 0, false
	for i := 0; i < len(t); {
		r, size := hanrune.Han(t[i:]) // as range would, Han inline
		if size == 0 {
			r, size = utf8.DecodeRuneInString(t[i:])
		}
		i += size
		if n++; n > maxTokenRunes {
			return buf[:0]
		}
		if r >= '0' && r <= '9' {
			if digits++; digits > maxDigitRun {
				return buf[:0]
			}
		} else {
			digits = 0
		}
		switch { // Han and ASCII without the Unicode tables: most runes are one or the other
		case r < utf8.RuneSelf:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			useful = useful || r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
			buf = append(buf, byte(r))
		case isHan(r):
			useful = true
			buf = utf8.AppendRune(buf, r)
		case isPunct(r): // no letter, no digit, no case: spares three table searches
			buf = utf8.AppendRune(buf, r)
		default:
			useful = useful || unicode.IsLetter(r) || unicode.IsDigit(r)
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
	}
	if !useful {
		return buf[:0]
	}
	return buf
}

// trimSpace is strings.TrimSpace without its slow path for a string that
// starts or ends with a non-ASCII rune (nearly every Chinese token): it
// decodes such a rune only when it may be a space (mayBeSpace), so a Han
// character is passed over after one byte comparison.
func trimSpace(s string) string {
	for len(s) > 0 {
		r, n := rune(s[0]), 1
		if r >= utf8.RuneSelf {
			if !mayBeSpace(s[0]) {
				break
			}
			r, n = utf8.DecodeRuneInString(s)
		}
		if !unicode.IsSpace(r) {
			break
		}
		s = s[n:]
	}
	for len(s) > 0 {
		r, n := rune(s[len(s)-1]), 1
		if r >= utf8.RuneSelf {
			// A non-ASCII space is two or three bytes long.
			if !(len(s) >= 2 && s[len(s)-2] == 0xc2 || len(s) >= 3 && mayBeSpace(s[len(s)-3])) {
				break
			}
			r, n = utf8.DecodeLastRuneInString(s)
		}
		if !unicode.IsSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// mayBeSpace reports whether a rune starting with byte b may be a Unicode
// space: the non-ASCII ones (U+0085, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000) start with one of these bytes.
// TestTrimSpace checks every rune.
func mayBeSpace(b byte) bool {
	return b < utf8.RuneSelf || b == 0xc2 || b >= 0xe1 && b <= 0xe3
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

// vectorBuf is vectorizeInto's reusable scratch: sortedSet's bitset and
// eachName's short keys.
type vectorBuf struct {
	seen, keys []uint64
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

// vocabulary is the sorted feature names with an index for lookups:
// pairs numbers the bigrams and one- or two-character Han words
// (nameKey), index holds the other names.
// Sorting puts every rule hit ("r:") in one run, [rules[0], rules[1]).
type vocabulary struct {
	names []string
	index map[string]int32
	pairs pairTable
	rules [2]int32
}

func newVocabulary(names []string) *vocabulary {
	v := &vocabulary{names: names}
	npairs := 0
	for _, n := range names {
		if _, ok := nameKey(n); ok {
			npairs++
		}
	}
	v.pairs = newPairTable(npairs)
	v.index = make(map[string]int32, len(names)-npairs)
	for i, n := range names {
		if k, ok := nameKey(n); ok {
			v.pairs.put(k, int32(i))
			continue // a smaller index map is a faster one
		}
		v.index[n] = int32(i)
	}
	lo, _ := slices.BinarySearch(names, prefixRule)
	hi := lo
	for hi < len(names) && strings.HasPrefix(names[hi], prefixRule) {
		hi++
	}
	v.rules = [2]int32{int32(lo), int32(hi)}
	return v
}

// vectorize maps ex onto the vocabulary. Text features (words and
// bigrams) share a weight of 1/√n so a long letter and a short comment
// weigh alike; rule hits count 1 each.
func (v *vocabulary) vectorize(s FeatureSettings, ex *Example) vector {
	var x vector
	v.vectorizeInto(s, ex, &x, nil)
	return x
}

// vectorizeInto is vectorize into x's buffers; buf, when not nil, is
// reused scratch.
func (v *vocabulary) vectorizeInto(s FeatureSettings, ex *Example, x *vector, buf *vectorBuf) {
	// At most a name per token, Han character and rule hit: one allocation.
	if n := len(ex.Tokens) + len(ex.Text)/3 + len(ex.Rules) + len(numericFeatures) + 1; cap(x.idx) < n {
		x.idx = make([]int32, 0, n)
	}
	x.idx = x.idx[:0]
	if buf == nil {
		buf = new(vectorBuf)
	}
	buf.keys = buf.keys[:0]
	s.eachName(ex, func(n []byte) {
		if i, ok := v.index[string(n)]; ok {
			x.idx = append(x.idx, i)
		}
	}, &buf.keys)
	for _, k := range buf.keys {
		if i, ok := v.pairs.get(k); ok {
			x.idx = append(x.idx, i)
		}
	}
	x.idx = sortedSet(x.idx, &buf.seen, len(v.names))
	text := 0
	for _, i := range x.idx {
		if i < v.rules[0] || i >= v.rules[1] {
			text++
		}
	}
	if n := len(x.idx) + len(numericFeatures); cap(x.val) < n {
		x.val = make([]float64, 0, n)
	}
	x.val = x.val[:len(x.idx)]
	tw := 1 / math.Sqrt(float64(text)) // once, not per feature
	for j, i := range x.idx {
		x.val[j] = 1
		if i < v.rules[0] || i >= v.rules[1] {
			x.val[j] = tw
		}
	}
	if s.Numeric {
		for j, f := range numeric(ex) {
			x.idx = append(x.idx, int32(len(v.names)+j))
			x.val = append(x.val, f)
		}
	}
}

// sortedSet sorts ids, all below n, and drops repeats, through a bitset
// (seen, all zero between calls): a post has a few hundred ids, which a
// bitset of the vocabulary orders several times faster than a sort.
func sortedSet(ids []int32, seen *[]uint64, n int) []int32 {
	words := (n + 63) / 64
	if len(*seen) < words {
		*seen = make([]uint64, words)
	}
	bits := (*seen)[:words]
	for _, i := range ids {
		bits[i>>6] |= 1 << (i & 63)
	}
	out := ids[:0] // every id has been read
	for w, b := range bits {
		if b == 0 {
			continue
		}
		bits[w] = 0
		for ; b != 0; b &= b - 1 {
			out = append(out, int32(w<<6|mathbits.TrailingZeros64(b)))
		}
	}
	return out
}

// dims is the number of weights per class: the vocabulary, then the
// numeric features.
func (s FeatureSettings) dims(vocab int) int {
	if s.Numeric {
		return vocab + len(numericFeatures)
	}
	return vocab
}

// Term returns the text of a word or bigram feature name (as Explain
// gives it), or false for a rule hit or an engagement figure: what a
// person reading the reasons can recognise in the post.
func Term(feature string) (string, bool) {
	if t, ok := strings.CutPrefix(feature, prefixWord); ok {
		return t, true
	}
	if t, ok := strings.CutPrefix(feature, prefixBigram); ok {
		return t, true
	}
	return "", false
}

// isPunct reports whether r is one of the common Chinese and full-width
// punctuation marks (，。、；：？！“”‘’（）《》【】…—): no letter, no digit
// and its own lower case, so appendToken need not ask the Unicode tables.
// TestIsPunct checks every rune it accepts.
func isPunct(r rune) bool {
	switch {
	case r >= 0x2010 && r <= 0x2027: // ‐‑‒–—―‖‗‘’‚‛“”„‟†‡•‣․‥…‧
		return true
	case r >= 0x3001 && r <= 0x3003, r >= 0x3008 && r <= 0x3011: // 、。〃 〈〉《》「」『』【】
		return true
	case r >= 0xff01 && r <= 0xff0f, r >= 0xff1a && r <= 0xff20: // ！＂＃＄％＆＇（）＊＋，－．／ ：；＜＝＞？＠
		return true
	}
	return false
}

// isHan is unicode.Is(unicode.Han, r), answering the common CJK block
// without a table search.
func isHan(r rune) bool {
	if r >= 0x4e00 && r <= 0x9fff {
		return true
	}
	return r >= 0x2e80 && unicode.Is(unicode.Han, r)
}
