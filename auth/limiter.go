package auth

import (
	"sync"
	"time"
)

// LimitConfig bounds failed logins. A key (account+IP, or IP alone) that
// fails Max times within Window is refused until the oldest of those
// failures leaves the window.
type LimitConfig struct {
	PerAccountIP int           // failures per account and address
	PerIP        int           // failures per address, over all accounts (password spraying)
	Window       time.Duration // how long a failure counts
	MaxKeys      int           // bound on remembered keys; the stalest are dropped first
}

// DefaultLimits: 5 tries per account and address, 30 per address, in 15 minutes.
var DefaultLimits = LimitConfig{PerAccountIP: 5, PerIP: 30, Window: 15 * time.Minute, MaxKeys: 10000}

// Limiter counts failed logins in memory. It is safe for concurrent use.
type Limiter struct {
	cfg  LimitConfig
	now  func() time.Time
	mu   sync.Mutex
	fail map[string][]time.Time // key → failure times, oldest first
}

// NewLimiter returns a limiter; now may be nil (time.Now).
func NewLimiter(cfg LimitConfig, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultLimits.MaxKeys
	}
	return &Limiter{cfg: cfg, now: now, fail: map[string][]time.Time{}}
}

func accountKey(account, ip string) string { return "a\x00" + account + "\x00" + ip }
func ipKey(ip string) string               { return "i\x00" + ip }

// Allow reports whether a login for account from ip may be tried now, and
// if not, how long until it may.
func (l *Limiter) Allow(account, ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	wait := max(l.blocked(accountKey(account, ip), l.cfg.PerAccountIP, now), l.blocked(ipKey(ip), l.cfg.PerIP, now))
	return wait <= 0, wait
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
	ts := l.fail[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.cfg.Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fail, key)
		return nil
	}
	l.fail[key] = ts
	return ts
}

// Failure records a failed login.
func (l *Limiter) Failure(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []string{accountKey(account, ip), ipKey(ip)} {
		ts := append(l.prune(k, now), now)
		if n := max(l.cfg.PerAccountIP, l.cfg.PerIP); len(ts) > n {
			ts = ts[len(ts)-n:] // older failures cannot matter any more
		}
		l.fail[k] = ts
	}
	if len(l.fail) > l.cfg.MaxKeys {
		l.evict(now)
	}
}

// Success forgets the account's failures from ip (not the address's total).
func (l *Limiter) Success(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fail, accountKey(account, ip))
}

// evict drops expired keys, then the stalest ones, down to MaxKeys.
func (l *Limiter) evict(now time.Time) {
	for k := range l.fail {
		l.prune(k, now)
	}
	for len(l.fail) > l.cfg.MaxKeys {
		var oldest string
		var at time.Time
		for k, ts := range l.fail {
			if last := ts[len(ts)-1]; oldest == "" || last.Before(at) {
				oldest, at = k, last
			}
		}
		delete(l.fail, oldest)
	}
}

// Keys returns how many keys the limiter remembers (for tests and metrics).
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.fail)
}
