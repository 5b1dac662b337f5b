package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

const (
	beat = 50 * time.Millisecond
	ttl  = 400 * time.Millisecond
)

// running is a node with the means to stop it.
type running struct {
	node *cluster.Node
	stop context.CancelFunc
	done chan error
}

func start(t *testing.T, opts cluster.Options) *running {
	t.Helper()
	n, err := cluster.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{node: n, stop: cancel, done: make(chan error, 1)}
	started := make(chan struct{})
	go func() { r.done <- n.Run(ctx, started) }()
	select {
	case <-started:
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { r.halt(t) })
	return r
}

func (r *running) halt(t *testing.T) {
	r.stop()
	if err := <-r.done; err != nil {
		t.Error(err)
	}
	r.done <- nil // a second halt returns at once
}

// pgNodes starts k nodes on one fresh schema, each configured with srcs
// (source → host).
func pgNodes(t *testing.T, k int, srcs map[string]string) (string, *postgres.Store, []*running) {
	dsn := pgtest.Schema(t)
	st, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var nodes []*running
	for i := range k {
		r := start(t, cluster.Options{Store: st, DSN: dsn, Listen: fmt.Sprintf("127.0.0.1:%d", 9000+i),
			Heartbeat: beat, LeaseTTL: ttl})
		r.node.SetSources(srcs)
		nodes = append(nodes, r)
	}
	return dsn, st, nodes
}

// eventually waits up to limit for cond and returns how long it took.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func leaders(nodes []*running) []int {
	var out []int
	for i, r := range nodes {
		if r.node.IsLeader() {
			out = append(out, i)
		}
	}
	return out
}

// holders maps each source to the nodes that say they hold it.
func holders(nodes []*running, srcs map[string]string) map[string][]int {
	out := map[string][]int{}
	for s := range srcs {
		for i, r := range nodes {
			if r.node.Holds(s) {
				out[s] = append(out[s], i)
			}
		}
	}
	return out
}

func allHeldOnce(nodes []*running, srcs map[string]string) bool {
	h := holders(nodes, srcs)
	for s := range srcs {
		if len(h[s]) != 1 {
			return false
		}
	}
	return true
}

// hostsHeld lists the hosts r holds a source of, and fails the test when
// it holds some but not all of a host's sources: the lease is the host's.
func hostsHeld(t *testing.T, r *running, srcs map[string]string) []string {
	t.Helper()
	held := map[string]int{}
	per := map[string]int{}
	for s, h := range srcs {
		per[h]++
		if r.node.Holds(s) {
			held[h]++
		}
	}
	for h, n := range held {
		if n != per[h] {
			t.Errorf("a node holds %d of host %s's %d sources: a host's sources go together", n, h, per[h])
		}
	}
	return slices.Sorted(maps.Keys(held))
}

// eightOnSix are eight sources on six hosts (a port makes a host of its
// own).
var eightOnSix = map[string]string{"a": "a.example", "b": "b.example", "c": "c.example", "d": "d.example",
	"a2": "a.example", "b2": "b.example:8080", "c2": "c.example", "e": "e.example"}

func TestOneLeaderFailsOverWhenItStops(t *testing.T) {
	srcs := eightOnSix
	_, st, nodes := pgNodes(t, 3, srcs)
	eventually(t, 5*ttl, "one leader, every source held once", func() bool {
		return len(leaders(nodes)) == 1 && allHeldOnce(nodes, srcs)
	})
	for i, r := range nodes {
		if hosts := hostsHeld(t, r, srcs); len(hosts) > 2 { // ceil(6 hosts / 3)
			t.Errorf("node %d holds hosts %v, more than its share (the share counts hosts)", i, hosts)
		}
	}
	ins, err := st.Instances(context.Background())
	if err != nil || len(ins) != 3 {
		t.Fatalf("Instances = %v, %v", ins, err)
	}
	old := leaders(nodes)[0]
	for _, in := range ins {
		if (in.ID == nodes[old].node.ID()) != !in.LeaderSince.IsZero() {
			t.Errorf("instance %s: LeaderSince %v, leader is %s", in.ID, in.LeaderSince, nodes[old].node.ID())
		}
	}

	// A clean stop gives leadership and leases back at once.
	nodes[old].halt(t)
	rest := slices.Delete(slices.Clone(nodes), old, old+1)
	took := eventually(t, ttl, "a new leader after a clean stop", func() bool { return len(leaders(rest)) == 1 })
	t.Logf("failover after a clean stop: new leader in %s (heartbeat %s, TTL %s)", took, beat, ttl)
	took = eventually(t, ttl+2*beat, "the stopped node's sources taken over", func() bool { return allHeldOnce(rest, srcs) })
	t.Logf("failover after a clean stop: every source held again in %s", took)
	for _, r := range rest {
		hostsHeld(t, r, srcs)
	}
	if ins, _ := st.Instances(context.Background()); len(ins) != 2 {
		t.Errorf("after a clean stop %d instances recorded, want 2", len(ins))
	}
}

