package cluster

import "github.com/prometheus/client_golang/prometheus"

// LeaderOnly returns a Registerer that registers collectors on reg so
// that they are collected only while l leads: series that describe the
// whole database (each open incident's alert series) then come from one
// instance, and the others do not even read them.
func LeaderOnly(reg prometheus.Registerer, l Leader) prometheus.Registerer {
	return leaderRegisterer{reg: reg, l: l}
}

type leaderRegisterer struct {
	reg prometheus.Registerer
	l   Leader
}

func (r leaderRegisterer) Register(c prometheus.Collector) error {
	return r.reg.Register(leaderCollector{Collector: c, l: r.l})
}

func (r leaderRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r leaderRegisterer) Unregister(c prometheus.Collector) bool {
	return r.reg.Unregister(leaderCollector{Collector: c, l: r.l})
}

// leaderCollector describes what c describes but collects it only while
// l leads.
type leaderCollector struct {
	prometheus.Collector
	l Leader
}

func (c leaderCollector) Collect(ch chan<- prometheus.Metric) {
	if c.l.IsLeader() {
		c.Collector.Collect(ch)
	}
}
