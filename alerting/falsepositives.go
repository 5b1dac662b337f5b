package alerting

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/store"
)

// FalsePositiveSource is what the false-positive exporter reads at scrape time.
type FalsePositiveSource interface {
	RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error)
}

// FalsePositiveExporter exports false positives (误报) per rule (bounded by the
// rule set). Overdue stages of open incidents are counted by Exporter, from
// the open incidents it reads anyway.
type FalsePositiveExporter struct {
	src     FalsePositiveSource
	timeout time.Duration
	log     *slog.Logger

	falsePos, scrapeErr *prometheus.Desc

	mu   sync.Mutex
	last []store.RuleFalsePositives // last good read, served while the store fails
}

// NewFalsePositiveExporter creates the exporter and registers it on reg.
func NewFalsePositiveExporter(reg prometheus.Registerer, src FalsePositiveSource, logger *slog.Logger) (*FalsePositiveExporter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &FalsePositiveExporter{src: src, timeout: 5 * time.Second, log: logger,
		// A gauge, not a counter: reopening an incident closed as 误报 takes
		// it back, and a counter that goes down reads as a reset.
		falsePos: prometheus.NewDesc("yuqing_rule_false_positives",
			"Incidents closed as false positives (误报) that the rule fired on (a reopened one is taken back).",
			[]string{"rule"}, nil),
		scrapeErr: prometheus.NewDesc("yuqing_workflow_scrape_error",
			"1 if reading rule false positives from the store failed during this scrape (the last good read is served).", nil, nil),
	}
	if err := reg.Register(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Describe implements prometheus.Collector.
func (e *FalsePositiveExporter) Describe(ch chan<- *prometheus.Desc) {
	ch <- e.falsePos
	ch <- e.scrapeErr
}

// Collect implements prometheus.Collector.
func (e *FalsePositiveExporter) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	failed := 0.0
	fps, err := e.src.RuleFalsePositives(ctx)
	e.mu.Lock()
	if err != nil {
		// Series that vanish for one failed read would resolve the
		// false-positive alert and fire it again: serve the last good read.
		failed = 1
		fps = e.last
		e.log.Error("读取规则误报统计失败，沿用上一次的统计", "err", err)
	} else {
		e.last = fps
	}
	e.mu.Unlock()
	for _, fp := range fps {
		ch <- prometheus.MustNewConstMetric(e.falsePos, prometheus.GaugeValue, float64(fp.Count), fp.Rule)
	}
	ch <- prometheus.MustNewConstMetric(e.scrapeErr, prometheus.GaugeValue, failed)
}
