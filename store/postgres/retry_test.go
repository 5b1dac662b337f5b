package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// appSchema returns a schema of its own and a DSN that names its
// connections (application_name), so the test can terminate exactly the
// store's backends, and a function that does so and waits until they are
// gone; it returns how many it ended.
func appSchema(t *testing.T) (dsn string, terminate func() int) {
	t.Helper()
	base := pgtest.Schema(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprintf("yuqing-retry-%d", time.Now().UnixNano())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return u.String(), func() int {
		t.Helper()
		var n int
		if err := admin.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))
			FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// TestRetryAfterTerminatedBackends: after pg_terminate_backend ends every
// backend of the store's pools, the next call of each kind succeeds: a read
// (run once more on a new connection), a write outside a transaction (the
// writer checks its connections before use), a write transaction and a
// read-only one.
func TestRetryAfterTerminatedBackends(t *testing.T) {
	ctx := context.Background()
	dsn, terminate := appSchema(t)
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := s.CreateUser(ctx, &store.User{Name: "wang", Role: "handler", PasswordHash: "x", CreatedAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, call := range []struct {
		name string
		f    func() error
	}{
		{"read", func() error { _, err := s.UserByName(ctx, "wang"); return err }},
		{"write outside a transaction", func() error {
			return s.AppendAudit(ctx, store.AuditEntry{At: at, Actor: "wang", Action: "test", OK: true})
		}},
		{"write transaction", func() error {
			n++
			_, err := s.SavePost(ctx, &model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/%d", n), Title: "医保", FetchedAt: at})
			return err
		}},
		{"read-only transaction", func() error {
			if _, err := s.IncidentDetail(ctx, "YQ-20261123-0001"); !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		}},
	} {
		if err := call.f(); err != nil { // the pools hold live connections now
			t.Fatalf("%s: %v", call.name, err)
		}
		if ended := terminate(); ended == 0 {
			t.Fatalf("%s: no backend to terminate", call.name)
		}
		if err := call.f(); err != nil {
			t.Errorf("%s after pg_terminate_backend: %v", call.name, err)
		}
	}
}

// TestWriteTxRetriedWhenConnectionBreaksInside: a transaction whose
// connection is terminated between two statements is rolled back and run
// once more as a whole (its first statement does not count twice).
func TestWriteTxRetriedWhenConnectionBreaksInside(t *testing.T) {
	ctx := context.Background()
	dsn, terminate := appSchema(t)
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	runs := 0
	err = s.InTx(ctx, func(tx store.Tx) error {
		runs++
		if err := tx.AddFalsePositives(ctx, []string{"fraud"}, 1, at); err != nil {
			return err
		}
		if runs == 1 && terminate() == 0 {
			t.Error("no backend to terminate")
		}
		return tx.AddFalsePositives(ctx, []string{"fraud"}, 1, at)
	})
	if err != nil || runs != 2 {
		t.Fatalf("InTx: %v after %d runs, want success after 2", err, runs)
	}
	fps, err := s.RuleFalsePositives(ctx)
	if err != nil || len(fps) != 1 || fps[0].Count != 2 {
		t.Errorf("false positives %+v (%v), want fraud counted 2 times", fps, err)
	}
}
