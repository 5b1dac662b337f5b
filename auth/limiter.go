package auth

import (
	"context"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// LimitConfig bounds failed logins. A key (account+IP, IP alone, or account
// alone) that fails its limit times within Window is refused until the
// oldest of those failures leaves the window. A limit of 0 turns that key
// off.
type LimitConfig struct {
	PerAccountIP int           // failures per account and address
	PerIP        int           // failures per address, over all accounts (password spraying)
	PerAccount   int           // failures per account, over all addresses (distributed guessing)
	Window       time.Duration // how long a failure counts
}

// DefaultLimits: in 15 minutes, 5 tries per account and address, 30 per
// address and 20 per account from anywhere.
var DefaultLimits = LimitConfig{PerAccountIP: 5, PerIP: 30, PerAccount: 20, Window: 15 * time.Minute}

// Limiter counts failed logins in the database (store.AuthStore's
// HoldLogin), so every instance of a console behind a load balancer sees
// the same counts. It is safe for concurrent use.
//
// Only failures count: any number of correct logins may be made. So that
// parallel guesses cannot all pass the check before any failure is
// recorded, an allowed attempt is held as pending (Reserve) until it ends
// (Fail, Success or Cancel), and an attempt that would take a key's
// failures plus pending attempts past its limit waits for one of them to
// end: at most limit−failures attempts are checked at once, on all
// instances together, and a key that has reached its limit refuses. A
// pending attempt whose instance died stops counting after holdFor.
type Limiter struct {
	cfg  LimitConfig
	st   store.AuthStore
	now  func() time.Time
	mu   sync.Mutex
	wake chan struct{} // closed (and replaced) whenever an attempt here ends
}

// holdFor is how long a pending attempt counts at most: far longer than a
// password check, short enough that a dead instance's attempts do not
// hold a key up for long.
const holdFor = 2 * time.Minute

// pollEvery is how often an attempt waiting for pending ones looks again
// (attempts on other instances end without waking it).
const pollEvery = 50 * time.Millisecond

// NewLimiter returns a limiter keeping its counts in st; now may be nil
// (time.Now).
func NewLimiter(st store.AuthStore, cfg LimitConfig, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{cfg: cfg, st: st, now: now, wake: make(chan struct{})}
}

// LimitKind names the key that refused an attempt.
type LimitKind string

// The kinds of limit.
const (
	LimitAccountIP LimitKind = "account+ip"
	LimitIP        LimitKind = "ip"
	LimitAccount   LimitKind = "account"
)

type keyLimit struct {
	kind  LimitKind
	key   string
	limit int
}

// keysOf returns the keys of an attempt that have a limit. The account
// is stored hashed: what was typed as a name (a password, often) is
// never kept, and may hold any byte.
func (l *Limiter) keysOf(account, ip string) []keyLimit {
	a := HashSecret(account)
	var out []keyLimit
	for _, k := range []keyLimit{
		{LimitAccountIP, "account+ip " + ip + " " + a, l.cfg.PerAccountIP},
		{LimitIP, "ip " + ip, l.cfg.PerIP},
		{LimitAccount, "account " + a, l.cfg.PerAccount},
	} {
		if k.limit > 0 {
			out = append(out, k)
		}
	}
	return out
}

// Refusal describes a refused attempt.
type Refusal struct {
	Wait time.Duration // until an attempt may be made again
	// First is true for the first refusal by a key in its window: the one
	// worth reporting (auditing every refusal would let anyone flood the
	// log), on whichever instance it happens.
	First bool
	Kinds []LimitKind // the keys that refused
}

// Reservation is an allowed attempt, pending until it ends with Fail,
// Success or Cancel (the first call counts; later ones do nothing).
type Reservation struct {
	l       *Limiter
	ctx     context.Context
	attempt int64
	keys    []keyLimit
	mu      sync.Mutex
	done    bool
}

// Reserve checks all keys of account and ip and, under the keys' lock in
// the database, holds the attempt as pending on each. It returns the
// reservation, or a refusal when a key has reached its limit of failures.
// While the pending attempts could still take a key to its limit, it waits
// for them to end; it returns ctx's error if ctx ends first.
func (l *Limiter) Reserve(ctx context.Context, account, ip string) (*Reservation, *Refusal, error) {
	keys := l.keysOf(account, ip)
	if len(keys) == 0 {
		return &Reservation{l: l, ctx: ctx}, nil, nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	for {
		l.mu.Lock()
		wake := l.wake
		l.mu.Unlock()
		now := l.now()
		var ref *Refusal
		attempt, err := l.st.HoldLogin(ctx, store.LoginHold{Keys: names, Now: now, Since: now.Add(-l.cfg.Window),
			Until: now.Add(holdFor), Decide: func(state []store.LoginKey) (bool, []string) {
				var noted []string
				ref, noted = l.refusal(keys, state, now)
				return ref == nil && !l.full(keys, state), noted
			}})
		if err != nil {
			return nil, nil, err
		}
		if ref != nil {
			return nil, ref, nil
		}
		if attempt != 0 {
			return &Reservation{l: l, ctx: context.WithoutCancel(ctx), attempt: attempt, keys: keys}, nil, nil
		}
		t := time.NewTimer(pollEvery)
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		}
		t.Stop()
	}
}

// refusal returns why keys refuse an attempt now, or nil, and the keys
// that report it (the first refusal by each in its window).
func (l *Limiter) refusal(keys []keyLimit, state []store.LoginKey, now time.Time) (*Refusal, []string) {
	var ref *Refusal
	var noted []string
	for i, k := range keys {
		wait := l.blocked(state[i].Failures, k.limit, now)
		if wait <= 0 {
			continue
		}
		if ref == nil {
			ref = &Refusal{}
		}
		ref.Wait = max(ref.Wait, wait)
		ref.Kinds = append(ref.Kinds, k.kind)
		if at := state[i].NotedAt; at.IsZero() || now.Sub(at) >= l.cfg.Window {
			noted, ref.First = append(noted, k.key), true
		}
	}
	return ref, noted
}

// full reports whether the pending attempts could take a key to its limit.
func (l *Limiter) full(keys []keyLimit, state []store.LoginKey) bool {
	for i, k := range keys {
		if len(state[i].Failures)+state[i].Pending >= k.limit {
			return true
		}
	}
	return false
}

// blocked returns how long a key with these failures in the window stays
// blocked (≤ 0: not blocked).
func (l *Limiter) blocked(fails []time.Time, limit int, now time.Time) time.Duration {
	if len(fails) < limit {
		return 0
	}
	return fails[len(fails)-limit].Add(l.cfg.Window).Sub(now)
}

// Fail ends the attempt as a failed login: it counts on every key. Its
// error is the store's: a failure not recorded must not pass unnoticed.
func (r *Reservation) Fail() error { return r.release(outcomeFail) }

// Success ends the attempt as a successful login: it forgets the
// account's failures from that address (the address's and the account's
// totals keep theirs).
func (r *Reservation) Success() error { return r.release(outcomeSuccess) }

// Cancel ends the attempt without counting it: it was not a failed login
// (an internal error, say).
func (r *Reservation) Cancel() error { return r.release(outcomeCancel) }

type outcome int

const (
	outcomeFail outcome = iota
	outcomeSuccess
	outcomeCancel
)

func (r *Reservation) release(o outcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.attempt == 0 {
		return nil
	}
	r.done = true
	l := r.l
	end := store.LoginEnd{Attempt: r.attempt, Failed: o == outcomeFail, At: l.now()}
	for _, k := range r.keys {
		end.Keys = append(end.Keys, k.key)
		if o == outcomeSuccess && k.kind == LimitAccountIP {
			end.Clear = append(end.Clear, k.key)
		}
	}
	err := l.st.EndLogin(r.ctx, end)
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
	return err
}

// Clean removes the failures that left the window and the pending
// attempts of dead instances; the daemon calls it now and then.
func (l *Limiter) Clean(ctx context.Context) (int, error) {
	now := l.now()
	return l.st.DeleteStaleLogins(ctx, now.Add(-l.cfg.Window), now)
}
