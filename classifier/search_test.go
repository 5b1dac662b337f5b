package classifier

import (
	"slices"
	"strings"
	"testing"
)

func TestSearchTextFindsTwoCharacterWords(t *testing.T) {
	e := shipped(t)
	text := e.SearchText("职工医保断缴了怎么办？", "住院报销比例太低，医保报销要等两个月。")
	words := strings.Fields(text)
	for _, w := range []string{"断缴", "报销", "住院", "医保"} {
		if !slices.Contains(words, w) {
			t.Errorf("search text %q lacks %s", text, w)
		}
	}
	for _, w := range words {
		if !searchable(w) {
			t.Errorf("search text holds punctuation %q", w)
		}
	}
	if got := e.SearchWords("断缴 报销，断缴"); !slices.Equal(got, []string{"断缴", "报销"}) {
		t.Errorf("SearchWords = %q", got)
	}
}

// Grading gives the same search text as SearchText, from the tokens it
// cut anyway, on every labelled post.
func TestGradeSearchTextMatchesSearchText(t *testing.T) {
	e := shipped(t)
	rows := devData(t)
	for _, l := range rows {
		p := l.Post
		p.Search = true
		got, want := strings.Fields(e.Grade(p).SearchText), strings.Fields(e.SearchText(p.Title, p.Body))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: grading's search text differs from SearchText:\n%v\n%v", l.ID, got, want)
		}
	}
	if len(rows) > 0 && e.Grade(rows[0].Post).SearchText != "" {
		t.Error("search text computed without being asked for")
	}
}
