package auth

import (
	"context"
	"sync"
	"time"
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
	MaxKeys      int           // bound on remembered keys; the stalest are dropped first
}

// DefaultLimits: in 15 minutes, 5 tries per account and address, 30 per
// address and 20 per account from anywhere.
var DefaultLimits = LimitConfig{PerAccountIP: 5, PerIP: 30, PerAccount: 20, Window: 15 * time.Minute, MaxKeys: 10000}

// Limiter counts failed logins in memory. It is safe for concurrent use.
//
// Only failures count: any number of correct logins may be made. So that
// parallel guesses cannot all pass the check before any failure is
// recorded, an allowed attempt is held as pending (Reserve) until it ends
// (Fail, Success or Cancel), and an attempt that would take a key's
// failures plus pending attempts past its limit waits for one of them to
// end: at most limit−failures attempts are checked at once, and a key that
// has reached its limit refuses.
type Limiter struct {
	cfg  LimitConfig
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*limitKey
	wake chan struct{} // closed (and replaced) whenever an attempt ends
}

type limitKey struct {
	fails   []time.Time // failure times, oldest first
	pending int         // attempts allowed and not yet ended
	noted   time.Time   // when a refusal on this key was last reported; zero: never
}

// NewLimiter returns a limiter; now may be nil (time.Now).
func NewLimiter(cfg LimitConfig, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultLimits.MaxKeys
	}
	return &Limiter{cfg: cfg, now: now, keys: map[string]*limitKey{}, wake: make(chan struct{})}
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

func (l *Limiter) keysOf(account, ip string) [3]keyLimit {
	return [3]keyLimit{
		{LimitAccountIP, "a\x00" + account + "\x00" + ip, l.cfg.PerAccountIP},
		{LimitIP, "i\x00" + ip, l.cfg.PerIP},
		{LimitAccount, "u\x00" + account, l.cfg.PerAccount},
	}
}

// Refusal describes a refused attempt.
type Refusal struct {
	Wait time.Duration // until an attempt may be made again
	// First is true for the first refusal by a key in its window: the one
	// worth reporting (auditing every refusal would let anyone flood the log).
	First bool
	Kinds []LimitKind // the keys that refused
}

// Reservation is an allowed attempt, pending until it ends with Fail,
// Success or Cancel (the first call counts; later ones do nothing).
type Reservation struct {
	l           *Limiter
	account, ip string
	done        bool
}

