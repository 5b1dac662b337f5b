package alerting

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

type fakeSource struct {
	noDetails
	incs []model.Incident
	err  error
}

// noDetails serves no incident posts: the excerpt label stays empty.
type noDetails struct{}

func (noDetails) IncidentDetail(context.Context, string) (store.IncidentDetail, error) {
	return store.IncidentDetail{}, nil
}

func (f fakeSource) OpenIncidents(context.Context) ([]model.Incident, error) { return f.incs, f.err }

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func incidents() []model.Incident {
	return []model.Incident{
		{Number: "YQ-20261123-0001", Title: "康福医院组织老人挂床住院 联系人13812345678", Category: "institution", Level: 2,
			Status: model.StatusOpen, Source: "lanchuan-bbs", FirstSeenAt: t0,
			AckDueAt: t0.Add(time.Hour), FollowUpDueAt: t0.Add(24 * time.Hour), Suspected: true},
		{Number: "YQ-20261123-0002", Title: "异地就医备案后结算失败", Category: "treatment", Level: 4,
			Status: model.StatusAcknowledged, Source: "gov-board", FirstSeenAt: t0,
			AckedAt: t0.Add(time.Minute), FollowUpDueAt: t0.Add(24 * time.Hour)},
		{Number: "YQ-20261123-0003", Title: "已跟进的事件", Category: "policy", Level: 3,
			Status: model.StatusFollowedUp, Source: "gov-board", FirstSeenAt: t0,
			FollowedUpAt: t0.Add(time.Hour), FollowUpDueAt: t0.Add(24 * time.Hour)},
	}
}

func TestExporterGolden(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	titles := map[string]string{"lanchuan-bbs": "岚川论坛", "gov-board": "市长信箱"}
	if _, err := NewExporter(reg, fakeSource{incs: incidents()}, Options{
		ConsoleURL: "http://127.0.0.1:8080/", SourceTitle: func(n string) string { return titles[n] },
		Now: func() time.Time { return t0.Add(2 * time.Hour) }, // 0001's ack is overdue
	}); err != nil {
		t.Fatal(err)
	}
	got, err := testutil.GatherAndCount(reg)
	if err != nil {
		t.Fatal(err)
	}
	// 3 info + 2 followup + 1 ack deadlines + 16 overdue counts + 24 open
	// counts + 1 scrape error.
	if got != 47 {
		t.Errorf("series = %d, want 47", got)
	}
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		mfs, _ := reg.Gather()
		var b strings.Builder
		for _, mf := range mfs {
			if err := writeText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := testutil.GatherAndCompare(reg, f); err != nil {
		t.Error(err)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %v", probs, err)
	}
}

type flakySource struct {
	noDetails
	incs []model.Incident
	fail bool
}

func (f *flakySource) OpenIncidents(context.Context) ([]model.Incident, error) {
	if f.fail {
		return nil, errors.New("database is locked")
	}
	return f.incs, nil
}

func TestExporterStoreFailureServesLastSnapshot(t *testing.T) {
	reg := prometheus.NewRegistry()
	src := &flakySource{fail: true}
	if _, err := NewExporter(reg, src, Options{ConsoleURL: "http://x"}); err != nil {
		t.Fatal(err)
	}
	const help = `# HELP yuqing_incident_scrape_error 1 if reading open incidents from the store failed during this scrape (the last good read is served).
# TYPE yuqing_incident_scrape_error gauge
`
	// Nothing read yet: only the error flag.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(help+"yuqing_incident_scrape_error 1\n"),
		"yuqing_incident_scrape_error", "yuqing_incident_info", "yuqing_incidents_open"); err != nil {
		t.Error(err)
	}
	src.fail, src.incs = false, incidents()[:1]
	if n, _ := testutil.GatherAndCount(reg, "yuqing_incident_info"); n != 1 {
		t.Fatalf("info series after a good read = %d", n)
	}
	// A failed read keeps the incident (and its alert) alive.
	src.fail = true
	if n, _ := testutil.GatherAndCount(reg, "yuqing_incident_info"); n != 1 {
		t.Errorf("info series during a store failure = %d, want the last snapshot (1)", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(help+"yuqing_incident_scrape_error 1\n"),
		"yuqing_incident_scrape_error"); err != nil {
		t.Error(err)
	}
}

func TestTwoExportersInOneProcess(t *testing.T) {
	for i := 0; i < 2; i++ {
		if _, err := NewExporter(prometheus.NewRegistry(), fakeSource{}, Options{}); err != nil {
			t.Fatalf("exporter %d: %v", i, err)
		}
	}
}

func TestLabelTitleMasksAndTruncates(t *testing.T) {
	got := LabelTitle("电话13812345678" + strings.Repeat("长", 80))
	if strings.Contains(got, "13812345678") || len([]rune(got)) != 60 {
		t.Errorf("LabelTitle = %q (%d runes)", got, len([]rune(got)))
	}
}
