package calendar_test

// Quiet hours evaluated by Alertmanager's own code: the configuration is
// parsed by its config package and routed by its dispatch package, and each
// matched route goes through the time-active and time-mute stages of its
// notification pipeline, in its order, at a chosen instant. The module is
// pinned at v0.25.0, the version Debian ships (prometheus-alertmanager),
// so the parser and the semantics are the deployed ones; amtool cannot do
// this (`amtool config routes test` ignores time intervals).

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai where the machine has no zoneinfo

	"github.com/go-kit/log"
	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/notify"
	"github.com/prometheus/alertmanager/timeinterval"
	"github.com/prometheus/alertmanager/types"
	"github.com/prometheus/common/model"

	"github.com/yuqing-bureau/yuqing/calendar"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

var (
	shippedAM       = filepath.Join("..", "configs", "alertmanager", "alertmanager.yml")
	shippedCalendar = filepath.Join("..", "configs", "calendar.yaml")
)

// alertmanager is a parsed configuration that says who is notified when.
type alertmanager struct {
	route     *dispatch.Route
	intervals map[string][]timeinterval.TimeInterval
}

func parseAM(t *testing.T, text []byte) *alertmanager {
	t.Helper()
	cfg, err := amconfig.Load(string(text))
	if err != nil {
		t.Fatalf("Alertmanager rejects the configuration: %v", err)
	}
	// As Alertmanager's main builds the map the pipeline reads.
	am := &alertmanager{route: dispatch.NewRoute(cfg.Route, nil), intervals: map[string][]timeinterval.TimeInterval{}}
	for _, ti := range cfg.MuteTimeIntervals {
		am.intervals[ti.Name] = ti.TimeIntervals
	}
	for _, ti := range cfg.TimeIntervals {
		am.intervals[ti.Name] = ti.TimeIntervals
	}
	return am
}

