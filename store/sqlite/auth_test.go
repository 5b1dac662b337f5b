package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func TestAuthContract(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) store.AuthStore {
		s := openTemp(t)
		t.Cleanup(func() { s.Close() })
		return s.(*Store)
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t).(*Store)
	defer s.Close()
	if err := s.AppendAudit(ctx, store.AuditEntry{At: time.Now(), Actor: "wang", Action: "login", OK: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE audit_log SET actor = 'forged'`); err == nil {
		t.Error("audit log could be rewritten")
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
		t.Error("audit log could be deleted")
	}
	if log, _ := s.AuditLog(ctx, store.AuditFilter{}); len(log) != 1 || log[0].Actor != "wang" {
		t.Errorf("audit log changed: %+v", log)
	}
}
