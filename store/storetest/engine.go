package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// EngineStore is what an engine's Open returns: the stores plus Exec, a raw
// statement on the writer, to try what the schema itself must refuse.
type EngineStore interface {
	store.Store
	store.AuthStore
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Engine opens one database of an engine more than once, for the tests of
// what its schema and connections guarantee beyond the Store interface.
type Engine struct {
	// New returns the address (file path, DSN) of a fresh, empty database.
	New          func(t *testing.T) string
	Open         func(ctx context.Context, addr string) (EngineStore, error)
	OpenReadOnly func(ctx context.Context, addr string) (store.Store, error)
}

// RunEngine runs the engine tests.
func RunEngine(t *testing.T, e Engine) {
	t.Run("ReopenKeepsData", func(t *testing.T) { testReopen(t, e) })
	t.Run("EventLogIsAppendOnly", func(t *testing.T) { testEventLogAppendOnly(t, e) })
	t.Run("AuditLogIsAppendOnly", func(t *testing.T) { testAuditLogAppendOnly(t, e) })
	t.Run("ReadOnlyNeverWrites", func(t *testing.T) { testReadOnly(t, e) })
	t.Run("ConcurrentFirstOpens", func(t *testing.T) { testConcurrentOpens(t, e) })
}

// testConcurrentOpens: processes starting together on a new database (two
// daemons, a daemon and `yuqing user add`) all get a migrated store.
func testConcurrentOpens(t *testing.T, e Engine) {
	addr := e.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			s, err := e.Open(context.Background(), addr)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			if _, err := s.SourceStates(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func open(t *testing.T, e Engine, addr string) EngineStore {
	t.Helper()
	s, err := e.Open(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testReopen(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	s := open(t, e, addr)
	p := &store.Post{Source: "bbs", URL: "http://x/1", Title: "医保", Body: "报销"}
	if _, err := s.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, e, addr) // migrations already applied: must be a no-op
	if _, ok, err := s.PostByURL(ctx, "http://x/1"); !ok || err != nil {
		t.Fatalf("post lost across reopen: %v %v", ok, err)
	}
}

func testEventLogAppendOnly(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e, e.New(t))
	var number string
	err := s.InTx(ctx, func(tx store.Tx) error {
		inc := store.Incident{Title: "t", Category: "policy", Level: 4, Status: store.StatusOpen, Source: "s",
			FirstSeenAt: time.Now(), LastPostAt: time.Now(), FollowUpDueAt: time.Now(), UpdatedAt: time.Now()}
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		number = inc.Number
		return tx.AppendEvent(ctx, store.Event{IncidentID: inc.ID, At: time.Now(), Kind: store.EventCreated, Actor: "系统"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(ctx, `UPDATE incident_events SET note = 'forged'`); err == nil {
		t.Error("event log could be rewritten")
	}
	if _, err := s.Exec(ctx, `DELETE FROM incident_events`); err == nil {
		t.Error("event log could be deleted")
	}
	if _, err := s.Exec(ctx, `TRUNCATE incident_events`); err == nil {
		t.Error("event log could be truncated")
	}
	if d, err := s.IncidentDetail(ctx, number); err != nil || len(d.Events) != 1 {
		t.Errorf("event log after the attempts: %+v, %v", d.Events, err)
	}
}

func testAuditLogAppendOnly(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e, e.New(t))
	if err := s.AppendAudit(ctx, store.AuditEntry{At: time.Now(), Actor: "wang", Action: "login", OK: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(ctx, `UPDATE audit_log SET actor = 'forged'`); err == nil {
		t.Error("audit log could be rewritten")
	}
	if _, err := s.Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Error("audit log could be deleted")
	}
	if _, err := s.Exec(ctx, `TRUNCATE audit_log`); err == nil {
		t.Error("audit log could be truncated")
	}
	got, err := s.AuditLog(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 || got[0].Actor != "wang" || !got[0].OK {
		t.Errorf("audit log after the attempts: %+v, %v", got, err)
	}
}

func testReadOnly(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	rw := open(t, e, addr)
	p := &store.Post{Source: "bbs", URL: "http://x/1", Title: "医保", Body: "报销"}
	if _, err := rw.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	ro, err := e.OpenReadOnly(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got, err := ro.GradedPosts(ctx, time.Time{}, 0, 10); err != nil || len(got) != 1 {
		t.Fatalf("read-only GradedPosts = %v, %v", got, err)
	}
	if _, err := ro.SavePost(ctx, &store.Post{Source: "bbs", URL: "http://x/2", Title: "t", Body: "b"}); err == nil {
		t.Error("read-only store accepted a write")
	}
}

// Migrations checks an engine's embedded migrations (dir inside fsys): goose
// refuses to start a database that has applied a later version when an
// earlier one appears afterwards, so versions must run 1, 2, 3... with no
// gap or twin. It returns the file names, for engines to compare.
func Migrations(t *testing.T, fsys fs.FS, dir string) []string {
	t.Helper()
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, name := range names {
		var v int
		if _, err := fmt.Sscanf(name, dir+"/%05d_", &v); err != nil {
			t.Fatalf("%s: name is not NNNNN_what.sql: %v", name, err)
		}
		if v != i+1 {
			t.Errorf("%s has version %d, want %d (versions must be contiguous)", name, v, i+1)
		}
	}
	return names
}
