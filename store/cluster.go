package store

import (
	"context"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
)

// ClusterStore keeps what several daemons on one database agree through:
// the instances table (identity, heartbeats, who leads) and one lease per
// host (which instance crawls the sources of a site). On SQLite there is
// one instance and no lease is taken; the tables exist so that status
// reads the same way.
type ClusterStore interface {
	// SaveInstance records (or replaces) an instance's row.
	SaveInstance(ctx context.Context, in model.Instance) error
	// Heartbeat sets the instance's heartbeat; ErrNotFound when its row
	// is gone (removed as stale: the caller saves it again).
	Heartbeat(ctx context.Context, id string, at time.Time) error
	// SetLeader records id as the leader since since and no other
	// instance as leader.
	SetLeader(ctx context.Context, id string, since time.Time) error
	// ClearLeader records that id does not lead (any more).
	ClearLeader(ctx context.Context, id string) error
	// DeleteInstance removes the instance's row (a clean stop).
	DeleteInstance(ctx context.Context, id string) error
	// DeleteStaleInstances removes the rows whose heartbeat is before
	// before (instances that died without a clean stop) and returns how
	// many.
	DeleteStaleInstances(ctx context.Context, before time.Time) (int, error)
	// Instances lists every recorded instance, oldest start first.
	Instances(ctx context.Context) ([]model.Instance, error)

	// ClaimLeases gives up c.Holder's leases on c.Release and on hosts
	// not in c.Hosts, renews the others it holds, and takes free or
	// expired leases on c.Hosts until it holds c.Max; rows another
	// transaction has locked are skipped (FOR UPDATE SKIP LOCKED), not
	// waited for. It returns the leases held afterwards.
	ClaimLeases(ctx context.Context, c LeaseClaim) ([]model.HostLease, error)
	// ReleaseLeases gives up every lease holder holds (a clean stop), so
	// others take them at once rather than after the TTL.
	ReleaseLeases(ctx context.Context, holder string) error
	// Leases lists every host's lease, by host.
	Leases(ctx context.Context) ([]model.HostLease, error)

	// RequestReload moves the reload generation on by one and returns
	// it: an instance reloaded its configuration at an operator's
	// request, and the others follow when they see it move.
	RequestReload(ctx context.Context) (int64, error)
	// ReloadGeneration returns the reload generation (0: no reload was
	// ever requested).
	ReloadGeneration(ctx context.Context) (int64, error)
}

// LeaseClaim is one round of an instance's lease keeping.
type LeaseClaim struct {
	Holder string
	Hosts  []string // the hosts of the sources configured now
	// Release is what the holder gives back (its share shrank); it
	// chooses which, so that no host it is crawling moves mid-crawl.
	Release []string
	Max     int // take leases until this many are held
	Now     time.Time
	TTL     time.Duration // leases taken or renewed expire at Now+TTL
}
