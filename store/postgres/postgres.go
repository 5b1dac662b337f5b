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
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/yuqing-bureau/yuqing/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements store.Store on PostgreSQL.
type Store = sqldb.Store

// writeLockKey and the schema's name make the advisory lock write
// transactions take (InTx; never InRowTx, the grader's filing, nor the
// grading queue's and the leases' claims): the same in every yuqing
// process on one schema, and different for deployments (or tests) in
// other schemas of the database.
const writeLockKey = 0x7975_7169 // "yuqi"

var dialect = &sqldb.Dialect{
	Numbered: true,
	IsUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505" // unique_violation
	},
	WriteLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, hashtext(current_schema()))", writeLockKey),
	// One bigint per key and schema (a lock space apart from the
	// two-integer locks above and the leader's), taken in the order of
	// the hashes: two filings never hold each other's next key.
	KeyLock: `SELECT count(pg_advisory_xact_lock(h)) FROM (
		SELECT DISTINCT hashtextextended(current_schema() || ' ' || k, 0) AS h FROM unnest(?::text[]) AS k ORDER BY h) AS keys`,
	ConnLost: connLost,
	Deadlock: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") // deadlock_detected, serialization_failure
	},
	Unsent: pgconn.SafeToRetry,
	Search: sqldb.Search{
		Index: `INSERT INTO post_search (post_id, words, filed) VALUES (?1, to_tsvector('simple', ?2),
			EXISTS (SELECT 1 FROM incident_posts WHERE post_id = ?1))
			ON CONFLICT (post_id) DO UPDATE SET words = excluded.words, filed = excluded.filed`,
		Table: `post_search s`,
		Key:   `s.post_id`,
		Match: `s.words @@ plainto_tsquery('simple', ?)`,
		// plainto_tsquery ANDs the lexemes of the text and ignores any
		// query syntax in it.
		Query: func(words []string) string { return strings.Join(words, " ") },
		Filed: `s.filed`,
		File:  `UPDATE post_search SET filed = TRUE WHERE post_id = ?1 AND NOT filed`,
	},
	Terms:      `json_array_elements_text(t.terms::json) u(value)`,
	SkipLocked: ` FOR UPDATE SKIP LOCKED`,
	ForUpdate:  ` FOR UPDATE`,
}

// connLost reports an error of a broken connection rather than of the
// statement: the server ended the session (pg_terminate_backend, a
// restart: SQLSTATE 57P01-57P03, class 08) or the socket broke.
func connLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || strings.HasPrefix(pe.Code, "08")
	}
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || (errors.As(err, &ne) && !ne.Timeout())
}

// Open connects to the database dsn names (a postgres:// URL or key=value
// string, as libpq takes) and applies every pending migration. loc is the
// zone incident numbers are dated in.
func Open(ctx context.Context, dsn string, loc *time.Location) (*Store, error) {
	// The writer checks each connection before use: a write outside a
	// transaction is retried only when it never reached the server, so a
	// connection the server closed while it sat idle must be found first.
	w, err := open(ctx, dsn, false, 4, stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return true }))
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	// Readers have a pool of their own: writers queueing for the write
	// lock must not keep the console from reading.
	r, err := open(ctx, dsn, false, 8)
	if err != nil {
		w.Close()
		return nil, err
	}
	return sqldb.New(w, r, loc, dialect), nil
}

// migrate applies the pending migrations under a session lock, so that
// processes starting together (two daemons, a daemon and `yuqing user add`)
// take turns instead of breaking each other's migration.
func migrate(ctx context.Context, db *sql.DB) error {
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("读取当前 schema: %w", err)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "yuqing-migrate:%s", schema)
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	return sqldb.Migrate(ctx, db, goose.DialectPostgres, migrations, "migrations", goose.WithSessionLocker(locker))
}

// OpenReadOnly connects with every transaction read-only and runs no
// migration: tools such as `yuqing replay` use it beside a running daemon.
func OpenReadOnly(ctx context.Context, dsn string, loc *time.Location) (*Store, error) {
	db, err := open(ctx, dsn, true, 4)
	if err != nil {
		return nil, err
	}
	return sqldb.NewReadOnly(db, loc, dialect), nil
}

// CheckDSN reports whether dsn parses, without connecting: `yuqing check`
// names a malformed connection string before the daemon tries it.
func CheckDSN(dsn string) error {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return fmt.Errorf("PostgreSQL 连接串无效: %w", err)
	}
	return nil
}

// DescribeDSN names the database dsn points at, for printing: user, host,
// port and database, never the password.
func DescribeDSN(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "（连接串无法解析）"
	}
	return fmt.Sprintf("postgres://%s@%s/%s", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}

func open(ctx context.Context, dsn string, readOnly bool, conns int, opts ...stdlib.OptionOpenDB) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL 连接串无效: %w", err)
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// Statements are prepared once per connection, and after five runs
	// PostgreSQL may plan one for any arguments: a search would then scan
	// in id order for a rare word as for a common one. Every run is
	// planned for its arguments instead (a millisecond).
	cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	db := stdlib.OpenDB(*cfg, opts...)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("连接 PostgreSQL %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return db, nil
}
