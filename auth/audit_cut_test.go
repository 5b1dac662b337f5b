package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
)

// An audit detail longer than its bound is masked before it is cut:
// an ID card or phone number straddling the cut never lands in the log as
// an unmasked stub.
func TestAuditDetailMaskedThenCut(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t, &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	for i, num := range []string{"430102198801011234", "13812345678"} {
		for lead := auth.MaxAuditDetail - len(num); lead <= auth.MaxAuditDetail; lead += 3 {
			detail := strings.Repeat("医", lead) + "，" + num + "，请回电"
			svc.Audit(ctx, auth.Actor{Name: "cli"}, "test.cut", "t", detail, true)
		}
		rows := auditRowsOf(t, st, "test.cut")
		if len(rows) == 0 {
			t.Fatalf("number %d: no audit rows", i)
		}
		for _, r := range rows {
			if n := utf8.RuneCountInString(r.Detail); n > auth.MaxAuditDetail+1 || len(r.Detail) > 1024 {
				t.Errorf("detail is %d runes", n)
			}
			if strings.Contains(r.Detail, num[:7]) {
				t.Errorf("detail keeps %s…: %q", num[:7], r.Detail[len(r.Detail)-60:])
			}
		}
	}
}

// Refused requests are audited in a burst, then once a minute per action,
// actor and address; the next row written counts those left out. A long
// target is cut to its bound.
func TestAuditRefusalIsThrottled(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc, st := newService(t, c)
	long := "POST /admin/" + strings.Repeat("路", 100000)
	for range 100 {
		svc.AuditRefusal(ctx, auth.Actor{Name: "zhao", IP: "10.0.0.1"}, "access.denied", long, "需要角色 admin")
	}
	svc.AuditRefusal(ctx, auth.Actor{Name: "zhao", IP: "10.0.0.2"}, "access.denied", "POST /x", "")
	svc.AuditRefusal(ctx, auth.Actor{Name: "zhao", IP: "10.0.0.1"}, "csrf.rejected", "/x", "POST")
	rows := auditRowsOf(t, st, "access.denied")
	if len(rows) != 21 {
		t.Fatalf("%d access.denied rows after 100 refusals and one from another address, want 20+1", len(rows))
	}
	for _, r := range rows {
		if n := utf8.RuneCountInString(r.Target); n > auth.MaxAuditTarget+1 {
			t.Errorf("target of %d runes", n)
		}
	}
	if n := len(auditRowsOf(t, st, "csrf.rejected")); n != 1 {
		t.Errorf("%d csrf.rejected rows, want 1 (a budget of its own)", n)
	}
	c.Add(time.Minute)
	svc.AuditRefusal(ctx, auth.Actor{Name: "zhao", IP: "10.0.0.1"}, "access.denied", "POST /y", "需要角色 admin")
	svc.AuditRefusal(ctx, auth.Actor{Name: "zhao", IP: "10.0.0.1"}, "access.denied", "POST /z", "需要角色 admin")
	rows = auditRowsOf(t, st, "access.denied")
	if len(rows) != 22 || rows[0].Target != "POST /y" || !strings.Contains(rows[0].Detail, "此前另有 80 条同类记录") {
		t.Errorf("a minute later: %d rows, newest %+v; want 22, POST /y counting the 80 left out", len(rows), rows[0])
	}
}
