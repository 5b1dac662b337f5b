package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// RunReports runs the contract for stored reports and their deliveries.
// open must return a new, empty store each call.
func RunReports(t *testing.T, open func(t *testing.T) store.ReportStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.ReportStore)
	}{
		{"SaveAndReopen", testSaveReport},
		{"ClaimOnce", testClaimReportOnce},
		{"ClaimTakesOver", testClaimTakesOver},
		{"ListNewestFirst", testReportList},
		{"Deliveries", testReportDeliveries},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

var reportDay = time.Date(2026, 11, 23, 0, 0, 0, 0, t0.Location())

func testSaveReport(t *testing.T, s store.ReportStore) {
	ctx := context.Background()
	body := []byte(`{"Kind":"daily","Title":"医保舆情日报（2026年11月23日）","Summary":["今日共监测到……"]}`)
	r := store.StoredReport{Kind: "daily", PeriodStart: reportDay, Title: "医保舆情日报（2026年11月23日）",
		BuiltAt: t0, Body: body}
	if err := s.SaveReport(ctx, &r); err != nil || r.ID == 0 {
		t.Fatalf("SaveReport: id %d, %v", r.ID, err)
	}
	got, err := s.Report(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "daily" || !got.PeriodStart.Equal(reportDay) || got.Title != r.Title || !got.BuiltAt.Equal(t0) ||
		got.Scheduled || string(got.Body) != string(body) || got.Incident != "" || len(got.Deliveries) != 0 {
		t.Errorf("reopened %+v (body %s)", got, got.Body)
	}
	// Built again by hand: the same row, the newer content.
	again := store.StoredReport{Kind: "daily", PeriodStart: reportDay, Title: r.Title, BuiltAt: t0.Add(time.Hour), Body: []byte(`{"v":2}`)}
	if err := s.SaveReport(ctx, &again); err != nil || again.ID != r.ID {
		t.Fatalf("rebuilt by hand: id %d (first %d), %v", again.ID, r.ID, err)
	}
	if got, _ := s.Report(ctx, r.ID); string(got.Body) != `{"v":2}` || !got.BuiltAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after rebuild: %s at %v", got.Body, got.BuiltAt)
	}
	// Two 专报 of one incident, keyed by their build time.
	for i := range 2 {
		at := t0.Add(time.Duration(i) * time.Minute)
		sp := store.StoredReport{Kind: "incident", PeriodStart: at, Incident: "YQ-20261123-0001", Title: "专报", BuiltAt: at, Body: []byte(`{}`)}
		if err := s.SaveReport(ctx, &sp); err != nil {
			t.Fatalf("专报 %d: %v", i, err)
		}
		if got, err := s.Report(ctx, sp.ID); err != nil || got.Incident != "YQ-20261123-0001" {
			t.Errorf("专报 %d: %+v, %v", i, got, err)
		}
	}
	if _, err := s.Report(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown report: %v", err)
	}
}

// testClaimReportOnce: schedulers racing for one period claim it once;
// until saved it is nobody's to build again, and a built scheduled report
// is neither claimed again nor replaced by hand.
func testClaimReportOnce(t *testing.T, s store.ReportStore) {
	ctx := context.Background()
	const racers = 8
	var wg sync.WaitGroup
	claims := make(chan int64, racers)
	errs := make(chan error, racers)
	for range racers {
		wg.Go(func() {
			id, ok, err := s.ClaimReport(ctx, "daily", reportDay, t0, 10*time.Minute)
			if err != nil {
				errs <- err
			}
			if ok {
				claims <- id
			}
		})
	}
	wg.Wait()
	close(claims)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var ids []int64
	for id := range claims {
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] == 0 {
		t.Fatalf("%d racers claimed %v, want exactly one id", racers, ids)
	}
	id := ids[0]
	if _, err := s.Report(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a claimed report not yet built is listed: %v", err)
	}
	if got, ok, err := s.ClaimReport(ctx, "daily", reportDay, t0.Add(time.Minute), 10*time.Minute); err != nil || ok || got != 0 {
		t.Errorf("claim while building: %d, %v, %v; want 0, false", got, ok, err)
	}
	r := store.StoredReport{ID: id, Kind: "daily", PeriodStart: reportDay, Title: "日报", BuiltAt: t0.Add(time.Minute),
		Body: []byte(`{}`), Deliveries: []store.ReportDelivery{{Receiver: "office-robot"}, {Receiver: "leaders-mail"}}}
	if err := s.SaveReport(ctx, &r); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.ClaimReport(ctx, "daily", reportDay, t0.Add(24*time.Hour), 10*time.Minute)
	if err != nil || ok || got != id {
		t.Errorf("claim of a built run: %d, %v, %v; want %d, false", got, ok, err, id)
	}
	byHand := store.StoredReport{Kind: "daily", PeriodStart: reportDay, Title: "手工", BuiltAt: t0.Add(2 * time.Hour), Body: []byte(`{}`)}
	if err := s.SaveReport(ctx, &byHand); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("hand build over a scheduled report: %v, want ErrDuplicate", err)
	}
	rep, err := s.Report(ctx, id)
	if err != nil || !rep.Scheduled || rep.Title != "日报" || len(rep.Deliveries) != 2 {
		t.Errorf("scheduled report: %+v, %v", rep, err)
	}
	// Another kind of the same day is its own run.
	if _, ok, err := s.ClaimReport(ctx, "weekly", reportDay, t0, 10*time.Minute); err != nil || !ok {
		t.Errorf("weekly of the same start: %v, %v", ok, err)
	}
}