// notified returns the receivers an alert with labels reaches at instant
// at, in routing order: those of its matched routes whose time stages
// let the notification through.
func (am *alertmanager) notified(t *testing.T, labels model.LabelSet, at time.Time) []string {
	t.Helper()
	stages := notify.MultiStage{notify.NewTimeActiveStage(am.intervals), notify.NewTimeMuteStage(am.intervals)}
	alert := &types.Alert{Alert: model.Alert{Labels: labels, StartsAt: at.Add(-time.Minute)}}
	var got []string
	for _, r := range am.route.Match(labels) {
		ctx := notify.WithNow(context.Background(), at)
		ctx = notify.WithMuteTimeIntervals(ctx, r.RouteOpts.MuteTimeIntervals)
		ctx = notify.WithActiveTimeIntervals(ctx, r.RouteOpts.ActiveTimeIntervals)
		_, out, err := stages.Exec(ctx, log.NewNopLogger(), alert)
		if err != nil {
			t.Fatalf("time stages for %v at %s: %v", labels, at, err)
		}
		if len(out) > 0 {
			got = append(got, r.RouteOpts.Receiver)
		}
	}
	return got
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func duty(level, severity string) model.LabelSet {
	return model.LabelSet{"alertname": "YuqingFollowUpOverdue", "team": "duty", "level": model.LabelValue(level),
		"severity": model.LabelValue(severity), "number": "YQ-20261001-0001"}
}

var (
	dutyOnly = []string{"yuqing-duty"}
	major    = []string{"yuqing-xuanchuan", "yuqing-xinfang", "yuqing-duty"}
	ops      = model.LabelSet{"alertname": "YuqingSourceDown", "team": "ops", "severity": "warning", "source": "lanchuan-bbs"}
)

// The shipped configuration at chosen instants: Ⅲ/Ⅳ reminders in working
// time only, Ⅰ/Ⅱ and ops alerts always.
func TestShippedQuietHours(t *testing.T) {
	am := parseAM(t, readFile(t, shippedAM))
	cases := []struct {
		what   string
		labels model.LabelSet
		at     string
		want   []string
	}{
		{"Ⅳ, Tuesday 10:00", duty("4", "warning"), "2026-11-24 10:00", dutyOnly},
		{"Ⅲ info, Tuesday 10:00", duty("3", "info"), "2026-11-24 10:00", dutyOnly},
		{"Ⅳ, Tuesday 20:00", duty("4", "warning"), "2026-11-24 20:00", nil},
		{"Ⅳ, Tuesday 08:29", duty("4", "warning"), "2026-11-24 08:29", nil},
		{"Ⅳ, Tuesday 08:30", duty("4", "warning"), "2026-11-24 08:30", dutyOnly},
		{"Ⅳ, Tuesday 16:59", duty("4", "warning"), "2026-11-24 16:59", dutyOnly},
		{"Ⅳ, Tuesday 17:00", duty("4", "warning"), "2026-11-24 17:00", nil},
		{"Ⅲ, ordinary Saturday 10:00", duty("3", "warning"), "2026-11-28 10:00", nil},
		{"Ⅲ, 国庆 Thursday 10:00", duty("3", "warning"), "2026-10-01 10:00", nil},
		{"Ⅳ, 国庆 Wednesday 10:00", duty("4", "warning"), "2026-10-07 10:00", nil},
		{"Ⅳ, the Thursday after 国庆 10:00", duty("4", "warning"), "2026-10-08 10:00", dutyOnly},
		{"Ⅲ, 调休 Saturday 10:00", duty("3", "warning"), "2026-10-10 10:00", dutyOnly},
		{"Ⅲ, 调休 Sunday 10:00", duty("3", "warning"), "2026-09-20 10:00", dutyOnly},
		{"Ⅲ, 调休 Saturday 20:00", duty("3", "warning"), "2026-10-10 20:00", nil},
		{"Ⅳ, 2027 春节 make-up Tuesday 10:00 (provisional year)", duty("4", "warning"), "2027-02-09 10:00", nil},
		// Beyond the listed years only weekends are known, as for deadlines.
		{"Ⅳ, Monday 10:00 of an unlisted year", duty("4", "warning"), "2028-10-02 10:00", dutyOnly},
		{"Ⅱ, 国庆 night", duty("2", "critical"), "2026-10-02 23:00", major},
		{"Ⅰ, ordinary Saturday 03:00", duty("1", "critical"), "2026-11-28 03:00", major},
		{"Ⅱ warning, 国庆 night", duty("2", "warning"), "2026-10-02 23:00", major},
		// An operator who gives Ⅲ an acknowledgement deadline gets its
		// critical overdue alert at once, as the runbook promises critical.
		{"Ⅲ critical, 国庆 night", duty("3", "critical"), "2026-10-02 23:00", dutyOnly},
		{"ops, 国庆 night", ops, "2026-10-02 23:00", []string{"yuqing-ops"}},
	}
	for _, c := range cases {
		if got := am.notified(t, c.labels, at(c.at)); !slices.Equal(got, c.want) {
			t.Errorf("%s (%s): notified %v, want %v", c.what, c.at, got, c.want)
		}
	}
}

// Every half hour of the listed years (and the first days of the next) the
// shipped Ⅲ/Ⅳ route notifies exactly when the calendar says it is working
// time, and the shipped block is what the calendar renders now.
func TestShippedQuietHoursFollowCalendar(t *testing.T) {
	text := readFile(t, shippedAM)
	cal, err := calendar.Load(shippedCalendar, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	block, err := calendar.Block(text)
	if err != nil {
		t.Fatal(err)
	}
	if string(block) != string(cal.Alertmanager()) {
		t.Fatalf("%s is stale: run yuqing calendar alertmanager -write", shippedAM)
	}
	compare(t, parseAM(t, text), cal, at("2026-01-01 00:00"), at("2028-01-08 00:00"), 30*time.Minute)
}

// compare checks a Ⅳ duty alert against IsWorkingTime from from to to.
func compare(t *testing.T, am *alertmanager, cal *calendar.Calendar, from, to time.Time, step time.Duration) {
	t.Helper()
	wrong := 0
	for tm := from; tm.Before(to); tm = tm.Add(step) {
		sent := len(am.notified(t, duty("4", "warning"), tm)) > 0
		if want := cal.IsWorkingTime(tm); sent != want {
			t.Errorf("%s: Ⅳ notified %v, calendar says working time %v", tm.Format("2006-01-02 15:04 Mon"), sent, want)
			if wrong++; wrong == 10 {
				t.Fatal("too many mismatches")
			}
		}
	}
}

// A calendar the shipped one does not exercise: two spans a day, Saturday
// worked, a holiday across the year's end, a 调休 Sunday, no provisional
// year. Alertmanager reads the rendering as the calendar means it.
func TestRenderedIntervalsFollowCalendar(t *testing.T) {
	dir := t.TempDir()
	calFile := filepath.Join(dir, "calendar.yaml")
	writeFile(t, calFile, `weekdays: [1, 2, 3, 4, 5, 6]
working_hours:
  - {from: "08:00", to: "12:00"}
  - {from: "13:30", to: "24:00"}
holidays:
  - {name: 元旦, from: 2026-12-30, to: 2027-01-02}
  - {name: 春节, from: 2027-02-05, to: 2027-02-10}
workdays:
  - {date: 2027-01-03, note: 元旦调休}
  - {date: 2027-02-14}
`)
	cal, err := calendar.Load(calFile, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := calendar.ReplaceBlock(readFile(t, shippedAM), cal.Alertmanager())
	if err != nil {
		t.Fatal(err)
	}
	am := parseAM(t, cfg)
	compare(t, am, cal, at("2026-12-20 00:00"), at("2027-02-20 00:00"), 15*time.Minute)
	for _, c := range []struct {
		at   string
		want bool
	}{{"2026-12-29 23:59", true}, {"2026-12-30 10:00", false}, {"2027-01-02 10:00", false}, {"2027-01-03 08:00", true},
		{"2027-01-04 12:00", false}, {"2027-01-04 13:30", true}, {"2027-01-09 10:00", true}, {"2027-01-10 10:00", false}} {
		if got := len(am.notified(t, duty("3", "warning"), at(c.at))) > 0; got != c.want {
			t.Errorf("%s: Ⅲ notified %v, want %v", c.at, got, c.want)
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
