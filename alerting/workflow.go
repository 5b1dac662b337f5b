package alerting

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// WorkflowSource is what the workflow exporter reads at scrape time.
type WorkflowSource interface {
	OpenIncidents(ctx context.Context) ([]store.Incident, error)
	RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error)
}

// WorkflowExporter exports how the handling workflow is doing: overdue
// stages of open incidents by stage and level (bounded: 4 stages × 4
// levels), and false positives (误报) per rule (bounded by the rule set).
type WorkflowExporter struct {
	src     WorkflowSource
	now     func() time.Time
	timeout time.Duration
	log     *slog.Logger

	overdue, falsePos, scrapeErr *prometheus.Desc
}

// NewWorkflowExporter creates the exporter and registers it on reg; now
// may be nil (time.Now).
func NewWorkflowExporter(reg prometheus.Registerer, src WorkflowSource, now func() time.Time, logger *slog.Logger) (*WorkflowExporter, error) {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &WorkflowExporter{src: src, now: now, timeout: 5 * time.Second, log: logger,
		overdue: prometheus.NewDesc("yuqing_incident_stages_overdue",
			"Open incidents whose stage (ack, followup, investigate, feedback) is past its deadline and not met, by level.",
			[]string{"stage", "level"}, nil),
		// A gauge, not a counter: reopening an incident closed as 误报 takes
		// it back, and a counter that goes down reads as a reset.
		falsePos: prometheus.NewDesc("yuqing_rule_false_positives",
			"Incidents closed as false positives (误报) that the rule fired on (a reopened one is taken back).",
			[]string{"rule"}, nil),
		scrapeErr: prometheus.NewDesc("yuqing_workflow_scrape_error",
			"1 if reading workflow state from the store failed during this scrape.", nil, nil),
	}
	if err := reg.Register(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Describe implements prometheus.Collector.
func (e *WorkflowExporter) Describe(ch chan<- *prometheus.Desc) {
	ch <- e.overdue
	ch <- e.falsePos
	ch <- e.scrapeErr
}

// Stages are the workflow stages with deadlines, as metric label values.
var Stages = []string{"ack", "followup", "investigate", "feedback"}

// Collect implements prometheus.Collector.
func (e *WorkflowExporter) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	failed := 0.0
	incs, err := e.src.OpenIncidents(ctx)
	if err != nil {
		failed = 1
		e.log.Error("读取未办结事件失败，本次不导出逾期环节", "err", err)
	} else {
		counts := map[[2]string]int{}
		for _, st := range Stages {
			for l := taxonomy.LevelI; l <= taxonomy.LevelIV; l++ {
				counts[[2]string{st, strconv.Itoa(l)}] = 0
			}
		}
		now := e.now()
		for _, inc := range incs {
			for _, st := range incident.Overdue(inc, now) {
				counts[[2]string{st.Key, strconv.Itoa(inc.Level)}]++
			}
		}
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(e.overdue, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
	fps, err := e.src.RuleFalsePositives(ctx)
	if err != nil {
		failed = 1
		e.log.Error("读取规则误报统计失败", "err", err)
	}
	for _, fp := range fps {
		ch <- prometheus.MustNewConstMetric(e.falsePos, prometheus.GaugeValue, float64(fp.Count), fp.Rule)
	}
	ch <- prometheus.MustNewConstMetric(e.scrapeErr, prometheus.GaugeValue, failed)
}
