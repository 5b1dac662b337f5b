package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// testHotPostsCoolDown: a thread that grew at its last two observations is
// hot until a fetch sees its counts unchanged; then it is no longer listed
// even though its growth is still inside the window.
func testHotPostsCoolDown(t *testing.T, s store.Store) {
	ctx := context.Background()
	save := func(replies int, at time.Time) {
		p := post(1)
		p.Replies, p.FetchedAt = replies, at
		mustSave(t, s, p)
	}
	save(1, t0)
	save(5, t0.Add(time.Hour))
	save(9, t0.Add(2*time.Hour))
	hot := func(fetchedBefore time.Time) int {
		t.Helper()
		ps, err := s.HotPosts(ctx, store.HotQuery{Source: "bbs", Since: t0.Add(-time.Hour), FetchedBefore: fetchedBefore, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	if n := hot(t0.Add(3 * time.Hour)); n != 1 {
		t.Fatalf("growing thread: %d hot posts, want 1", n)
	}
	save(9, t0.Add(3*time.Hour)) // revisited: nothing changed
	if n := hot(t0.Add(4 * time.Hour)); n != 0 {
		t.Errorf("thread unchanged at its last fetch is still hot (%d)", n)
	}
	save(12, t0.Add(4*time.Hour)) // grows again: 5 -> 9 -> 12
	if n := hot(t0.Add(5 * time.Hour)); n != 1 {
		t.Errorf("thread growing again: %d hot posts, want 1", n)
	}
}

// testHotPostsTwoObservations: one rise in replies between a thread's last
// two observations inside the window makes it hot (a thread behind an
// unchanged list page gets no third observation before its revisit); a
// single observation, views alone rising, replies falling, or an earlier
// observation outside the window do not.
func testHotPostsTwoObservations(t *testing.T, s store.Store) {
	ctx := context.Background()
	save := func(n, replies, views int, at time.Time) *model.Post {
		p := post(n)
		p.Replies, p.Views, p.FetchedAt = replies, views, at
		mustSave(t, s, p)
		return p
	}
	since := t0.Add(-time.Hour)
	hot := func() []string {
		t.Helper()
		ps, err := s.HotPosts(ctx, store.HotQuery{Source: "bbs", Since: since, FetchedBefore: t0.Add(2 * time.Hour), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, p := range ps {
			urls = append(urls, p.URL)
		}
		return urls
	}
	grows := save(1, 10, 100, t0)
	save(2, 10, 100, t0)
	save(2, 10, 900, t0.Add(time.Hour)) // only views rose
	save(3, 10, 100, t0)
	save(3, 8, 100, t0.Add(time.Hour)) // replies deleted
	save(4, 10, 100, t0.Add(-3*time.Hour))
	save(4, 14, 100, t0.Add(time.Hour)) // earlier observation outside the window
	if got := hot(); len(got) != 0 {
		t.Fatalf("hot before any thread rose within the window: %v", got)
	}
	save(1, 14, 100, t0.Add(time.Hour))
	if got := hot(); len(got) != 1 || got[0] != grows.URL {
		t.Errorf("HotPosts = %v, want only %s (rose between its two observations)", got, grows.URL)
	}
}

// testHotPostsAgainstNorm: once enough threads of a source grew, a thread
// is hot only when its replies or its views grow at several times their
// median velocity (per hour, so slow growth over a long gap is not fast);
// views then count too. The factor is the query's.
func testHotPostsAgainstNorm(t *testing.T, s store.Store) {
	ctx := context.Background()
	// observe saves post n with replies/views at t0-h0 and then at t0+1h.
	observe := func(n int, h0 time.Duration, r0, v0, r1, v1 int) *model.Post {
		p := post(n)
		p.Replies, p.Views, p.FetchedAt = r0, v0, t0.Add(-h0)
		mustSave(t, s, p)
		p = post(n)
		p.Replies, p.Views, p.FetchedAt = r1, v1, t0.Add(time.Hour)
		mustSave(t, s, p)
		return p
	}
	for n := range 6 { // the usual: +2 replies and +50 views an hour
		observe(10+n, 0, 10, 100, 12, 150)
	}
	fast := observe(1, 0, 10, 100, 40, 150)    // +30 replies an hour
	read := observe(2, 0, 10, 100, 10, 5000)   // +4900 views an hour
	observe(3, 0, 10, 100, 11, 100)            // +1 reply an hour
	observe(4, 10*time.Hour, 10, 100, 40, 100) // +30 replies, but over 11 hours
	observe(5, 0, 10, 100, 10, 100)            // unchanged: one row only
	other := post(6)                           // fast, on another source
	other.Source, other.Replies = "gov", 1
	mustSave(t, s, other)
	other.Replies, other.FetchedAt = 500, t0.Add(time.Hour)
	mustSave(t, s, other)

	hot := func(factor float64) []string {
		t.Helper()
		ps, err := s.HotPosts(ctx, store.HotQuery{Source: "bbs", Since: t0.Add(-24 * time.Hour),
			FetchedBefore: t0.Add(2 * time.Hour), Factor: factor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, p := range ps {
			urls = append(urls, p.URL)
		}
		return urls
	}
	want := []string{fast.URL, read.URL}
	if fast.ID > read.ID {
		want = []string{read.URL, fast.URL}
	}
	if got := hot(0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("hot at the default factor = %v, want %v (replies and views far above the norm)", got, want)
	}
	// At 20 times the norm (40 replies, 1000 views an hour) only the views.
	if got := hot(20); fmt.Sprint(got) != fmt.Sprint([]string{read.URL}) {
		t.Errorf("hot at factor 20 = %v, want only %s", got, read.URL)
	}
}

// testItemFailures: a failure record is saved, replaced, listed per source
// newest first and deleted.
func testItemFailures(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := "http://bbs.example/thread-9-1-1.html"
	if _, ok, err := s.ItemFailure(ctx, u); err != nil || ok {
		t.Fatalf("no record yet: ok %v, err %v", ok, err)
	}
	f := store.ItemFailure{URL: u, Source: "bbs", Tries: 1, LastErrorKind: "http", LastError: "HTTP 404\x00",
		FirstAt: t0, LastAt: t0}
	if err := s.SaveItemFailure(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Tries, f.LastErrorKind, f.LastError, f.LastAt, f.GivenUpAt = 3, "layout", "没有正文", t0.Add(time.Hour), t0.Add(time.Hour)
	f.RetryAt = t0.Add(3 * time.Hour)
	if err := s.SaveItemFailure(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.ItemFailure(ctx, u)
	if err != nil || !ok || got.Tries != 3 || got.LastErrorKind != "layout" || got.LastError != "没有正文" ||
		!got.FirstAt.Equal(t0) || !got.LastAt.Equal(t0.Add(time.Hour)) || !got.GivenUpAt.Equal(t0.Add(time.Hour)) || got.Source != "bbs" ||
		!got.RetryAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("record = %+v, %v, %v", got, ok, err)
	}
	other := store.ItemFailure{URL: "http://bbs.example/thread-8-1-1.html", Source: "bbs", Tries: 1, FirstAt: t0, LastAt: t0.Add(2 * time.Hour)}
	elsewhere := store.ItemFailure{URL: "http://gov.example/m/1", Source: "gov", Tries: 1, FirstAt: t0, LastAt: t0}
	for _, x := range []store.ItemFailure{other, elsewhere} {
		if err := s.SaveItemFailure(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ItemFailures(ctx, "bbs", 10)
	if err != nil || len(list) != 2 || list[0].URL != other.URL || list[1].URL != u || !list[0].GivenUpAt.IsZero() || !list[0].RetryAt.IsZero() {
		t.Fatalf("ItemFailures(bbs) = %+v, %v", list, err)
	}
	if err := s.DeleteItemFailure(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteItemFailure(ctx, u); err != nil {
		t.Fatalf("deleting a missing record: %v", err)
	}
	if _, ok, _ := s.ItemFailure(ctx, u); ok {
		t.Error("record still there after delete")
	}
}

// testBodyTruncatedKept: a post stored with a cut body keeps its full
// length through saving, updating and every read path.
func testBodyTruncatedKept(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	p.FullBodyChars = 812345
	mustSave(t, s, p)
	got, ok, err := s.PostByURL(ctx, p.URL)
	if err != nil || !ok || got.FullBodyChars != 812345 || !got.BodyTruncated() {
		t.Fatalf("stored post = %+v, %v, %v", got, ok, err)
	}
	ungraded, err := s.UngradedPosts(ctx, 10)
	if err != nil || len(ungraded) != 1 || ungraded[0].FullBodyChars != 812345 {
		t.Fatalf("UngradedPosts = %+v, %v", ungraded, err)
	}
	gp, err := s.GradedPosts(ctx, time.Time{}, 0, 10)
	if err != nil || len(gp) != 1 || gp[0].Post.FullBodyChars != 812345 {
		t.Fatalf("GradedPosts = %+v, %v", gp, err)
	}
	p2 := post(1) // refetched, now short enough to keep whole
	p2.Body = "短了"
	mustSave(t, s, p2)
	if got, _, _ := s.PostByURL(ctx, p.URL); got.BodyTruncated() {
		t.Errorf("whole body still marked truncated: %+v", got)
	}
}