// testClaimTakesOver: a claim never saved is taken over after the lease;
// a report built by hand is taken over by the scheduler.
func testClaimTakesOver(t *testing.T, s store.ReportStore) {
	ctx := context.Background()
	lease := 10 * time.Minute
	first, ok, err := s.ClaimReport(ctx, "weekly", reportDay, t0, lease)
	if err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if _, ok, _ := s.ClaimReport(ctx, "weekly", reportDay, t0.Add(lease-time.Second), lease); ok {
		t.Error("claim taken over within the lease")
	}
	again, ok, err := s.ClaimReport(ctx, "weekly", reportDay, t0.Add(lease), lease)
	if err != nil || !ok || again != first {
		t.Errorf("stale claim: %d, %v, %v; want %d, true", again, ok, err, first)
	}
	byHand := store.StoredReport{Kind: "monthly", PeriodStart: reportDay, Title: "手工月报", BuiltAt: t0, Body: []byte(`{}`)}
	if err := s.SaveReport(ctx, &byHand); err != nil {
		t.Fatal(err)
	}
	id, ok, err := s.ClaimReport(ctx, "monthly", reportDay, t0.Add(time.Hour), lease)
	if err != nil || !ok || id != byHand.ID {
		t.Errorf("claim over a report built by hand: %d, %v, %v; want %d, true", id, ok, err, byHand.ID)
	}
	// Until the scheduler saves it, the hand-built report stays readable.
	if r, err := s.Report(ctx, id); err != nil || r.Title != "手工月报" || !r.Scheduled {
		t.Errorf("report being rebuilt: %+v, %v", r, err)
	}
}

