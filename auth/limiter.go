package auth

import (
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
// An attempt is counted as a failure when it is allowed (Reserve), before
// the slow password check, and only a success takes it back; so parallel
// requests cannot all pass the check before any failure is recorded.
type Limiter struct {
	cfg  LimitConfig
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*limitKey
}

type limitKey struct {
	fails []time.Time // failure (and reservation) times, oldest first
	noted time.Time   // when a refusal on this key was last reported; zero: never
}

// NewLimiter returns a limiter; now may be nil (time.Now).
func NewLimiter(cfg LimitConfig, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultLimits.MaxKeys
	}
	return &Limiter{cfg: cfg, now: now, keys: map[string]*limitKey{}}
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

// Reservation is an allowed attempt, already counted as a failure.
type Reservation struct {
	l           *Limiter
	account, ip string
	at          time.Time
	done        bool
}

// Reserve checks all keys of account and ip and, in the same critical
// section, counts the attempt as a failure on each. It returns the
// reservation, or nil and why the attempt is refused.
func (l *Limiter) Reserve(account, ip string) (*Reservation, *Refusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	keys := l.keysOf(account, ip)
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
	if ref != nil {
		return nil, ref
	}
	for _, k := range keys {
		if k.limit <= 0 {
			continue
		}
		e := l.keys[k.key]
		if e == nil {
			e = &limitKey{}
			l.keys[k.key] = e
		}
		e.fails = append(e.fails, now)
		if len(e.fails) > k.limit {
			e.fails = e.fails[len(e.fails)-k.limit:] // older failures cannot matter any more
		}
	}
	if len(l.keys) > l.cfg.MaxKeys {
		l.evict(now)
	}
	return &Reservation{l: l, account: account, ip: ip, at: now}, nil
}

// Success ends the attempt as a successful login: it forgets the
// account's failures from that address and takes this attempt back from
// the address's and the account's totals (their earlier failures stay).
func (r *Reservation) Success() { r.release(true) }

// Cancel takes the attempt back everywhere: it was not a failed login
// (an internal error, say).
func (r *Reservation) Cancel() { r.release(false) }

func (r *Reservation) release(success bool) {
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	for i, k := range l.keysOf(r.account, r.ip) {
		if i == 0 && success {
			delete(l.keys, k.key)
			continue
		}
		e := l.keys[k.key]
		if e == nil {
			continue
		}
		for j := len(e.fails) - 1; j >= 0; j-- {
			if e.fails[j].Equal(r.at) {
				e.fails = append(e.fails[:j], e.fails[j+1:]...)
				break
			}
		}
		if len(e.fails) == 0 {
			delete(l.keys, k.key)
		}
	}
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
	if len(e.fails) == 0 {
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
			if last := e.fails[len(e.fails)-1]; oldest == "" || last.Before(at) {
				oldest, at = k, last
			}
		}
		delete(l.keys, oldest)
	}
}
