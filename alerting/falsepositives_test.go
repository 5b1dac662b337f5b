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

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

type fakeFalsePositiveSource struct {
	fps []store.RuleFalsePositives
	err error
}

func (f *fakeFalsePositiveSource) RuleFalsePositives(context.Context) ([]store.RuleFalsePositives, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.fps, nil
}

// countingSource counts reads of open incidents; err fails them.
type countingSource struct {
	noDetails
	incs  []model.Incident
	err   error
	reads int
}

func (c *countingSource) OpenIncidents(context.Context) ([]model.Incident, error) {
	c.reads++
	if c.err != nil {
		return nil, c.err
	}
	return c.incs, nil
}

// overdueCounts gathers yuqing_incident_stages_overdue: the non-zero counts
// by "stage/level", and how many series there are.
func overdueCounts(t *testing.T, reg prometheus.Gatherer) (map[string]float64, int) {
	t.Helper()
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
	return got, n
}

func TestExporterCountsOverdueStages(t *testing.T) {
	now := t0.Add(10 * 24 * time.Hour)
	incs := append(incidents(), model.Incident{Number: "YQ-20261123-0004", Title: "t", Category: "policy", Level: 3,
		Status: model.StatusAcknowledged, FirstSeenAt: t0, FollowUpDueAt: t0.Add(24 * time.Hour), FollowedUpAt: t0.Add(time.Hour),
		InvestigateDueAt: t0.Add(9 * 24 * time.Hour), InvestigatedAt: t0.Add(8 * 24 * time.Hour),
		FeedbackDueAt: t0.Add(9*24*time.Hour + time.Hour)})
	src := &countingSource{incs: incs}
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewExporter(reg, src, Options{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	// Fixture: 0001 (Ⅱ) misses ack and follow-up; 0002 (Ⅳ) misses follow-up;
	// 0003 followed up in time; 0004 (Ⅲ) investigated in time, misses feedback.
	wantOver := map[string]float64{"ack/2": 1, "followup/2": 1, "followup/4": 1, "feedback/3": 1}
	check := func(when string) {
		t.Helper()
		got, n := overdueCounts(t, reg)
		if n != 16 {
			t.Errorf("%s: %d overdue series, want 16 (4 stages × 4 levels)", when, n)
		}
		if len(got) != len(wantOver) {
			t.Errorf("%s: overdue counts %v, want %v", when, got, wantOver)
		}
		for k, v := range wantOver {
			if got[k] != v {
				t.Errorf("%s: overdue %s = %v, want %v", when, k, got[k], v)
			}
		}
	}
	check("good read")
	if src.reads != 1 {
		t.Errorf("one scrape read open incidents %d times, want 1", src.reads)
	}
	// A failed read serves the last good one, overdue counts included.
	src.err = errors.New("disk I/O error")
	check("failed read")
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// Before any good read there are no overdue series: no false zeros.
func TestExporterNoOverdueBeforeFirstRead(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewExporter(reg, &countingSource{err: errors.New("disk I/O error")}, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, n := overdueCounts(t, reg); n != 0 {
		t.Errorf("%d overdue series before the first good read, want none", n)
	}
}

func TestFalsePositiveExporterServesLastGoodRead(t *testing.T) {
	src := &fakeFalsePositiveSource{fps: []store.RuleFalsePositives{{Rule: "fraud", Count: 2}}}
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewFalsePositiveExporter(reg, src, nil); err != nil {
		t.Fatal(err)
	}
	want := func(failed int) string {
		return fmt.Sprintf(`
# HELP yuqing_rule_false_positives Incidents closed as false positives (误报) that the rule fired on (a reopened one is taken back).
# TYPE yuqing_rule_false_positives gauge
yuqing_rule_false_positives{rule="fraud"} 2
# HELP yuqing_workflow_scrape_error 1 if reading rule false positives from the store failed during this scrape (the last good read is served).
# TYPE yuqing_workflow_scrape_error gauge
yuqing_workflow_scrape_error %d
`, failed)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(0))); err != nil {
		t.Error(err)
	}
	src.err = errors.New("disk I/O error")
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(1))); err != nil {
		t.Errorf("failed read: %v", err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestExporterExportsWorkingDayStageDeadlines(t *testing.T) {
	inv := model.Incident{Number: "YQ-20261123-0005", Title: "t", Category: "policy", Level: 4, Status: model.StatusAssigned,
		FirstSeenAt: t0, FollowUpDueAt: t0.Add(24 * time.Hour), FollowedUpAt: t0.Add(time.Hour),
		InvestigateDueAt: t0.Add(9 * 24 * time.Hour)}
	fb := model.Incident{Number: "YQ-20261123-0006", Title: "t", Category: "policy", Level: 4, Status: model.StatusFollowedUp,
		FirstSeenAt: t0, FollowUpDueAt: t0.Add(24 * time.Hour), FollowedUpAt: t0.Add(time.Hour),
		InvestigateDueAt: t0.Add(9 * 24 * time.Hour), InvestigatedAt: t0.Add(48 * time.Hour),
		FeedbackDueAt: t0.Add(5 * 24 * time.Hour)}
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewExporter(reg, fakeSource{incs: []model.Incident{inv, fb}}, Options{ConsoleURL: "http://x"}); err != nil {
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
