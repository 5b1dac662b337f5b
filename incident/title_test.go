package incident_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
)

// A title cut at 60 characters must never keep a stub of a personal number:
// privacy.Mask recognises whole numbers only, so "联系1381234…" would leave
// the store unmasked (alerts, console, logs, API). Wherever the number
// falls relative to the cut, the title holds all of it (and masking hides
// it) or none of it.
func TestTitleNeverCutsANumber(t *testing.T) {
	numbers := []string{"13812345678", "43010219880101123X", "139 8765 4321", "138-1234-5678", "(0731)-88881234"}
	const filler = "岚川市医保局报销窗口办事难群众多次反映无人处理"
	for _, num := range numbers {
		for lead := 40; lead <= 60; lead++ {
			prefix := []rune(strings.Repeat(filler, 3))[:lead]
			title := string(prefix) + "联系" + num + "请回电"
			got := incident.Title(model.Post{Title: title})
			if n := utf8.RuneCountInString(got); n > 60 {
				t.Fatalf("Title is %d runes: %q", n, got)
			}
			masked := privacy.Mask(got)
			whole := strings.Contains(got, num)
			if !whole && strings.ContainsAny(got, "0123456789X") {
				t.Errorf("number %s at rune %d: title %q keeps part of it, masked %q", num, lead+2, got, masked)
			}
			if whole && strings.Contains(masked, num) {
				t.Errorf("number %s at rune %d: %q not masked", num, lead+2, masked)
			}
		}
	}
}

func TestTitleCuts(t *testing.T) {
	long := strings.Repeat("医", 70)
	for _, tc := range []struct{ name, in, want string }{
		{"short title kept", "报销款三个月未到账 联系13812345678", "报销款三个月未到账 联系13812345678"},
		{"plain cut", long, strings.Repeat("医", 59) + "…"},
		// Where the cut falls near a number is privacy.Truncate's business
		// (privacy/truncate_test.go); TestTitleNeverCutsANumber checks Title uses it.
	} {
		if got := incident.Title(model.Post{Title: tc.in}); got != tc.want {
			t.Errorf("%s: Title(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
