package crawler

import (
	"errors"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// nextState is the schedule's whole policy after a crawl, without I/O:
// success, a store error (ours), failures backing off, Retry-After, and
// the breaker opening after breaker_after failures in a row.
func TestNextState(t *testing.T) {
	src := Source{Name: "s", Interval: 10 * time.Minute, BreakerAfter: 3, BreakerCooldown: time.Hour}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	siteErr := &HTTPError{Status: 500}
	storeErr := &emitError{url: "http://x/1", err: errors.New("database is locked")}
	cases := []struct {
		name      string
		failures  int
		err       error
		wantFails int
		wantNext  time.Duration
		breaker   bool
	}{
		{"success resets", 2, nil, 0, 10 * time.Minute, false},
		{"first failure waits one interval", 0, siteErr, 1, 10 * time.Minute, false},
		{"second failure doubles", 1, siteErr, 2, 20 * time.Minute, false},
		{"third failure opens the breaker for its cooldown", 2, siteErr, 3, time.Hour, true},
		{"a longer Retry-After wins", 0, &RetryAfterError{Wait: 45 * time.Minute}, 1, 45 * time.Minute, false},
		{"a store error is not the site's failure", 2, storeErr, 2, time.Minute, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := store.SourceState{Name: "s", ConsecutiveFailures: c.failures}
			got := nextState(src, st, st, Stats{Found: 7}, c.err, 0, now)
			if got.ConsecutiveFailures != c.wantFails {
				t.Errorf("failures %d, want %d", got.ConsecutiveFailures, c.wantFails)
			}
			if d := got.NextCheckAt.Sub(now); d != c.wantNext {
				t.Errorf("next check in %s, want %s", d, c.wantNext)
			}
			if open := !got.BreakerOpenUntil.IsZero(); open != c.breaker {
				t.Errorf("breaker open %v, want %v", open, c.breaker)
			}
			if c.err == nil && (got.LastSuccessAt != now || got.LastItems != 7) {
				t.Errorf("success not recorded: %+v", got)
			}
			if c.err != nil && got.LastError == "" {
				t.Error("failure without its error")
			}
		})
	}
}
