package privacy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Truncate cuts s to at most n runes followed by "…"; s is returned as is
// when it has at most n runes. The cut never falls inside a run that could
// be a personal number: a run of ASCII letters and digits, with the "-",
// "(", ")" and single spaces between digits that join the groups of a phone
// number. It backs up to the start of that run instead (and drops trailing
// spaces). Mask recognises whole numbers only, so an ID card cut to
// "4301021988…" or a phone cut to "1381234…" would go out unmasked.
//
// When one such run fills the whole n-rune prefix (a long word, URL or
// token), the cut backs up to the start of the digits it falls in; if the
// prefix is all digits, it is cut at n runes: a run of more than 19 digits
// is no number Mask hides either.
//
// Text that is both masked and cut is masked first, then cut.
func Truncate(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := n
	for cut > 0 && inNumberRun(r, cut-1) && inNumberRun(r, cut) {
		cut--
	}
	if cut == 0 {
		cut = n
		for cut > 0 && isDigitRune(r[cut-1]) && isDigitRune(r[cut]) {
			cut--
		}
		if cut == 0 {
			cut = n
		}
	}
	return strings.TrimRight(string(r[:cut]), " ") + "…"
}

// inNumberRun reports whether r[i] can be part of a number Mask recognises,
// or of a word: an ASCII letter or digit, "-", "(", ")", or a space between
// two digits.
func inNumberRun(r []rune, i int) bool {
	c := r[i]
	switch {
	case c < utf8.RuneSelf && (unicode.IsLetter(c) || unicode.IsDigit(c)), c == '-', c == '(', c == ')':
		return true
	case c == ' ':
		return i > 0 && i+1 < len(r) && isDigitRune(r[i-1]) && isDigitRune(r[i+1])
	}
	return false
}

func isDigitRune(c rune) bool { return c >= '0' && c <= '9' }

// Precut bounds text that will be masked and then cut to n runes: it keeps
// the first 4n+64 runes, far beyond the final cut, so masking a megabyte
// costs no more than masking a line, and a number cut here can never reach
// the final text.
func Precut(s string, n int) string {
	pre := 4*max(n, 0) + 64
	if len(s) <= pre { // at most pre runes
		return s
	}
	end := 0
	for i := 0; i < pre && end < len(s); i++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	return s[:end]
}
