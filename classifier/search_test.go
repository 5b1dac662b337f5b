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
