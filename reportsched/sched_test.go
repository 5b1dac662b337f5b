package reportsched

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/delivery/wecomfake"
	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// fakeClock is a clock the test sets; After fires when the time is set
// past it. Each After call is a round of the scheduler ending, so the
// test knows when a round is done (settle).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	calls   int // After calls so far
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// set moves the clock to t and fires the waits it ends; it returns the
// After calls so far and whether a wait ended (a round follows).
func (c *fakeClock) set(t time.Time) (calls int, fired bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.waiters = slices.DeleteFunc(c.waiters, func(w waiter) bool {
		if w.at.After(t) {
			return false
		}
		w.ch <- t
		fired = true
		return true
	})
	return c.calls, fired
}

// settle waits until the scheduler has ended a round after the After
// call count was calls (it waits on the clock again); with more, until
// that many schedulers have.
func (c *fakeClock) settle(t *testing.T, calls int, more ...int) {
	t.Helper()
	rounds := 1
	if len(more) > 0 {
		rounds = more[0]
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		n := c.calls
		c.mu.Unlock()
		if n >= calls+rounds {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the scheduler did not finish its round")
}

// mailSink is a loopback SMTP server (go-smtp) keeping what it receives.
type mailSink struct {
	addr string
	mu   sync.Mutex
	msgs [][]byte
}

func startMailSink(t *testing.T) *mailSink {
	t.Helper()
	sink := &mailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: sink}, nil }))
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink
}

func (m *mailSink) received() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.msgs)
}

type sinkSession struct{ sink *mailSink }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	s.sink.msgs = append(s.sink.msgs, data)
	return nil
}

// parseMail returns a message's decoded subject and its attachments' names.
func parseMail(t *testing.T, data []byte) (subject string, files []string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if name := p.FileName(); name != "" {
			files = append(files, name)
		}
	}
	return subject, files
}

// rig is a store, the fakes and the settings every scheduler of a test
// shares, as daemons restarted on one database would.
type rig struct {
	t     *testing.T
	st    store.Database
	clock *fakeClock
	robot *wecomfake.Robot
	mails *mailSink
	set   Settings
	// reloaded, when set, is the settings in force (a reload swaps it).
	reloaded atomic.Pointer[Settings]
}

func newRig(t *testing.T, start time.Time) *rig {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "yuqing.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t, st: st, clock: &fakeClock{now: start}, robot: &wecomfake.Robot{Key: "robot-key-0001"}, mails: startMailSink(t)}
	api := httptest.NewServer(r.robot)
	t.Cleanup(api.Close)
	var file struct {
		Delivery delivery.Config `yaml:"delivery"`
	}
	doc, err := yamlfile.Decode("yuqing.yaml", []byte(`
delivery:
  retry: {attempts: 1, initial: 1s, max: 1s, timeout: 10s}
  receivers:
    - name: robot
      enabled: true
      wecom: {api_url: "`+api.URL+`/cgi-bin/webhook/", key: robot-key-0001}
    - name: mail
      enabled: true
      email: {smarthost: "`+r.mails.addr+`", from: yuqing@example.gov.cn, to: [leaders@example.gov.cn], require_tls: false}
    - name: off
      enabled: false
      wecom: {key: robot-key-0002}
`), &file)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(file.Delivery.Validate(doc)...); err != nil {
		t.Fatal(err)
	}
	daily := schedule("daily", "08:30", 0, 0)
	daily.Receivers = []string{"robot", "mail", "off"}
	r.set = Settings{Delivery: &file.Delivery, Calendar: testCalendar(t), Reports: &Config{
		Schedules: []Schedule{daily}, Formats: []string{"html"},
		Retry: Retry{Rounds: 3, Initial: time.Minute, Max: time.Hour}}}
	return r
}

// scheduler returns a new scheduler on the rig's store and clock.
func (r *rig) scheduler() *Scheduler {
	r.t.Helper()
	settings := func() Settings {
		if set := r.reloaded.Load(); set != nil {
			return *set
		}
		return r.set
	}
	s, err := New(Options{Store: r.st, Settings: settings, Location: cst, Clock: r.clock,
		Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(), ConsoleURL: "http://console.example",
		Build: func(ctx context.Context, req report.Request) (report.Report, error) {
			return report.Build(ctx, r.st, req, report.Options{Location: cst})
		}})
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// start runs a new scheduler until the returned stop is called, and
// waits for its first round (the catch-up).
func (r *rig) start() (stop func()) {
	r.t.Helper()
	s := r.scheduler()
	calls, _ := r.clock.set(r.clock.Now())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r.clock.settle(r.t, calls)
	return func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("Run: %v", err)
		}
	}
}

