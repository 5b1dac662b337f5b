package classifier

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/go-ego/gse"

	"github.com/yuqing-bureau/yuqing/internal/hanrune"
)

// The segmenter keeps gse's embedded dictionary (352k words, ~130 MB, ~2 s
// to build) loaded once per process and never modified, and lays each
// engine's domain words over it. gse itself can only learn domain words by
// mutating its dictionary (AddToken, which races with concurrent cuts, then
// a CalcToken pass over every word), so every dictionary reload used to
// build a whole new gse segmenter: 2 s of CPU and 130 MB of allocation
// beside the graders, whose worst grade during a reload was 300 ms before
// GC tuning and 14-30 ms after. With the overlay a dictionary reload
// builds a map of a hundred words in microseconds and allocates nothing
// large.
//
// The cut is gse's Segment algorithm (shortest path over -log2 word
// probabilities, with an unknown character costing 32) applied to the union
// of both dictionaries, with the totals gse would compute had the domain
// words been added to it (ReAddToken/AddToken, then CalcToken): a domain
// word replaces a gse word with the same text, and the domain frequencies
// count in the total. TestOverlayCutsLikeGseWithDomainWords holds the two
// equal on every labelled post.
type segmenter struct {
	base     *baseDict  // shared by every engine; read-only
	logTotal float32    // log2 of the total frequency, domain words included
	maxLen   int        // longest word of either dictionary, in gse text units
	domain   domainNode // the domain words, a trie over gse text units
	// domStart holds the first rune of every domain word in the BMP: most
	// units start none, and a bit test spares them the trie's map lookup.
	domStart runeSet
	scratch  sync.Pool // *segScratch
}

// domainNode is one node of the domain-word trie. Edges are gse text units
// (a character, or a lowercased run of ASCII letters and digits); a node
// that ends a word has word set and the word's distance.
type domainNode struct {
	next map[string]*domainNode
	word bool
	dist float32
	// inner holds the byte offsets inside the word where gse's own
	// dictionary would cut it (医保|报销 in 医保报销). A domain word keeps
	// them as inner boundaries, so that adding 医保报销 to the dictionary
	// does not stop a rule's 报销 from matching there.
	inner []int
}

type segScratch struct {
	text  []byte     // the chunk being cut, for units to point into
	units []gse.Text // its text units (splitUnits)
	jumps []jump
	doms  []*domainNode
	found []*gse.Token
	base  []cand
	cands []cand
}

// jump is gse's jumper: the cheapest path found so far to the end of a
// unit, and the length in units of the word that ends it.
type jump struct {
	dist float32
	n    int
	dom  *domainNode // the domain word that ends here, if it is one
}

// cand is one dictionary word that starts at the current unit.
type cand struct {
	n    int
	dist float32
	dom  *domainNode // set for a domain word
}

// unknownDist is what gse charges for a character no word covers.
const unknownDist = 32

// baseDict is gse with its embedded simplified dictionary, plus what the
// cut needs of each of its words and gse keeps unexported: the length in
// text units and log2 of the frequency, indexed like Dict.Tokens.
type baseDict struct {
	// seg must never be modified: every engine in the process cuts with
	// it, and info relies on Dict.Tokens never moving.
	seg   *gse.Segmenter
	words []wordInfo
}

type wordInfo struct {
	logFreq float32
	n       int32
}

var baseOnce struct {
	sync.Mutex
	d *baseDict
}

// loadBase returns the process's baseDict, loading it on first use (~2 s).
// A failed load is retried by the next caller.
func loadBase() (*baseDict, error) {
	baseOnce.Lock()
	defer baseOnce.Unlock()
	if baseOnce.d != nil {
		return baseOnce.d, nil
	}
	seg := &gse.Segmenter{NotLoadHMM: true, SkipLog: true}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		return nil, fmt.Errorf("加载 gse 内置词典失败: %w", err)
	}
	d := &baseDict{seg: seg, words: make([]wordInfo, len(seg.Dict.Tokens))}
	for i := range seg.Dict.Tokens {
		t := &seg.Dict.Tokens[i]
		d.words[i] = wordInfo{
			logFreq: float32(math.Log2(t.Freq())),
			n:       int32(len(seg.SplitTextToWords([]byte(t.Text())))),
		}
	}
	baseOnce.d = d
	return d, nil
}

