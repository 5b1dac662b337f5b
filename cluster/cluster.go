// Package cluster owns what several daemons on one database agree on:
// each instance's identity and heartbeat (the instances table), which one
// leads (a PostgreSQL session advisory lock held on a connection of its
// own; re-elected when that session dies) and which instance crawls which
// site (a lease per host, renewed while held, taken over once expired).
// The lease is per host, not per source, because politeness is per host:
// the crawler crawls one source of a host at a time, one request at a
// time with a delay between requests, and that holds only within one
// process, so every source of a host is crawled by the instance holding
// the host's lease. Singleton duties gate on Leader; the crawler gates on
// Node.Holds.
//
// On SQLite there is one instance only: it always leads, crawls every
// source without leases, and a lock file beside the database keeps a
// second daemon out (Guard).
package cluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// Leader is what a singleton duty (deadline sweeps, per-incident alert
// series, scheduled reports) asks before it acts: a one-line gate.
type Leader interface {
	IsLeader() bool
}

// Defaults of Options.
const (
	DefaultHeartbeat = 5 * time.Second
	DefaultLeaseTTL  = 30 * time.Second
	// staleAfter is how long the row of an instance that died without a
	// clean stop stays for `yuqing status` to show it before the leader
	// removes it.
	staleAfter = 24 * time.Hour
)

// Options configure a Node.
type Options struct {
	Store store.ClusterStore
	// DSN is the PostgreSQL connection the election holds its lock on;
	// "" is a single instance (SQLite): it always leads and crawls every
	// source without leases.
	DSN     string
	Listen  string // the console's bound address, for status
	Version string
	// Heartbeat is how often the instance writes its heartbeat, renews
	// its leases and (not leading) tries for the leadership; LeaseTTL is
	// how long a lease or heartbeat holds without renewal: another
	// instance takes a dead one's hosts, and the leadership, within it.
	Heartbeat  time.Duration
	LeaseTTL   time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics
	Now        func() time.Time
}

// Node is this instance in the cluster.
type Node struct {
	opts Options
	log  *slog.Logger
	self model.Instance
	elec elector

	leader  atomic.Bool
	mu      sync.Mutex
	changed chan struct{}        // closed and replaced at every change of leadership
	hosts   map[string]string    // configured source → its host, the lease key
	held    map[string]time.Time // host → when our lease runs out, by our clock
	busy    func(source string) bool

	m metrics
	// abandon ends Run as a killed process ends: nothing given back
	// (tests of failover).
	abandon atomic.Bool
}

type metrics struct {
	leader, leases, instances prometheus.Gauge
	elections, failures       prometheus.Counter
}

