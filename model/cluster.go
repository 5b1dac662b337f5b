package model

import "time"

// Instance is one running daemon as the cluster table records it: who it
// is, where its console listens, and when it last said it was alive.
type Instance struct {
	ID          string // random per start: two instances in one process differ
	Host        string
	PID         int
	Version     string
	Listen      string // the console's bound address
	StartedAt   time.Time
	HeartbeatAt time.Time
	// LeaderSince is when the instance last became leader; zero when it
	// does not lead.
	LeaderSince time.Time
}

// Alive reports whether the instance's last heartbeat is within ttl of now.
func (i Instance) Alive(now time.Time, ttl time.Duration) bool {
	return now.Sub(i.HeartbeatAt) < ttl
}

// HostLease says which instance crawls the sources of a host (a site,
// host[:port] of their URLs, lower-cased) until when: the lease is per
// host so that the crawler's per-host politeness holds across instances.
// A lease that has expired (or has no holder) may be taken by any
// instance.
type HostLease struct {
	Host       string
	Holder     string // Instance.ID (or a yuqing crawl -store run's id); "" when released
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// Held reports whether the lease is held at now.
func (l HostLease) Held(now time.Time) bool {
	return l.Holder != "" && now.Before(l.ExpiresAt)
}
