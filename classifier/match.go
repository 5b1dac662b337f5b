package classifier

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"unicode/utf8"
)

// trie is a rune-level keyword trie keyed by (node, rune) in one map: small
// and fast enough for a few thousand terms.
type trie struct {
	next  map[uint64]int32
	terms [][]int32 // terminal term ids per node
	// root[r] is the child of the root for BMP rune r (0: none). Most
	// walks end at the root, so this skips the map on the hot path.
	root []int32
}

func newTrie() *trie {
	return &trie{next: map[uint64]int32{}, terms: [][]int32{nil}, root: make([]int32, 0x10000)}
}

// step returns the child of node n for rune r.
func (t *trie) step(n int32, r rune) (int32, bool) {
	if n == 0 && r < 0x10000 {
		c := t.root[r]
		return c, c != 0
	}
	c, ok := t.next[uint64(uint32(n))<<32|uint64(uint32(r))]
	return c, ok
}

func (t *trie) add(key string, id int) {
	n := int32(0)
	for _, r := range key {
		k := uint64(uint32(n))<<32 | uint64(uint32(r))
		c, ok := t.next[k]
		if !ok {
			c = int32(len(t.terms))
			t.terms = append(t.terms, nil)
			t.next[k] = c
			if n == 0 && r < 0x10000 {
				t.root[r] = c
			}
		}
		n = c
	}
	t.terms[n] = append(t.terms[n], int32(id))
}

// hit is one occurrence of a term in a folded field.
type hit struct {
	term       int
	start, end int // folded byte offsets
	tokA, tokB int // first and last token index
}

// fieldHits is everything matched in one field of a post.
type fieldHits struct {
	norm normText
	hits []hit
	// Hits grouped by term (CSR layout, no maps on the hot path):
	// order[start[id]:start[id+1]] are the indexes into hits of term id.
	start []int32
	order []int32
}

// of returns the indexes into hits of term id.
func (fh *fieldHits) of(id int) []int32 {
	if fh.start == nil {
		return nil
	}
	return fh.order[fh.start[id]:fh.start[id+1]]
}

// has reports whether term id occurs.
func (fh *fieldHits) has(id int) bool {
	return fh.start != nil && fh.start[id+1] > fh.start[id]
}

const (
	bStart = 1 << iota
	bEnd
)

// matcher finds terms in folded text on gse token boundaries.
type matcher struct {
	terms    []term
	anchored *trie // terms that must start on a token boundary
	floating *trie // terms that may start anywhere
	regexps  []int
	// reAt[i] is regexps[i] anchored with ^. Like other terms, a regex
	// term starts on a token boundary, so it is tried only at token starts
	// (and, when starts[i] is known, only where the first rune can begin a
	// match) instead of scanning every byte.
	starts []*runeSet
	reAt   []*regexp.Regexp
}

func newMatcher(terms []term) *matcher {
	m := &matcher{terms: terms, anchored: newTrie(), floating: newTrie()}
	for i, t := range terms {
		switch {
		case t.re != nil:
			m.regexps = append(m.regexps, i)
			m.starts = append(m.starts, firstRunes(t.re))
			m.reAt = append(m.reAt, regexp.MustCompile(`^(?:`+t.re.String()+`)`))
		case t.startOK:
			m.floating.add(t.key, i)
		default:
			m.anchored.add(t.key, i)
		}
	}
	return m
}

// scratch holds per-field buffers reused across Grade calls.
type scratch struct {
	toks  [][2]int
	bound []uint8
	start []int32
}

