package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSearchBytes bounds how much of a post body its search text covers
// (about 80,000 Chinese characters): segmenting more would hold up
// grading for a part of a post no one searches in.
const MaxSearchBytes = 256 << 10

// SearchText is a post's search text: the tokens of its title and body as
// Segment cuts them, and the parts of the domain words among them (报销
// inside 医保报销), joined by spaces. The store indexes it so that a word
// of two characters is found as a word (store.PostFilter.Words).
func (e *Engine) SearchText(title, body string) string {
	if len(body) > MaxSearchBytes {
		cut := MaxSearchBytes
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	var b strings.Builder
	for _, text := range []string{title, body} {
		for _, t := range e.Segment(text) {
			for _, w := range append([]string{t.Text}, t.Parts...) {
				if w = strings.TrimSpace(w); searchable(w) {
					if b.Len() > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(w)
				}
			}
		}
	}
	return b.String()
}

// searchText is SearchText from the tokens grading cut: the same words,
// without segmenting the post a second time on the grading path.
func searchText(read [2]string, fields *[2]fieldHits, sc *gradeScratch) string {
	var b strings.Builder
	for i := range read {
		eachToken(fields[i].norm, sc.f[i].toks, sc.f[i].inner, func(a, c int, _ bool) {
			if i == 1 && a >= MaxSearchBytes {
				return
			}
			if w := strings.TrimSpace(read[i][a:c]); searchable(w) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(w)
			}
		})
	}
	return b.String()
}

// SearchWords are the words a search for q looks for, each once: its
// tokens as SearchText cuts a text.
func (e *Engine) SearchWords(q string) []string {
	var out []string
	for _, t := range e.Segment(q) {
		if w := strings.TrimSpace(t.Text); searchable(w) && !containsString(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// searchable reports whether a token holds a letter or digit: punctuation
// and spaces are not indexed.
func searchable(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
