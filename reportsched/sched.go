// Package reportsched builds the 日报, 周报 and 月报 at their configured
// times (working days from calendar.yaml), stores each (store.ReportStore)
// and delivers it to its receivers (package delivery): the summary as
// WeCom markdown or mail text, the report files attached. A run and a
// delivery are claimed in the store, so each happens once, also across a
// restart and with two schedulers on one database; a run missed while the
// daemon was down is caught up when it starts. Archive is the same
// storing for the console (list, open, build now).
package reportsched

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
)

// Clock is the scheduler's time: the real one, or a test's.
type Clock interface {
	Now() time.Time
	// After sends once d has passed.
	After(d time.Duration) <-chan time.Time
}

// NowClock is the real clock's timers with now telling the time (nil:
// time.Now).
func NowClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return nowClock(now)
}

type nowClock func() time.Time

func (c nowClock) Now() time.Time                       { return c() }
func (nowClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Settings are what the scheduler reads from the configuration in force,
// again at each round (a reload swaps them whole).
type Settings struct {
	Reports  *Config
	Delivery *delivery.Config
	Calendar *calendar.Calendar
	Writer   report.Writer // writes the files delivered and downloaded
}

// BuildFunc builds the report req asks for (report.Build on the store).
type BuildFunc func(ctx context.Context, req report.Request) (report.Report, error)

// Options configure a Scheduler.
type Options struct {
	Store    store.ReportStore
	Settings func() Settings
	Build    BuildFunc
	Location *time.Location // the bureau's zone
	Clock    Clock          // nil: the real one
	Logger   *slog.Logger
	// Registerer receives the scheduler's metrics.
	Registerer prometheus.Registerer
	HTTPClient *http.Client // WeCom robots' client; nil: http.DefaultClient
	// ConsoleURL is the console's address, for the link in each message.
	ConsoleURL string
	// Lease is how long a claimed run or delivery stays its claimer's
	// when it neither saves nor records it (default 10 minutes).
	Lease time.Duration
	// Poll bounds the wait between looks at the deliveries due (default
	// one minute).
	Poll time.Duration
}

// Scheduler runs the schedules.
type Scheduler struct {
	o       Options
	archive *Archive
	wake    chan struct{}
	log     *slog.Logger
	primed  sync.Once

	lastSuccess *prometheus.GaugeVec
	lastDue     *prometheus.GaugeVec
	failures    *prometheus.CounterVec
	givenUp     *prometheus.CounterVec
}

// New returns a scheduler; Run runs it.
func New(o Options) (*Scheduler, error) {
	if o.Store == nil || o.Settings == nil || o.Build == nil || o.Location == nil {
		return nil, errors.New("reportsched: Store, Settings, Build and Location are required")
	}
	if o.Clock == nil {
		o.Clock = NowClock(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Minute
	}
	f := promauto.With(o.Registerer)
	s := &Scheduler{o: o, wake: make(chan struct{}, 1), log: o.Logger,
		archive: NewArchive(o.Store, o.Build, func() report.Writer { return o.Settings().Writer }, o.Clock.Now),
		lastSuccess: f.NewGaugeVec(prometheus.GaugeOpts{Name: "yuqing_report_last_success_timestamp_seconds",
			Help: "When the latest scheduled report of a kind was stored and sent to all its receivers."}, []string{"kind"}),
		lastDue: f.NewGaugeVec(prometheus.GaugeOpts{Name: "yuqing_report_last_due_timestamp_seconds",
			Help: "The latest time a scheduled report of a kind was due."}, []string{"kind"}),
		failures: f.NewCounterVec(prometheus.CounterOpts{Name: "yuqing_report_failures_total",
			Help: "Failed builds and delivery attempts of scheduled reports."}, []string{"kind", "stage"}),
		givenUp: f.NewCounterVec(prometheus.CounterOpts{Name: "yuqing_report_deliveries_given_up_total",
			Help: "Report deliveries given up after their last attempt failed."}, []string{"kind"}),
	}
	return s, nil
}

// Archive is the scheduler's store of reports, for the console.
func (s *Scheduler) Archive() *Archive { return s.archive }

// Wake makes Run look at its schedules again (after a reload).
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// retryRun is a run to look at again: its build failed, or another
// claim held it.
type retryRun struct {
	sched Schedule
	run   run
	at    time.Time
	tries int
}

// maxRunTries bounds the builds of one run (the alert has fired long
// before).
const maxRunTries = 6

// Run builds and delivers until ctx ends. At start it catches up the
// latest run of each schedule (built already: nothing to do) and the
// deliveries left due.
func (s *Scheduler) Run(ctx context.Context) error {
	// Primed afresh at each start: an instance that becomes leader takes
	// over what the former leader sent.
	s.prime(ctx)
	now := s.o.Clock.Now()
	since := map[string]time.Time{}
	for _, sc := range s.settings().Reports.Schedules {
		if last := sc.lastDue(now, s.calendar(), s.o.Location); !last.IsZero() {
			since[sc.Kind] = last.Add(-time.Nanosecond)
		}
	}
	var retries []retryRun
	for {
		set := s.settings()
		now = s.o.Clock.Now()
		wait := s.o.Poll
		for _, sc := range set.Reports.Schedules {
			from, ok := since[sc.Kind]
			if !ok {
				from = now // a schedule added by a reload starts now
			}
			for _, r := range sc.runs(from, now, s.calendar(), s.o.Location) {
				if at, again := s.runOnce(ctx, set, sc, r); again {
					retries = append(retries, retryRun{sched: sc, run: r, at: at, tries: 1})
				}
			}
			since[sc.Kind] = now
			if last := sc.lastDue(now, s.calendar(), s.o.Location); !last.IsZero() {
				s.lastDue.WithLabelValues(sc.Kind).Set(float64(last.Unix()))
			}
			wait = min(wait, sc.nextDue(now, s.calendar(), s.o.Location).Sub(now))
		}
		s.forgetRemoved(set)
		retries = s.retry(ctx, set, retries, now)
		for _, r := range retries {
			wait = min(wait, r.at.Sub(now))
		}
		s.deliver(ctx, set)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-s.o.Clock.After(max(wait, time.Second)):
		}
	}
}

// forgetRemoved drops the series of kinds no longer scheduled (a reload
// removed them), so that no alert waits for their reports.
func (s *Scheduler) forgetRemoved(set Settings) {
	for kind := range kindTitles {
		if !slices.ContainsFunc(set.Reports.Schedules, func(sc Schedule) bool { return sc.Kind == kind }) {
			s.lastDue.DeleteLabelValues(kind)
			s.lastSuccess.DeleteLabelValues(kind)
		}
	}
}

// retry runs the retries due at now and returns those left.
func (s *Scheduler) retry(ctx context.Context, set Settings, rs []retryRun, now time.Time) []retryRun {
	var left []retryRun
	for _, r := range rs {
		if r.at.After(now) {
			left = append(left, r)
			continue
		}
		if at, again := s.runOnce(ctx, set, r.sched, r.run); again && r.tries < maxRunTries {
			r.at, r.tries = at, r.tries+1
			left = append(left, r)
		}
	}
	return left
}

func (s *Scheduler) settings() Settings {
	set := s.o.Settings()
	if set.Reports == nil {
		d := Default()
		set.Reports = &d
	}
	if set.Delivery == nil {
		d := delivery.Default()
		set.Delivery = &d
	}
	return set
}

func (s *Scheduler) calendar() *calendar.Calendar {
	if c := s.o.Settings().Calendar; c != nil {
		return c
	}
	return calendar.Default(s.o.Location)
}

// runOnce claims run r and, when it is this scheduler's, builds and
// stores its report with a delivery to each enabled receiver. again says
// to look at it once more at the time returned: the build failed, or
// another claim holds it.
func (s *Scheduler) runOnce(ctx context.Context, set Settings, sc Schedule, r run) (time.Time, bool) {
	now := s.o.Clock.Now()
	log := s.log.With("kind", r.kind, "period", r.start.Format(time.DateOnly))
	id, claimed, err := s.o.Store.ClaimReport(ctx, r.kind, r.start, now, s.o.Lease)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			s.failures.WithLabelValues(r.kind, "build").Inc()
			log.Error("认领计划报告失败", "err", err)
		}
		return now.Add(time.Minute), ctx.Err() == nil
	case !claimed && id == 0:
		// Another scheduler builds it, or one that stopped did: its
		// claim goes stale after the lease.
		return now.Add(s.o.Lease), true
	case !claimed:
		return time.Time{}, false // built already
	}
	kind, _ := report.ParseKind(r.kind)
	var receivers []store.ReportDelivery
	for _, name := range sc.Receivers {
		if rc, ok := set.Delivery.Lookup(name); ok && rc.Enabled {
			receivers = append(receivers, store.ReportDelivery{Receiver: name})
		} else {
			log.Info("接收方未启用，计划报告不发送给它", "receiver", name)
		}
	}
	sr, err := s.archive.build(ctx, report.Request{Kind: kind, Date: r.start, Now: now}, id, receivers)
	if err != nil {
		if ctx.Err() == nil {
			s.failures.WithLabelValues(r.kind, "build").Inc()
			log.Error("生成计划报告失败，稍后重试", "err", err)
		}
		return now.Add(s.o.Lease), ctx.Err() == nil
	}
	log.Info("计划报告已生成", "id", sr.ID, "title", sr.Title, "receivers", len(receivers))
	if len(receivers) == 0 {
		s.lastSuccess.WithLabelValues(r.kind).Set(float64(sr.BuiltAt.Unix()))
	}
	return time.Time{}, false
}