// match finds all term occurrences in s given its token spans. The
// returned fieldHits borrows sc's buffers until sc is reused.
func (m *matcher) match(norm normText, toks [][2]int, sc *scratch) fieldHits {
	s := norm.s
	fh := fieldHits{norm: norm}
	if len(s) == 0 {
		return fh
	}
	sc.bound = slices.Grow(sc.bound[:0], len(s)+1)[:len(s)+1]
	clear(sc.bound)
	bound := sc.bound
	for _, t := range toks {
		bound[t[0]] |= bStart
		bound[t[1]] |= bEnd
	}
	tokAt := func(pos int) int {
		// Index of the token containing byte pos.
		i := sort.Search(len(toks), func(i int) bool { return toks[i][1] > pos })
		if i >= len(toks) {
			i = len(toks) - 1
		}
		return i
	}
	add := func(id, a, b int) {
		fh.hits = append(fh.hits, hit{term: id, start: a, end: b})
	}
	walk := func(tr *trie, start int) {
		n := int32(0)
		for pos := start; pos < len(s); {
			r, size := utf8.DecodeRuneInString(s[pos:])
			c, ok := tr.step(n, r)
			if !ok {
				return
			}
			n = c
			pos += size
			for _, id := range tr.terms[n] {
				if m.terms[id].endOK || bound[pos]&bEnd != 0 {
					add(int(id), start, pos)
				}
			}
		}
	}
	if len(m.anchored.next) > 0 {
		for _, t := range toks {
			walk(m.anchored, t[0])
		}
	}
	if len(m.floating.next) > 0 {
		for pos := range s {
			walk(m.floating, pos)
		}
	}
	for i, id := range m.regexps {
		first, anch := m.starts[i], m.reAt[i]
		next := 0 // non-overlapping, leftmost first, like FindAll
		for _, t := range toks {
			pos := t[0]
			if pos < next {
				continue
			}
			if first != nil {
				r, _ := utf8.DecodeRuneInString(s[pos:])
				if !first.has(r) {
					continue
				}
			}
			if loc := anch.FindStringIndex(s[pos:]); loc != nil && loc[1] > 0 {
				add(id, pos, pos+loc[1])
				next = pos + loc[1]
			}
		}
	}
	if len(fh.hits) == 0 {
		return fh
	}
	sc.start = slices.Grow(sc.start[:0], len(m.terms)+1)[:len(m.terms)+1]
	clear(sc.start)
	fh.start = sc.start
	for i := range fh.hits {
		h := &fh.hits[i]
		h.tokA = tokAt(h.start)
		h.tokB = tokAt(h.end - 1)
		fh.start[h.term+1]++
	}
	for i := 1; i < len(fh.start); i++ {
		fh.start[i] += fh.start[i-1]
	}
	// Counting sort: start[t+1] is the end of term t's slots; place hits
	// back to front, after which start[t+1] is the beginning of t's slots,
	// and shift down by one.
	fh.order = make([]int32, len(fh.hits))
	for i := len(fh.hits) - 1; i >= 0; i-- {
		t := fh.hits[i].term
		fh.start[t+1]--
		fh.order[fh.start[t+1]] = int32(i)
	}
	copy(fh.start, fh.start[1:])
	fh.start[len(m.terms)] = int32(len(fh.hits))
	return fh
}

// runeSet is a set of BMP runes as a bitset.
type runeSet [0x10000 / 64]uint64

func (rs *runeSet) has(r rune) bool {
	return r < 0x10000 && rs[r>>6]&(1<<(r&63)) != 0
}

// firstRunes returns the runes every match of re starts with, or nil when
// that set is unknown, large or outside the BMP.
func firstRunes(re *regexp.Regexp) *runeSet {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	set := map[rune]bool{}
	if !first(t.Simplify(), set) || len(set) == 0 || len(set) > 256 {
		return nil
	}
	rs := &runeSet{}
	for r := range set {
		if r >= 0x10000 {
			return nil
		}
		rs[r>>6] |= 1 << (r & 63)
	}
	return rs
}

// first adds to set the runes a non-empty match of re can start with; it
// reports false when it cannot tell (or re may match the empty string).
func first(re *syntax.Regexp, set map[rune]bool) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return false
		}
		set[re.Rune[0]] = true
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 256 {
				return false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set[r] = true
			}
		}
		return true
	case syntax.OpCapture, syntax.OpPlus:
		return first(re.Sub[0], set)
	case syntax.OpRepeat:
		return re.Min >= 1 && first(re.Sub[0], set)
	case syntax.OpConcat:
		return len(re.Sub) > 0 && first(re.Sub[0], set)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !first(sub, set) {
				return false
			}
		}
		return true
	}
	return false
}
