package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// RunCluster runs the contract for instances and host leases. open must
// return a new, empty store each call.
func RunCluster(t *testing.T, open func(t *testing.T) store.ClusterStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.ClusterStore)
	}{
		{"Instances", testInstances},
		{"Leases", testLeases},
		{"LeasesConcurrent", testLeasesConcurrent},
		{"ReloadGeneration", testReloadGeneration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func testInstances(t *testing.T, s store.ClusterStore) {
	ctx := context.Background()
	a := model.Instance{ID: "a1", Host: "web1", PID: 100, Version: "v1", Listen: "127.0.0.1:8080", StartedAt: t0, HeartbeatAt: t0}
	b := model.Instance{ID: "b2", Host: "web2", PID: 200, Version: "v1", Listen: "127.0.0.1:8081",
		StartedAt: t0.Add(time.Second), HeartbeatAt: t0.Add(time.Second)}
	for _, in := range []model.Instance{b, a} {
		if err := s.SaveInstance(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Heartbeat(ctx, "a1", t0.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Heartbeat(ctx, "gone", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("heartbeat of an unknown instance: %v, want ErrNotFound", err)
	}
	if err := s.SetLeader(ctx, "a1", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLeader(ctx, "b2", t0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Instances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Instance{a, b}
	want[0].HeartbeatAt = t0.Add(5 * time.Second)
	want[1].LeaderSince = t0.Add(3 * time.Second) // a1 leads no more
	if len(got) != 2 {
		t.Fatalf("Instances = %+v, want 2", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Host != w.Host || g.PID != w.PID || g.Version != w.Version || g.Listen != w.Listen ||
			!g.StartedAt.Equal(w.StartedAt) || !g.HeartbeatAt.Equal(w.HeartbeatAt) || !g.LeaderSince.Equal(w.LeaderSince) {
			t.Errorf("Instances[%d] = %+v, want %+v", i, g, w)
		}
	}
	if err := s.ClearLeader(ctx, "b2"); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteStaleInstances(ctx, t0.Add(3*time.Second))
	if err != nil || n != 1 {
		t.Errorf("DeleteStaleInstances = %d, %v; want b2 gone", n, err)
	}
	if err := s.DeleteInstance(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Instances(ctx); err != nil || len(got) != 0 {
		t.Errorf("after deleting both: %+v, %v", got, err)
	}
}

// heldHosts is the hosts of leases, sorted.
func heldHosts(ls []model.HostLease) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Host)
	}
	slices.Sort(out)
	return out
}

func testLeases(t *testing.T, s store.ClusterStore) {
	ctx := context.Background()
	ttl := 30 * time.Second
	all := []string{"a", "b", "c"}
	claimGiving := func(holder string, max int, at time.Time, release []string, hosts ...string) []string {
		t.Helper()
		if hosts == nil {
			hosts = all
		}
		got, err := s.ClaimLeases(ctx, store.LeaseClaim{Holder: holder, Hosts: hosts, Release: release, Max: max, Now: at, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range got {
			if l.Holder != holder || !l.ExpiresAt.Equal(at.Add(ttl)) {
				t.Errorf("%s's lease %+v: want expiry %v", holder, l, at.Add(ttl))
			}
		}
		return heldHosts(got)
	}
	claim := func(holder string, max int, at time.Time, hosts ...string) []string {
		t.Helper()
		return claimGiving(holder, max, at, nil, hosts...)
	}
	if got := claim("A", 2, t0); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("A first = %v", got)
	}
	if got := claim("B", 2, t0); !slices.Equal(got, []string{"c"}) {
		t.Errorf("B while A holds a, b = %v", got)
	}
	// Renewal keeps what is held, even beyond Max (a host being
	// crawled stays); what the holder names is given back.
	if got := claim("A", 1, t0.Add(10*time.Second)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("A renewing = %v", got)
	}
	if got := claimGiving("A", 1, t0.Add(20*time.Second), []string{"b"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("A with a share of 1 = %v", got)
	}
	if got := claim("B", 2, t0.Add(20*time.Second)); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("B after A gave b back = %v", got)
	}
	leases, err := s.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]string{}
	for _, l := range leases {
		holders[l.Host] = l.Holder
	}
	if fmt.Sprint(holders) != "map[a:A b:B c:B]" {
		t.Errorf("Leases = %+v", leases)
	}
	// A stops renewing: its lease (renewed at +20s) expires and C takes
	// it over; B's, renewed at +40s, still hold at +55s.
	if got := claim("B", 2, t0.Add(40*time.Second)); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("B renewing = %v", got)
	}
	if got := claim("C", 3, t0.Add(55*time.Second)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("C after A's lease expired = %v", got)
	}
	// A host no longer configured is given up.
	if got := claim("B", 3, t0.Add(56*time.Second), "b"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("B with only b configured = %v", got)
	}
	if got := claim("D", 3, t0.Add(56*time.Second)); !slices.Equal(got, []string{"c"}) {
		t.Errorf("D after B gave c up = %v", got)
	}
	// A clean stop releases at once.
	if err := s.ReleaseLeases(ctx, "C"); err != nil {
		t.Fatal(err)
	}
	if got := claim("D", 3, t0.Add(57*time.Second)); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("D after C released = %v", got)
	}
	leases, err = s.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases {
		if l.Host == "a" && (!l.AcquiredAt.Equal(t0.Add(57*time.Second)) || !l.Held(t0.Add(57*time.Second))) {
			t.Errorf("lease a = %+v", l)
		}
	}
}

// testLeasesConcurrent: instances claiming at the same moment never hold
// one host twice, and together hold every host.
func testLeasesConcurrent(t *testing.T, s store.ClusterStore) {
	ctx := context.Background()
	var hosts []string
	for i := range 12 {
		hosts = append(hosts, fmt.Sprintf("s%02d", i))
	}
	const holders = 4
	for round := range 3 {
		at := t0.Add(time.Duration(round) * time.Second)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			held = map[string][]string{}
		)
		for h := range holders {
			wg.Go(func() {
				holder := fmt.Sprintf("h%d", h)
				got, err := s.ClaimLeases(ctx, store.LeaseClaim{Holder: holder, Hosts: hosts, Max: len(hosts) / holders, Now: at, TTL: time.Minute})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, l := range got {
					held[l.Host] = append(held[l.Host], holder)
				}
			})
		}
		wg.Wait()
		for h, hs := range held {
			if len(hs) != 1 {
				t.Errorf("round %d: %s held by %v", round, h, hs)
			}
		}
		if round > 0 && len(held) != len(hosts) {
			// The first round may leave some free (a claimer skips rows
			// another has locked); by the next every share is full.
			t.Errorf("round %d: %d of %d hosts held", round, len(held), len(hosts))
		}
	}
}

// testReloadGeneration: no generation before any request; each request
// moves it by one, also when several instances request at once.
func testReloadGeneration(t *testing.T, s store.ClusterStore) {
	ctx := context.Background()
	if gen, err := s.ReloadGeneration(ctx); err != nil || gen != 0 {
		t.Fatalf("before any request: %d, %v", gen, err)
	}
	if gen, err := s.RequestReload(ctx); err != nil || gen != 1 {
		t.Fatalf("first request: %d, %v", gen, err)
	}
	var wg sync.WaitGroup
	seen := make(chan int64, 10)
	for range 10 {
		wg.Go(func() {
			gen, err := s.RequestReload(ctx)
			if err != nil {
				t.Error(err)
			}
			seen <- gen
		})
	}
	wg.Wait()
	close(seen)
	got := map[int64]bool{}
	for g := range seen {
		got[g] = true
	}
	if len(got) != 10 {
		t.Errorf("10 parallel requests got %d distinct generations", len(got))
	}
	if gen, err := s.ReloadGeneration(ctx); err != nil || gen != 11 {
		t.Errorf("after 11 requests: %d, %v", gen, err)
	}
}
