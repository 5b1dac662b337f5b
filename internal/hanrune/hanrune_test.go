package hanrune

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestDecode holds Decode, DecodeBytes, Han and HanBytes equal to the
// standard library on every rune, alone, followed by another and cut
// short, and on invalid sequences led by the bytes of the fast path.
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
		// Han and HanBytes: the same rune, or nothing for anything but
		// U+4000-U+9FFF.
		want := 0
		if wr >= 0x4000 && wr <= 0x9fff && wn == 3 {
			want = 3
		}
		if r, n = Han(s); n != want || n > 0 && r != wr {
			t.Fatalf("Han(%q) = %U, %d; want %U, %d", s, r, n, wr, want)
		}
		if r, n = HanBytes([]byte(s)); n != want || n > 0 && r != wr {
			t.Fatalf("HanBytes(%q) = %U, %d; want %U, %d", s, r, n, wr, want)
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