// New returns the node of this instance; Run brings it to life.
func New(opts Options) (*Node, error) {
	if opts.Store == nil {
		return nil, errors.New("cluster: no store")
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.LeaseTTL < 2*opts.Heartbeat {
		return nil, fmt.Errorf("租约时长 %s 应不少于心跳间隔 %s 的两倍", opts.LeaseTTL, opts.Heartbeat)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	host, _ := os.Hostname()
	now := opts.Now()
	n := &Node{opts: opts, log: opts.Logger, changed: make(chan struct{}), held: map[string]time.Time{},
		self: model.Instance{ID: rand.Text()[:12], Host: host, PID: os.Getpid(), Version: opts.Version,
			Listen: opts.Listen, StartedAt: now, HeartbeatAt: now}}
	if opts.DSN == "" {
		n.elec = solo{}
	} else {
		n.elec = &pgElector{dsn: opts.DSN, idle: opts.LeaseTTL, log: n.log}
	}
	n.registerMetrics(opts.Registerer)
	return n, nil
}

func (n *Node) registerMetrics(reg prometheus.Registerer) {
	if reg == nil {
		reg = prometheus.NewRegistry() // metrics kept, not exported
	}
	f := promauto.With(reg)
	n.m.leader = f.NewGauge(prometheus.GaugeOpts{Name: "yuqing_leader",
		Help: "1 while this instance leads (runs the singleton duties and exports the per-incident alert series)."})
	n.m.leases = f.NewGauge(prometheus.GaugeOpts{Name: "yuqing_host_leases_held",
		Help: "Hosts (sites) this instance holds the crawl lease of, crawling every source on them (every configured host on a single instance)."})
	n.m.instances = f.NewGauge(prometheus.GaugeOpts{Name: "yuqing_cluster_instances",
		Help: "Instances whose heartbeat is within the lease TTL, as this instance last read them."})
	n.m.elections = f.NewCounter(prometheus.CounterOpts{Name: "yuqing_leader_elections_total",
		Help: "Times this instance became leader."})
	n.m.failures = f.NewCounter(prometheus.CounterOpts{Name: "yuqing_cluster_heartbeat_failures_total",
		Help: "Heartbeats or lease renewals that failed (the database did not answer)."})
}

// ID is this instance's id in the instances table and on its leases.
func (n *Node) ID() string { return n.self.ID }

// IsLeader reports whether this instance leads now.
func (n *Node) IsLeader() bool { return n.leader.Load() }

// Single reports whether this is a single instance (SQLite): no leases.
func (n *Node) Single() bool { return n.opts.DSN == "" }

// SetSources sets the configured sources, each with its host (start,
// reload): the lease is the host's (see the package comment); leases on
// hosts no source has any more are given up at the next renewal.
func (n *Node) SetSources(hosts map[string]string) {
	n.mu.Lock()
	n.hosts = maps.Clone(hosts)
	n.mu.Unlock()
}

// SetBusy tells the node which sources are being crawled (the crawler's
// scheduler): when its share shrinks it gives back only hosts none of
// whose sources is being crawled, so a crawl is never taken over mid-way.
// Call it before Run.
func (n *Node) SetBusy(busy func(source string) bool) {
	n.mu.Lock()
	n.busy = busy
	n.mu.Unlock()
}

// Holds reports whether this instance may crawl the source now: it holds
// an unexpired lease on the source's host (always, on a single instance).
// A crawler asks after marking the source busy, so a lease is never given
// back between its question and its crawl (see SetBusy).
func (n *Node) Holds(source string) bool {
	if n.Single() {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	host, ok := n.hosts[source]
	if !ok {
		return false
	}
	until, ok := n.held[host]
	return ok && n.opts.Now().Before(until)
}

// Lead runs fn while this instance leads, with a context cancelled when
// it stops leading, and again each time it leads anew, until ctx is done:
// a singleton loop (a report scheduler) is `go node.Lead(ctx, s.Run)`.
func (n *Node) Lead(ctx context.Context, fn func(context.Context)) {
	for {
		n.mu.Lock()
		changed, leading := n.changed, n.leader.Load()
		n.mu.Unlock()
		if !leading {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				continue
			}
		}
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			fn(lctx)
		}()
		select {
		case <-ctx.Done():
		case <-changed:
		}
		cancel()
		<-done
		if ctx.Err() != nil {
			return
		}
	}
}

// Run registers the instance, then beats, keeps leases and takes part in
// the election until ctx is done; then it gives its leases and the
// leadership back and removes its row, so others take over at once. Start
// errors (the database refuses the row) are returned; later failures are
// logged and retried.
func (n *Node) Run(ctx context.Context, started chan<- struct{}) error {
	if err := n.opts.Store.SaveInstance(ctx, n.self); err != nil {
		return err
	}
	n.beat(ctx)
	n.elect(ctx)
	n.mu.Lock()
	held := len(n.held)
	n.mu.Unlock()
	n.log.Info("实例已登记", "instance", n.self.ID, "leader", n.IsLeader(), "leases", held)
	if started != nil {
		close(started)
	}
	t := time.NewTicker(n.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if !n.abandon.Load() {
				n.stop()
			}
			return nil
		case <-t.C:
			n.elect(ctx)
			n.beat(ctx)
		}
	}
}

// elect tries for the leadership, or checks that it is still held.
func (n *Node) elect(ctx context.Context) {
	leading, err := n.elec.hold(ctx)
	if err != nil && ctx.Err() == nil {
		n.log.Warn("主实例选举连接异常", "instance", n.self.ID, "err", err)
	}
	if leading != n.leader.Load() {
		n.setLeader(ctx, leading)
	}
}

