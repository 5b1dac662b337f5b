package sqldb

import (
	"context"
	"database/sql"
)

// Reading rows: every statement that returns rows goes through eachRow
// (rows closed, rows.Err checked in one place), and every kind of row is
// scanned by one column set (postColumns, gradeColumns, incidentColumns…)
// that joined rows compose by listing them in column order.

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// columns are the scan destinations of some consecutive columns of a row
// and how they are decoded into their record once scanned (nil: nothing
// left to do).
type columns struct {
	dest   []any
	decode func() error
}

// values scans columns straight into dest.
func values(dest ...any) columns { return columns{dest: dest} }

// scanInto scans one row into the column sets, in order, then decodes them.
func scanInto(row scanner, sets ...columns) error {
	dest := sets[0].dest
	if len(sets) > 1 {
		n := 0
		for _, c := range sets {
			n += len(c.dest)
		}
		dest = make([]any, 0, n)
		for _, c := range sets {
			dest = append(dest, c.dest...)
		}
	}
	if err := row.Scan(dest...); err != nil {
		return err
	}
	for _, c := range sets {
		if c.decode != nil {
			if err := c.decode(); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanWith makes the row scanner of a record read by one column set.
func scanWith[T any](cols func(*T) columns) func(scanner) (T, error) {
	return func(row scanner) (T, error) {
		var v T
		err := scanInto(row, cols(&v))
		return v, err
	}
}

// scanValue scans a row of one column.
func scanValue[T any](row scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}

// eachRow runs q on db and calls fn on every row, stopping at its first
// error; the rows are closed and their error checked.
func eachRow(ctx context.Context, db querier, q string, args []any, fn func(scanner) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// queryAll runs q on db and scans every row with scan.
func queryAll[T any](ctx context.Context, db querier, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	var out []T
	err := eachRow(ctx, db, q, args, func(row scanner) error {
		v, err := scan(row)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
