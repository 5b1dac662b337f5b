package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// RunAuth runs the contract for accounts, sessions, API tokens and the audit
// log. open must return a new, empty store each call.
func RunAuth(t *testing.T, open func(t *testing.T) store.AuthStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.AuthStore)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Tokens", testTokens},
		{"AuditLog", testAuditLog},
		{"LoginLimits", testLoginLimits},
		{"LoginLimitsConcurrent", testLoginLimitsConcurrent},
		{"RefusalBudgets", testRefusalBudgets},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func addUser(t *testing.T, s store.AuthStore, name, role string) store.User {
	t.Helper()
	u := store.User{Name: name, DisplayName: "显示名 " + name, Role: role, PasswordHash: "$argon2id$x", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateUser(context.Background(), &u); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	if u.ID == 0 {
		t.Fatal("CreateUser did not assign an ID")
	}
	return u
}

func testUsers(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	wang := addUser(t, s, "wang", "handler")
	addUser(t, s, "admin", "admin")
	dup := store.User{Name: "wang", Role: "viewer", PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateUser(ctx, &dup); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate name: %v, want ErrDuplicate", err)
	}
	got, err := s.UserByName(ctx, "wang")
	if err != nil || got.ID != wang.ID || got.DisplayName != "显示名 wang" || got.Role != "handler" ||
		got.PasswordHash != "$argon2id$x" || got.Disabled || !got.CreatedAt.Equal(t0) {
		t.Errorf("UserByName = %+v, %v", got, err)
	}
	if _, err := s.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if got.Office != "" {
		t.Errorf("new account's office %q, want none", got.Office)
	}
	got.Role, got.Disabled, got.PasswordHash, got.UpdatedAt = "viewer", true, "$argon2id$y", t0.Add(time.Hour)
	got.Office = "宣传科"
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	back, err := s.UserByID(ctx, wang.ID)
	if err != nil || back.Role != "viewer" || !back.Disabled || back.PasswordHash != "$argon2id$y" || !back.UpdatedAt.Equal(t0.Add(time.Hour)) ||
		back.Office != "宣传科" {
		t.Errorf("after update: %+v, %v", back, err)
	}
	if _, err := s.UserByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown ID: %v", err)
	}
	if err := s.UpdateUser(ctx, store.User{ID: 9999, Name: "x", Role: "viewer"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of unknown user: %v", err)
	}
	all, err := s.Users(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "admin" || all[1].Name != "wang" {
		t.Errorf("Users = %+v, %v", all, err)
	}
}

func testSessions(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	wang, li := addUser(t, s, "wang", "handler"), addUser(t, s, "li", "viewer")
	mk := func(hash string, u store.User, life time.Duration) {
		t.Helper()
		if err := s.CreateSession(ctx, store.Session{IDHash: hash, UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(life),
			LastSeenAt: t0, IP: "10.0.0.1", UserAgent: "Firefox"}); err != nil {
			t.Fatal(err)
		}
	}
	mk("h1", wang, 8*time.Hour)
	mk("h2", wang, time.Hour)
	mk("h3", li, 8*time.Hour)
	se, err := s.SessionByHash(ctx, "h1")
	if err != nil || se.UserID != wang.ID || !se.ExpiresAt.Equal(t0.Add(8*time.Hour)) || se.IP != "10.0.0.1" || se.UserAgent != "Firefox" {
		t.Errorf("SessionByHash = %+v, %v", se, err)
	}
	if err := s.TouchSession(ctx, "h1", t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if se, _ := s.SessionByHash(ctx, "h1"); !se.LastSeenAt.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("touch not saved: %v", se.LastSeenAt)
	}
	if n, err := s.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.SessionByHash(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session kept: %v", err)
	}
	if err := s.DeleteUserSessions(ctx, wang.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByHash(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Error("user's session kept")
	}
	if _, err := s.SessionByHash(ctx, "h3"); err != nil {
		t.Errorf("other user's session removed: %v", err)
	}
	if err := s.DeleteSession(ctx, "h3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByHash(ctx, "h3"); !errors.Is(err, store.ErrNotFound) {
		t.Error("deleted session kept")
	}
}

func testTokens(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	bot := addUser(t, s, "bot", "handler")
	a := store.APIToken{UserID: bot.ID, Name: "告警联动", Hash: "ha", CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	b := store.APIToken{UserID: bot.ID, Hash: "hb", CreatedAt: t0.Add(time.Minute)}
	for _, tok := range []*store.APIToken{&a, &b} {
		if err := s.CreateToken(ctx, tok); err != nil || tok.ID == 0 {
			t.Fatalf("CreateToken: %v (id %d)", err, tok.ID)
		}
	}
	if err := s.CreateToken(ctx, &store.APIToken{UserID: bot.ID, Hash: "ha", CreatedAt: t0}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate hash: %v", err)
	}
	got, err := s.TokenByHash(ctx, "ha")
	if err != nil || got.ID != a.ID || got.Name != "告警联动" || !got.ExpiresAt.Equal(a.ExpiresAt) || !got.RevokedAt.IsZero() || !got.LastUsedAt.IsZero() {
		t.Errorf("TokenByHash = %+v, %v", got, err)
	}
	if got, _ := s.TokenByHash(ctx, "hb"); !got.ExpiresAt.IsZero() {
		t.Errorf("token without expiry: %+v", got)
	}
	if _, err := s.TokenByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if err := s.TouchToken(ctx, a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, a.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, a.ID, t0.Add(3*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	got, _ = s.TokenByHash(ctx, "ha")
	if !got.LastUsedAt.Equal(t0.Add(time.Hour)) || !got.RevokedAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("after touch and revoke: %+v", got)
	}
	all, err := s.Tokens(ctx)
	if err != nil || len(all) != 2 || all[0].ID != b.ID {
		t.Errorf("Tokens = %+v, %v (want newest first)", all, err)
	}
}

func testAuditLog(t *testing.T, s store.AuthStore) {
	ctx := context.Background()
	for i := range 5 {
		actor := "wang"
		if i%2 == 1 {
			actor = "li"
		}
		e := store.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: actor, IP: "10.0.0.1",
			Action: "incident.ack", Target: fmt.Sprintf("YQ-20261123-%04d", i), Detail: "备注", OK: i != 4}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{At: t0.Add(time.Hour), Actor: "li", Action: "logout", OK: true}); err != nil {
		t.Fatal(err)
	}
	all, err := s.AuditLog(ctx, store.AuditFilter{})
	if err != nil || len(all) != 6 {
		t.Fatalf("AuditLog = %d rows, %v", len(all), err)
	}
	if all[0].Action != "logout" || all[1].Target != "YQ-20261123-0004" || all[1].OK || !all[1].At.Equal(t0.Add(4*time.Minute)) ||
		all[1].IP != "10.0.0.1" || all[1].Detail != "备注" {
		t.Errorf("newest rows: %+v %+v", all[0], all[1])
	}
	li, _ := s.AuditLog(ctx, store.AuditFilter{Actor: "li"})
	acks, _ := s.AuditLog(ctx, store.AuditFilter{Action: "incident.ack", Limit: 2})
	if len(li) != 3 || len(acks) != 2 || acks[0].Target != "YQ-20261123-0004" {
		t.Errorf("filters: %d rows of li, acks %+v", len(li), acks)
	}
	older, _ := s.AuditLog(ctx, store.AuditFilter{Action: "incident.ack", BeforeID: acks[1].ID})
	if len(older) != 3 || older[0].Target != "YQ-20261123-0002" {
		t.Errorf("paging: %+v", older)
	}
	for f, want := range map[store.AuditFilter]int{{}: 6, {Actor: "li"}: 3, {Action: "incident.ack", BeforeID: 1, Limit: 1}: 5, {Actor: "nobody"}: 0} {
		if n, err := s.CountAudit(ctx, f); err != nil || n != want {
			t.Errorf("CountAudit(%+v) = %d, %v; want %d (page and limit aside)", f, n, err, want)
		}
	}
}
