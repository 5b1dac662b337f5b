package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/chart"
)

// ReportOptions configure `yuqing report`.
type ReportOptions struct {
	ConfigFile string
	Kind       report.Kind
	// Date is a day of the period, YYYY-MM-DD in the bureau's zone; ""
	// is the last period that is over (yesterday, last week, last month).
	Date     string
	Incident string // 专报: the incident number
	Format   report.Format
	OutFile  string
	Now      time.Time
	Out      io.Writer // where the result is told
}

// reportOptions are what reports count with, from the configuration: the
// bureau's zone, its districts and offices, its sources' titles.
func reportOptions(cfg *config.Config) report.Options {
	return report.Options{Places: cfg.Places, Location: cfg.Location, Offices: cfg.Offices,
		SourceTitle: sourceCatalog(func() *config.Config { return cfg }).Title}
}

// Report builds one report from the configured database, opened
// read-only beside a running daemon, and writes it to o.OutFile; a file
// already there is replaced only once the new one is complete.
func Report(ctx context.Context, o ReportOptions) error {
	cfg, err := config.Load(o.ConfigFile)
	if err != nil {
		return err
	}
	req := report.Request{Kind: o.Kind, Incident: o.Incident, Now: o.Now.In(cfg.Location)}
	if req.Date, err = reportDate(o.Kind, o.Date, req.Now); err != nil {
		return err
	}
	if o.Kind == report.Special && o.Incident == "" {
		return errors.New("专报请用 -incident 指定事件编号（如 YQ-20261207-0001）")
	}
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := report.Build(ctx, st, req, reportOptions(cfg))
	if err != nil {
		return err
	}
	var wr report.Writer
	if o.Format == report.DOCX {
		if wr.Font, err = chart.FindFont(cfg.ReportFont); err != nil {
			return err
		}
	}
	if err := writeFileAtomic(o.OutFile, func(w io.Writer) error { return wr.Write(w, rep, o.Format) }); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "已生成%s：%s\n", rep.Title, o.OutFile)
	return nil
}

// reportDate is the day named by date (YYYY-MM-DD) in now's zone, or a
// moment of the last period of kind k that is over.
func reportDate(k report.Kind, date string, now time.Time) (time.Time, error) {
	if date != "" {
		d, err := time.ParseInLocation(time.DateOnly, date, now.Location())
		if err != nil {
			return time.Time{}, fmt.Errorf("日期 %q 无效，应为 2026-12-07 这样的格式", date)
		}
		return d, nil
	}
	switch k {
	case report.Weekly:
		return now.AddDate(0, 0, -7), nil
	case report.Monthly:
		y, m, _ := now.Date()
		return time.Date(y, m-1, 1, 12, 0, 0, 0, now.Location()), nil
	}
	return now.AddDate(0, 0, -1), nil
}

// writeFileAtomic writes a file through a temporary file beside it,
// renamed into place once write has succeeded: a failed write leaves
// what was there.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	if path == "" {
		return errors.New("请用 -out 指定输出文件")
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("创建输出文件: %w", err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("写入 %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("写入 %s: %w", path, err)
	}
	return nil
}
