package classifier

import (
	mathbits "math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"unicode"

	"github.com/yuqing-bureau/yuqing/internal/hanrune"
)

// prefixRunes is how many runes at a token start prefixNFA reads. The
// number patterns of the rules (七十八岁, 2026年, 4月份) mostly fail by
// their second or third rune; four covers 七十八岁 against [万亿].
const prefixRunes = 4

// prefixNFA tells, from the first runes at a place, whether a match of one
// regexp may start there: the regexp's program run as an NFA over at most
// prefixRunes runes, with every empty-width assertion (^, $, \b) taken as
// satisfied. It never rejects a place where the regexp matches, so it only
// spares calls to the regexp: the matcher tries about fifty regexps at the
// number-led tokens of a post and each call costs 50-350 ns (regexp sets
// up its backtracker per call), where nearly all fail within a few runes.
type prefixNFA struct {
	prog *syntax.Prog
	// closure[pc] lists the rune-consuming instructions reachable from pc
	// without consuming a rune; final[pc] says whether Match is reachable.
	closure [][]uint32
	final   []bool
	// after1[r] is the states once the first rune r is read, for the
	// runes a match can start with: the first step, over the many
	// alternatives a pattern starts with, is then one map lookup. A rune
	// missing from after1 cannot start a match.
	after1 map[rune]nfaStates
}

// nfaStates is a set of rune-consuming instructions, and whether Match is
// reachable without reading more.
type nfaStates struct {
	pcs   []uint32
	final bool
	// next lists the runes some instruction of pcs accepts, as sorted,
	// disjoint ranges (lo, hi, lo, hi…): most places fail on their second
	// rune, and a look at a few ranges rejects them without stepping
	// through the instructions one by one.
	next []rune
}

// newPrefixNFA returns the filter for re, or nil when the runes a match
// can start with are unknown (firstRunes) or the pattern does not compile.
func newPrefixNFA(re *regexp.Regexp, first *runeSet) *prefixNFA {
	if first == nil {
		return nil
	}
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(t.Simplify())
	if err != nil {
		return nil
	}
	p := &prefixNFA{prog: prog, closure: make([][]uint32, len(prog.Inst)), final: make([]bool, len(prog.Inst)),
		after1: map[rune]nfaStates{}}
	for pc := range prog.Inst {
		seen := make([]bool, len(prog.Inst))
		p.closure[pc], p.final[pc] = p.close(uint32(pc), seen, nil)
	}
	start := p.closure[prog.Start]
	for w, bits := range first {
		for ; bits != 0; bits &= bits - 1 {
			r := rune(w<<6 | mathbits.TrailingZeros64(bits))
			var next []uint32
			fin := false
			for _, pc := range start {
				if p.step(pc, r) {
					out := prog.Inst[pc].Out
					fin = fin || p.final[out]
					next = addStates(next, p.closure[out])
				}
			}
			if len(next) > 0 || fin {
				p.after1[r] = nfaStates{pcs: next, final: fin, next: p.accepted(next)}
			}
		}
	}
	return p
}

// close appends to out the rune-consuming instructions reachable from pc
// through empty transitions, and reports whether Match is reachable.
func (p *prefixNFA) close(pc uint32, seen []bool, out []uint32) ([]uint32, bool) {
	if seen[pc] {
		return out, false
	}
	seen[pc] = true
	in := &p.prog.Inst[pc]
	switch in.Op {
	case syntax.InstMatch:
		return out, true
	case syntax.InstFail:
		return out, false
	case syntax.InstAlt, syntax.InstAltMatch:
		out, m1 := p.close(in.Out, seen, out)
		out, m2 := p.close(in.Arg, seen, out)
		return out, m1 || m2
	case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
		return p.close(in.Out, seen, out) // an assertion may hold: assume it does
	}
	return append(out, pc), false // InstRune, InstRune1, InstRuneAny, InstRuneAnyNotNL
}

