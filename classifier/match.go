package classifier

import (
	mathbits "math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/internal/hanrune"
)

// trie is a rune-level keyword trie. It is built with a map keyed by
// (node, rune) and then frozen into sorted per-node edge lists, which are
// several times faster to step through than map lookups on the hot path.
type trie struct {
	next  map[uint64]int32 // build-time edges; nil after freeze
	terms [][]int32        // terminal term ids per node
	// root[r] is the child of the root for BMP rune r (0: none). Most
	// walks end at the root, so this skips any search on the hot path;
	// first holds the same runes as a bitset, 32 times smaller, that a
	// walk over every rune of a post tests first.
	root  []int32
	first runeSet
	// Frozen edges: node n's children are edges[at[n]:at[n+1]], sorted
	// by rune.
	at    []int32
	edges []edge
}

type edge struct {
	r     rune
	child int32
}

func newTrie() *trie {
	return &trie{next: map[uint64]int32{}, terms: [][]int32{nil}, root: make([]int32, 0x10000)}
}

// empty reports whether the trie holds no term.
func (t *trie) empty() bool { return len(t.terms) == 1 }

// freeze turns the build-time map into the sorted edge lists.
func (t *trie) freeze() {
	n := len(t.terms)
	count := make([]int32, n+1)
	for k := range t.next {
		count[int32(k>>32)+1]++
	}
	for i := 1; i <= n; i++ {
		count[i] += count[i-1]
	}
	t.at = count
	t.edges = make([]edge, len(t.next))
	fill := slices.Clone(count[:n])
	for k, c := range t.next {
		p := int32(k >> 32)
		t.edges[fill[p]] = edge{r: rune(uint32(k)), child: c}
		fill[p]++
	}
	for i := 0; i < n; i++ {
		es := t.edges[t.at[i]:t.at[i+1]]
		slices.SortFunc(es, func(a, b edge) int { return int(a.r) - int(b.r) })
	}
	t.next = nil
}

// step returns the child of node n for rune r.
func (t *trie) step(n int32, r rune) (int32, bool) {
	if n == 0 && r < 0x10000 {
		c := t.root[r]
		return c, c != 0
	}
	es := t.edges[t.at[n]:t.at[n+1]]
	if len(es) <= 8 {
		for _, e := range es {
			if e.r == r {
				return e.child, true
			}
		}
		return 0, false
	}
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].r == r {
		return es[lo].child, true
	}
	return 0, false
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
				t.first[r>>6] |= 1 << (r & 63)
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
	// order lists the indexes into hits sorted by term, so the hits of
	// one term are a contiguous run: order[lo[id]:hi[id]]. lo and hi are
	// per-term arrays kept in the scratch and reset only where a post
	// touched them, so building the index costs the number of hits, not
	// the number of terms.
	order  []int32
	lo, hi []int32
	terms  []int32 // the terms that occur, each once
	// present holds the terms that occur as a bitset: rules ask about
	// dozens of terms each, mostly absent, and a bitset of the terms is
	// 64 times smaller than lo and hi, so it stays in the nearest cache.
	present []uint64
}

// of returns the indexes into hits of term id.
func (fh *fieldHits) of(id int) []int32 {
	if !fh.has(id) {
		return nil
	}
	return fh.order[fh.lo[id]:fh.hi[id]]
}

// has reports whether term id occurs.
func (fh *fieldHits) has(id int) bool {
	return fh.present != nil && fh.present[id>>6]&(1<<(id&63)) != 0
}

const (
	bStart = 1 << iota
	bEnd
	bInner // an inner boundary of a domain word: terms other than "=词" may start and end here
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
	// anyStart holds every rune some regexp can start with; it is nil
	// when a regexp's first runes are unknown (then every token is tried).
	anyStart *runeSet
	reAt     []*regexp.Regexp
	// reMax[i] bounds the bytes a match of regexps[i] can span: its exact
	// maximum when the pattern is bounded, else maxRegexBytes. Go's
	// backtracker clears state proportional to its input on every call, so
	// handing it the rest of a long post at every token would make regex
	// terms cost O(tokens × length).
	reMax []int
	// need[i], when known, holds runes of which every match of
	// regexps[i] contains at least one (beyond its first rune): a cheap
	// scan of the window for them skips most regexp calls.
	need []*runeSet
	// prefix[i], when not nil, rejects most token starts where
	// regexps[i] cannot match from their first few runes.
	prefix []*prefixNFA
	// needAny is the union of the need sets of the first 64 regexps and
	// needMask[r] says whose sets hold r: one pass over a text finds the
	// needed runes of all of them (needPositions), instead of a pass per
	// regexp.
	needAny  *runeSet
	needMask map[rune]uint64
	// startAt[r] says which of the first 64 regexps may start with rune
	// r, and openStart which of them may start with any: a token start
	// then tries only those, instead of testing every regexp's first
	// runes. It also holds their prefix filters' states after r, so that
	// one lookup per token start serves every regexp.
	startAt   map[rune]*runeStart
	openStart uint64
}

