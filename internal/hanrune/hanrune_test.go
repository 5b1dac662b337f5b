package hanrune

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestDecode holds Decode and DecodeBytes equal to the standard library on
// every rune, alone, followed by another and cut short, and on invalid
// sequences led by the bytes of the fast path.
func TestDecode(t *testing.T) {
	check := func(s string) {
		r, n := Decode(s)
		wr, wn := utf8.DecodeRuneInString(s)
		if r != wr || n != wn {
			t.Fatalf("Decode(%q) = %U, %d; want %U, %d", s, r, n, wr, wn)
		}
		if r, n = DecodeBytes([]byte(s)); r != wr || n != wn {
			t.Fatalf("DecodeBytes(%q) = %U, %d; want %U, %d", s, r, n, wr, wn)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		s := string(r)
		check(s)
		check(s + "保")
		check(s[:len(s)-1])
	}
	for c := 0xe0; c <= 0xef; c++ {
		for _, tail := range []string{"", "\x80", "\xbf", "\x7f\x80", "\x80\x7f", "\xc0\x80", "\x80\xc0", "\x80\x80", "\xbf\xbf"} {
			check(string([]byte{byte(c)}) + tail)
		}
	}
	if _, n := Decode("医保"); n != 3 {
		t.Fatalf("Decode(医保) reads %d bytes", n)
	}
}
