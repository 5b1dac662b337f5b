package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "yuqing.db"), time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, openTemp)
}

func TestClusterContract(t *testing.T) {
	storetest.RunCluster(t, func(t *testing.T) store.ClusterStore {
		s := openTemp(t).(*Store)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestEngine(t *testing.T) {
	storetest.RunEngine(t, storetest.Engine{
		New: func(t *testing.T) string { return filepath.Join(t.TempDir(), "y.db") },
		Open: func(ctx context.Context, path string) (storetest.EngineStore, error) {
			return Open(ctx, path, nil)
		},
		OpenReadOnly: func(ctx context.Context, path string) (store.Store, error) {
			return OpenReadOnly(ctx, path, nil)
		},
		MigrateDown: migrateDown,
	})
}

func TestOpenReadOnlyNeedsTheFile(t *testing.T) {
	if _, err := OpenReadOnly(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil); err == nil {
		t.Fatal("OpenReadOnly created a missing database")
	}
}

func BenchmarkIncidentPages(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "yuqing.db"), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchIncidentPages(b, s, func() error { _, err := s.Exec(context.Background(), "ANALYZE"); return err })
}

func BenchmarkPosts(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "yuqing.db"), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchPosts(b, s, func() error { _, err := s.Exec(context.Background(), "ANALYZE"); return err })
}

func BenchmarkFigures(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "yuqing.db"), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchFigures(b, s, func() error { _, err := s.Exec(context.Background(), "ANALYZE"); return err })
}

func BenchmarkReport(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "yuqing.db"), time.FixedZone("CST", 8*3600))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchReport(b, s, func() error { _, err := s.Exec(context.Background(), "ANALYZE"); return err })
}
