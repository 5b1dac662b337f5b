package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
)

// An audit detail longer than 500 characters is masked before it is cut:
// an ID card or phone number straddling the cut never lands in the log as
// an unmasked stub.
func TestAuditDetailMaskedThenCut(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t, &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	for i, num := range []string{"430102198801011234", "13812345678"} {
		for lead := 500 - len(num); lead <= 500; lead += 3 {
			detail := strings.Repeat("医", lead) + "，" + num + "，请回电"
			svc.Audit(ctx, auth.Actor{Name: "cli"}, "test.cut", "t", detail, true)
		}
		rows := auditRowsOf(t, st, "test.cut")
		if len(rows) == 0 {
			t.Fatalf("number %d: no audit rows", i)
		}
		for _, r := range rows {
			if n := utf8.RuneCountInString(r.Detail); n > 501 {
				t.Errorf("detail is %d runes", n)
			}
			if strings.Contains(r.Detail, num[:7]) {
				t.Errorf("detail keeps %s…: %q", num[:7], r.Detail[len(r.Detail)-60:])
			}
		}
	}
}
