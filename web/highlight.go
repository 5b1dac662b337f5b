package web

import (
	"sort"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/store"
)

// Segment is a piece of post text; Mark pieces are terms a rule matched.
type Segment struct {
	Text string
	Mark bool
	Rule string
}

// Highlight splits text at the byte offsets of the matches on field.
// Offsets that are out of range, overlap an earlier match or cut a UTF-8
// character are ignored, so a stale or corrupt grade never breaks the page.
func Highlight(text string, matches []store.Match, field string) []Segment {
	var ms []store.Match
	for _, m := range matches {
		if m.Field == field && m.Start >= 0 && m.End > m.Start && m.End <= len(text) &&
			utf8.RuneStart(text[m.Start]) && (m.End == len(text) || utf8.RuneStart(text[m.End])) {
			ms = append(ms, m)
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Start < ms[j].Start })
	var out []Segment
	pos := 0
	for _, m := range ms {
		if m.Start < pos {
			continue
		}
		if m.Start > pos {
			out = append(out, Segment{Text: text[pos:m.Start]})
		}
		out = append(out, Segment{Text: text[m.Start:m.End], Mark: true, Rule: m.Rule})
		pos = m.End
	}
	if pos < len(text) {
		out = append(out, Segment{Text: text[pos:]})
	}
	return out
}
