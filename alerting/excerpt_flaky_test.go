package alerting

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// failingDetails fails the detail reads of an incident while failures[number]
// is above zero (counting it down), or always while down is set.
type failingDetails struct {
	incs     []model.Incident
	failures map[string]int
	down     bool
}

func (f *failingDetails) OpenIncidents(context.Context) ([]model.Incident, error) { return f.incs, nil }

func (f *failingDetails) IncidentDetail(_ context.Context, number string) (store.IncidentDetail, error) {
	if f.down {
		return store.IncidentDetail{}, errors.New("database is locked")
	}
	if f.failures[number] > 0 {
		f.failures[number]--
		return store.IncidentDetail{}, errors.New("database is locked")
	}
	return store.IncidentDetail{Posts: []store.IncidentPost{{Post: model.Post{Body: "首帖：" + number}}}}, nil
}

// scrapeInfo returns, per incident number, the excerpt label of its info
// series, and how many deadline series and open incidents were exported.
func scrapeInfo(t *testing.T, reg *prometheus.Registry) (excerpts map[string]string, deadlines, open int) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	excerpts = map[string]string{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "yuqing_incident_info":
				excerpts[label(m, "number")] = label(m, "excerpt")
			case "yuqing_incident_deadline_timestamp_seconds":
				deadlines++
			case "yuqing_incidents_open":
				open += int(m.GetGauge().GetValue())
			}
		}
	}
	return excerpts, deadlines, open
}

// The label set of an exported incident never changes, whatever the store
// does: a change would make Alertmanager resolve the alert and fire it again.
func TestExporterExcerptLabelNeverFlips(t *testing.T) {
	const (
		transient = "YQ-20261123-0001" // first read fails once
		broken    = "YQ-20261123-0002" // first post can never be read
		healthy   = "YQ-20261123-0003"
	)
	src := &failingDetails{incs: incidents(), failures: map[string]int{transient: 1, broken: 1 << 30}}
	reg := prometheus.NewRegistry()
	if _, err := NewExporter(reg, src, Options{ConsoleURL: "http://x"}); err != nil {
		t.Fatal(err)
	}
	seen := map[string][]string{} // distinct excerpt labels exported per incident
	var absent []string
	for scrape := 1; scrape <= 8; scrape++ {
		if scrape == 5 {
			src.down = true // every read fails from now on
		}
		if scrape == 7 {
			src.down, src.failures[broken] = false, 0 // the store recovers
		}
		got, deadlines, open := scrapeInfo(t, reg)
		if open != 3 || deadlines != 3 {
			t.Errorf("scrape %d: %d open incidents, %d deadline series; want 3 and 3 whatever the excerpts do", scrape, open, deadlines)
		}
		for _, n := range []string{transient, broken, healthy} {
			ex, ok := got[n]
			if !ok {
				absent = append(absent, fmt.Sprintf("%d:%s", scrape, n))
				continue
			}
			if l := seen[n]; len(l) == 0 || l[len(l)-1] != ex {
				seen[n] = append(seen[n], ex)
			}
		}
	}
	want := map[string][]string{transient: {"首帖：" + transient}, broken: {""}, healthy: {"首帖：" + healthy}}
	for n, w := range want {
		if fmt.Sprint(seen[n]) != fmt.Sprint(w) {
			t.Errorf("%s exported with excerpts %q, want only %q", n, seen[n], w)
		}
	}
	// The transient failure delays its incident by one scrape; the broken
	// one waits excerptMaxFailures-1 scrapes, then goes out without excerpt.
	if fmt.Sprint(absent) != fmt.Sprint([]string{"1:" + transient, "1:" + broken, "2:" + broken}) {
		t.Errorf("info series missing at %v", absent)
	}
}
