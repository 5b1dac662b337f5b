// Package pgtest gives tests an empty PostgreSQL schema of their own on the
// server YUQING_TEST_POSTGRES names (default: the local server, database
// test). Without a reachable server the test is skipped, unless
// YUQING_REQUIRE_POSTGRES=1 (CI), where it fails.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultDSN is the machine's local server, trust authentication.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var seq atomic.Int64

// Schema creates an empty schema, dropped when the test ends, and returns
// a DSN whose search_path is that schema.
func Schema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("YUQING_TEST_POSTGRES")
	if dsn == "" {
		dsn = DefaultDSN
	}
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("YUQING_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL 不可用（YUQING_REQUIRE_POSTGRES=1）: %v", err)
		}
		t.Skipf("跳过 PostgreSQL 测试：%v（设置 YUQING_TEST_POSTGRES 指向可用的数据库；CI 中必须运行）", err)
	}
	schema := fmt.Sprintf("yuqing_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, seq.Add(1))
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
