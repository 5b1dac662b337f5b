package app

import (
	"context"
	"net/http"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/reportsched"
	"github.com/yuqing-bureau/yuqing/store"
)

// newReports returns the report scheduler on st: it reads the schedules,
// receivers and calendar of the configuration in force at each round,
// so a reload takes effect whole.
func (d *Daemon) newReports(st store.Database) (*reportsched.Scheduler, error) {
	cfg := d.cfg.Load()
	return reportsched.New(reportsched.Options{
		Store: st,
		Settings: func() reportsched.Settings {
			c := d.cfg.Load()
			return reportsched.Settings{Reports: &c.Reports, Delivery: &c.Delivery, Calendar: c.Calendar, Writer: c.ReportWriter}
		},
		Build: func(ctx context.Context, req report.Request) (report.Report, error) {
			return report.Build(ctx, st, req, reportOptions(d.cfg.Load()))
		},
		Location: cfg.Location,
		Clock:    reportsched.NowClock(d.opts.Now),
		Logger:   d.log.With("component", "reports"),
		// The leader's: the scheduler runs there (a follower's figures
		// would be stale and fire YuqingReportFailed).
		Registerer: cluster.LeaderOnly(d.reg, d.node),
		HTTPClient: &http.Client{},
		ConsoleURL: cfg.ExternalURL,
	})
}