// Reserve checks all keys of account and ip and, in the same critical
// section, holds the attempt as pending on each. It returns the
// reservation, or a refusal when a key has reached its limit of failures.
// While the pending attempts could still take a key to its limit, it waits
// for them to end; it returns ctx's error if ctx ends first.
func (l *Limiter) Reserve(ctx context.Context, account, ip string) (*Reservation, *Refusal, error) {
	keys := l.keysOf(account, ip)
	for {
		l.mu.Lock()
		now := l.now()
		if ref := l.refusal(keys, now); ref != nil {
			l.mu.Unlock()
			return nil, ref, nil
		}
		full := false
		for _, k := range keys {
			if k.limit > 0 && len(l.prune(k.key, now))+l.pendingOf(k.key) >= k.limit {
				full = true
			}
		}
		if !full {
			for _, k := range keys {
				if k.limit <= 0 {
					continue
				}
				e := l.keys[k.key]
				if e == nil {
					e = &limitKey{}
					l.keys[k.key] = e
				}
				e.pending++
			}
			if len(l.keys) > l.cfg.MaxKeys {
				l.evict(now)
			}
			l.mu.Unlock()
			return &Reservation{l: l, account: account, ip: ip}, nil, nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// refusal returns why keys refuse an attempt now, or nil.
func (l *Limiter) refusal(keys [3]keyLimit, now time.Time) *Refusal {
	var ref *Refusal
	for _, k := range keys {
		wait := l.blocked(k.key, k.limit, now)
		if wait <= 0 {
			continue
		}
		if ref == nil {
			ref = &Refusal{}
		}
		ref.Wait = max(ref.Wait, wait)
		ref.Kinds = append(ref.Kinds, k.kind)
		if e := l.keys[k.key]; e.noted.IsZero() || now.Sub(e.noted) >= l.cfg.Window {
			e.noted, ref.First = now, true
		}
	}
	return ref
}

func (l *Limiter) pendingOf(key string) int {
	if e := l.keys[key]; e != nil {
		return e.pending
	}
	return 0
}

// Fail ends the attempt as a failed login: it counts on every key.
func (r *Reservation) Fail() { r.release(outcomeFail) }

// Success ends the attempt as a successful login: it forgets the
// account's failures from that address (the address's and the account's
// totals keep theirs).
func (r *Reservation) Success() { r.release(outcomeSuccess) }

// Cancel ends the attempt without counting it: it was not a failed login
// (an internal error, say).
func (r *Reservation) Cancel() { r.release(outcomeCancel) }

type outcome int

const (
	outcomeFail outcome = iota
	outcomeSuccess
	outcomeCancel
)

func (r *Reservation) release(o outcome) {
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	now := l.now()
	for i, k := range l.keysOf(r.account, r.ip) {
		e := l.keys[k.key]
		if k.limit <= 0 || e == nil {
			continue
		}
		e.pending--
		switch {
		case o == outcomeFail:
			e.fails = append(e.fails, now)
			if len(e.fails) > k.limit {
				e.fails = e.fails[len(e.fails)-k.limit:] // older failures cannot matter any more
			}
		case o == outcomeSuccess && i == 0:
			e.fails = nil
		}
		if len(e.fails) == 0 && e.pending <= 0 {
			delete(l.keys, k.key)
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// blocked returns how long key stays blocked (≤ 0: not blocked).
func (l *Limiter) blocked(key string, limit int, now time.Time) time.Duration {
	if limit <= 0 {
		return 0
	}
	ts := l.prune(key, now)
	if len(ts) < limit {
		return 0
	}
	return ts[len(ts)-limit].Add(l.cfg.Window).Sub(now)
}

// prune drops failures older than the window and returns what is left.
func (l *Limiter) prune(key string, now time.Time) []time.Time {
	e := l.keys[key]
	if e == nil {
		return nil
	}
	i := 0
	for i < len(e.fails) && now.Sub(e.fails[i]) >= l.cfg.Window {
		i++
	}
	e.fails = e.fails[i:]
	if len(e.fails) == 0 && e.pending <= 0 {
		delete(l.keys, key)
		return nil
	}
	return e.fails
}

// evict drops expired keys, then the stalest ones, down to MaxKeys.
func (l *Limiter) evict(now time.Time) {
	for k := range l.keys {
		l.prune(k, now)
	}
	for len(l.keys) > l.cfg.MaxKeys {
		var oldest string
		var at time.Time
		for k, e := range l.keys {
			if e.pending > 0 || len(e.fails) == 0 {
				continue // in use: bounded by the attempts in flight
			}
			if last := e.fails[len(e.fails)-1]; oldest == "" || last.Before(at) {
				oldest, at = k, last
			}
		}
		if oldest == "" {
			return // every key left is in use
		}
		delete(l.keys, oldest)
	}
}

// auditThrottle bounds the audit rows one actor can cause at will (a
// viewer requesting an admin page or posting without a CSRF token, in a
// loop): a burst, then one row per interval, per action, actor and
// address; what is left out is counted and reported by the next row
// written. Memory is bounded by maxKeys.
type auditThrottle struct {
	burst   int
	every   time.Duration
	maxKeys int
	mu      sync.Mutex
	keys    map[string]*throttleKey
}

type throttleKey struct {
	tokens  float64
	at      time.Time // when tokens was last refilled
	dropped int       // rows left out since the last one written
}

func newAuditThrottle(burst int, every time.Duration, maxKeys int) *auditThrottle {
	if maxKeys <= 0 {
		maxKeys = DefaultLimits.MaxKeys
	}
	return &auditThrottle{burst: burst, every: every, maxKeys: maxKeys, keys: map[string]*throttleKey{}}
}

// admit reports whether a row for key may be written at now and how many
// were left out: before it when it may, else so far (1: the first, worth a
// log line).
func (t *auditThrottle) admit(key string, now time.Time) (ok bool, dropped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.keys[key]
	if k == nil {
		if len(t.keys) >= t.maxKeys {
			t.evict(now)
		}
		k = &throttleKey{tokens: float64(t.burst), at: now}
		t.keys[key] = k
	}
	if d := now.Sub(k.at); d > 0 {
		k.tokens = min(float64(t.burst), k.tokens+d.Seconds()/t.every.Seconds())
		k.at = now
	}
	if k.tokens < 1 {
		k.dropped++
		return false, k.dropped
	}
	k.tokens--
	dropped, k.dropped = k.dropped, 0
	return true, dropped
}

// evict drops the keys that have refilled completely (they are as good as
// new), or, if none has, an arbitrary one.
func (t *auditThrottle) evict(now time.Time) {
	full := time.Duration(t.burst) * t.every
	for key, k := range t.keys {
		if now.Sub(k.at) >= full && k.dropped == 0 {
			delete(t.keys, key)
		}
	}
	for key := range t.keys {
		if len(t.keys) < t.maxKeys {
			break
		}
		delete(t.keys, key)
	}
}