// deliver sends the deliveries due, one attempt each.
func (s *Scheduler) deliver(ctx context.Context, set Settings) {
	due, err := s.o.Store.DueDeliveries(ctx, s.o.Clock.Now())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("读取待发送的报告失败", "err", err)
		}
		return
	}
	// A claim outlasts every try of one Send (delivery.retry), so that no
	// second scheduler sends while the first still tries.
	r := set.Delivery.Retry
	lease := max(s.o.Lease, time.Duration(r.Attempts)*(r.Timeout+r.Max))
	msgs := map[int64]*outgoing{}
	for _, d := range due {
		if ctx.Err() != nil {
			return
		}
		ok, err := s.o.Store.ClaimDelivery(ctx, d.ReportID, d.Receiver, s.o.Clock.Now(), lease)
		if err != nil || !ok {
			if err != nil {
				s.log.Error("认领报告发送失败", "report", d.ReportID, "receiver", d.Receiver, "err", err)
			}
			continue
		}
		m, ok := msgs[d.ReportID]
		if !ok {
			m = s.compose(ctx, d.ReportID, set.Reports.Formats)
			msgs[d.ReportID] = m
		}
		s.send(ctx, set, d, m)
	}
}

// outgoing is a report's message, composed once for its receivers.
type outgoing struct {
	kind string
	msg  delivery.Message
	err  error
}

