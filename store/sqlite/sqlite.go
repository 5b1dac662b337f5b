// Package sqlite is the embedded default store: one SQLite file through the
// pure-Go modernc.org/sqlite driver, so the daemon runs without any server.
// Writes go through a single connection (SQLite has one writer anyway);
// reads use a small pool that WAL mode lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/yuqing-bureau/yuqing/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements store.Store on SQLite (the SQL is shared with the other
// engines in store/internal/sqldb).
type Store = sqldb.Store

var dialect = &sqldb.Dialect{
	IsUnique: func(err error) bool {
		return strings.Contains(err.Error(), "UNIQUE constraint failed")
	},
	Search: sqldb.Search{
		Index: `INSERT OR REPLACE INTO post_fts (rowid, words) VALUES (?1, ?2)`,
		Table: `post_fts s`,
		Key:   `s.rowid`,
		Match: `s.post_fts MATCH ?`,
		Query: ftsQuery,
	},
	Terms: `json_each(t.terms) u`,
}

// ftsQuery is an FTS5 query for posts holding every one of words: each a
// quoted string (a phrase of the tokens unicode61 makes of it), all ANDed.
func ftsQuery(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return strings.Join(q, " ")
}

// Open opens (creating if needed) the database file at path and applies
// every pending migration. loc is the zone incident numbers are dated in.
func Open(ctx context.Context, path string, loc *time.Location) (*Store, error) {
	if loc == nil {
		loc = time.Local
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("创建数据目录 %s: %w", dir, err)
		}
	}
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
		pragmas.Add("_pragma", p)
	}
	pragmas.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + pragmas.Encode()
	release, err := lockInit(ctx, path+".migrate-lock")
	if err != nil {
		return nil, err
	}
	defer release()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("打开 SQLite 数据库 %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("打开 SQLite 数据库 %s: %w", path, err)
	}
	if err := sqldb.Migrate(ctx, w, goose.DialectSQLite3, migrations, "migrations"); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("打开 SQLite 数据库 %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	return sqldb.New(w, r, loc, dialect), nil
}