func testReportList(t *testing.T, s store.ReportStore) {
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		kind := []string{"daily", "weekly"}[i%2]
		r := store.StoredReport{Kind: kind, PeriodStart: reportDay.AddDate(0, 0, i), Title: fmt.Sprintf("报告%d", i),
			BuiltAt: t0.Add(time.Duration(i) * time.Hour), Body: []byte(`{"big":"body"}`),
			Deliveries: []store.ReportDelivery{{Receiver: "robot"}}}
		if err := s.SaveReport(ctx, &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, ok, err := s.ClaimReport(ctx, "daily", reportDay.AddDate(0, 0, 10), t0, time.Minute); err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	page, err := s.Reports(ctx, store.ReportFilter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := reportIDs(page); fmt.Sprint(got) != fmt.Sprint([]int64{ids[4], ids[3], ids[2]}) {
		t.Errorf("first page %v, want the newest three of %v (a claim being built left out)", got, ids)
	}
	for _, r := range page {
		if r.Body != nil || len(r.Deliveries) != 1 || r.Deliveries[0].Receiver != "robot" || r.Title == "" {
			t.Errorf("listed %+v: want no body, its delivery", r)
		}
	}
	next, err := s.Reports(ctx, store.ReportFilter{BeforeID: page[len(page)-1].ID, Limit: 3})
	if err != nil || fmt.Sprint(reportIDs(next)) != fmt.Sprint([]int64{ids[1], ids[0]}) {
		t.Errorf("second page %v, %v", reportIDs(next), err)
	}
	weekly, err := s.Reports(ctx, store.ReportFilter{Kind: "weekly"})
	if err != nil || fmt.Sprint(reportIDs(weekly)) != fmt.Sprint([]int64{ids[3], ids[1]}) {
		t.Errorf("weekly %v, %v", reportIDs(weekly), err)
	}
}

func reportIDs(rs []store.StoredReport) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// testReportDeliveries: a delivery is due once saved, claimed by one
// sender at a time, retried when it failed, never again once sent, and
// given up when told.
func testReportDeliveries(t *testing.T, s store.ReportStore) {
	ctx := context.Background()
	r := store.StoredReport{Kind: "daily", PeriodStart: reportDay, Title: "日报", BuiltAt: t0, Body: []byte(`{}`),
		Deliveries: []store.ReportDelivery{{Receiver: "mail"}, {Receiver: "robot"}}}
	if err := s.SaveReport(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueDeliveries(ctx, t0.Add(-time.Second)); err != nil || len(due) != 0 {
		t.Errorf("due before built: %+v, %v", due, err)
	}
	due, err := s.DueDeliveries(ctx, t0)
	if err != nil || len(due) != 2 || due[0].Receiver != "mail" || due[1].Receiver != "robot" || due[0].ReportID != r.ID {
		t.Fatalf("due: %+v, %v", due, err)
	}
	lease := time.Minute
	if ok, err := s.ClaimDelivery(ctx, r.ID, "robot", t0, lease); err != nil || !ok {
		t.Fatalf("claim robot: %v, %v", ok, err)
	}
	if ok, _ := s.ClaimDelivery(ctx, r.ID, "robot", t0.Add(time.Second), lease); ok {
		t.Error("robot claimed twice within the lease")
	}
	next := t0.Add(2 * time.Minute)
	if err := s.RecordDelivery(ctx, store.DeliveryAttempt{ReportID: r.ID, Receiver: "robot", At: t0.Add(time.Second),
		Err: "企业微信系统繁忙", Next: next}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimDelivery(ctx, r.ID, "robot", next.Add(-time.Second), lease); ok {
		t.Error("robot claimed before its next attempt")
	}
	if ok, err := s.ClaimDelivery(ctx, r.ID, "robot", next, lease); err != nil || !ok {
		t.Fatalf("claim robot again: %v, %v", ok, err)
	}
	sentAt := next.Add(time.Second)
	if err := s.RecordDelivery(ctx, store.DeliveryAttempt{ReportID: r.ID, Receiver: "robot", At: sentAt}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimDelivery(ctx, r.ID, "robot", sentAt.Add(time.Hour), lease); ok {
		t.Error("a sent delivery claimed again")
	}
	if ok, err := s.ClaimDelivery(ctx, r.ID, "mail", t0, lease); err != nil || !ok {
		t.Fatalf("claim mail: %v, %v", ok, err)
	}
	if err := s.RecordDelivery(ctx, store.DeliveryAttempt{ReportID: r.ID, Receiver: "mail", At: t0, Err: "收件人不存在"}); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueDeliveries(ctx, t0.Add(24*time.Hour)); err != nil || len(due) != 0 {
		t.Errorf("due after sent and given up: %+v, %v", due, err)
	}
	got, err := s.Report(ctx, r.ID)
	if err != nil || len(got.Deliveries) != 2 {
		t.Fatalf("report: %+v, %v", got, err)
	}
	mail, robot := got.Deliveries[0], got.Deliveries[1]
	if !mail.GivenUp() || mail.Attempts != 1 || mail.LastError != "收件人不存在" || !mail.LastAttemptAt.Equal(t0) {
		t.Errorf("mail: %+v", mail)
	}
	if robot.GivenUp() || !robot.SentAt.Equal(sentAt) || robot.Attempts != 2 || robot.LastError != "" || !robot.NextAttemptAt.IsZero() {
		t.Errorf("robot: %+v", robot)
	}
	// Saving the report again (a restart) adds no delivery twice and
	// keeps what was sent.
	if err := s.SaveReport(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Report(ctx, r.ID); len(got.Deliveries) != 2 || !got.Deliveries[1].SentAt.Equal(sentAt) {
		t.Errorf("after saving again: %+v", got.Deliveries)
	}
	if err := s.RecordDelivery(ctx, store.DeliveryAttempt{ReportID: r.ID, Receiver: "nobody", At: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown delivery: %v", err)
	}
}
