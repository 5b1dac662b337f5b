package grader

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// splitSearch is a stand-in for the classifier's SearchText: the text cut
// at the two-character words the test searches for.
func splitSearch(title, body string) string {
	text := title + " " + body
	for _, w := range []string{"报销", "断缴", "骗保", "医保"} {
		text = strings.ReplaceAll(text, w, " "+w+" ")
	}
	return strings.Join(strings.Fields(text), " ")
}

// TestGradingIndexesAndCatchUpIndexesOldPosts: a post graded is found by
// a word of its text at once; posts graded before search existed (here:
// by a worker without SearchText) are indexed by the catch-up, a batch
// at a time, and then found too.
func TestGradingIndexesAndCatchUpIndexesOldPosts(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	save := func(url, title, body string) {
		t.Helper()
		if _, err := st.SavePost(ctx, &model.Post{Source: "bbs", URL: url, Title: title, Body: body, FetchedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	for i, title := range []string{"医保断缴了怎么办", "养老金调整", "医保报销慢"} {
		save("http://old/"+string(rune('a'+i)), title, "正文")
	}
	opts := Options{Store: st, Grader: keywordGrader{}, Incidents: incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil),
		Batch: 2, Now: func() time.Time { return now }}
	old := New(opts) // before search: grades, indexes nothing
	for {
		if n, err := old.ProcessBatch(ctx); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	found := func(word string) int {
		t.Helper()
		page, err := st.Posts(ctx, store.PostFilter{Words: []string{word}})
		if err != nil {
			t.Fatal(err)
		}
		return page.Total
	}
	if n := found("断缴"); n != 0 {
		t.Fatalf("indexed without SearchText: %d", n)
	}

	opts.SearchText = splitSearch
	w := New(opts)
	save("http://new/a", "有人骗保", "医保基金被套取")
	if n, err := w.ProcessBatch(ctx); err != nil || n != 1 {
		t.Fatalf("grading the new post: %d, %v", n, err)
	}
	if n := found("骗保"); n != 1 {
		t.Errorf("a post just graded is not found by 骗保: %d", n)
	}
	for _, want := range []int{2, 1, 0} { // the catch-up: a batch at a time
		if n, err := w.IndexBatch(ctx); err != nil || n != want {
			t.Fatalf("catch-up batch: %d, %v; want %d", n, err, want)
		}
	}
	if found("断缴") != 1 || found("报销") != 1 || found("医保") != 3 {
		t.Errorf("after the catch-up: 断缴 %d, 报销 %d, 医保 %d; want 1, 1, 3", found("断缴"), found("报销"), found("医保"))
	}
}
