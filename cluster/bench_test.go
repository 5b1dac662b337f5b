package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// BenchmarkFailover measures, with a 50 ms heartbeat and 400 ms lease TTL,
// how long the cluster is without a leader and how long a dead instance's
// hosts go uncrawled: after a clean stop (leadership and leases given
// back), and after the leader's session is cut while its process is
// silent (as after SIGKILL: leases run out). Reported per failover:
// lead-ms (to a new leader) and sources-ms (to every source held again).
func BenchmarkFailover(b *testing.B) {
	for _, mode := range []string{"stop", "kill"} {
		b.Run(mode, func(b *testing.B) {
			var lead, sources time.Duration
			for range b.N {
				l, s := failover(b, mode)
				lead += l
				sources += s
			}
			b.ReportMetric(float64(lead.Milliseconds())/float64(b.N), "lead-ms")
			b.ReportMetric(float64(sources.Milliseconds())/float64(b.N), "sources-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func failover(b *testing.B, mode string) (lead, sources time.Duration) {
	b.StopTimer()
	defer b.StartTimer()
	dsn := pgtest.Schema(b)
	st, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srcs := map[string]string{"a": "a.example", "b": "b.example", "c": "c.example", "d": "d.example",
		"e": "e.example", "f": "f.example"}
	var nodes []*cluster.Node
	var stops []context.CancelFunc
	var dones []chan error
	for range 3 {
		n, err := cluster.New(cluster.Options{Store: st, DSN: dsn, Heartbeat: beat, LeaseTTL: ttl})
		if err != nil {
			b.Fatal(err)
		}
		n.SetSources(srcs)
		ctx, cancel := context.WithCancel(context.Background())
		done, started := make(chan error, 1), make(chan struct{})
		go func() { done <- n.Run(ctx, started) }()
		<-started
		nodes, stops, dones = append(nodes, n), append(stops, cancel), append(dones, done)
	}
	defer func() {
		for i := range stops {
			stops[i]()
			<-dones[i]
		}
	}()
	leaderOf := func(ns []*cluster.Node) int {
		k := -1
		for i, n := range ns {
			if n.IsLeader() {
				if k >= 0 {
					return -2
				}
				k = i
			}
		}
		return k
	}
	allHeld := func(ns []*cluster.Node) bool {
		for s := range srcs {
			c := 0
			for _, n := range ns {
				if n.Holds(s) {
					c++
				}
			}
			if c != 1 {
				return false
			}
		}
		return true
	}
	wait := func(cond func() bool) time.Time {
		for limit := time.Now().Add(10 * ttl); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(limit) {
				b.Fatal("no failover within 10 TTLs")
			}
		}
		return time.Now()
	}
	wait(func() bool { return leaderOf(nodes) >= 0 && allHeld(nodes) })
	old := leaderOf(nodes)
	rest := append(append([]*cluster.Node(nil), nodes[:old]...), nodes[old+1:]...)
	start := time.Now()
	if mode == "stop" {
		stops[old]()
		<-dones[old]
		dones[old] <- nil
	} else {
		nodes[old].Abandon()
		stops[old]()
		<-dones[old]
		dones[old] <- nil
		admin, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2
			AND objid = (hashtext(current_schema())::bigint & 4294967295)::oid`, 0x7975_6c64); err != nil {
			b.Fatal(err)
		}
		admin.Close(context.Background())
	}
	led := wait(func() bool { return leaderOf(rest) >= 0 })
	held := wait(func() bool { return allHeld(rest) })
	return led.Sub(start), held.Sub(start)
}
