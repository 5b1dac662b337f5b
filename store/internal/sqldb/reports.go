package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

var _ store.ReportStore = (*Store)(nil)

// --- reports ---

func (s *Store) ClaimReport(ctx context.Context, kind string, periodStart, at time.Time, lease time.Duration) (int64, bool, error) {
	var id int64
	claimed := false
	err := s.inWriteTx(ctx, func(tx *tx) error {
		claimed = false
		err := tx.QueryRowContext(ctx, `INSERT INTO reports (kind, period_start, incident, scheduled_at)
			VALUES (?, ?, '', ?) ON CONFLICT (kind, period_start, incident) DO NOTHING RETURNING id`,
			kind, periodStart.UnixMilli(), at.UnixMilli()).Scan(&id)
		if err == nil {
			claimed = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The row exists: take it over when built by hand, or when its
		// claim is stale and never saved.
		err = tx.QueryRowContext(ctx, `UPDATE reports SET scheduled_at = ?1
			WHERE kind = ?2 AND period_start = ?3 AND incident = ''
			  AND (scheduled_at IS NULL OR (built_at IS NULL AND scheduled_at <= ?4))
			RETURNING id`, at.UnixMilli(), kind, periodStart.UnixMilli(), at.Add(-lease).UnixMilli()).Scan(&id)
		if err == nil {
			claimed = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var built sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT id, built_at FROM reports WHERE kind = ? AND period_start = ? AND incident = ''`,
			kind, periodStart.UnixMilli()).Scan(&id, &built)
		if !built.Valid {
			id = 0
		}
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("认领 %s 报告（%s）: %w", kind, periodStart.Format(time.DateOnly), err)
	}
	return id, claimed, nil
}

func (s *Store) SaveReport(ctx context.Context, r *store.StoredReport) error {
	var id int64
	err := s.inWriteTx(ctx, func(tx *tx) error {
		// Each run starts from the caller's id: a run again (a broken
		// connection, a deadlock) inserts again rather than update the
		// id its rolled-back insert gave.
		id = r.ID
		var err error
		if id != 0 {
			var res sql.Result
			res, err = tx.ExecContext(ctx, `UPDATE reports SET title = ?, built_at = ?, body = ? WHERE id = ?`,
				r.Title, r.BuiltAt.UnixMilli(), string(r.Body), id)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return fmt.Errorf("报告 %d: %w", id, store.ErrNotFound)
				}
			}
		} else {
			// A report built by hand replaces the one built by hand for
			// the same key; never a scheduled one.
			err = tx.QueryRowContext(ctx, `INSERT INTO reports (kind, period_start, incident, title, built_at, body)
				VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (kind, period_start, incident) DO UPDATE
				SET title = excluded.title, built_at = excluded.built_at, body = excluded.body
				WHERE reports.scheduled_at IS NULL
				RETURNING id`, r.Kind, r.PeriodStart.UnixMilli(), r.Incident, r.Title, r.BuiltAt.UnixMilli(), string(r.Body)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("该期报告已按计划生成: %w", store.ErrDuplicate)
			}
		}
		if err != nil {
			return err
		}
		for _, d := range r.Deliveries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_deliveries (report_id, receiver, next_at)
				VALUES (?, ?, ?) ON CONFLICT (report_id, receiver) DO NOTHING`, id, d.Receiver, r.BuiltAt.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("保存报告《%s》: %w", r.Title, err)
	}
	r.ID = id
	return nil
}

const reportCols = `id, kind, period_start, incident, title, built_at, scheduled_at IS NOT NULL`

func reportColumns(r *store.StoredReport) columns {
	var period, built int64
	return columns{
		dest: []any{&r.ID, &r.Kind, &period, &r.Incident, &r.Title, &built, &r.Scheduled},
		decode: func() error {
			r.PeriodStart, r.BuiltAt = time.UnixMilli(period), time.UnixMilli(built)
			return nil
		},
	}
}

var scanReport = scanWith(reportColumns)

func (s *Store) Report(ctx context.Context, id int64) (store.StoredReport, error) {
	var r store.StoredReport
	var body string
	err := scanInto(s.r.QueryRowContext(ctx, `SELECT `+reportCols+`, body FROM reports WHERE id = ? AND built_at IS NOT NULL`, id),
		reportColumns(&r), values(&body))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("报告 %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("读取报告 %d: %w", id, err)
	}
	r.Body = []byte(body)
	if err := s.attachDeliveries(ctx, []*store.StoredReport{&r}); err != nil {
		return r, err
	}
	return r, nil
}

func (s *Store) Reports(ctx context.Context, f store.ReportFilter) ([]store.StoredReport, error) {
	q := `SELECT ` + reportCols + ` FROM reports WHERE built_at IS NOT NULL`
	var args []any
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.BeforeID > 0 {
		q += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = store.DefaultPageSize
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, min(f.Limit, store.MaxPageSize))
	out, err := queryAll(ctx, s.r, scanReport, q, args...)
	if err != nil {
		return nil, fmt.Errorf("读取报告列表: %w", err)
	}
	ptrs := make([]*store.StoredReport, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	if err := s.attachDeliveries(ctx, ptrs); err != nil {
		return nil, err
	}
	return out, nil
}

// --- deliveries ---

const deliveryCols = `report_id, receiver, sent_at, attempts, last_error, last_at, next_at`

var scanDelivery = scanWith(func(d *store.ReportDelivery) columns {
	var sent, last, next sql.NullInt64
	return columns{
		dest: []any{&d.ReportID, &d.Receiver, &sent, &d.Attempts, &d.LastError, &last, &next},
		decode: func() error {
			d.SentAt, d.LastAttemptAt, d.NextAttemptAt = fromMS(sent), fromMS(last), fromMS(next)
			return nil
		},
	}
})

// attachDeliveries reads the deliveries of rs in one statement.
func (s *Store) attachDeliveries(ctx context.Context, rs []*store.StoredReport) error {
	if len(rs) == 0 {
		return nil
	}
	byID := make(map[int64]*store.StoredReport, len(rs))
	marks := make([]string, len(rs))
	args := make([]any, len(rs))
	for i, r := range rs {
		byID[r.ID] = r
		marks[i], args[i] = "?", r.ID
	}
	ds, err := queryAll(ctx, s.r, scanDelivery, `SELECT `+deliveryCols+` FROM report_deliveries
		WHERE report_id IN (`+strings.Join(marks, ", ")+`) ORDER BY report_id, receiver`, args...)
	if err != nil {
		return fmt.Errorf("读取报告发送记录: %w", err)
	}
	for _, d := range ds {
		r := byID[d.ReportID]
		r.Deliveries = append(r.Deliveries, d)
	}
	return nil
}

func (s *Store) DueDeliveries(ctx context.Context, now time.Time) ([]store.ReportDelivery, error) {
	out, err := queryAll(ctx, s.r, scanDelivery, `SELECT `+deliveryCols+` FROM report_deliveries
		WHERE sent_at IS NULL AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, report_id, receiver`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("读取待发送的报告: %w", err)
	}
	return out, nil
}

func (s *Store) ClaimDelivery(ctx context.Context, reportID int64, receiver string, at time.Time, lease time.Duration) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE report_deliveries SET claimed_until = ?1
		WHERE report_id = ?2 AND receiver = ?3 AND sent_at IS NULL AND next_at IS NOT NULL AND next_at <= ?4
		  AND (claimed_until IS NULL OR claimed_until <= ?4)`, at.Add(lease).UnixMilli(), reportID, receiver, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("认领报告 %d 发往 %s: %w", reportID, receiver, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) RecordDelivery(ctx context.Context, a store.DeliveryAttempt) error {
	var sent, next sql.NullInt64
	if a.Err == "" {
		sent = ms(a.At)
	} else {
		next = ms(a.Next)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE report_deliveries SET attempts = attempts + 1, last_at = ?, last_error = ?,
		sent_at = ?, next_at = ?, claimed_until = NULL WHERE report_id = ? AND receiver = ?`,
		a.At.UnixMilli(), a.Err, sent, next, a.ReportID, a.Receiver)
	if err != nil {
		return fmt.Errorf("记录报告 %d 发往 %s: %w", a.ReportID, a.Receiver, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("报告 %d 发往 %s: %w", a.ReportID, a.Receiver, store.ErrNotFound)
	}
	return nil
}