func (s *Scheduler) compose(ctx context.Context, id int64, formats []string) *outgoing {
	sr, rep, err := s.archive.Open(ctx, id)
	o := &outgoing{kind: sr.Kind, err: err}
	if err == nil {
		o.msg, o.err = s.archive.Message(rep, formats, s.reportURL(id))
	}
	return o
}

func (s *Scheduler) reportURL(id int64) string {
	if s.o.ConsoleURL == "" {
		return ""
	}
	return fmt.Sprintf("%s/reports/%d", strings.TrimRight(s.o.ConsoleURL, "/"), id)
}

// send makes one attempt at delivery d and records it.
func (s *Scheduler) send(ctx context.Context, set Settings, d store.ReportDelivery, m *outgoing) {
	log := s.log.With("report", d.ReportID, "receiver", d.Receiver)
	err := m.err
	if err == nil {
		var rcv delivery.Receiver
		if rcv, err = set.Delivery.Open(d.Receiver, delivery.Options{HTTPClient: s.o.HTTPClient, Now: s.o.Clock.Now}); err == nil {
			err = rcv.Send(ctx, m.msg)
		}
	}
	a := store.DeliveryAttempt{ReportID: d.ReportID, Receiver: d.Receiver, At: s.o.Clock.Now()}
	switch {
	case err == nil:
		log.Info("报告已发送")
	case ctx.Err() != nil:
		// Cut short by shutdown: due again at once, after the restart.
		a.Err, a.Next = "发送时守护进程停止，重启后重新发送", a.At
	default:
		a.Err = err.Error()
		s.failures.WithLabelValues(m.kind, "delivery").Inc()
		// A message that could not be composed (the store or a writer
		// failed) is tried again like a busy receiver.
		if wait, again := set.Reports.Retry.after(d.Attempts + 1); again && (delivery.Transient(err) || m.err != nil) {
			a.Next = a.At.Add(wait)
			log.Warn("报告发送失败，稍后重试", "err", err, "retry_at", a.Next)
		} else {
			s.givenUp.WithLabelValues(m.kind).Inc()
			log.Error("报告发送失败，不再重试", "err", err)
		}
	}
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.o.Store.RecordDelivery(rec, a); err != nil {
		log.Error("记录报告发送结果失败", "err", err)
		return
	}
	if a.Err == "" {
		s.markSuccess(rec, d.ReportID)
	}
}

// markSuccess sets the kind's last success when every delivery of a
// scheduled report is sent.
func (s *Scheduler) markSuccess(ctx context.Context, id int64) {
	sr, err := s.o.Store.Report(ctx, id)
	if err != nil || !sr.Scheduled {
		return
	}
	if at, done := sentAll(sr); done {
		s.lastSuccess.WithLabelValues(sr.Kind).Set(float64(at.Unix()))
	}
}

// sentAll reports whether every delivery of sr is sent, and when the last
// was (its build time when it has none).
func sentAll(sr store.StoredReport) (time.Time, bool) {
	at := sr.BuiltAt
	for _, d := range sr.Deliveries {
		if d.SentAt.IsZero() {
			return time.Time{}, false
		}
		if d.SentAt.After(at) {
			at = d.SentAt
		}
	}
	return at, true
}

// Prime sets the last success of each kind from the store, so that a
// restart does not look like a failure: call it before /metrics is
// served (Run primes when it was not).
func (s *Scheduler) Prime(ctx context.Context) {
	s.primed.Do(func() { s.prime(ctx) })
}

func (s *Scheduler) prime(ctx context.Context) {
	var once sync.Once // one log line when the store fails
	for _, sc := range s.settings().Reports.Schedules {
		rs, err := s.o.Store.Reports(ctx, store.ReportFilter{Kind: sc.Kind, Limit: 20})
		if err != nil {
			once.Do(func() { s.log.Error("读取已生成的报告失败", "err", err) })
			continue
		}
		i := slices.IndexFunc(rs, func(r store.StoredReport) bool { _, done := sentAll(r); return r.Scheduled && done })
		if i >= 0 {
			at, _ := sentAll(rs[i])
			s.lastSuccess.WithLabelValues(sc.Kind).Set(float64(at.Unix()))
		}
	}
}
