package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
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
	// MigrateDown migrates the closed database at addr down to version, as
	// an older yuqing left it, for the tests of what migrations do to the
	// data they find.
	MigrateDown func(ctx context.Context, addr string, version int64) error
}

// RunEngine runs the engine tests.
func RunEngine(t *testing.T, e Engine) {
	t.Run("ReopenKeepsData", func(t *testing.T) { testReopen(t, e) })
	t.Run("EventLogIsAppendOnly", func(t *testing.T) { testEventLogAppendOnly(t, e) })
	t.Run("AuditLogIsAppendOnly", func(t *testing.T) { testAuditLogAppendOnly(t, e) })
	t.Run("ReadOnlyNeverWrites", func(t *testing.T) { testReadOnly(t, e) })
	t.Run("ConcurrentFirstOpens", func(t *testing.T) { testConcurrentOpens(t, e) })
	t.Run("FilingConcurrent", func(t *testing.T) { testFilingConcurrent(t, e) })
	t.Run("IncidentRowLocked", func(t *testing.T) { testIncidentRowLocked(t, e) })
	t.Run("FilingBesideClose", func(t *testing.T) { testFilingBesideClose(t, e) })
	t.Run("DeadlockRunsAgain", func(t *testing.T) { testDeadlockRunsAgain(t, e) })
	t.Run("StaffStepWaitsForFiling", func(t *testing.T) { testStaffStepWaitsForFiling(t, e) })
	t.Run("NumbersWithoutWriteLock", func(t *testing.T) { testNumbersWithoutWriteLock(t, e) })
	t.Run("SavePostConcurrent", func(t *testing.T) { testSavePostConcurrent(t, e) })
	t.Run("FingerprintKeysBackfill", func(t *testing.T) { testFingerprintKeysBackfill(t, e) })
	t.Run("PostListBackfill", func(t *testing.T) { testPostListBackfill(t, e) })
	t.Run("TermsBackfill", func(t *testing.T) { testTermsBackfill(t, e) })
}

// testFingerprintKeysBackfill: migration 00007 indexes the fingerprints it
// finds under exactly the keys filing gives new ones (incident.IndexKeys):
// every lookup finds the same posts after the index is rebuilt in SQL.
func testFingerprintKeysBackfill(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	s := open(t, e, addr)
	fps := []store.Fingerprint{
		{SimHash: 0xF00D_0000_0000_BEEF, Entities: []string{"鹤汀市安泰康复医院", "石屋村"}, Terms: []string{"挂床"}},
		{SimHash: 0x0001_00a0_0b00_c000, Entities: []string{"安泰康复医院", "仁爱康复医院"}},
		{SimHash: 0xF00D_1234_0000_0001, Entities: []string{"东湖社区"}},
		{SimHash: 0, Entities: []string{"城关镇卫生院"}},
		{SimHash: 0x8000_0000_0000_0000},
	}
	probes := indexFingerprints(t, s, fps)
	want := backfillLookups(t, s, fps, probes)
	for i, f := range fps {
		for _, k := range f.Keys {
			if slices.Contains(want[k], f.PostID) == (i == 1) {
				t.Errorf("post %d found by its key %s: %v (the second post's incident is closed)", f.PostID, k, i != 1)
			}
		}
		if got := want[fmt.Sprint("exactly ", f.SimHash)]; i != 1 && !slices.Equal(got, []int64{f.PostID}) {
			t.Errorf("SimHash %x found posts %v, want %d", f.SimHash, got, f.PostID)
		}
	}
	s.Close()
	if err := e.MigrateDown(ctx, addr, 6); err != nil {
		t.Fatal(err)
	}
	if got := backfillLookups(t, open(t, e, addr), fps, probes); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("after the backfill the keys find\n%v\nwant\n%v", got, want)
	}
}

