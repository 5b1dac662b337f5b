package reportsched

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
)

// Archive keeps built reports in the store: what the console lists, opens
// and builds by hand, and what the scheduler stores.
type Archive struct {
	store  store.ReportStore
	report BuildFunc
	writer func() report.Writer
	now    func() time.Time
}

// NewArchive returns the archive of st; build builds a report, writer
// gives the writer of the configuration in force (nil: report.Writer{}),
// now is the clock (nil: time.Now).
func NewArchive(st store.ReportStore, build BuildFunc, writer func() report.Writer, now func() time.Time) *Archive {
	if now == nil {
		now = time.Now
	}
	if writer == nil {
		writer = func() report.Writer { return report.Writer{} }
	}
	return &Archive{store: st, report: build, writer: writer, now: now}
}

// Write writes a report in format f with the configured font.
func (a *Archive) Write(w io.Writer, rep report.Report, f report.Format) error {
	return a.writer().Write(w, rep, f)
}

// List returns a page of stored reports, newest first.
func (a *Archive) List(ctx context.Context, f store.ReportFilter) ([]store.StoredReport, error) {
	return a.store.Reports(ctx, f)
}

// Open returns a stored report and the report as it was built.
func (a *Archive) Open(ctx context.Context, id int64) (store.StoredReport, report.Report, error) {
	sr, err := a.store.Report(ctx, id)
	if err != nil {
		return sr, report.Report{}, err
	}
	var rep report.Report
	if err := json.Unmarshal(sr.Body, &rep); err != nil {
		return sr, rep, fmt.Errorf("报告 %d 的内容无法读取: %w", id, err)
	}
	return sr, rep, nil
}

// BuildNow builds the report req asks for as of now and stores it (a
// report built by hand earlier for the same period is replaced; one the
// scheduler built is kept: store.ErrDuplicate). It returns its id.
func (a *Archive) BuildNow(ctx context.Context, req report.Request) (int64, error) {
	req.Now = a.now()
	sr, err := a.build(ctx, req, 0, nil)
	return sr.ID, err
}

// build builds req and saves it under id (0: a new report) with the
// deliveries given.
func (a *Archive) build(ctx context.Context, req report.Request, id int64, deliveries []store.ReportDelivery) (store.StoredReport, error) {
	rep, err := a.report(ctx, req)
	if err != nil {
		return store.StoredReport{}, fmt.Errorf("生成%s: %w", req.Kind.Title(), err)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return store.StoredReport{}, fmt.Errorf("保存报告《%s》: %w", rep.Title, err)
	}
	sr := store.StoredReport{ID: id, Kind: string(rep.Kind), PeriodStart: rep.Period.From, Incident: req.Incident,
		Title: rep.Title, BuiltAt: req.Now, Scheduled: id != 0, Body: body, Deliveries: deliveries}
	if req.Kind == report.Special {
		sr.PeriodStart = req.Now // a 专报 is keyed by its incident and build time
	}
	if err := a.store.SaveReport(ctx, &sr); err != nil {
		return sr, err
	}
	return sr, nil
}

// FileName is what a report file is called for its readers.
func FileName(rep report.Report, f report.Format) string {
	return strings.NewReplacer("/", "-", "\\", "-").Replace(rep.Title) + f.Ext()
}

// Message is the delivery of rep: its title, summary and a link to the
// console (when link is not ""), with the report in each of formats.
func (a *Archive) Message(rep report.Report, formats []string, link string) (delivery.Message, error) {
	var b strings.Builder
	for _, p := range rep.Summary {
		b.WriteString(p)
		b.WriteString("\n\n")
	}
	if link != "" {
		fmt.Fprintf(&b, "[在控制台查看完整报告](%s)\n", link)
	}
	m := delivery.Message{Subject: rep.Title, Text: b.String()}
	for _, name := range formats {
		f, err := report.ParseFormat(name)
		if err != nil {
			return m, err
		}
		var buf bytes.Buffer
		if err := a.Write(&buf, rep, f); err != nil {
			return m, fmt.Errorf("写出报告《%s》的 %s 文件: %w", rep.Title, name, err)
		}
		m.Files = append(m.Files, delivery.File{Name: FileName(rep, f), ContentType: f.ContentType(), Data: buf.Bytes()})
	}
	return m, nil
}