// TestFailoverWhenLeaderSessionDies: the leader's database session is
// killed and its process goes silent (no heartbeat, no renewal), as when
// it is killed with SIGKILL: another instance leads within a heartbeat of
// the session's end and takes its sources once their leases run out.
func TestFailoverWhenLeaderSessionDies(t *testing.T) {
	srcs := eightOnSix
	dsn, _, nodes := pgNodes(t, 3, srcs)
	eventually(t, 5*ttl, "one leader, every source held once", func() bool {
		return len(leaders(nodes)) == 1 && allHeldOnce(nodes, srcs)
	})
	old := leaders(nodes)[0]
	owned := hostsHeld(t, nodes[old], srcs)
	// Freeze the leader: its loop stops (no clean stop: leases and row
	// stay), then its session is cut from the server side.
	nodes[old].node.Abandon()
	nodes[old].halt(t)
	admin, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	killed := time.Now()
	tag, err := admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2
			AND objid = (hashtext(current_schema())::bigint & 4294967295)::oid`, 0x7975_6c64)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("terminating the leader's session: %v, %d rows", err, tag.RowsAffected())
	}
	rest := slices.Delete(slices.Clone(nodes), old, old+1)
	eventually(t, ttl, "a new leader after the session died", func() bool { return len(leaders(rest)) == 1 })
	t.Logf("failover after the leader's session died: new leader in %s (heartbeat %s, TTL %s)", time.Since(killed), beat, ttl)
	eventually(t, ttl+4*beat, "the dead leader's sources taken over", func() bool { return allHeldOnce(rest, srcs) })
	t.Logf("failover after the leader's session died: its %d hosts held again in %s", len(owned), time.Since(killed))
	for _, r := range rest {
		hostsHeld(t, r, srcs)
	}
}

func TestLeadRunsOnlyWhileLeading(t *testing.T) {
	_, _, nodes := pgNodes(t, 2, map[string]string{"a": "a.example"})
	var mu sync.Mutex
	running := map[int]bool{}
	ran := map[int]int{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, r := range nodes {
		wg.Go(func() {
			r.node.Lead(ctx, func(lctx context.Context) {
				mu.Lock()
				running[i] = true
				ran[i]++
				mu.Unlock()
				<-lctx.Done()
				mu.Lock()
				running[i] = false
				mu.Unlock()
			})
		})
	}
	both := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, on := range running {
			if on {
				n++
			}
		}
		return n, len(ran)
	}
	eventually(t, 5*ttl, "one duty running", func() bool { n, _ := both(); return n == 1 })
	old := leaders(nodes)[0]
	nodes[old].halt(t)
	eventually(t, 2*ttl, "the duty moved to the other node", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return running[1-old] && !running[old]
	})
	cancel()
	wg.Wait()
	if n, _ := both(); n != 0 {
		t.Errorf("%d duties still running after ctx ended", n)
	}
}

func TestSingleInstanceAlwaysLeadsAndHoldsAll(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := start(t, cluster.Options{Store: st, Listen: "127.0.0.1:8080", Heartbeat: beat, LeaseTTL: ttl})
	r.node.SetSources(map[string]string{"a": "a.example", "b": "b.example"})
	if !r.node.IsLeader() || !r.node.Holds("a") || !r.node.Holds("anything") {
		t.Error("a single instance must lead and crawl every source")
	}
	ins, err := st.Instances(context.Background())
	if err != nil || len(ins) != 1 || ins[0].LeaderSince.IsZero() || ins[0].Listen != "127.0.0.1:8080" {
		t.Errorf("Instances = %+v, %v", ins, err)
	}
	if ls, err := st.Leases(context.Background()); err != nil || len(ls) != 0 {
		t.Errorf("a single instance took leases: %+v, %v", ls, err)
	}
}

// TestBusyHostsAreNotGivenBack: when an instance joins and the share
// shrinks, a host one of whose sources is being crawled stays with its
// crawler; idle hosts move, with all their sources.
func TestBusyHostsAreNotGivenBack(t *testing.T) {
	srcs := map[string]string{"a1": "a.example", "a2": "a.example", "b": "b.example",
		"c1": "c.example", "c2": "c.example", "d": "d.example"}
	dsn, st, nodes := pgNodes(t, 1, srcs)
	a := nodes[0]
	var mu sync.Mutex
	busy := map[string]bool{"a1": true, "b": true, "c2": true, "d": true}
	a.node.SetBusy(func(s string) bool { mu.Lock(); defer mu.Unlock(); return busy[s] })
	eventually(t, 5*ttl, "the lone node holds every source", func() bool { return allHeldOnce(nodes, srcs) })
	b := start(t, cluster.Options{Store: st, DSN: dsn, Heartbeat: beat, LeaseTTL: ttl})
	b.node.SetSources(srcs)
	time.Sleep(6 * beat)
	for s := range srcs {
		if !a.node.Holds(s) || b.node.Holds(s) {
			t.Errorf("%s moved while a source of its host was being crawled", s)
		}
	}
	mu.Lock()
	busy["c2"], busy["d"] = false, false // hosts c and d idle; a busy by a1 alone
	mu.Unlock()
	eventually(t, 5*ttl, "the idle hosts moved", func() bool {
		return a.node.Holds("a1") && a.node.Holds("a2") && a.node.Holds("b") &&
			b.node.Holds("c1") && b.node.Holds("c2") && b.node.Holds("d") && allHeldOnce([]*running{a, b}, srcs)
	})
	if got := hostsHeld(t, a, srcs); !slices.Equal(got, []string{"a.example", "b.example"}) {
		t.Errorf("the first node holds %v", got)
	}
	if got := hostsHeld(t, b, srcs); !slices.Equal(got, []string{"c.example", "d.example"}) {
		t.Errorf("the joining node holds %v", got)
	}
}

// TestBorrow: a yuqing crawl -store run takes a host's lease beside the
// nodes: refused, naming the holding instance, while a node holds it;
// taken when free, and then no node takes it until it is given back;
// its context ends when the lease is lost.
func TestBorrow(t *testing.T) {
	srcs := map[string]string{"a": "a.example", "b": "b.example"}
	dsn, st, nodes := pgNodes(t, 1, srcs)
	n := nodes[0]
	eventually(t, 5*ttl, "the node holds both hosts", func() bool { return allHeldOnce(nodes, srcs) })
	ctx := context.Background()
	_, _, err := cluster.Borrow(ctx, st, "a.example", ttl)
	var held *cluster.LeaseHeldError
	if !errors.As(err, &held) || held.Instance == nil || held.Instance.ID != n.node.ID() || held.Lease.Holder != n.node.ID() {
		t.Fatalf("borrowing a host the node holds: %v (%+v)", err, held)
	}

	// A host no node has yet (a source being added): borrowed; the node
	// configured with it meanwhile leaves it alone until it is given back.
	lctx, release, err := cluster.Borrow(ctx, st, "c.example", ttl)
	if err != nil {
		t.Fatal(err)
	}
	n.node.SetSources(map[string]string{"a": "a.example", "b": "b.example", "c": "c.example"})
	time.Sleep(2 * ttl) // the borrowed lease is renewed past its TTL
	if n.node.Holds("c") || lctx.Err() != nil {
		t.Errorf("while borrowed: node holds c %v, borrow's context %v", n.node.Holds("c"), lctx.Err())
	}
	if _, _, err := cluster.Borrow(ctx, st, "c.example", ttl); !errors.As(err, &held) || held.Instance != nil ||
		!strings.HasPrefix(held.Lease.Holder, "yuqing-crawl@") {
		t.Errorf("borrowing a borrowed host: %v", err)
	}
	release()
	eventually(t, 4*beat, "the node takes the given-back host", func() bool { return n.node.Holds("c") })

	// The lease is lost (here: its row is taken from under it): the
	// borrow's context ends with the reason.
	lctx, release, err = cluster.Borrow(ctx, st, "d.example", ttl)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `UPDATE host_leases SET holder = 'someone' WHERE host = 'd.example'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, ttl, "the borrow's context ends", func() bool { return lctx.Err() != nil })
	if cause := context.Cause(lctx); cause == nil || !strings.Contains(cause.Error(), "续租失败") {
		t.Errorf("cause %v", cause)
	}
}
