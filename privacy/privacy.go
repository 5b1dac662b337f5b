// Package privacy masks personal data in post text wherever it leaves the
// store: alerts, metrics labels, logs, exports and console lists. Only the
// incident detail page shows full text, to those allowed to see it. Mask
// hides numbers and keeps byte lengths (the console highlights by offset);
// Label, for text that leaves as a label, also strips markup and hides
// names, addresses, e-mail and chat ids (label.go).
package privacy

import (
	"regexp"
	"strings"
)

var (
	// Long digit runs: mobile numbers (11), ID cards (15/18, last may be X),
	// bank and social-security card numbers. Digit boundaries are checked by
	// hand because RE2 has no look-around.
	longDigits = regexp.MustCompile(`\d{11,19}[Xx]?|\d{17}[Xx]`)
	// Mobile numbers written with separators: 138-1234-5678, 138 1234 5678.
	spacedMobile = regexp.MustCompile(`1[3-9]\d[- ]\d{4}[- ]\d{4}`)
	// Landlines: 0731-88881234, (0731)8888123.
	landline = regexp.MustCompile(`\(?0\d{2,3}\)?-?\d{7,8}`)
	// Numbers introduced by a label, whatever their length: 社保卡号 A1234567.
	labelled = regexp.MustCompile(`(社保卡号|医保卡号|社会保障号码?|社保号|医保号|个人编号|参保编号|参保号|身份证号码?|身份证|卡号)([：:为是\s]*)([A-Za-z0-9]{6,20})`)
)

// Mask replaces the middle of phone, ID-card and social-security numbers
// with asterisks, keeping a few leading and trailing characters so staff can
// still tell two numbers apart.
func Mask(s string) string {
	if !hasDigit(s) {
		return s
	}
	s = labelled.ReplaceAllStringFunc(s, func(m string) string {
		sub := labelled.FindStringSubmatch(m)
		return sub[1] + sub[2] + hide(sub[3], 2, 2)
	})
	s = replaceBounded(s, longDigits, func(m string) string { return hide(m, 3, 4) })
	s = replaceBounded(s, spacedMobile, func(m string) string { return hide(m, 3, 4) })
	s = replaceBounded(s, landline, func(m string) string { return hide(m, 4, 2) })
	return s
}

// replaceBounded replaces matches of re that are not part of a longer run of
// digits (so a masked prefix is never re-matched and 20-digit order numbers
// keep their shape).
func replaceBounded(s string, re *regexp.Regexp, f func(string) string) string {
	return replaceWhere(s, re, func(l []int) (string, bool) {
		if (l[0] > 0 && isDigit(s[l[0]-1])) || (l[1] < len(s) && isDigit(s[l[1]])) {
			return "", false
		}
		return f(s[l[0]:l[1]]), true
	})
}

// replaceWhere replaces each match l of re in s by what f returns for it,
// leaving the match as it is where f says no.
func replaceWhere(s string, re *regexp.Regexp, f func(l []int) (string, bool)) string {
	locs := re.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		repl, ok := f(l)
		if !ok {
			continue
		}
		b.WriteString(s[last:l[0]])
		b.WriteString(repl)
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// hide keeps keep1 leading and keep2 trailing characters of an ASCII string.
func hide(m string, keep1, keep2 int) string {
	if len(m) <= keep1+keep2 {
		return strings.Repeat("*", len(m))
	}
	return m[:keep1] + strings.Repeat("*", len(m)-keep1-keep2) + m[len(m)-keep2:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}