func (n *Node) setLeader(ctx context.Context, leading bool) {
	n.mu.Lock()
	n.leader.Store(leading)
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
	now := n.opts.Now()
	var err error
	if leading {
		n.m.leader.Set(1)
		n.m.elections.Inc()
		n.log.Info("本实例成为主实例", "instance", n.self.ID)
		err = n.opts.Store.SetLeader(ctx, n.self.ID, now)
		n.self.LeaderSince = now
	} else {
		n.m.leader.Set(0)
		n.log.Warn("本实例不再是主实例", "instance", n.self.ID)
		err = n.opts.Store.ClearLeader(ctx, n.self.ID)
		n.self.LeaderSince = time.Time{}
	}
	if err != nil && ctx.Err() == nil {
		n.log.Error("记录主实例失败", "err", err)
	}
}

// beat writes the heartbeat and renews and claims leases: this
// instance's share is the configured sources' hosts divided among the
// live instances, rounded up.
func (n *Node) beat(ctx context.Context) {
	now := n.opts.Now()
	st := n.opts.Store
	err := st.Heartbeat(ctx, n.self.ID, now)
	if errors.Is(err, store.ErrNotFound) {
		n.self.HeartbeatAt = now
		err = st.SaveInstance(ctx, n.self) // removed as stale while we were away
	}
	if err != nil {
		n.fail(ctx, "心跳失败", err)
		return
	}
	all, err := st.Instances(ctx)
	if err != nil {
		n.fail(ctx, "读取实例列表失败", err)
		return
	}
	alive := 0
	for _, in := range all {
		if in.Alive(now, n.opts.LeaseTTL) {
			alive++
		}
	}
	n.m.instances.Set(float64(alive))
	if n.IsLeader() {
		if k, err := st.DeleteStaleInstances(ctx, now.Add(-staleAfter)); err != nil {
			n.fail(ctx, "清除失联实例失败", err)
		} else if k > 0 {
			n.log.Info("已清除长时间失联的实例记录", "count", k)
		}
	}
	n.mu.Lock()
	hosts := slices.Sorted(maps.Values(n.hosts))
	n.mu.Unlock()
	hosts = slices.Compact(hosts)
	if n.Single() {
		n.m.leases.Set(float64(len(hosts)))
		return
	}
	share := int(math.Ceil(float64(len(hosts)) / float64(max(alive, 1))))
	release := n.shed(share)
	leases, err := st.ClaimLeases(ctx, store.LeaseClaim{Holder: n.self.ID, Hosts: hosts, Release: release,
		Max: share, Now: now, TTL: n.opts.LeaseTTL})
	if err != nil {
		n.fail(ctx, "续租网站失败", err)
		return
	}
	held := make(map[string]time.Time, len(leases))
	for _, l := range leases {
		held[l.Host] = l.ExpiresAt
	}
	n.mu.Lock()
	n.held = held
	n.mu.Unlock()
	n.m.leases.Set(float64(len(held)))
}

// shed picks the idle hosts to give back when more than share are held
// (instances joined) and stops holding them before they are given back.
func (n *Node) shed(share int) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	excess := len(n.held) - share
	if excess <= 0 {
		return nil
	}
	hosts := slices.Sorted(maps.Keys(n.held))
	slices.Reverse(hosts)
	var out []string
	for _, h := range hosts {
		if len(out) == excess {
			break
		}
		if n.crawling(h) {
			continue
		}
		out = append(out, h)
		delete(n.held, h)
	}
	return out
}

// crawling reports whether a source of host is being crawled. n.mu is held.
func (n *Node) crawling(host string) bool {
	if n.busy == nil {
		return false
	}
	for src, h := range n.hosts {
		if h == host && n.busy(src) {
			return true
		}
	}
	return false
}

func (n *Node) fail(ctx context.Context, msg string, err error) {
	if ctx.Err() != nil {
		return
	}
	n.m.failures.Inc()
	n.log.Error(msg, "instance", n.self.ID, "err", err)
}

// stop gives everything back; ctx is done, so it works on a short context
// of its own.
func (n *Node) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.mu.Lock()
	n.held = map[string]time.Time{}
	n.mu.Unlock()
	n.m.leases.Set(0)
	st := n.opts.Store
	if !n.Single() {
		if err := st.ReleaseLeases(ctx, n.self.ID); err != nil {
			n.log.Error("交还网站租约失败，其他实例将在租约到期后接手", "err", err)
		}
	}
	if n.IsLeader() {
		n.setLeader(ctx, false)
	}
	n.elec.release(ctx)
	if err := st.DeleteInstance(ctx, n.self.ID); err != nil {
		n.log.Error("注销实例失败", "err", err)
	}
	n.log.Info("实例已注销", "instance", n.self.ID)
}
