package app

import (
	"context"
	"net/http"

	"github.com/yuqing-bureau/yuqing/config"
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
			return reportsched.Settings{Reports: &c.Reports, Delivery: &c.Delivery, Calendar: c.Calendar}
		},
		Build: func(ctx context.Context, req report.Request) (report.Report, error) {
			return report.Build(ctx, st, req, reportOptions(d.cfg.Load()))
		},
		Location:   cfg.Location,
		Clock:      reportsched.NowClock(d.opts.Now),
		Logger:     d.log.With("component", "reports"),
		Registerer: d.reg,
		HTTPClient: &http.Client{},
		ConsoleURL: cfg.ExternalURL,
	})
}

// reportOptions are what a report counts by in cfg: its districts, zone,
// sources' titles and offices.
func reportOptions(cfg *config.Config) report.Options {
	titles := make(map[string]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		titles[s.Name] = s.Title
	}
	return report.Options{Places: cfg.Places, Location: cfg.Location, SourceTitles: titles, Offices: cfg.Offices}
}
