package privacy

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Slide each number across the cut, one rune at a time: the cut text must
// hold all of the number (and Mask then hides it) or none of it.
func TestTruncateNeverCutsANumber(t *testing.T) {
	numbers := []string{
		"430102198801011234", // 18-digit ID card
		"43010219880101123X",
		"13812345678", // 11-digit mobile
		"139 8765 4321",
		"138-1234-5678",
		"(0731)-88881234",
		"A12345678", // social-security card number after its label
	}
	const filler = "岚川市医保局报销窗口办事难群众多次反映无人处理"
	const n = 30
	for _, num := range numbers {
		for lead := n - len(num) - 3; lead <= n; lead++ {
			prefix := []rune(strings.Repeat(filler, 3))[:lead]
			s := string(prefix) + "社保卡号" + num + "请回电"
			got := Truncate(s, n)
			if c := utf8.RuneCountInString(got); c > n+1 {
				t.Fatalf("Truncate(%q, %d) is %d runes: %q", s, n, c, got)
			}
			whole := strings.Contains(got, num)
			if !whole && strings.ContainsAny(got, "0123456789AX") {
				t.Errorf("number %s at rune %d: %q keeps part of it", num, lead+4, got)
			}
			if masked := Mask(got); whole && strings.Contains(masked, num) {
				t.Errorf("number %s at rune %d: %q not masked", num, lead+4, masked)
			}
		}
	}
}

// Masking first and cutting after never lets a number out either.
func TestTruncateAfterMask(t *testing.T) {
	for lead := 0; lead <= 30; lead++ {
		s := strings.Repeat("医", lead) + "身份证430102198801011234，电话13812345678。"
		got := Truncate(Mask(s), 30)
		for _, part := range []string{"4301021", "1381234"} {
			if strings.Contains(got, part) {
				t.Errorf("lead %d: %q keeps %s", lead, got, part)
			}
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("医", 70)
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short kept", "报销款三个月未到账 联系13812345678", 60, "报销款三个月未到账 联系13812345678"},
		{"exactly n kept", strings.Repeat("医", 60), 60, strings.Repeat("医", 60)},
		{"plain cut", long, 59, strings.Repeat("医", 59) + "…"},
		{"number at the cut left out with its space",
			strings.Repeat("医", 50) + " 电话 13812345678 请回电", 59,
			strings.Repeat("医", 50) + " 电话…"},
		{"spaced number left out", strings.Repeat("医", 5) + "电话138 1234 5678", 12,
			strings.Repeat("医", 5) + "电话…"},
		{"word before the cut kept",
			strings.Repeat("医", 50) + "ABC 13812345678", 59,
			strings.Repeat("医", 50) + "ABC…"},
		// A word or token filling the prefix is cut where it falls, or at
		// the start of the digits the cut falls in.
		{"unbroken run", strings.Repeat("a", 70), 59, strings.Repeat("a", 59) + "…"},
		{"run of letters then an ID", "token" + strings.Repeat("a", 20) + "430102198801011234", 30,
			"token" + strings.Repeat("a", 20) + "…"},
		{"all digits", strings.Repeat("7", 40), 30, strings.Repeat("7", 30) + "…"},
		{"zero", "医保", 0, "…"},
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("%s: Truncate(%q, %d) = %q, want %q", tc.name, tc.in, tc.n, got, tc.want)
		}
	}
}

func FuzzTruncate(f *testing.F) {
	f.Add("联系13812345678请回电", 5)
	f.Add("身份证430102198801011234", 10)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1000 || !utf8.ValidString(s) {
			t.Skip()
		}
		got := Truncate(s, n)
		if got == s {
			if utf8.RuneCountInString(s) > n {
				t.Fatalf("Truncate(%q, %d) did not cut", s, n)
			}
			return
		}
		body, ok := strings.CutSuffix(got, "…")
		if !ok || !strings.HasPrefix(s, body) || utf8.RuneCountInString(body) > n {
			t.Fatalf("Truncate(%q, %d) = %q: not a prefix of at most n runes plus …", s, n, got)
		}
	})
}
