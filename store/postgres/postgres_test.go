package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func openSchema(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.Schema(t), time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openSchema(t) })
}

func TestAuthContract(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) store.AuthStore { return openSchema(t) })
}

func TestReportContract(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) store.ReportStore { return openSchema(t) })
}

func TestClusterContract(t *testing.T) {
	storetest.RunCluster(t, func(t *testing.T) store.ClusterStore { return openSchema(t) })
}

func TestEngine(t *testing.T) {
	storetest.RunEngine(t, storetest.Engine{
		New: func(t *testing.T) string { return pgtest.Schema(t) },
		Open: func(ctx context.Context, dsn string) (storetest.EngineStore, error) {
			return Open(ctx, dsn, nil)
		},
		OpenReadOnly: func(ctx context.Context, dsn string) (store.Store, error) {
			return OpenReadOnly(ctx, dsn, nil)
		},
		MigrateDown: func(ctx context.Context, dsn string, version int64) error {
			db, err := open(ctx, dsn, false, 1)
			if err != nil {
				return err
			}
			defer db.Close()
			sub, err := fs.Sub(migrations, "migrations")
			if err != nil {
				return err
			}
			p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				return err
			}
			_, err = p.DownTo(ctx, version)
			return err
		},
	})
}

// TestMigrationsMatchSQLite: both engines have the same versions, so a
// schema change is never made for one engine only.
func TestMigrationsMatchSQLite(t *testing.T) {
	names := storetest.Migrations(t, migrations, "migrations")
	sqlite, err := filepath.Glob(filepath.Join("..", "sqlite", "migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range sqlite {
		want = append(want, path.Join("migrations", filepath.Base(n)))
	}
	if !slices.Equal(names, want) {
		t.Errorf("PostgreSQL migrations %v, SQLite %v", names, want)
	}
}

// TestWritersAreSerialised: the same new URL saved from many goroutines at
// once is created once and never fails, as with SQLite's single writer
// (without the advisory lock, two inserts race and one hits the unique key).
func TestWritersAreSerialised(t *testing.T) {
	for _, isolation := range []string{"", "repeatable read", "serializable"} {
		t.Run("default_"+strings.ReplaceAll(isolation, " ", "_"), func(t *testing.T) {
			dsn := pgtest.Schema(t)
			if isolation != "" { // the server's default isolation, as a DBA may set it
				dsn += "&default_transaction_isolation=" + url.PathEscape(isolation)
			}
			s, err := Open(context.Background(), dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			saveConcurrently(t, s)
		})
	}
}

func saveConcurrently(t *testing.T, s *Store) {
	ctx := context.Background()
	for round := range 5 {
		var wg sync.WaitGroup
		var created atomic.Int64
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				p := &model.Post{Source: "bbs", URL: fmt.Sprintf("http://x/%d", round), Title: "医保", Body: "报销"}
				res, err := s.SavePost(ctx, p)
				if err != nil {
					errs <- err
				}
				if res == store.Created {
					created.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		if n := created.Load(); n != 1 {
			t.Errorf("round %d: created %d times", round, n)
		}
	}
}

var _ storetest.EngineStore = (*Store)(nil)

func BenchmarkIncidentPages(b *testing.B) {
	s, err := Open(context.Background(), pgtest.Schema(b), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchIncidentPages(b, s, func() error { _, err := s.Exec(context.Background(), "VACUUM ANALYZE incidents"); return err })
}

func BenchmarkPosts(b *testing.B) {
	s, err := Open(context.Background(), pgtest.Schema(b), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// What autovacuum does to tables that grew this much.
	storetest.BenchPosts(b, s, func() error {
		_, err := s.Exec(context.Background(), "VACUUM ANALYZE posts, grades, post_search, incident_posts, incidents")
		return err
	})
}

func BenchmarkFigures(b *testing.B) {
	s, err := Open(context.Background(), pgtest.Schema(b), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchFigures(b, s, func() error { _, err := s.Exec(context.Background(), "VACUUM ANALYZE"); return err })
}

func BenchmarkReport(b *testing.B) {
	s, err := Open(context.Background(), pgtest.Schema(b), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchReport(b, s, func() error { _, err := s.Exec(context.Background(), "VACUUM ANALYZE"); return err })
}
