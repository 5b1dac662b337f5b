package auth_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// cheap keeps tests fast; the production cost is measured in BenchmarkHash.
var cheap = auth.HashParams{Memory: 1024, Time: 1, Threads: 1}

func TestHashAndVerify(t *testing.T) {
	h, err := auth.HashPassword("正确的马电池订书钉", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash format %q", h)
	}
	h2, _ := auth.HashPassword("正确的马电池订书钉", cheap)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if ok, err := auth.VerifyPassword(h, "正确的马电池订书钉"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, err := auth.VerifyPassword(h, "正确的马电池订书针"); ok || err != nil {
		t.Errorf("wrong password: %v %v", ok, err)
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$2a$10$abcdefghijklmnopqrstuv",
		strings.Replace(h, "v=19", "v=16", 1), "$argon2id$v=19$m=1024,t=1,p=1$!!$AAAA"} {
		if ok, err := auth.VerifyPassword(bad, "x"); ok || !errors.Is(err, auth.ErrBadHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v", bad, ok, err)
		}
	}
	// Default parameters round-trip too.
	h, err = auth.HashPassword("pässwörd-1234", auth.DefaultHashParams)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.VerifyPassword(h, "pässwörd-1234"); !ok || !strings.Contains(h, "m=19456,t=2,p=1") {
		t.Errorf("default params: %q", h)
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := auth.HashPassword("benchmark-password", auth.DefaultHashParams); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPasswordPolicyAndNames(t *testing.T) {
	if err := auth.CheckPassword("wang", "short"); err == nil {
		t.Error("short password accepted")
	}
	if err := auth.CheckPassword("wangxiaoming", "WangXiaoMing"); err == nil {
		t.Error("password equal to the name accepted")
	}
	if err := auth.CheckPassword("wang", "医保舆情处置很重要的"); err != nil {
		t.Errorf("10 Chinese characters refused: %v", err)
	}
	if n, err := auth.NormalizeName(" Wang.Li "); n != "wang.li" || err != nil {
		t.Errorf("NormalizeName = %q, %v", n, err)
	}
	for _, bad := range []string{"", "a", "王科员", "-x", "a b", strings.Repeat("a", 33)} {
		if _, err := auth.NormalizeName(bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	p := auth.GeneratePassword()
	if len(p) != 16 || auth.CheckPassword("demo", p) != nil || p == auth.GeneratePassword() {
		t.Errorf("generated password %q", p)
	}
}

func TestRoles(t *testing.T) {
	cases := []struct {
		r, min auth.Role
		want   bool
	}{
		{auth.RoleViewer, auth.RoleViewer, true},
		{auth.RoleViewer, auth.RoleHandler, false},
		{auth.RoleHandler, auth.RoleViewer, true},
		{auth.RoleOperator, auth.RoleHandler, true},
		{auth.RoleOperator, auth.RoleAdmin, false},
		{auth.RoleAdmin, auth.RoleOperator, true},
		{auth.Role("root"), auth.RoleViewer, false},
	}
	for _, c := range cases {
		if got := c.r.AtLeast(c.min); got != c.want {
			t.Errorf("%s.AtLeast(%s) = %v", c.r, c.min, got)
		}
	}
	if auth.RoleViewer.SeesFullText() || !auth.RoleHandler.SeesFullText() {
		t.Error("full text: viewer must not, handler must")
	}
	if _, err := auth.ParseRole("superuser"); err == nil {
		t.Error("unknown role parsed")
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// onEngines runs fn on a new SQLite database and on a new PostgreSQL
// schema (skipped without a server, see pgtest); open opens one more
// store on the same database: another instance.
func onEngines(t *testing.T, fn func(t *testing.T, open func() store.AuthStore)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a.db")
		fn(t, func() store.AuthStore {
			st, err := sqlite.Open(context.Background(), path, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Schema(t)
		fn(t, func() store.AuthStore {
			st, err := postgres.Open(context.Background(), dsn, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
}

// try reserves an attempt and, when allowed, records it as failed.
func try(l *auth.Limiter, account, ip string) (bool, time.Duration) {
	res, ref, err := l.Reserve(context.Background(), account, ip)
	if err != nil {
		return false, 0
	}
	if ref != nil {
		return false, ref.Wait
	}
	res.Fail()
	return true, 0
}

func TestLimiter(t *testing.T) { onEngines(t, testLimiter) }

func testLimiter(t *testing.T, open func() store.AuthStore) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	l := auth.NewLimiter(open(), auth.LimitConfig{PerAccountIP: 3, PerIP: 5, Window: 10 * time.Minute}, c.Now)
	for i := range 3 {
		if ok, _ := try(l, "wang", "10.0.0.1"); !ok {
			t.Fatalf("try %d refused", i+1)
		}
		c.Add(time.Minute)
	}
	_, ref, _ := l.Reserve(ctx, "wang", "10.0.0.1")
	if ref == nil || ref.Wait != 7*time.Minute || !ref.First || len(ref.Kinds) != 1 || ref.Kinds[0] != auth.LimitAccountIP {
		t.Errorf("after 3 failures: %+v, want refused for 7m by account+ip, first", ref)
	}
	if _, ref, _ := l.Reserve(ctx, "wang", "10.0.0.1"); ref == nil || ref.First {
		t.Errorf("second refusal in the window: %+v, want refused and not first", ref)
	}
	// Spraying: failures over many accounts from one address.
	if ok, _ := try(l, "li", "10.0.0.1"); !ok {
		t.Error("another account is refused from the same address")
	}
	if ok, _ := try(l, "zhao", "10.0.0.1"); !ok {
		t.Error("a third account is refused from the same address")
	}
	if ok, _ := try(l, "qian", "10.0.0.1"); ok {
		t.Error("address with 5 failures over accounts still allowed")
	}
	c.Add(7 * time.Minute)
	if ok, _ := try(l, "wang", "10.0.0.2"); !ok {
		t.Error("other address blocked")
	}
	if res, ref, _ := l.Reserve(ctx, "wang", "10.0.0.1"); ref != nil {
		t.Errorf("still refused once the first failures left the window: %+v", ref)
	} else {
		res.Cancel()
	}
	// A success clears the account's failures from that address.
	try(l, "sun", "10.0.0.9")
	try(l, "sun", "10.0.0.9")
	res, _, _ := l.Reserve(ctx, "sun", "10.0.0.9")
	res.Success()
	try(l, "sun", "10.0.0.9")
	try(l, "sun", "10.0.0.9")
	if ok, _ := try(l, "sun", "10.0.0.9"); !ok {
		t.Error("failures before a success still counted")
	}
	// Once the window has passed, the failures go from the database.
	c.Add(10 * time.Minute)
	if n, err := l.Clean(ctx); err != nil || n == 0 {
		t.Errorf("Clean after the window: %d rows, %v", n, err)
	}
	if n, err := l.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean again: %d rows, %v", n, err)
	}
}

func TestLimiterPerAccountIgnoresAddress(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	l := auth.NewLimiter(newStore(t), auth.LimitConfig{PerAccountIP: 5, PerIP: 30, PerAccount: 20, Window: 15 * time.Minute}, c.Now)
	for i := range 20 { // a botnet: one guess per address
		if ok, _ := try(l, "wang", fmt.Sprintf("10.0.%d.1", i)); !ok {
			t.Fatalf("guess %d refused", i+1)
		}
	}
	_, ref, _ := l.Reserve(ctx, "wang", "10.9.9.9")
	if ref == nil || !slices.Contains(ref.Kinds, auth.LimitAccount) || ref.Wait != 15*time.Minute {
		t.Errorf("21st guess from a fresh address: %+v, want refused by the account limit", ref)
	}
	if ok, _ := try(l, "li", "10.9.9.9"); !ok {
		t.Error("another account refused")
	}
}

// TestLimiterReserveIsAtomic: parallel failing attempts cannot all pass
// the check before any failure is recorded, also when they are spread
// over two instances (two limiters on two stores of one database).
func TestLimiterReserveIsAtomic(t *testing.T) {
	onEngines(t, func(t *testing.T, open func() store.AuthStore) {
		ctx := context.Background()
		cfg := auth.LimitConfig{PerAccountIP: 5, PerIP: 30, PerAccount: 20, Window: time.Hour}
		ls := []*auth.Limiter{auth.NewLimiter(open(), cfg, nil), auth.NewLimiter(open(), cfg, nil)}
		var allowed sync.WaitGroup
		var mu sync.Mutex
		n := 0
		start := make(chan struct{})
		for i := range 200 {
			allowed.Go(func() {
				<-start
				if res, ref, err := ls[i%2].Reserve(ctx, "wang", "10.0.0.1"); err != nil {
					t.Error(err)
				} else if ref == nil {
					if err := res.Fail(); err != nil {
						t.Error(err)
					}
					mu.Lock()
					n++
					mu.Unlock()
				}
			})
		}
		close(start)
		allowed.Wait()
		if n != 5 {
			t.Errorf("%d of 200 parallel attempts allowed, want 5", n)
		}
	})
}

// newStore opens a new SQLite database.
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newService(t *testing.T, c *clock) (*auth.Service, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return auth.New(auth.Options{Store: st, Now: c.Now, Hash: cheap, SessionLifetime: 8 * time.Hour,
		IdleTimeout: time.Hour, Limits: auth.LimitConfig{PerAccountIP: 3, PerIP: 10, Window: 15 * time.Minute}}), st
}

func TestLoginSessionExpiryAndAudit(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc, st := newService(t, c)
	cli := auth.Actor{Name: "cli"}
	if _, err := svc.AddUser(ctx, cli, "wang", "王科员", auth.RoleHandler, "医保舆情处置很重要的"); err != nil {
		t.Fatal(err)
	}
	var in *auth.InputError
	if _, err := svc.AddUser(ctx, cli, "WANG", "", auth.RoleViewer, "another-password-1"); !errors.As(err, &in) {
		t.Errorf("duplicate user: %v", err)
	}
	if _, _, err := svc.Login(ctx, "wang", "wrong-password", "10.0.0.1", "test"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := svc.Login(ctx, "nobody", "wrong-password", "10.0.0.1", "test"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	id, p, err := svc.Login(ctx, "Wang", "医保舆情处置很重要的", "10.0.0.1", "test")
	if err != nil || p.Role != auth.RoleHandler || p.ActorName() != "王科员（wang）" {
		t.Fatalf("login: %+v %v", p, err)
	}
	if len(id) < 40 {
		t.Errorf("session ID %q too short", id)
	}
	if _, err := st.SessionByHash(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Error("the raw session ID is stored")
	}
	// Activity keeps the session alive past the idle timeout...
	for range 3 {
		c.Add(50 * time.Minute)
		if _, err := svc.Session(ctx, id); err != nil {
			t.Fatalf("active session ended after %v: %v", c.Now().Sub(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), err)
		}
	}
	// ...idling does not.
	c.Add(61 * time.Minute)
	if _, err := svc.Session(ctx, id); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("idle session still valid: %v", err)
	}
	// The absolute lifetime ends even an active session.
	id, _, err = svc.Login(ctx, "wang", "医保舆情处置很重要的", "10.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	for range 9 {
		c.Add(55 * time.Minute)
		_, err = svc.Session(ctx, id)
	}
	if !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session valid after %v (lifetime 8h): %v", 9*55*time.Minute, err)
	}
	// Logout ends the session; a password change ends all of them.
	id, p, _ = svc.Login(ctx, "wang", "医保舆情处置很重要的", "10.0.0.1", "test")
	if err := svc.Logout(ctx, p, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, id); !errors.Is(err, auth.ErrNoSession) {
		t.Error("session valid after logout")
	}
	id, _, _ = svc.Login(ctx, "wang", "医保舆情处置很重要的", "10.0.0.1", "test")
	if err := svc.SetPassword(ctx, cli, "wang", "新的密码也已经足够长了"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, id); !errors.Is(err, auth.ErrNoSession) {
		t.Error("session survived a password change")
	}
	if _, _, err := svc.Login(ctx, "wang", "医保舆情处置很重要的", "10.0.0.1", "test"); err == nil {
		t.Error("old password still works")
	}
	// Disabled accounts cannot log in.
	if err := svc.SetDisabled(ctx, cli, "wang", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Login(ctx, "wang", "新的密码也已经足够长了", "10.0.0.7", "test"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("disabled account logged in: %v", err)
	}

	log, err := st.AuditLog(ctx, store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		got = append(got, e.Action+":"+e.Actor)
		if e.At.IsZero() {
			t.Errorf("audit row without time: %+v", e)
		}
	}
	want := "user.add:cli login.failed:wang login.failed:" + auth.UnknownAccount + " login:wang login:wang login:wang logout:wang login:wang " +
		"user.passwd:cli login.failed:wang user.disable:cli login.failed:wang"
	if strings.Join(got, " ") != want {
		t.Errorf("audit log\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if log[0].IP != "10.0.0.7" || log[0].OK {
		t.Errorf("last row %+v", log[0])
	}
}

func TestLoginRateLimited(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc, _ := newService(t, c)
	if _, err := svc.AddUser(ctx, auth.Actor{Name: "cli"}, "li", "", auth.RoleViewer, "a-good-password"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		svc.Login(ctx, "li", "guess-guess", "10.0.0.1", "")
	}
	// Even the right password is refused while limited, without checking it.
	_, _, err := svc.Login(ctx, "li", "a-good-password", "10.0.0.1", "")
	var rl *auth.RateLimitedError
	if !errors.As(err, &rl) || rl.Wait != 15*time.Minute {
		t.Fatalf("4th try: %v", err)
	}
	if _, _, err := svc.Login(ctx, "li", "a-good-password", "10.0.0.2", ""); err != nil {
		t.Errorf("other address refused: %v", err)
	}
	c.Add(15 * time.Minute)
	if _, _, err := svc.Login(ctx, "li", "a-good-password", "10.0.0.1", ""); err != nil {
		t.Errorf("still limited after the window: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc, _ := newService(t, c)
	cli := auth.Actor{Name: "cli"}
	if _, err := svc.AddUser(ctx, cli, "bot", "", auth.RoleHandler, "a-good-password"); err != nil {
		t.Fatal(err)
	}
	plain, tok, err := svc.AddToken(ctx, cli, "bot", "告警联动", 24*time.Hour)
	if err != nil || !strings.HasPrefix(plain, "yq_") || tok.Hash == plain {
		t.Fatalf("AddToken: %q %+v %v", plain, tok, err)
	}
	if p, err := svc.Token(ctx, plain); err != nil || p.User.Name != "bot" || p.Via != "token" {
		t.Errorf("token: %+v %v", p, err)
	}
	if _, err := svc.Token(ctx, plain+"x"); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("altered token: %v", err)
	}
	c.Add(24 * time.Hour)
	if _, err := svc.Token(ctx, plain); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("expired token: %v", err)
	}
	plain, tok, _ = svc.AddToken(ctx, cli, "bot", "", 0)
	if err := svc.RevokeToken(ctx, cli, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(ctx, plain); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("revoked token: %v", err)
	}
}

func TestCSRFToken(t *testing.T) {
	a, b := auth.RandomSecret(32), auth.RandomSecret(32)
	if auth.CSRFToken(a) == auth.CSRFToken(b) || auth.CSRFToken(a) != auth.CSRFToken(a) {
		t.Error("CSRF token not per session")
	}
	if !auth.CheckCSRF(a, auth.CSRFToken(a)) || auth.CheckCSRF(a, auth.CSRFToken(b)) || auth.CheckCSRF(a, "") || auth.CheckCSRF("", "") {
		t.Error("CheckCSRF")
	}
}

// TestParallelWrongPasswordsAreLimited: 200 parallel guesses for one
// account from one address; at most the limit reach the password check
// (every checked guess is audited as login.failed), the rest are refused.
func TestParallelWrongPasswordsAreLimited(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.New(auth.Options{Store: st, Now: c.Now, Hash: cheap, MaxHashing: 2,
		Limits: auth.LimitConfig{PerAccountIP: 5, PerIP: 30, PerAccount: 20, Window: 15 * time.Minute}})
	if _, err := svc.AddUser(ctx, auth.Actor{Name: "cli"}, "wang", "", auth.RoleHandler, "a-good-password"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	start := make(chan struct{})
	for range 200 {
		wg.Go(func() {
			<-start
			_, _, err := svc.Login(ctx, "wang", "guess-guess-guess", "10.0.0.1", "")
			var rl *auth.RateLimitedError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, auth.ErrBadCredentials):
				counts["checked"]++
			case errors.As(err, &rl):
				counts["limited"]++
			default:
				t.Errorf("parallel login: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if counts["checked"] != 5 || counts["limited"] != 195 {
		t.Errorf("200 parallel guesses: %d checked, %d limited; want 5 and 195", counts["checked"], counts["limited"])
	}
	if n := len(auditRowsOf(t, st, "login.failed")); n != 5 {
		t.Errorf("%d login.failed rows, want 5", n)
	}
	// Refusals are audited once per key and window, not 195 times.
	if n := len(auditRowsOf(t, st, "login.limited")); n != 1 {
		t.Errorf("%d login.limited rows, want 1", n)
	}
	// The right password waits too, then works after the window.
	if _, _, err := svc.Login(ctx, "wang", "a-good-password", "10.0.0.1", ""); err == nil {
		t.Error("right password accepted while limited")
	}
	c.Add(15 * time.Minute)
	if _, _, err := svc.Login(ctx, "wang", "a-good-password", "10.0.0.1", ""); err != nil {
		t.Errorf("after the window: %v", err)
	}
	if n := len(auditRowsOf(t, st, "login.limited")); n != 1 {
		t.Errorf("%d login.limited rows after the window, want 1", n)
	}
}

// TestLoginPerAccountLimitAcrossAddresses: guesses for one account spread
// over many addresses stop at the per-account limit; the account's owner
// is refused too until the window passes (the price of stopping a botnet).
func TestLoginPerAccountLimitAcrossAddresses(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.New(auth.Options{Store: st, Now: c.Now, Hash: cheap})
	if _, err := svc.AddUser(ctx, auth.Actor{Name: "cli"}, "wang", "", auth.RoleHandler, "a-good-password"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, _, err := svc.Login(ctx, "wang", "guess-guess", fmt.Sprintf("10.1.%d.1", i), ""); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	var rl *auth.RateLimitedError
	if _, _, err := svc.Login(ctx, "wang", "guess-guess", "10.2.0.1", ""); !errors.As(err, &rl) {
		t.Errorf("21st guess from a fresh address: %v, want rate limited (default 20 per account)", err)
	}
	rows := auditRowsOf(t, st, "login.limited")
	if len(rows) != 1 || rows[0].Actor != "wang" || !strings.Contains(rows[0].Detail, "同一账号") {
		t.Errorf("login.limited rows %+v", rows)
	}
	if _, _, err := svc.Login(ctx, "li", "guess-guess", "10.2.0.1", ""); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("another account from the same address: %v", err)
	}
}

// TestFailedLoginAuditHidesTypedNames: a name that is no account (often a
// password typed into the wrong field) never reaches the audit log.
func TestFailedLoginAuditHidesTypedNames(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc, st := newService(t, c)
	if _, err := svc.AddUser(ctx, auth.Actor{Name: "cli"}, "wang", "", auth.RoleHandler, "a-good-password"); err != nil {
		t.Fatal(err)
	}
	svc.Login(ctx, "Wang", "guess-guess", "10.0.0.1", "")
	for range 4 { // the 4th is refused and audited as login.limited
		svc.Login(ctx, "MySecret-Passw0rd", "", "10.0.0.2", "")
	}
	rows, err := st.AuditLog(ctx, store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(rows) - 1; i >= 0; i-- {
		e := rows[i]
		if strings.Contains(strings.ToLower(e.Actor+e.Target+e.Detail), "mysecret") {
			t.Errorf("typed name stored: %+v", e)
		}
		if strings.HasPrefix(e.Action, "login") {
			got = append(got, e.Action+":"+e.Actor+":"+e.Target)
		}
	}
	u := auth.UnknownAccount
	want := "login.failed:wang:wang login.failed:" + u + ":" + u + " login.failed:" + u + ":" + u +
		" login.failed:" + u + ":" + u + " login.limited:" + u + ":" + u
	if strings.Join(got, " ") != want {
		t.Errorf("audit\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func auditRowsOf(t *testing.T, st store.AuthStore, action string) []store.AuditEntry {
	t.Helper()
	es, err := st.AuditLog(context.Background(), store.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestParallelCorrectLoginsAreNotLimited: the limiter counts failures, not
// attempts. 100 parallel correct logins from one address (an office behind
// one NAT) all succeed under a limit of 30 per address, also after 29
// failures from that address; the 30th failure still closes it.
func TestParallelCorrectLoginsAreNotLimited(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.New(auth.Options{Store: st, Now: c.Now, Hash: cheap, MaxHashing: 2,
		Limits: auth.LimitConfig{PerAccountIP: 5, PerIP: 30, PerAccount: 20, Window: 15 * time.Minute}})
	names := []string{"wang", "li", "zhao", "qian", "sun", "zhou", "wu"}
	for _, n := range names {
		if _, err := svc.AddUser(ctx, auth.Actor{Name: "cli"}, n, "", auth.RoleHandler, n+"-good-password"); err != nil {
			t.Fatal(err)
		}
	}
	parallel := func(n int, login func(i int) error) (ok, limited int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range n {
			wg.Go(func() {
				err := login(i)
				var rl *auth.RateLimitedError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.As(err, &rl):
					limited++
				default:
					t.Errorf("login %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		return ok, limited
	}
	correct := func(i int) error {
		n := names[i%len(names)]
		_, _, err := svc.Login(ctx, n, n+"-good-password", "10.0.0.1", "")
		return err
	}
	if ok, limited := parallel(100, correct); ok != 100 || limited != 0 {
		t.Errorf("100 parallel correct logins: %d ok, %d limited; want 100 and 0", ok, limited)
	}
	// 29 failures from the address (on unknown names, so no account reaches its own limit).
	for i := range 29 {
		if _, _, err := svc.Login(ctx, fmt.Sprintf("nobody%d", i), "guess-guess-guess", "10.0.0.1", ""); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if ok, limited := parallel(50, correct); ok != 50 || limited != 0 {
		t.Errorf("50 parallel correct logins after 29 failures: %d ok, %d limited; want 50 and 0", ok, limited)
	}
	if n := len(auditRowsOf(t, st, "login.limited")); n != 0 {
		t.Errorf("%d login.limited rows after correct logins, want 0", n)
	}
	// Mixed: the 30th failure closes the address for everyone, right passwords included.
	wrong := func(int) error {
		_, _, err := svc.Login(ctx, "wu", "guess-guess-guess", "10.0.0.1", "")
		if errors.Is(err, auth.ErrBadCredentials) {
			return nil
		}
		return err
	}
	if failed, limited := parallel(20, wrong); failed != 1 || limited != 19 {
		t.Errorf("20 parallel wrong logins after 29 failures: %d checked, %d limited; want 1 and 19", failed, limited)
	}
	if err := correct(0); err == nil {
		t.Error("correct login accepted from an address with 30 failures")
	}
}

// TestSetOffice: an account's office is one of the offices given, or
// none; setting it keeps the account logged in (the session sees the new
// office) and is audited; an office not configured is an input error.
func TestSetOffice(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc, st := newService(t, c)
	admin := auth.Actor{Name: "admin"}
	if _, err := svc.AddUser(ctx, admin, "wang", "王科员", auth.RoleHandler, "医保舆情处置很重要的"); err != nil {
		t.Fatal(err)
	}
	id, _, err := svc.Login(ctx, "wang", "医保舆情处置很重要的", "10.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	offices := []string{"宣传科", "信访科"}
	if err := svc.SetOffice(ctx, admin, "Wang", " 信访科 ", offices); err != nil {
		t.Fatal(err)
	}
	p, err := svc.Session(ctx, id)
	if err != nil || p.User.Office != "信访科" {
		t.Errorf("session after the office change: %q, %v", p.User.Office, err)
	}
	var in *auth.InputError
	if err := svc.SetOffice(ctx, admin, "wang", "财务科", offices); !errors.As(err, &in) {
		t.Errorf("unknown office: %v", err)
	}
	if err := svc.SetOffice(ctx, admin, "wang", "", offices); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.UserByName(ctx, "wang"); u.Office != "" {
		t.Errorf("office %q after clearing", u.Office)
	}
	log, _ := st.AuditLog(ctx, store.AuditFilter{Action: "user.office"})
	if len(log) != 3 || !log[0].OK || log[1].OK || log[0].Detail != "科室：无" || log[2].Detail != "科室：信访科" {
		t.Errorf("audit of the office changes: %+v", log)
	}
}