// info returns what d knows of a token LookupTokens found. The token points
// into Dict.Tokens, which is never modified after loading, so its index
// follows from its address.
func (d *baseDict) info(t *gse.Token) wordInfo {
	toks := d.seg.Dict.Tokens
	i := (uintptr(unsafe.Pointer(t)) - uintptr(unsafe.Pointer(unsafe.SliceData(toks)))) / unsafe.Sizeof(toks[0])
	return d.words[i]
}

// newSegmenter lays words over gse's dictionary. A word listed twice keeps
// its last frequency, as ReAddToken would; every listing counts in the
// total, as in gse.
func newSegmenter(words []dictWord) (*segmenter, error) {
	base, err := loadBase()
	if err != nil {
		return nil, err
	}
	total := base.seg.Dict.TotalFreq()
	for _, w := range words {
		total += w.freq
	}
	s := &segmenter{
		base:     base,
		logTotal: float32(math.Log2(total)),
		maxLen:   base.seg.Dict.MaxTokenLen(),
	}
	s.scratch.New = func() any { return new(segScratch) }
	// plain cuts with gse's dictionary alone: where it cuts a domain word
	// are the word's inner boundaries.
	plain := &segmenter{base: base, logTotal: float32(math.Log2(base.seg.Dict.TotalFreq())), maxLen: s.maxLen}
	plain.scratch.New = s.scratch.New
	var toks [][2]int
	for _, w := range words {
		units := splitUnits(nil, []byte(w.text)) // as the cut will split the text
		if len(units) == 0 {
			continue
		}
		if r, _ := utf8.DecodeRune(units[0]); r < 0x10000 {
			s.domStart[r>>6] |= 1 << (r & 63)
		}
		n := &s.domain
		for _, u := range units {
			if n.next == nil {
				n.next = map[string]*domainNode{}
			}
			child := n.next[string(u)]
			if child == nil {
				child = &domainNode{}
				n.next[string(u)] = child
			}
			n = child
		}
		n.word, n.dist = true, s.logTotal-float32(math.Log2(w.freq))
		s.maxLen = max(s.maxLen, len(units))
		if n.inner == nil { // a word listed twice is cut once
			toks, _ = plain.spans(w.text, toks, nil)
			n.inner = make([]int, 0, len(toks)-1)
			for _, t := range toks[1:] {
				n.inner = append(n.inner, t[0])
			}
		}
	}
	return s, nil
}

// spans cuts s and appends each token's byte span to out[:0], and the
// inner boundaries of the domain words among them (see domainNode.inner),
// in increasing order, to inner[:0].
func (s *segmenter) spans(text string, out [][2]int, inner []int) ([][2]int, []int) {
	return s.appendSpans(text, 0, out[:0], inner[:0])
}

// appendSpans is spans appending to out and inner, with every offset moved
// by off: the cut of one chunk of a longer text.
func (s *segmenter) appendSpans(text string, off int, out [][2]int, inner []int) ([][2]int, []int) {
	if text == "" {
		return out, inner
	}
	sc := s.scratch.Get().(*segScratch)
	defer s.scratch.Put(sc)
	sc.text = append(sc.text[:0], text...)
	units := splitUnits(sc.units[:0], sc.text)
	sc.units = units
	if cap(sc.jumps) < len(units) {
		sc.jumps = make([]jump, len(units))
	}
	jumps := sc.jumps[:len(units)]
	clear(jumps)
	if len(sc.found) < s.maxLen {
		sc.found = make([]*gse.Token, s.maxLen)
	}
	for cur := range units {
		var baseDist float32
		if cur > 0 {
			baseDist = jumps[cur-1].dist
		}
		cands := s.lookup(units[cur:min(cur+s.maxLen, len(units))], sc)
		for _, c := range cands {
			relax(&jumps[cur+c.n-1], baseDist+c.dist, c.n, c.dom)
		}
		if len(cands) == 0 || cands[0].n > 1 {
			relax(&jumps[cur], baseDist+unknownDist, 1, nil)
		}
	}
	// Walk the cheapest path back, then emit it front to back.
	doms := sc.doms[:0]
	first := len(out)
	for end := len(units) - 1; end >= 0; end -= jumps[end].n {
		out = append(out, [2]int{end - jumps[end].n + 1, end + 1}) // unit indices for now
		doms = append(doms, jumps[end].dom)
	}
	slices.Reverse(out[first:])
	slices.Reverse(doms)
	pos, u := off, 0
	for i := first; i < len(out); i++ {
		start := pos
		for ; u < out[i][1]; u++ {
			pos += len(units[u])
		}
		out[i] = [2]int{start, pos}
		if d := doms[i-first]; d != nil {
			for _, off := range d.inner {
				inner = append(inner, start+off)
			}
		}
	}
	sc.doms = doms[:0]
	return out, inner
}

