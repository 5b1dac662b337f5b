// Package postgres is the store for a bureau that runs PostgreSQL: several
// daemons' worth of history, backups and replication by the database's own
// tools. The SQL is shared with SQLite (store/internal/sqldb); this package
// opens the pool, applies its own embedded migrations (the same versions as
// SQLite's, in PostgreSQL's types) and serialises writers with a
// transaction-scoped advisory lock, as SQLite's single writer does.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/yuqing-bureau/yuqing/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements store.Store on PostgreSQL.
type Store = sqldb.Store

// writeLockKey is the advisory lock every write transaction takes: any
// number, the same in every yuqing process on the database.
const writeLockKey = 0x7975_7169 // "yuqi"

var dialect = &sqldb.Dialect{
	Numbered: true,
	IsUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505" // unique_violation
	},
	WriteLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", writeLockKey),
}

// Open connects to the database dsn names (a postgres:// URL or key=value
// string, as libpq takes) and applies every pending migration. loc is the
// zone incident numbers are dated in.
func Open(ctx context.Context, dsn string, loc *time.Location) (*Store, error) {
	db, err := open(ctx, dsn, false)
	if err != nil {
		return nil, err
	}
	if err := sqldb.Migrate(ctx, db, goose.DialectPostgres, migrations, "migrations"); err != nil {
		db.Close()
		return nil, err
	}
	return sqldb.New(db, db, loc, dialect), nil
}

// OpenReadOnly connects with every transaction read-only and runs no
// migration: tools such as `yuqing replay` use it beside a running daemon.
func OpenReadOnly(ctx context.Context, dsn string, loc *time.Location) (*Store, error) {
	db, err := open(ctx, dsn, true)
	if err != nil {
		return nil, err
	}
	return sqldb.New(db, db, loc, dialect), nil
}

// CheckDSN reports whether dsn parses, without connecting: `yuqing check`
// names a malformed connection string before the daemon tries it.
func CheckDSN(dsn string) error {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return fmt.Errorf("PostgreSQL 连接串无效: %w", err)
	}
	return nil
}

func open(ctx context.Context, dsn string, readOnly bool) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL 连接串无效: %w", err)
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("连接 PostgreSQL %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return db, nil
}