// advance sets the clock and waits for the scheduler's round, if the
// time set ends its wait.
func (r *rig) advance(to string) {
	r.t.Helper()
	if calls, fired := r.clock.set(at(to)); fired {
		r.clock.settle(r.t, calls)
	}
}

// delivered returns the subjects of the mails and the robot's markdown
// messages, and checks that each robot report came with its file.
func (r *rig) delivered() (mails, robot []string) {
	r.t.Helper()
	for _, m := range r.mails.received() {
		subject, files := parseMail(r.t, m)
		if len(files) != 1 || files[0] != subject+".html" {
			r.t.Errorf("mail %q attached %v, want the report as HTML", subject, files)
		}
		mails = append(mails, subject)
	}
	msgs := r.robot.Messages()
	for i, m := range msgs {
		if m.Type != "markdown" {
			continue
		}
		title, _, _ := strings.Cut(strings.TrimPrefix(m.Content, "**"), "**")
		robot = append(robot, title)
		if !strings.Contains(m.Content, "](http://console.example/reports/") {
			r.t.Errorf("markdown without the console link: %q", m.Content)
		}
		if i+1 >= len(msgs) || msgs[i+1].Type != "file" || msgs[i+1].FileName != title+".html" {
			r.t.Errorf("report %q not followed by its file", title)
		}
	}
	return mails, robot
}

func (r *rig) expect(step string, want ...string) {
	r.t.Helper()
	mails, robot := r.delivered()
	if !slices.Equal(mails, want) || !slices.Equal(robot, want) {
		r.t.Fatalf("%s: mails %q, robot %q; want %q each", step, mails, robot, want)
	}
}

// dailyTitle is the title of the 日报 of day (as report.Build writes it).
func (r *rig) dailyTitle(day string) string {
	rep, err := report.Build(context.Background(), r.st, report.Request{Kind: report.Daily, Date: at(day + " 00:00"), Now: at(day + " 23:00")}, report.Options{Location: cst})
	if err != nil {
		r.t.Fatal(err)
	}
	return rep.Title
}

// TestScheduledDailyArrivesOnce: the 日报 reaches the WeCom robot and the
// mailbox at its time, once, across restarts (one caught up while the
// daemon was down), and never on a holiday: the holiday's reports follow
// on the next working day.
func TestScheduledDailyArrivesOnce(t *testing.T) {
	r := newRig(t, at("2026-09-30 08:00"))
	d := r.dailyTitle
	stop := r.start()
	// At first start the latest run is caught up: Monday's, due Tuesday.
	r.expect("first start", d("2026-09-28"))
	r.advance("2026-09-30 08:29")
	r.expect("before its time", d("2026-09-28"))
	r.advance("2026-09-30 08:30")
	r.expect("at its time", d("2026-09-28"), d("2026-09-29"))
	stop()

	r.clock.set(at("2026-09-30 09:00"))
	stop = r.start()
	r.expect("restarted after its time", d("2026-09-28"), d("2026-09-29"))
	stop()

	// 国庆节: nothing on the holidays.
	r.clock.set(at("2026-10-01 08:00"))
	stop = r.start()
	for _, day := range []string{"01", "02", "03", "04", "05", "06", "07"} {
		r.advance("2026-10-" + day + " 08:30")
		r.advance("2026-10-" + day + " 23:59")
	}
	r.expect("during the holiday", d("2026-09-28"), d("2026-09-29"))
	stop()

	// Down on the first working day at 08:30: caught up at start, the
	// day before the holiday and each holiday, once.
	r.clock.set(at("2026-10-08 09:15"))
	stop = r.start()
	want := []string{d("2026-09-28"), d("2026-09-29")}
	for _, day := range []string{"09-30", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07"} {
		want = append(want, d("2026-"+day))
	}
	r.expect("caught up", want...)
	stop()
	stop = r.start()
	r.advance("2026-10-08 12:00")
	r.expect("restarted again", want...)
	stop()

	rs, err := r.st.Reports(context.Background(), store.ReportFilter{})
	if err != nil || len(rs) != 10 {
		t.Fatalf("stored %d reports, %v; want 10", len(rs), err)
	}
	for _, sr := range rs {
		if !sr.Scheduled || len(sr.Deliveries) != 2 {
			t.Errorf("report %q: scheduled %v, deliveries %+v (the disabled receiver left out)", sr.Title, sr.Scheduled, sr.Deliveries)
		}
		for _, dl := range sr.Deliveries {
			if dl.SentAt.IsZero() || dl.Attempts != 1 {
				t.Errorf("report %q to %s: %+v", sr.Title, dl.Receiver, dl)
			}
		}
	}
}

