package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// hold is one HoldLogin on keys at now (window 10m, held 1m) that holds
// when hold says so, and returns the state seen and the attempt.
func hold(t *testing.T, s store.AuthStore, now time.Time, keys []string, decide func([]store.LoginKey) (bool, []string)) ([]store.LoginKey, int64) {
	t.Helper()
	var seen []store.LoginKey
	id, err := s.HoldLogin(context.Background(), store.LoginHold{Keys: keys, Now: now, Since: now.Add(-10 * time.Minute),
		Until: now.Add(time.Minute), Decide: func(ks []store.LoginKey) (bool, []string) {
			seen = ks
			return decide(ks)
		}})
	if err != nil {
		t.Fatalf("HoldLogin(%v): %v", keys, err)
	}
	return seen, id
}

func always([]store.LoginKey) (bool, []string) { return true, nil }
func never([]store.LoginKey) (bool, []string)  { return false, nil }

func keyState(ks []store.LoginKey) string {
	var out []string
	for _, k := range ks {
		out = append(out, fmt.Sprintf("%s:%d fails %d pending noted %v", k.Key, len(k.Failures), k.Pending, !k.NotedAt.IsZero()))
	}
	return fmt.Sprint(out)
}

func testLoginLimits(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	keys := []string{"account wang", "account+ip 10.0.0.1 wang", "ip 10.0.0.1"}
	seen, a1 := hold(t, s, t0, keys, always)
	if a1 == 0 || keyState(seen) != keyState([]store.LoginKey{{Key: keys[0]}, {Key: keys[1]}, {Key: keys[2]}}) {
		t.Fatalf("first hold: attempt %d, state %s", a1, keyState(seen))
	}
	// Held attempts count as pending on every key, in the order asked.
	seen, a2 := hold(t, s, t0.Add(time.Second), keys, always)
	if a2 == 0 || a2 == a1 || seen[0].Pending != 1 || seen[1].Pending != 1 || seen[2].Pending != 1 || len(seen[0].Failures) != 0 {
		t.Fatalf("second hold: attempt %d, state %s", a2, keyState(seen))
	}
	if err := s.EndLogin(ctx, store.LoginEnd{Attempt: a1, Keys: keys, Failed: true, At: t0.Add(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.EndLogin(ctx, store.LoginEnd{Attempt: a2, Keys: keys}); err != nil { // cancelled: not counted
		t.Fatal(err)
	}
	seen, id := hold(t, s, t0.Add(3*time.Second), keys, func([]store.LoginKey) (bool, []string) { return false, []string{keys[2]} })
	if id != 0 || seen[0].Pending != 0 || len(seen[0].Failures) != 1 || !seen[0].Failures[0].Equal(t0.Add(2*time.Second)) || !seen[2].NotedAt.IsZero() {
		t.Fatalf("after a failure and a cancel: attempt %d, state %s", id, keyState(seen))
	}
	// The refusal noted is kept; an attempt not held leaves nothing pending.
	seen, _ = hold(t, s, t0.Add(4*time.Second), keys, never)
	if !seen[2].NotedAt.Equal(t0.Add(3*time.Second)) || !seen[0].NotedAt.IsZero() || seen[2].Pending != 0 {
		t.Errorf("noted: state %s, noted at %v", keyState(seen), seen[2].NotedAt)
	}
	// A success clears the failures of the keys named, not the others'.
	_, a3 := hold(t, s, t0.Add(5*time.Second), keys, always)
	if err := s.EndLogin(ctx, store.LoginEnd{Attempt: a3, Keys: keys, At: t0.Add(5 * time.Second), Clear: keys[1:2]}); err != nil {
		t.Fatal(err)
	}
	seen, _ = hold(t, s, t0.Add(6*time.Second), keys, never)
	if len(seen[0].Failures) != 1 || len(seen[1].Failures) != 0 || len(seen[2].Failures) != 1 {
		t.Errorf("after clearing %q: %s", keys[1], keyState(seen))
	}
	// Failures leave the window; a held attempt never ended stops counting
	// when it expires (its instance died).
	_, a4 := hold(t, s, t0.Add(7*time.Second), keys[:1], always)
	seen, _ = hold(t, s, t0.Add(10*time.Minute+2*time.Second), keys, never)
	if len(seen[0].Failures) != 0 || seen[0].Pending != 0 {
		t.Errorf("10 minutes later: %s", keyState(seen))
	}
	other := []string{"ip 10.0.0.9"}
	_, a5 := hold(t, s, t0.Add(10*time.Minute+3*time.Second), other, always)
	if err := s.EndLogin(ctx, store.LoginEnd{Attempt: a5, Keys: other, Failed: true, At: t0.Add(10*time.Minute + 3*time.Second)}); err != nil {
		t.Fatal(err)
	}
	// Stale rows go: keys[0]'s failure and a4's expired hold; keys[2]
	// noted a refusal within the window and keeps its row; other's
	// failure is recent.
	n, err := s.DeleteStaleLogins(ctx, t0.Add(10*time.Minute), t0.Add(10*time.Minute+4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("DeleteStaleLogins removed %d rows, want at least the 2 failures and the expired hold", n)
	}
	seen, _ = hold(t, s, t0.Add(10*time.Minute+5*time.Second), append([]string{other[0]}, keys...), never)
	if len(seen[0].Failures) != 1 || !seen[3].NotedAt.Equal(t0.Add(3*time.Second)) {
		t.Errorf("after DeleteStaleLogins: %s", keyState(seen))
	}
	_ = a4
}

// testLoginLimitsConcurrent: parallel holds that allow an attempt only
// while failures and pending attempts stay under 5 hold exactly 5, however
// many connections the engine checks them on (several instances).
func testLoginLimitsConcurrent(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := 0
	for i := range 40 {
		wg.Go(func() {
			// Each shares the address key; half share an account key too.
			keys := []string{"ip 10.0.0.1", fmt.Sprintf("account user%d", i%2)}
			id, err := s.HoldLogin(ctx, store.LoginHold{Keys: keys, Now: t0, Since: t0.Add(-time.Hour), Until: t0.Add(time.Minute),
				Decide: func(ks []store.LoginKey) (bool, []string) {
					return len(ks[0].Failures)+ks[0].Pending < 5, nil
				}})
			if err != nil {
				t.Error(err)
				return
			}
			if id == 0 {
				return
			}
			mu.Lock()
			held++
			mu.Unlock()
			if err := s.EndLogin(ctx, store.LoginEnd{Attempt: id, Keys: keys, Failed: true, At: t0}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if held != 5 {
		t.Errorf("%d of 40 parallel holds allowed, want 5", held)
	}
	seen, _ := hold(t, s, t0.Add(time.Second), []string{"ip 10.0.0.1"}, never)
	if len(seen[0].Failures) != 5 || seen[0].Pending != 0 || !slices.IsSortedFunc(seen[0].Failures, time.Time.Compare) {
		t.Errorf("after the parallel holds: %s", keyState(seen))
	}
}

// testRefusalBudgets: a budget is read as saved, under a lock that makes
// parallel spends add up, and goes once refilled with nothing left out.
func testRefusalBudgets(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	read := func(key string) store.RefusalBudget {
		t.Helper()
		var got store.RefusalBudget
		if err := s.SpendRefusalBudget(ctx, key, func(b *store.RefusalBudget) { got = *b }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if b := read("access.denied 10.0.0.1 zhao"); b != (store.RefusalBudget{}) {
		t.Errorf("new budget %+v, want zero", b)
	}
	if err := s.SpendRefusalBudget(ctx, "access.denied 10.0.0.1 zhao", func(b *store.RefusalBudget) {
		b.Tokens, b.At, b.Dropped = 40.5, t0, 2
	}); err != nil {
		t.Fatal(err)
	}
	if b := read("access.denied 10.0.0.1 zhao"); b.Tokens != 40.5 || !b.At.Equal(t0) || b.Dropped != 2 {
		t.Errorf("saved budget read back as %+v", b)
	}
	if b := read("csrf.rejected 10.0.0.1 zhao"); b.Tokens != 0 || !b.At.IsZero() {
		t.Errorf("another key's budget %+v, want its own", b)
	}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if err := s.SpendRefusalBudget(ctx, "access.denied 10.0.0.1 zhao", func(b *store.RefusalBudget) { b.Tokens-- }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if b := read("access.denied 10.0.0.1 zhao"); b.Tokens != 0.5 {
		t.Errorf("after 40 parallel spends of 40.5: %v tokens, want 0.5", b.Tokens)
	}
	if err := s.SpendRefusalBudget(ctx, "csrf.rejected 10.0.0.1 zhao", func(b *store.RefusalBudget) { b.Tokens, b.At = 20, t0 }); err != nil {
		t.Fatal(err)
	}
	// The csrf budget is full and left nothing out: it goes; the other
	// still counts 2 rows left out.
	n, err := s.DeleteRefusalBudgets(ctx, t0.Add(time.Second))
	if err != nil || n != 1 {
		t.Errorf("DeleteRefusalBudgets = %d, %v; want 1", n, err)
	}
	if b := read("access.denied 10.0.0.1 zhao"); b.Dropped != 2 {
		t.Errorf("budget with rows left out deleted: %+v", b)
	}
}
