// Package hanrune decodes UTF-8 as the standard library does, with the
// common Han characters decoded inline: they are nearly every rune of a
// Chinese post, and unicode/utf8 decodes a rune of more than one byte in
// a general, slower call. Grading walks a post's text rune by rune a
// dozen times (folding, segmenting, matching, the model's features).
package hanrune

import "unicode/utf8"

// Decode is utf8.DecodeRuneInString (and so a range loop's step).
func Decode(s string) (rune, int) {
	if len(s) >= 3 {
		// U+4E00-U+9FFF: three bytes led by E4-E9. Every such sequence
		// with two continuation bytes (10xxxxxx: below 0x40 once 0x80 is
		// flipped) is valid UTF-8, so no range check is needed.
		b2, b1, b0 := s[2]^0x80, s[1]^0x80, s[0]
		if b0-0xe4 < 6 && b1|b2 < 0x40 {
			return rune(b0&0x0f)<<12 | rune(b1)<<6 | rune(b2), 3
		}
	}
	return utf8.DecodeRuneInString(s)
}

// DecodeBytes is utf8.DecodeRune, with the same fast path as Decode.
func DecodeBytes(b []byte) (rune, int) {
	if len(b) >= 3 {
		b2, b1, b0 := b[2]^0x80, b[1]^0x80, b[0]
		if b0-0xe4 < 6 && b1|b2 < 0x40 {
			return rune(b0&0x0f)<<12 | rune(b1)<<6 | rune(b2), 3
		}
	}
	return utf8.DecodeRune(b)
}
