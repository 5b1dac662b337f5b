package storetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// BenchIncidentPages measures listing pages of a store holding many
// incidents (100,000, or YUQING_BENCH_INCIDENTS): the first page of each
// sort, a deep page reached by keyset, and a filtered page, each with its
// total. It reports the p95 of one call as p95-ms (goal: ≤ 100 ms).
// settle, when not nil, runs after seeding: the statistics a database in
// use has (PostgreSQL's autovacuum would have analysed the table).
func BenchIncidentPages(b *testing.B, s store.Store, settle func() error) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("YUQING_BENCH_INCIDENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	seedManyIncidents(b, s, n)
	if settle != nil {
		if err := settle(); err != nil {
			b.Fatal(err)
		}
	}
	deep := store.IncidentFilter{}
	for range 2 { // the position of page 3
		page, err := s.Incidents(ctx, deep)
		if err != nil {
			b.Fatal(err)
		}
		deep.After = page.Next
	}
	for _, c := range []struct {
		name string
		f    store.IncidentFilter
	}{
		{"severity-first", store.IncidentFilter{}},
		{"newest-open-first", store.IncidentFilter{Sort: store.SortNewest, OnlyOpen: true}},
		{"severity-page3", deep},
		{"level-source", store.IncidentFilter{Level: taxonomy.LevelIII, Source: "tieba"}},
		{"overdue", store.IncidentFilter{Overdue: true, Now: t0.Add(90 * 24 * time.Hour)}},
		// The shared list filters (store.ListFilter), a stage and an office
		// (我的科室); n incidents are seeded five minutes apart.
		{"office-open", store.IncidentFilter{Office: "信访科", OnlyOpen: true}},
		{"stage-followup", store.IncidentFilter{Stage: model.ProgressFollowUp}},
		{"stage-closed-newest", store.IncidentFilter{Stage: model.ProgressClosed, Sort: store.SortNewest}},
		{"sources", store.IncidentFilter{ListFilter: store.ListFilter{Sources: []string{"bbs", "12345"}}}},
		{"range-week-newest", store.IncidentFilter{Sort: store.SortNewest, ListFilter: benchDays(n/4, 7)}},
		{"range-week-severity", store.IncidentFilter{ListFilter: benchDays(n/4, 7)}},
		{"range-month-active", store.IncidentFilter{Sort: store.SortActive, ListFilter: benchDays(n/2, 30)}},
		{"office-stage-range", store.IncidentFilter{Office: "信访科", Stage: model.ProgressFollowUp, ListFilter: benchDays(n/4, 30)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			measure(b, func() error {
				page, err := s.Incidents(ctx, c.f)
				if err == nil && (len(page.Incidents) == 0 || page.Total == 0) {
					err = fmt.Errorf("page: %d incidents of %d", len(page.Incidents), page.Total)
				}
				return err
			})
		})
	}
}

// seedManyIncidents stores n incidents over about a year, in batches.
func seedManyIncidents(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	sources := []string{"bbs", "tieba", "news", "12345"}
	const batch = 2000
	for start := 0; start < n; start += batch {
		err := s.InTx(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				inc := newIncident(t0.Add(time.Duration(i) * 5 * time.Minute))
				inc.Level = taxonomy.Levels[i%4]
				inc.Category = taxonomy.Categories[i%len(taxonomy.Categories)]
				inc.Source = sources[(i/4)%len(sources)]
				if i%3 == 0 {
					inc.Status, inc.ClosedAt = model.StatusClosed, inc.FirstSeenAt.Add(time.Hour)
				}
				if i%3 != 0 && i%2 == 0 { // signed for and assigned, waiting for the follow-up
					inc.Status, inc.AckedAt = model.StatusAssigned, inc.FirstSeenAt.Add(time.Minute)
					inc.Office, inc.AssignedAt = benchOffices[i%len(benchOffices)], inc.FirstSeenAt.Add(time.Minute)
				}
				if err := tx.CreateIncident(ctx, &inc); err != nil {
					return err
				}
				if inc.Office != "" {
					if err := tx.UpdateIncident(ctx, inc); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchOffices are the offices seedManyIncidents assigns to.
var benchOffices = []string{"宣传科", "信访科", "基金监管科", "医药服务管理科", "待遇保障科"}

// benchDays is the first-seen range of days days from the seeded
// incident i (five minutes apart).
func benchDays(i, days int) store.ListFilter {
	from := t0.Add(time.Duration(i) * 5 * time.Minute)
	return store.ListFilter{From: from, To: from.AddDate(0, 0, days)}
}
