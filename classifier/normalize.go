package classifier

import (
	_ "embed"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/internal/hanrune"
)

// t2sData is OpenCC's single-character traditional→simplified table. Only
// one-to-one characters are kept, so converting never needs context and
// every converted byte can be traced back to its original byte.
//
//go:embed t2s.txt
var t2sData string

// foldTable maps a rune to the rune that matching sees. Built once per
// Engine rather than as a package global so an Engine stays
// self-contained. BMP runes use a dense table: folding runs on every rune
// of every post.
type foldTable struct {
	bmp   []rune // bmp[r] != 0: r folds to bmp[r]
	other map[rune]rune
}

func newFoldTable(traditional bool) foldTable {
	ft := foldTable{other: map[rune]rune{}}
	if !traditional {
		return ft
	}
	ft.bmp = make([]rune, 0x10000)
	for _, line := range strings.Split(t2sData, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		t, _ := utf8.DecodeRuneInString(f[0])
		s, _ := utf8.DecodeRuneInString(f[1])
		if t < 0x10000 {
			ft.bmp[t] = s
		} else {
			ft.other[t] = s
		}
	}
	return ft
}

// fold maps one rune: full-width ASCII to ASCII, ASCII letters to lower
// case, traditional to simplified.
func (ft foldTable) fold(r rune) rune {
	switch {
	case r >= 'A' && r <= 'Z':
		return r + ('a' - 'A')
	// Full-width letters and digits fold (ＤＲＧ is DRG); full-width
	// punctuation stays, so ordinary Chinese text needs no copy at all.
	case r >= 0xFF10 && r <= 0xFF19, r >= 0xFF41 && r <= 0xFF5A:
		return r - 0xFF01 + '!'
	case r >= 0xFF21 && r <= 0xFF3A:
		return r - 0xFF01 + '!' + ('a' - 'A')
	case r < 0x2E80:
		return r
	}
	if r < 0x10000 {
		if ft.bmp != nil && ft.bmp[r] != 0 {
			return ft.bmp[r]
		}
		return r
	}
	if s, ok := ft.other[r]; ok {
		return s
	}
	return r
}

// normText is a field after folding, with a map back to the original bytes.
type normText struct {
	s string
	// orig[i] is the original byte offset of normalized byte i; it has
	// len(s)+1 entries so an end offset maps too. nil means identity.
	orig []int32
}

func (ft foldTable) normalize(src string) normText {
	// Fast path: nothing to fold means identity offsets.
	changed := false
	for i := 0; i < len(src); { // as range src, Han inline
		r, size := hanrune.Han(src[i:])
		if size == 0 {
			r, size = utf8.DecodeRuneInString(src[i:])
		}
		if ft.fold(r) != r {
			changed = true
			break
		}
		i += size
	}
	if !changed {
		return normText{s: src}
	}
	var b strings.Builder
	b.Grow(len(src))
	orig := make([]int32, 0, len(src)+1)
	for i := 0; i < len(src); { // as range src, Han inline
		r, size := hanrune.Decode(src[i:])
		at := i
		i += size
		if r == utf8.RuneError && size == 1 {
			// Keep invalid bytes as they are, one map entry per byte.
			b.WriteByte(src[at])
			orig = append(orig, int32(at))
			continue
		}
		f := ft.fold(r)
		n := utf8.RuneLen(f)
		if n < 0 {
			f, n = r, utf8.RuneLen(r)
		}
		b.WriteRune(f)
		for k := 0; k < n; k++ {
			orig = append(orig, int32(at))
		}
	}
	orig = append(orig, int32(len(src)))
	return normText{s: b.String(), orig: orig}
}

// foldString folds a rule term the same way posts are folded.
func (ft foldTable) foldString(s string) string {
	return ft.normalize(s).s
}

// origSpan maps a normalized [start,end) to the original text. The end maps
// to the start of the next original rune, so a folded rune never splits.
func (n normText) origSpan(start, end int) (int, int) {
	if n.orig == nil {
		return start, end
	}
	return int(n.orig[start]), int(n.orig[end])
}

// prefix is n cut to its first k bytes (k at a rune start).
func (n normText) prefix(k int) normText {
	if n.orig == nil {
		return normText{s: n.s[:k]}
	}
	return normText{s: n.s[:k], orig: n.orig[:k+1]}
}