// runeStart is what the regexps that may start with one rune r need.
type runeStart struct {
	mask uint64 // bit i: regexps[i] may start with r
	// after holds, per bit of mask in increasing order, prefix[i]'s
	// states once r is read (ok false: its program rejects r; unused
	// when prefix[i] is nil).
	after []startStates
	// second[r2] says which regexps of mask may go on with rune r2 after
	// r, and anySecond which may go on with any (or end after r, or have
	// no prefix filter): a token start then tries only those, where most
	// of its candidates would each have been turned away by their filter.
	second    map[rune]uint64
	anySecond uint64
}

// maxSecondRunes bounds the runes a regexp's states after its first rune
// may accept for runeStart.second to list them; a larger class ([^。！？])
// goes to anySecond.
const maxSecondRunes = 256

type startStates struct {
	nfaStates
	ok bool
}

// addSecond records that regexps[i] may go on with the runes of ranges.
func (rs *runeStart) addSecond(i int, ranges []rune) {
	n := 0
	for j := 0; j+1 < len(ranges); j += 2 {
		n += int(ranges[j+1]-ranges[j]) + 1
	}
	if n > maxSecondRunes {
		rs.anySecond |= 1 << i
		return
	}
	if rs.second == nil {
		rs.second = map[rune]uint64{}
	}
	for j := 0; j+1 < len(ranges); j += 2 {
		for r := ranges[j]; r <= ranges[j+1]; r++ {
			rs.second[r] |= 1 << i
		}
	}
}

// states returns regexp i's entry in after; i's bit is set in mask.
func (rs *runeStart) states(i int) *startStates {
	return &rs.after[mathbits.OnesCount64(rs.mask&(1<<i-1))]
}

// maxRegexBytes caps the span of an unbounded regex term (+, *): about 40
// Chinese characters, far more than a keyword pattern needs.
const maxRegexBytes = 120

func newMatcher(terms []term) *matcher {
	m := &matcher{terms: terms, anchored: newTrie(), floating: newTrie()}
	for i, t := range terms {
		switch {
		case t.re != nil:
			m.regexps = append(m.regexps, i)
			m.starts = append(m.starts, firstRunes(t.re))
			m.reAt = append(m.reAt, regexp.MustCompile(`^(?:`+t.re.String()+`)`))
			m.reMax = append(m.reMax, maxBytes(t.re))
			m.need = append(m.need, neededRunes(t.re))
			m.prefix = append(m.prefix, newPrefixNFA(t.re, m.starts[len(m.starts)-1]))
		case t.startOK:
			m.floating.add(t.key, i)
		default:
			m.anchored.add(t.key, i)
		}
	}
	m.indexNeeds()
	m.indexStarts()
	m.anchored.freeze()
	m.floating.freeze()
	if len(m.regexps) > 0 {
		m.anyStart = &runeSet{}
		for _, st := range m.starts {
			if st == nil {
				m.anyStart = nil
				break
			}
			for i := range st {
				m.anyStart[i] |= st[i]
			}
		}
	}
	return m
}

// indexNeeds maps each rune some of the first 64 regexps need to the
// mask of those regexps, so one pass over a text finds where each may
// match.
func (m *matcher) indexNeeds() {
	for i, need := range m.need {
		if need == nil || i >= 64 {
			continue
		}
		if m.needAny == nil {
			m.needAny, m.needMask = &runeSet{}, map[rune]uint64{}
		}
		for w, bits := range need {
			m.needAny[w] |= bits
			for ; bits != 0; bits &= bits - 1 {
				m.needMask[rune(w<<6|mathbits.TrailingZeros64(bits))] |= 1 << i
			}
		}
	}
}