// testPostListBackfill: migration 00013 marks the latest grade of each
// post it finds, so that a post graded twice is listed with its second
// grade, in that grade's scope, as a post graded since; and a search
// within 已立事件 finds the posts filed before it.
func testPostListBackfill(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	s := open(t, e, addr)
	posts := seedRegraded(t, s, 12)
	slices.Reverse(posts)
	s.Close()
	if err := e.MigrateDown(ctx, addr, 12); err != nil {
		t.Fatal(err)
	}
	s = open(t, e, addr)
	for _, scope := range []store.PostScope{store.ScopeRelevant, store.ScopeIrrelevant} {
		want := slices.DeleteFunc(slices.Clone(posts), func(sp seededPost) bool { return sp.grade.Relevant != (scope == store.ScopeRelevant) })
		checkPostList(t, s, string(scope), store.PostFilter{Scope: scope}, want, len(posts))
	}
	checkPostList(t, s, "word and incident", store.PostFilter{Words: []string{"报销"}, Scope: store.ScopeIncident}, posts, len(posts))
}

// indexFingerprints files a post for each of fps (the second in an
// incident then closed, as closed incidents are indexed apart) and saves
// its fingerprint under the keys filing gives it, filling in PostID and
// Keys. It returns the names to look up: every key, and near misses (other
// bands, other values, parts of the entity names), so that the comparison
// before and after the backfill would see a key added as well as one lost.
func indexFingerprints(t *testing.T, s store.Store, fps []store.Fingerprint) (probes []string) {
	ctx := context.Background()
	for i := range fps {
		p := post(i + 1)
		mustSave(t, s, p)
		inc := fileNew(t, s, p, grade(p, 4), t0)
		if i == 1 { // a closed incident's posts are indexed as closed
			inc.Status, inc.ClosedAt = model.StatusClosed, t0
			if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIncident(ctx, inc) }); err != nil {
				t.Fatal(err)
			}
		}
		fps[i].PostID, fps[i].Keys = p.ID, incident.IndexKeys(fps[i])
		probes = append(probes, fps[i].Keys...)
		for b := range 4 { // other bands, other values
			probes = append(probes, fmt.Sprintf("b%d:%04x", b, uint16(fps[i].SimHash>>(16*((b+1)%4)))),
				fmt.Sprintf("b%d:%04x", b, uint16(fps[i].SimHash>>(16*b))^1))
		}
		for _, n := range fps[i].Entities {
			probes = append(probes, "s:"+n)
			for j := range n {
				probes = append(probes, "e:"+n[j:], "s:"+n[j:])
			}
		}
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		for _, f := range fps {
			if err := tx.SaveFingerprint(ctx, f); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return probes
}

// backfillLookups looks up every probe, and each fingerprint by the
// SimHash kept beside its keys, mapping each lookup to the posts it finds:
// one map to compare whole before and after the backfill.
func backfillLookups(t *testing.T, s store.Store, fps []store.Fingerprint, probes []string) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	look := func(name string, q store.CandidateQuery) {
		q.Since = t0.Add(-time.Hour)
		var ids []int64
		for _, f := range candidates(t, s, q) {
			ids = append(ids, f.PostID)
		}
		out[name] = ids
	}
	for _, k := range probes {
		look(k, store.CandidateQuery{Names: []string{k}})
	}
	for _, f := range fps { // the SimHash kept beside each key
		look(fmt.Sprint("exactly ", f.SimHash), store.CandidateQuery{Bands: f.Keys, SimHash: f.SimHash})
	}
	return out
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
	p := &model.Post{Source: "bbs", URL: "http://x/1", Title: "医保", Body: "报销"}
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
		inc := model.Incident{Title: "t", Category: "policy", Level: 4, Status: model.StatusOpen, Source: "s",
			FirstSeenAt: time.Now(), LastPostAt: time.Now(), FollowUpDueAt: time.Now(), UpdatedAt: time.Now()}
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		number = inc.Number
		return tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: time.Now(), Kind: model.EventCreated, Actor: "系统"})
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
	p := &model.Post{Source: "bbs", URL: "http://x/1", Title: "医保", Body: "报销"}
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
	if _, err := ro.SavePost(ctx, &model.Post{Source: "bbs", URL: "http://x/2", Title: "t", Body: "b"}); err == nil {
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
