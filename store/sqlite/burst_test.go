package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// TestBurstMigrationBackfillsStage checks that migration 00005 gives
// incidents a burst raise was logged for before it existed their stage, so
// upgrading does not let the same burst raise them once more.
func TestBurstMigrationBackfillsStage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "y.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	notes := [][]string{
		{"等级由Ⅳ级升为Ⅲ级（24小时内相关帖子达 5 条，舆情聚集）"},
		{"等级由Ⅳ级升为Ⅲ级（24小时内相关帖子达 5 条，舆情聚集）", "等级由Ⅲ级升为Ⅱ级（24小时内相关帖子达 20 条，舆情聚集）"},
		{"等级由Ⅳ级升为Ⅲ级（相关帖子等级更高）"},
	}
	var ids []int64
	err = s.InTx(ctx, func(tx store.Tx) error {
		for _, ns := range notes {
			inc := model.Incident{Title: "t", Category: "policy", Level: 4, Status: model.StatusOpen, Source: "s",
				FirstSeenAt: now, LastPostAt: now, FollowUpDueAt: now, UpdatedAt: now}
			if err := tx.CreateIncident(ctx, &inc); err != nil {
				return err
			}
			ids = append(ids, inc.ID)
			for _, n := range ns {
				if err := tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: now, Kind: model.EventLevelChanged,
					Actor: "系统", Note: n}); err != nil {
					return err
				}
			}
		}
		// A staff member's note quoting the words does not count.
		return tx.AppendEvent(ctx, model.Event{IncidentID: ids[2], At: now, Kind: model.EventLevelChanged,
			Actor: "王科员", Note: "等级由Ⅲ级降为Ⅳ级（非舆情聚集）"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Put the database back to before migration 00005, as an upgrade finds it.
	s.Close()
	if err := migrateDown(ctx, path, 4); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, path, nil); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	want := []int{1, 2, 0}
	err = s.InTx(ctx, func(tx store.Tx) error {
		for i, id := range ids {
			got, err := tx.BurstStage(ctx, id)
			if err != nil {
				return err
			}
			if got != want[i] {
				t.Errorf("incident %d (%q): stage %d, want %d", i, notes[i], got, want[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
