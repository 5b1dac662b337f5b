package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/yuqing-bureau/yuqing/store/internal/sqldb"
)

// OpenReadOnly opens an existing database for reading only: no migration,
// no write, safe beside a running daemon. Tools such as `yuqing replay` use
// it so that they can promise not to touch the store.
func OpenReadOnly(ctx context.Context, path string, loc *time.Location) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("打开 SQLite 数据库 %s: %w", path, err)
	}
	if loc == nil {
		loc = time.Local
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("打开 SQLite 数据库 %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("打开 SQLite 数据库 %s: %w", path, err)
	}
	// Reads and writes share the pool; every write fails on query_only.
	return sqldb.New(db, db, loc, dialect), nil
}