// indexStarts maps each rune the first 64 regexps may start with to those
// regexps, with their prefix automata's states after it, so a token's
// first two runes filter every regexp at once.
func (m *matcher) indexStarts() {
	for i, st := range m.starts {
		switch {
		case i >= 64:
		case st == nil:
			m.openStart |= 1 << i
		default:
			if m.startAt == nil {
				m.startAt = map[rune]*runeStart{}
			}
			for w, bits := range st {
				for ; bits != 0; bits &= bits - 1 {
					r := rune(w<<6 | mathbits.TrailingZeros64(bits))
					rs := m.startAt[r]
					if rs == nil {
						rs = &runeStart{}
						m.startAt[r] = rs
					}
					rs.mask |= 1 << i // i grows: after stays in bit order
					var ss startStates
					if p := m.prefix[i]; p != nil {
						ss.nfaStates, ss.ok = p.after1[r]
					}
					rs.after = append(rs.after, ss)
					switch {
					case m.prefix[i] == nil || ss.final:
						rs.anySecond |= 1 << i
					case !ss.ok: // cannot start with r at all
					default:
						rs.addSecond(i, ss.next)
					}
				}
			}
		}
	}
}

// scratch holds per-field buffers reused across Grade calls.
type scratch struct {
	toks   [][2]int
	inner  []int // inner boundaries of domain words (segmenter.spans)
	starts []int // token starts and inner boundaries, in order
	bound  []uint8
	tokOf  []int32 // token index of each byte
	reNext []int   // per regexp: where its next match may start
	needAt []int   // per regexp: next byte holding one of its needed runes
	// needPos lists the needed runes of the text (matcher.needAny) with
	// whose need sets hold them; needCur[i] is regexp i's place in it.
	needPos []neededAt
	needCur []int
	nfa     [2][]uint32 // prefixNFA.mayMatch's buffers
	hits    []hit
	order   []int32
	lo, hi  []int32 // len(terms); zero except for the last post's terms
	present []uint64
	used    []int32 // terms whose lo/hi and present bit are set
}

// neededAt is a rune some regexps need (bit i: regexps[i]) at byte pos.
type neededAt struct {
	pos  int
	mask uint64
}

// nextNeeded returns the first byte at or after pos holding a rune
// regexps[i] needs, or len(s). Calls for one regexp come with growing pos.
func (m *matcher) nextNeeded(s string, i, pos int, sc *scratch) int {
	if i >= 64 || m.needAny == nil {
		return pos + m.need[i].index(s[pos:])
	}
	bit, cur := uint64(1)<<i, sc.needCur[i]
	for cur < len(sc.needPos) && (sc.needPos[cur].pos < pos || sc.needPos[cur].mask&bit == 0) {
		cur++
	}
	sc.needCur[i] = cur
	if cur == len(sc.needPos) {
		return len(s)
	}
	return sc.needPos[cur].pos
}

// match finds all term occurrences in s given its token spans and the
// inner boundaries of its domain words, where terms may also start and end
// (a rule's 报销 matches inside the domain word 医保报销 as it would had
// gse cut 医保|报销). The returned fieldHits borrows sc's buffers until sc
// is reused.
func (m *matcher) match(norm normText, toks [][2]int, inner []int, sc *scratch) fieldHits {
	sc.forgetTerms()
	fh := fieldHits{norm: norm, hits: sc.hits[:0]}
	defer func() { sc.hits = fh.hits[:0] }()
	if len(norm.s) == 0 {
		return fh
	}
	run := matchRun{m: m, s: norm.s, sc: sc, hits: fh.hits}
	starts := run.markBounds(toks, inner)
	if !m.anchored.empty() {
		for _, pos := range starts {
			if ok, _ := run.mayStart(m.anchored, pos); ok {
				run.walk(m.anchored, pos)
			}
		}
	}
	if !m.floating.empty() {
		for pos := 0; pos < len(run.s); { // every rune start, as range s
			ok, size := run.mayStart(m.floating, pos)
			if ok {
				run.walk(m.floating, pos)
			}
			pos += size
		}
	}
	if len(m.regexps) > 0 {
		run.regexps(starts)
	}
	fh.hits = run.hits
	if len(fh.hits) == 0 {
		return fh
	}
	sc.tokenSpans(toks, fh.hits)
	sc.groupByTerm(&fh, len(m.terms))
	return fh
}

