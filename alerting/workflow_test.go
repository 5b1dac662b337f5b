package alerting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/store"
)

type fakeWorkflowSource struct {
	incs   []store.Incident
	fps    []store.RuleFalsePositives
	incErr error
}

func (f fakeWorkflowSource) OpenIncidents(context.Context) ([]store.Incident, error) {
	return f.incs, f.incErr
}
func (f fakeWorkflowSource) RuleFalsePositives(context.Context) ([]store.RuleFalsePositives, error) {
	return f.fps, nil
}

func TestWorkflowExporterCountsOverdueStagesAndFalsePositives(t *testing.T) {
	now := t0.Add(10 * 24 * time.Hour)
	incs := append(incidents(), store.Incident{Number: "YQ-20261123-0004", Level: 3, Status: store.StatusAcknowledged,
		FirstSeenAt: t0, FollowUpDueAt: t0.Add(24 * time.Hour), FollowedUpAt: t0.Add(time.Hour),
		InvestigateDueAt: t0.Add(9 * 24 * time.Hour), InvestigatedAt: t0.Add(8 * 24 * time.Hour),
		FeedbackDueAt: t0.Add(9*24*time.Hour + time.Hour)})
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewWorkflowExporter(reg, fakeWorkflowSource{incs: incs, fps: []store.RuleFalsePositives{{Rule: "fraud", Count: 2}}},
		func() time.Time { return now }, nil); err != nil {
		t.Fatal(err)
	}
	// Fixture: 0001 (Ⅱ) misses ack and follow-up; 0002 (Ⅳ) misses follow-up;
	// 0003 followed up in time; 0004 (Ⅲ) investigated in time, misses feedback.
	want := `
# HELP yuqing_rule_false_positives Incidents closed as false positives (误报) that the rule fired on (a reopened one is taken back).
# TYPE yuqing_rule_false_positives gauge
yuqing_rule_false_positives{rule="fraud"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "yuqing_rule_false_positives"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	n := 0
	for _, mf := range mfs {
		if mf.GetName() != "yuqing_incident_stages_overdue" {
			continue
		}
		for _, m := range mf.GetMetric() {
			n++
			var stage, level string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "stage":
					stage = l.GetValue()
				case "level":
					level = l.GetValue()
				}
			}
			if v := m.GetGauge().GetValue(); v != 0 {
				got[stage+"/"+level] = v
			}
		}
	}
	if n != 16 {
		t.Errorf("%d overdue series, want 16 (4 stages × 4 levels)", n)
	}
	wantOver := map[string]float64{"ack/2": 1, "followup/2": 1, "followup/4": 1, "feedback/3": 1}
	if len(got) != len(wantOver) {
		t.Errorf("overdue counts %v, want %v", got, wantOver)
	}
	for k, v := range wantOver {
		if got[k] != v {
			t.Errorf("overdue %s = %v, want %v", k, got[k], v)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestWorkflowExporterReportsStoreFailure(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewWorkflowExporter(reg, fakeWorkflowSource{incErr: errors.New("disk I/O error")}, nil, nil); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP yuqing_workflow_scrape_error 1 if reading workflow state from the store failed during this scrape.
# TYPE yuqing_workflow_scrape_error gauge
yuqing_workflow_scrape_error 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "yuqing_workflow_scrape_error", "yuqing_incident_stages_overdue"); err != nil {
		t.Error(err)
	}
}

func TestExporterExportsWorkingDayStageDeadlines(t *testing.T) {
	inv := store.Incident{Number: "YQ-20261123-0005", Title: "t", Category: "policy", Level: 4, Status: store.StatusAssigned,
		FirstSeenAt: t0, FollowUpDueAt: t0.Add(24 * time.Hour), FollowedUpAt: t0.Add(time.Hour),
		InvestigateDueAt: t0.Add(9 * 24 * time.Hour)}
	fb := store.Incident{Number: "YQ-20261123-0006", Title: "t", Category: "policy", Level: 4, Status: store.StatusFollowedUp,
		FirstSeenAt: t0, FollowUpDueAt: t0.Add(24 * time.Hour), FollowedUpAt: t0.Add(time.Hour),
		InvestigateDueAt: t0.Add(9 * 24 * time.Hour), InvestigatedAt: t0.Add(48 * time.Hour),
		FeedbackDueAt: t0.Add(5 * 24 * time.Hour)}
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewExporter(reg, fakeSource{incs: []store.Incident{inv, fb}}, Options{ConsoleURL: "http://x"}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`
# HELP yuqing_incident_deadline_timestamp_seconds Deadline of a pending stage of an open incident (ack: emergency acknowledgement, followup: first follow-up reply, investigate: investigation in working days, feedback: reply to the public in working days).
# TYPE yuqing_incident_deadline_timestamp_seconds gauge
yuqing_incident_deadline_timestamp_seconds{number="YQ-20261123-0005",stage="investigate"} %d
yuqing_incident_deadline_timestamp_seconds{number="YQ-20261123-0006",stage="feedback"} %d
`, inv.InvestigateDueAt.Unix(), fb.FeedbackDueAt.Unix())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "yuqing_incident_deadline_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}