// splitUnits is gse's SplitTextToWords (with its default settings: runs
// of letters and digits lower-cased, any other rune alone) appending to
// units, and lower-casing in text itself rather than in a copy per run:
// gse allocates the list and every lower-cased run on every call, which
// was half of what grading a post allocated. Only ASCII A-Z change, and
// they only occur in runs, so lower-casing text in place cuts the same
// units. TestSplitUnitsIsGse holds the two equal.
func splitUnits(units []gse.Text, text []byte) []gse.Text {
	run := -1 // start of the current run of letters and digits
	for cur := 0; cur < len(text); {
		c := text[cur]
		var alnum bool
		size := 1
		switch {
		case c < utf8.RuneSelf: // ASCII without the Unicode tables
			alnum = c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			if c >= 'A' && c <= 'Z' {
				text[cur] = c + 'a' - 'A'
				alnum = true
			}
		default:
			var r rune
			if r, size = hanrune.HanBytes(text[cur:]); size == 0 {
				r, size = utf8.DecodeRune(text[cur:])
			}
			// A rune of three bytes or more (Han) is never part of a run.
			alnum = size <= 2 && (unicode.IsLetter(r) || unicode.IsNumber(r))
		}
		switch {
		case alnum && run < 0:
			run = cur
		case !alnum && run >= 0:
			units = append(units, text[run:cur])
			run = -1
		}
		if !alnum {
			units = append(units, text[cur:cur+size])
		}
		cur += size
	}
	if run >= 0 {
		units = append(units, text[run:])
	}
	return units
}

// relax is gse's updateJumper, including its reading of a zero distance as
// "not reached yet", so that ties resolve as gse resolves them.
func relax(j *jump, dist float32, n int, dom *domainNode) {
	if j.dist == 0 || j.dist > dist {
		j.dist, j.n, j.dom = dist, n, dom
	}
}

// lookup returns the words of both dictionaries that start at tx[0], by
// increasing length; a domain word replaces the gse word of the same text.
func (s *segmenter) lookup(tx []gse.Text, sc *segScratch) []cand {
	base := sc.base[:0]
	nb := s.base.seg.Dict.LookupTokens(tx, sc.found)
	for _, t := range sc.found[:nb] {
		w := s.base.info(t)
		base = append(base, cand{n: int(w.n), dist: s.logTotal - w.logFreq})
	}
	sc.base = base
	if r, _ := hanrune.DecodeBytes(tx[0]); r < 0x10000 && !s.domStart.has(r) {
		return base // no domain word starts with this rune: most positions
	}
	node := s.domain.next[string(tx[0])]
	if node == nil {
		return base
	}
	// Walk the domain trie along tx, merging its words into the gse words
	// (both come in increasing length).
	cands := sc.cands[:0]
	i := 0
	for k, u := range tx {
		if k > 0 {
			if node = node.next[string(u)]; node == nil {
				break
			}
		}
		if !node.word {
			continue
		}
		for ; i < len(base) && base[i].n < k+1; i++ {
			cands = append(cands, base[i])
		}
		if i < len(base) && base[i].n == k+1 {
			i++ // replaced by the domain word
		}
		cands = append(cands, cand{n: k + 1, dist: node.dist, dom: node})
	}
	cands = append(cands, base[i:]...)
	sc.cands = cands
	return cands
}
