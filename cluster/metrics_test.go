package cluster_test

import (
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/cluster"
)

type flag struct{ atomic.Bool }

func (f *flag) IsLeader() bool { return f.Load() }

func TestLeaderOnlyCollectsWhileLeading(t *testing.T) {
	reg := prometheus.NewRegistry()
	var leading flag
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "yuqing_incidents_open", Help: "h"})
	g.Set(3)
	cluster.LeaderOnly(reg, &leading).MustRegister(g)
	if n, err := testutil.GatherAndCount(reg, "yuqing_incidents_open"); err != nil || n != 0 {
		t.Errorf("not leading: %d series, %v", n, err)
	}
	leading.Store(true)
	if n, err := testutil.GatherAndCount(reg, "yuqing_incidents_open"); err != nil || n != 1 {
		t.Errorf("leading: %d series, %v", n, err)
	}
	if !cluster.LeaderOnly(reg, &leading).Unregister(g) {
		t.Error("Unregister failed")
	}
}