// forgetTerms clears the previous post's term index, only where it was
// set.
func (sc *scratch) forgetTerms() {
	for _, id := range sc.used {
		sc.lo[id], sc.hi[id] = 0, 0
		sc.present[id>>6] = 0
	}
	sc.used = sc.used[:0]
}

// matchRun is one field's matching: the text, its boundaries and the hits
// found so far.
type matchRun struct {
	m     *matcher
	s     string
	bound []uint8 // per byte: bStart, bEnd, bInner
	sc    *scratch
	hits  []hit
}

// markBounds records where tokens and domain words' inner parts start
// and end, and returns the places a term may start, in order.
func (r *matchRun) markBounds(toks [][2]int, inner []int) []int {
	sc := r.sc
	sc.bound = slices.Grow(sc.bound[:0], len(r.s)+1)[:len(r.s)+1]
	clear(sc.bound)
	r.bound = sc.bound
	starts := sc.starts[:0]
	for _, t := range toks {
		r.bound[t[0]] |= bStart
		r.bound[t[1]] |= bEnd
		starts = append(starts, t[0])
		for len(inner) > 0 && inner[0] < t[1] {
			r.bound[inner[0]] |= bInner
			starts = append(starts, inner[0])
			inner = inner[1:]
		}
	}
	sc.starts = starts
	return starts
}

// add records a hit of term id at s[a:b] unless it cuts a number.
func (r *matchRun) add(id, a, b int) bool {
	if splitsDigitRun(r.s, a, b) {
		return false
	}
	r.hits = append(r.hits, hit{term: id, start: a, end: b})
	return true
}

// walk follows tr from start, adding every term that ends on a boundary.
func (r *matchRun) walk(tr *trie, start int) {
	s, bound := r.s, r.bound
	inner := bound[start]&bStart == 0
	n := int32(0)
	for pos := start; pos < len(s); {
		c, size := hanrune.Han(s[pos:])
		if size == 0 {
			c, size = utf8.DecodeRuneInString(s[pos:])
		}
		next, ok := tr.step(n, c)
		if !ok {
			return
		}
		n = next
		pos += size
		for _, id := range tr.terms[n] {
			t := &r.m.terms[id]
			if t.whole && (inner || bound[pos]&bEnd == 0) {
				continue
			}
			if t.endOK || bound[pos]&(bEnd|bInner) != 0 {
				r.add(int(id), start, pos)
			}
		}
	}
}

// mayStart: a walk from pos can leave the root (a BMP rune no term
// starts with ends it at once, which most positions are).
func (r *matchRun) mayStart(tr *trie, pos int) (bool, int) {
	c, size := hanrune.Han(r.s[pos:])
	if size == 0 {
		c, size = utf8.DecodeRuneInString(r.s[pos:])
	}
	return c >= 0x10000 || tr.first.has(c), size
}

// regexps tries the regexp terms at every start. Tokens outer, regexps
// inner: each token's first rune is decoded once and filters every regexp
// by its possible first runes.
func (r *matchRun) regexps(starts []int) {
	m, s := r.m, r.s
	r.resetRegexps()
	for _, pos := range starts {
		c, size := hanrune.Han(s[pos:])
		if size == 0 {
			c, size = utf8.DecodeRuneInString(s[pos:])
		}
		if m.anyStart != nil && !m.anyStart.has(c) {
			continue // no regexp can start here: the common case
		}
		// In regexp order, as FindAll per regexp would list them.
		rs := m.startAt[c]
		var mask, goOn uint64
		if rs != nil {
			mask, goOn = rs.mask, rs.mask
			if pos+size < len(s) { // (at the end, let each filter judge)
				c2, _ := hanrune.Decode(s[pos+size:])
				goOn = rs.anySecond | rs.second[c2]
			}
		}
		for cand := goOn | m.openStart; cand != 0; cand &= cand - 1 {
			i := mathbits.TrailingZeros64(cand)
			if mask&(1<<i) != 0 {
				r.try(i, pos, rs)
			} else {
				r.try(i, pos, nil)
			}
		}
		for i := 64; i < len(m.regexps); i++ {
			if first := m.starts[i]; first == nil || first.has(c) {
				r.try(i, pos, nil)
			}
		}
	}
}

