package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// ContentHash identifies a post's content regardless of whitespace and
// punctuation, so a repost with different formatting hashes the same.
func ContentHash(title, body string) string {
	h := sha256.New()
	h.Write([]byte(normalize(title)))
	h.Write([]byte{0})
	h.Write([]byte(normalize(body)))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// TitleKey is a title reduced to letters and digits, without reply prefixes,
// for grouping reposts of the same thread. Titles too short to identify an
// event give an empty key, and so does a chat group's name standing as the
// title of its messages ("锦绣沅城业主群"): it names a channel, not a matter.
func TitleKey(title string) string {
	t := strings.TrimSpace(title)
	for _, p := range []string{"回复:", "回复：", "Re:", "RE:", "转:", "转：", "【转】", "转发:", "转发："} {
		t = strings.TrimSpace(strings.TrimPrefix(t, p))
	}
	k := normalize(t)
	if len([]rune(k)) < 6 || strings.HasSuffix(k, "群") {
		return ""
	}
	return k
}

func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
