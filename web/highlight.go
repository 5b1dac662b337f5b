package web

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/model"
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
func Highlight(text string, matches []model.Match, field string) []Segment {
	var ms []model.Match
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

// PartBytes is about how much of a post body one detail page shows (some
// 20,000 Chinese characters): a multi-megabyte post rendered whole made an
// 18 MB page that took a phone down.
const PartBytes = 60 << 10

// BodyParts returns the byte offsets where the parts of text begin: the
// first is 0, each part is at most about PartBytes long, cut after a line
// break when one falls in the part's last eighth, and always at a rune
// boundary.
func BodyParts(text string) []int {
	starts := []int{0}
	for pos := 0; len(text)-pos > PartBytes; {
		end := pos + PartBytes
		if nl := strings.LastIndexByte(text[end-PartBytes/8:end], '\n'); nl >= 0 {
			end = end - PartBytes/8 + nl + 1
		}
		for end > pos+1 && !utf8.RuneStart(text[end]) {
			end--
		}
		starts = append(starts, end)
		pos = end
	}
	return starts
}

// HighlightPart highlights part k (0-based) of text as cut by BodyParts;
// matches are shifted to the part and those crossing its edges dropped.
func HighlightPart(text string, matches []model.Match, field string, starts []int, k int) []Segment {
	from, to := starts[k], len(text)
	if k+1 < len(starts) {
		to = starts[k+1]
	}
	var in []model.Match
	for _, m := range matches {
		if m.Field == field && m.Start >= from && m.End <= to {
			m.Start, m.End = m.Start-from, m.End-from
			in = append(in, m)
		}
	}
	return Highlight(text[from:to], in, field)
}