// resetRegexps readies the per-regexp cursors for a new text and lists
// where the runes some regexps need occur.
func (r *matchRun) resetRegexps() {
	m, s, sc := r.m, r.s, r.sc
	sc.reNext = slices.Grow(sc.reNext[:0], len(m.regexps))[:len(m.regexps)]
	clear(sc.reNext) // non-overlapping, leftmost first, like FindAll
	sc.needAt = slices.Grow(sc.needAt[:0], len(m.regexps))[:len(m.regexps)]
	for i := range sc.needAt {
		sc.needAt[i] = -1
	}
	sc.needCur = slices.Grow(sc.needCur[:0], len(m.regexps))[:len(m.regexps)]
	clear(sc.needCur)
	sc.needPos = sc.needPos[:0]
	if m.needAny != nil {
		for pos := 0; pos < len(s); { // as range s, Han inline
			c, size := hanrune.Decode(s[pos:])
			if m.needAny.has(c) {
				sc.needPos = append(sc.needPos, neededAt{pos, m.needMask[c]})
			}
			pos += size
		}
	}
}

// try tries regexps[i] at pos; rs, when not nil, is startAt of the rune
// there.
func (r *matchRun) try(i, pos int, rs *runeStart) {
	m, s, sc := r.m, r.s, r.sc
	if pos < sc.reNext[i] {
		return
	}
	win := s[pos:min(len(s), pos+m.reMax[i])]
	if need := m.need[i]; need != nil {
		// needAt[i] is the next place a needed rune occurs; token
		// starts only grow, so the scans add up to one pass over the
		// text per regexp.
		if q := sc.needAt[i]; q < pos {
			sc.needAt[i] = m.nextNeeded(s, i, pos, sc)
		}
		if sc.needAt[i] >= pos+len(win) {
			return
		}
	}
	if p := m.prefix[i]; p != nil {
		var ok bool
		if rs != nil {
			st := rs.states(i)
			if !st.ok {
				return
			}
			_, n := hanrune.Decode(win)
			ok, sc.nfa[0], sc.nfa[1] = p.mayMatchAfter(st.nfaStates, win[n:], sc.nfa[0], sc.nfa[1])
		} else {
			ok, sc.nfa[0], sc.nfa[1] = p.mayMatch(win, sc.nfa[0], sc.nfa[1])
		}
		if !ok {
			return
		}
	}
	if loc := m.reAt[i].FindStringIndex(win); loc != nil && loc[1] > 0 && r.add(m.regexps[i], pos, pos+loc[1]) {
		sc.reNext[i] = pos + loc[1]
	}
}

// tokenSpans sets each hit's first and last token.
func (sc *scratch) tokenSpans(toks [][2]int, hits []hit) {
	n := len(sc.bound) - 1 // the text's length
	sc.tokOf = slices.Grow(sc.tokOf[:0], n)[:n]
	// tokOf[b] is the first token ending after b (the last token past the
	// end), as a binary search over the spans would find it: gse tokens
	// cover the whole text, so every byte has one.
	ti := 0
	for b := range sc.tokOf {
		for ti < len(toks)-1 && toks[ti][1] <= b {
			ti++
		}
		sc.tokOf[b] = int32(ti)
	}
	for i := range hits {
		h := &hits[i]
		h.tokA = int(sc.tokOf[h.start])
		h.tokB = int(sc.tokOf[h.end-1])
	}
}

// groupByTerm indexes fh's hits by term: order lists hit indexes term by
// term, each term's in the order found, so a term's hits are one run,
// order[lo[id]:hi[id]]. A counting sort: the cost follows the number of
// hits, not the number of terms.
func (sc *scratch) groupByTerm(fh *fieldHits, terms int) {
	if len(sc.lo) != terms {
		sc.lo, sc.hi, sc.used = make([]int32, terms), make([]int32, terms), sc.used[:0]
		sc.present = make([]uint64, (terms+63)/64)
	}
	hits := fh.hits
	for _, h := range hits { // hi counts each term's hits for now
		id := h.term
		if sc.hi[id] == 0 {
			sc.used = append(sc.used, int32(id))
			sc.present[id>>6] |= 1 << (id & 63)
		}
		sc.hi[id]++
	}
	run := int32(0)
	for _, id := range sc.used { // each term's run; hi becomes its fill cursor
		n := sc.hi[id]
		sc.lo[id], sc.hi[id] = run, run
		run += n
	}
	fh.order = slices.Grow(sc.order[:0], len(hits))[:len(hits)]
	sc.order = fh.order
	for i, h := range hits {
		fh.order[sc.hi[h.term]] = int32(i)
		sc.hi[h.term]++
	}
	fh.lo, fh.hi, fh.terms, fh.present = sc.lo, sc.hi, sc.used, sc.present
}

