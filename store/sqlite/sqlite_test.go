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

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "y.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &store.Post{Source: "bbs", URL: "http://x/1", Title: "医保", Body: "报销"}
	if _, err := s.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, ok, err := s.PostByURL(ctx, "http://x/1"); !ok || err != nil {
		t.Fatalf("post lost across reopen: %v %v", ok, err)
	}
}

func TestEventLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t).(*Store)
	defer s.Close()
	err := s.InTx(ctx, func(tx store.Tx) error {
		inc := store.Incident{Title: "t", Category: "policy", Level: 4, Status: store.StatusOpen, Source: "s",
			FirstSeenAt: time.Now(), LastPostAt: time.Now(), FollowUpDueAt: time.Now(), UpdatedAt: time.Now()}
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, store.Event{IncidentID: inc.ID, At: time.Now(), Kind: store.EventCreated, Actor: "系统"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE incident_events SET note = 'forged'`); err == nil {
		t.Error("event log could be rewritten")
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM incident_events`); err == nil {
		t.Error("event log could be deleted")
	}
}

func TestOpenReadOnlyNeverWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "y.db")
	if _, err := OpenReadOnly(ctx, path, nil); err == nil {
		t.Fatal("OpenReadOnly created a missing database")
	}
	rw, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &store.Post{Source: "bbs", URL: "http://x/1", Title: "医保", Body: "报销"}
	if _, err := rw.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	defer rw.Close()
	if got, err := ro.GradedPosts(ctx, time.Time{}, 0, 10); err != nil || len(got) != 1 {
		t.Fatalf("read-only GradedPosts = %v, %v", got, err)
	}
	if _, err := ro.SavePost(ctx, &store.Post{Source: "bbs", URL: "http://x/2", Title: "t", Body: "b"}); err == nil {
		t.Error("read-only store accepted a write")
	}
}