// step reports whether the rune-consuming instruction pc accepts r, as
// regexp's machines decide it (Inst.MatchRune, without its call and its
// case folding where the compiler has already spelt it out as ranges).
func (p *prefixNFA) step(pc uint32, r rune) bool {
	in := &p.prog.Inst[pc]
	switch in.Op {
	case syntax.InstRune1:
		return r == in.Rune[0]
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return r != '\n'
	}
	rs := in.Rune
	if len(rs) == 1 { // one rune, perhaps folded
		return in.MatchRune(r)
	}
	for j := 0; j+1 < len(rs); j += 2 { // sorted ranges
		if r < rs[j] {
			return false
		}
		if r <= rs[j+1] {
			return true
		}
	}
	return false
}

// accepted returns the runes some instruction of pcs accepts, as sorted,
// disjoint ranges.
func (p *prefixNFA) accepted(pcs []uint32) []rune {
	var rs [][2]rune
	for _, pc := range pcs {
		in := &p.prog.Inst[pc]
		switch in.Op {
		case syntax.InstRune1:
			rs = append(rs, [2]rune{in.Rune[0], in.Rune[0]})
		case syntax.InstRuneAny, syntax.InstRuneAnyNotNL: // '\n' too: a superset does no harm
			rs = append(rs, [2]rune{0, unicode.MaxRune})
		default:
			if len(in.Rune) == 1 { // one rune, perhaps folded: its whole orbit
				r0 := in.Rune[0]
				rs = append(rs, [2]rune{r0, r0})
				for f := unicode.SimpleFold(r0); f != r0; f = unicode.SimpleFold(f) {
					rs = append(rs, [2]rune{f, f})
				}
				continue
			}
			for j := 0; j+1 < len(in.Rune); j += 2 {
				rs = append(rs, [2]rune{in.Rune[j], in.Rune[j+1]})
			}
		}
	}
	slices.SortFunc(rs, func(a, b [2]rune) int { return int(a[0] - b[0]) })
	var out []rune
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1]+1 {
			out[n-1] = max(out[n-1], r[1])
			continue
		}
		out = append(out, r[0], r[1])
	}
	return out
}

// inRanges reports whether r lies in one of the sorted ranges rs.
func inRanges(rs []rune, r rune) bool {
	for j := 0; j+1 < len(rs); j += 2 {
		if r < rs[j] {
			return false
		}
		if r <= rs[j+1] {
			return true
		}
	}
	return false
}

// addStates adds the states of add missing from set.
func addStates(set, add []uint32) []uint32 {
	for _, pc := range add {
		if !slices.Contains(set, pc) {
			set = append(set, pc)
		}
	}
	return set
}

// mayMatch reports whether a match may start at s[0] (false only when
// none can); cur and next are buffers, returned for reuse.
func (p *prefixNFA) mayMatch(s string, cur, next []uint32) (bool, []uint32, []uint32) {
	r, n := hanrune.Decode(s)
	st, ok := p.after1[r]
	if !ok || n == 0 {
		return false, cur, next
	}
	return p.mayMatchAfter(st, s[n:], cur, next)
}

// mayMatchAfter is mayMatch once the first rune is read: st is after1 of
// it and s the text after it.
func (p *prefixNFA) mayMatchAfter(st nfaStates, s string, cur, next []uint32) (bool, []uint32, []uint32) {
	if st.final {
		return true, cur, next
	}
	if len(s) > 0 {
		if r, _ := hanrune.Decode(s); !inRanges(st.next, r) {
			return false, cur, next
		}
	}
	cur = append(cur[:0], st.pcs...)
	for k := 1; k < prefixRunes && len(s) > 0; k++ {
		r, n := hanrune.Decode(s)
		s = s[n:]
		next = next[:0]
		var in [8]uint64 // the pcs below 512 in next: a set without a search
		for _, pc := range cur {
			if p.step(pc, r) {
				out := p.prog.Inst[pc].Out
				if p.final[out] {
					return true, cur, next
				}
				for _, q := range p.closure[out] {
					if q < 512 {
						if in[q>>6]&(1<<(q&63)) != 0 {
							continue
						}
						in[q>>6] |= 1 << (q & 63)
					} else if slices.Contains(next, q) {
						continue
					}
					next = append(next, q)
				}
			}
		}
		if len(next) == 0 {
			return false, cur, next
		}
		cur, next = next, cur
	}
	return true, cur, next
}
