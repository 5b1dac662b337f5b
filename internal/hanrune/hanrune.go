// Package hanrune decodes UTF-8 as the standard library does, with the
// common Han characters decoded inline: they are nearly every rune of a
// Chinese post, and unicode/utf8 decodes a rune of more than one byte in
// a general, slower call. Grading walks a post's text rune by rune a
// dozen times (folding, segmenting, matching, the model's features).
package hanrune

import "unicode/utf8"

// isHan3 reports whether b0, b1, b2 are a rune of U+4E00-U+9FFF: three
// bytes led by E4-E9. Every such sequence with two continuation bytes is
// valid UTF-8, so no range check is needed.
func isHan3(b0, b1, b2 byte) bool {
	return b0 >= 0xe4 && b0 <= 0xe9 && b1&0xc0 == 0x80 && b2&0xc0 == 0x80
}

// Decode is utf8.DecodeRuneInString (and so a range loop's step).
func Decode(s string) (rune, int) {
	if len(s) >= 3 && isHan3(s[0], s[1], s[2]) {
		return rune(s[0]&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), 3
	}
	return utf8.DecodeRuneInString(s)
}

// DecodeBytes is utf8.DecodeRune.
func DecodeBytes(b []byte) (rune, int) {
	if len(b) >= 3 && isHan3(b[0], b[1], b[2]) {
		return rune(b[0]&0x0f)<<12 | rune(b[1]&0x3f)<<6 | rune(b[2]&0x3f), 3
	}
	return utf8.DecodeRune(b)
}