// splitsDigitRun reports whether the match s[a:b] begins or ends with an
// ASCII digit that continues a digit run outside it: a number term names a
// whole number, so 12345 (the government hotline) is not found inside the
// phone number 13812345678 or 0731-12345678. Full-width digits are folded
// to ASCII before matching, so they count too. Checked here, on every hit
// of every kind of term, so no rule can forget it.
func splitsDigitRun(s string, a, b int) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	return isDigit(s[a]) && a > 0 && isDigit(s[a-1]) ||
		isDigit(s[b-1]) && b < len(s) && isDigit(s[b])
}

// runeSet is a set of BMP runes as a bitset.
type runeSet [0x10000 / 64]uint64

func (rs *runeSet) has(r rune) bool {
	return r < 0x10000 && rs[r>>6]&(1<<(r&63)) != 0
}

// index returns the byte offset of the first rune of rs in s, or len(s).
func (rs *runeSet) index(s string) int {
	for i, r := range s {
		if rs.has(r) {
			return i
		}
	}
	return len(s)
}

// neededRunes returns runes of which every match of re contains one, taken
// from a part of the pattern after its start (the first rune is checked
// separately), or nil when no such small set is known.
func neededRunes(re *regexp.Regexp) *runeSet {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	t = t.Simplify()
	for t.Op == syntax.OpCapture {
		t = t.Sub[0]
	}
	if t.Op != syntax.OpConcat || len(t.Sub) < 2 {
		return nil
	}
	var best map[rune]bool
	for _, sub := range t.Sub[1:] {
		set := map[rune]bool{}
		if !first(sub, set) || len(set) == 0 || len(set) > 64 {
			continue // optional, unknown or too large
		}
		if best == nil || len(set) <= len(best) {
			best = set
		}
	}
	if best == nil {
		return nil
	}
	rs := &runeSet{}
	for r := range best {
		if r >= 0x10000 {
			return nil
		}
		rs[r>>6] |= 1 << (r & 63)
	}
	return rs
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
		// A leading optional part (x*, x?, x{0,n}) adds its first runes
		// and lets the next part start the match too.
		for _, sub := range re.Sub {
			if (sub.Op == syntax.OpStar || sub.Op == syntax.OpQuest || sub.Op == syntax.OpRepeat && sub.Min == 0) && len(sub.Sub) == 1 {
				if !first(sub.Sub[0], set) {
					return false
				}
				continue
			}
			return first(sub, set)
		}
		return false // every part is optional: the match may be empty
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

// maxBytes returns the most bytes a match of re can span, or maxRegexBytes
// when that is unbounded or larger.
func maxBytes(re *regexp.Regexp) int {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return maxRegexBytes
	}
	n := spanOf(t.Simplify())
	if n < 0 || n > maxRegexBytes {
		return maxRegexBytes
	}
	return n
}

// spanOf is the longest match of re in bytes, -1 when unbounded.
func spanOf(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += utf8.RuneLen(r)
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture:
		return spanOf(re.Sub[0])
	case syntax.OpQuest:
		return spanOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max < 0 {
			return -1
		}
		n := spanOf(re.Sub[0])
		if n < 0 {
			return -1
		}
		return n * re.Max
	case syntax.OpConcat:
		sum := 0
		for _, sub := range re.Sub {
			n := spanOf(sub)
			if n < 0 {
				return -1
			}
			sum += n
		}
		return sum
	case syntax.OpAlternate:
		best := 0
		for _, sub := range re.Sub {
			n := spanOf(sub)
			if n < 0 {
				return -1
			}
			best = max(best, n)
		}
		return best
	}
	return -1 // star, plus and anything unknown
}