// TestDeliveryRetried: a robot busy at the report's time gets it at the
// next round of attempts; the mailbox gets it once.
func TestDeliveryRetried(t *testing.T) {
	r := newRig(t, at("2026-09-29 09:00"))
	r.robot.FailNext(wecomfake.CodeBusy)
	s := r.scheduler()
	calls, _ := r.clock.set(r.clock.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	r.clock.settle(t, calls)
	title := r.dailyTitle("2026-09-28")
	if mails, robot := r.delivered(); len(mails) != 1 || len(robot) != 0 {
		t.Fatalf("first round: mails %q, robot %q", mails, robot)
	}
	if got := testutil.ToFloat64(s.failures.WithLabelValues("daily", "delivery")); got != 1 {
		t.Errorf("delivery failures %v, want 1", got)
	}
	r.advance("2026-09-29 09:00:59")
	if _, robot := r.delivered(); len(robot) != 0 {
		t.Fatalf("retried before its backoff: %q", robot)
	}
	r.advance("2026-09-29 09:01")
	r.expect("after the backoff", title)
	rs, _ := r.st.Reports(ctx, store.ReportFilter{})
	if len(rs) != 1 || rs[0].Deliveries[1].Receiver != "robot" || rs[0].Deliveries[1].Attempts != 2 {
		t.Errorf("stored %+v", rs)
	}
	if got := testutil.ToFloat64(s.lastSuccess.WithLabelValues("daily")); got != float64(at("2026-09-29 09:01").Unix()) {
		t.Errorf("last success %v", got)
	}
}

// TestTwoSchedulersDeliverOnce: two daemons on one database (no leader
// yet) build each report once and send it once.
func TestTwoSchedulersDeliverOnce(t *testing.T) {
	r := newRig(t, at("2026-09-29 08:29"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls, _ := r.clock.set(r.clock.Now())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range 2 {
		s := r.scheduler()
		wg.Go(func() { s.Run(ctx) })
	}
	r.clock.settle(t, calls, 2) // both caught up Friday's to Sunday's 日报, due on Monday
	calls, _ = r.clock.set(at("2026-09-29 08:30"))
	r.clock.settle(t, calls, 2)
	// Each scheduler claims a period of its own while the other claims
	// the next: the days arrive once each, in whichever order they were won.
	d := r.dailyTitle
	want := []string{d("2026-09-25"), d("2026-09-26"), d("2026-09-27"), d("2026-09-28")}
	mails, robot := r.delivered()
	slices.Sort(mails)
	slices.Sort(robot)
	if !slices.Equal(mails, want) || !slices.Equal(robot, want) {
		t.Fatalf("two schedulers: mails %q, robot %q; want %q each, in any order", mails, robot, want)
	}
}

// TestReloadSwapsSchedules: a reload's schedule takes effect at once and
// whole: its time and its receivers.
func TestReloadSwapsSchedules(t *testing.T) {
	r := newRig(t, at("2026-09-30 07:00"))
	s := r.scheduler()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	calls, _ := r.clock.set(r.clock.Now())
	wg.Go(func() { s.Run(ctx) })
	r.clock.settle(t, calls)
	d := r.dailyTitle
	r.expect("caught up", d("2026-09-28"))

	reports := *r.set.Reports
	daily := schedule("daily", "08:00", 0, 0)
	daily.Receivers = []string{"robot"}
	reports.Schedules = []Schedule{daily}
	set := r.set
	set.Reports = &reports
	r.reloaded.Store(&set)
	calls, _ = r.clock.set(r.clock.Now())
	s.Wake()
	r.clock.settle(t, calls)
	r.advance("2026-09-30 08:00")
	mails, robot := r.delivered()
	if !slices.Equal(mails, []string{d("2026-09-28")}) || !slices.Equal(robot, []string{d("2026-09-28"), d("2026-09-29")}) {
		t.Errorf("after the reload: mails %q, robot %q; want 09-29's at 08:00 to the robot only", mails, robot)
	}
}
