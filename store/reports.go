package store

import (
	"context"
	"time"
)

// Stored reports: every 日报/周报/月报/专报 built, kept as it was built so
// that a past report is reopened unchanged, with its delivery to each
// receiver. The report itself is package report's Report as JSON; the
// store keeps it opaque (report reads the store, not the other way).

// StoredReport is one built report.
type StoredReport struct {
	ID int64
	// Kind is the report.Kind: daily, weekly, monthly or incident (专报).
	Kind string
	// PeriodStart is the first moment of the period; a 专报's is its build
	// time (it is keyed by incident and build time).
	PeriodStart time.Time
	Incident    string // 专报: the incident number; "" otherwise
	Title       string
	BuiltAt     time.Time
	// Scheduled: built by the scheduler for its period (and delivered to
	// its receivers), not by hand in the console.
	Scheduled bool
	// Body is the report as JSON; nil in lists (Reports).
	Body       []byte
	Deliveries []ReportDelivery // by receiver name
}

// ReportDelivery is the sending of one report to one receiver.
type ReportDelivery struct {
	ReportID      int64
	Receiver      string    // a name in yuqing.yaml's delivery.receivers
	SentAt        time.Time // zero: not sent
	Attempts      int
	LastError     string // of the last failed attempt ("" after success)
	LastAttemptAt time.Time
	// NextAttemptAt is when it is tried (again); zero when sent or given up.
	NextAttemptAt time.Time
}

// GivenUp reports whether the delivery failed for good.
func (d ReportDelivery) GivenUp() bool { return d.SentAt.IsZero() && d.NextAttemptAt.IsZero() }

// DeliveryAttempt is the outcome of one attempt at a delivery.
type DeliveryAttempt struct {
	ReportID int64
	Receiver string
	At       time.Time
	Err      string    // "": sent
	Next     time.Time // after a failure, when to try again; zero: give up
}

// ReportFilter selects a page of stored reports, newest first.
type ReportFilter struct {
	Kind     string // "": any
	BeforeID int64  // 0: from the newest
	Limit    int    // 0: DefaultPageSize; at most MaxPageSize
}

// ReportStore keeps the built reports and their deliveries. Every engine
// implements it and passes storetest.RunReports.
type ReportStore interface {
	// ClaimReport claims the scheduled run of kind for the period starting
	// at periodStart, at time at: claimed is true for exactly one caller,
	// who builds the report and saves it under id (SaveReport). A run is
	// claimed when no report of the period exists, when the one there was
	// built by hand (the scheduler replaces it with the whole period), or
	// when an earlier claim is older than lease and never saved (its
	// scheduler died building it). Otherwise id is the report there (0
	// while another claim builds it).
	ClaimReport(ctx context.Context, kind string, periodStart, at time.Time, lease time.Duration) (id int64, claimed bool, err error)
	// SaveReport stores a built report. With r.ID set (a claimed run) it
	// fills in that row; otherwise it inserts r, or replaces the report
	// built by hand for the same kind, period and incident, and assigns
	// r.ID; ErrDuplicate when a scheduled report holds that key. Each of
	// r.Deliveries not recorded yet is added, due at r.BuiltAt.
	SaveReport(ctx context.Context, r *StoredReport) error
	// Report returns a stored report with its body and deliveries
	// (ErrNotFound when there is none, or it is still being built).
	Report(ctx context.Context, id int64) (StoredReport, error)
	// Reports returns a page of built reports, newest first, with their
	// deliveries and without bodies.
	Reports(ctx context.Context, f ReportFilter) ([]StoredReport, error)
	// DueDeliveries returns the deliveries not sent whose next attempt is
	// at or before now, oldest first.
	DueDeliveries(ctx context.Context, now time.Time) ([]ReportDelivery, error)
	// ClaimDelivery claims a due delivery for one attempt until at+lease:
	// false when it is sent, given up, not due or claimed by another.
	ClaimDelivery(ctx context.Context, reportID int64, receiver string, at time.Time, lease time.Duration) (bool, error)
	// RecordDelivery records an attempt and releases the claim.
	RecordDelivery(ctx context.Context, a DeliveryAttempt) error
}
