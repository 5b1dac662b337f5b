package storetest

import (
	"context"
	"testing"
	"time"

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
		ps, err := s.HotPosts(ctx, "bbs", t0.Add(-time.Hour), fetchedBefore, 10)
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
