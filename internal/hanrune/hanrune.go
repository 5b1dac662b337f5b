// Package hanrune decodes UTF-8 as the standard library does, with the
// common Han characters (U+4E00-U+9FFF, among the runes U+4000-U+9FFF
// that Han decodes) decoded inline: they are nearly every rune of a
// Chinese post, and unicode/utf8 decodes a rune of more than one byte in
// a general, slower call. Grading walks a post's text rune by rune a
// dozen times (folding, segmenting, matching, the model's features); its
// hottest loops call Han, which the compiler inlines.
package hanrune

import "unicode/utf8"

// Decode is utf8.DecodeRuneInString (and so a range loop's step).
func Decode(s string) (rune, int) {
	if r, n := Han(s); n > 0 {
		return r, n
	}
	return utf8.DecodeRuneInString(s)
}

// DecodeBytes is utf8.DecodeRune.
func DecodeBytes(b []byte) (rune, int) {
	if r, n := HanBytes(b); n > 0 {
		return r, n
	}
	return utf8.DecodeRune(b)
}

// Han decodes the rune at the start of s when it is one of U+4000-U+9FFF
// (three bytes led by E4-E9; n = 3), else returns n = 0 and leaves s to
// utf8 or Decode. Unlike
// Decode it is inlined, so a loop over a post's runes pays no call for
// its Han characters:
//
//	r, n := hanrune.Han(s)
//	if n == 0 {
//		r, n = utf8.DecodeRuneInString(s)
//	}
func Han(s string) (r rune, n int) {
	if len(s) >= 3 {
		// Three bytes led by E4-E9. Every such sequence with two
		// continuation bytes (10xxxxxx: below 0x40 once 0x80 is flipped)
		// is valid UTF-8, so no range check is needed.
		b2, b1, b0 := s[2]^0x80, s[1]^0x80, s[0]
		if b0-0xe4 < 6 && b1|b2 < 0x40 {
			return rune(b0&0x0f)<<12 | rune(b1)<<6 | rune(b2), 3
		}
	}
	return 0, 0
}

// HanBytes is Han for a byte slice.
func HanBytes(b []byte) (r rune, n int) {
	if len(b) >= 3 {
		b2, b1, b0 := b[2]^0x80, b[1]^0x80, b[0]
		if b0-0xe4 < 6 && b1|b2 < 0x40 {
			return rune(b0&0x0f)<<12 | rune(b1)<<6 | rune(b2), 3
		}
	}
	return 0, 0
}
