package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// Errors the console turns into messages.
var (
	// ErrBadCredentials: unknown account, wrong password or disabled account
	// (deliberately not told apart).
	ErrBadCredentials = errors.New("用户名或密码错误")
	// ErrNoSession: no valid session (never logged in, expired, logged out).
	ErrNoSession = errors.New("未登录或登录已过期")
	// ErrBadToken: unknown, revoked or expired API token.
	ErrBadToken = errors.New("API 令牌无效")
)

// RateLimitedError says a login was refused before the password was checked.
type RateLimitedError struct{ Wait time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试", int(e.Wait.Minutes())+1)
}

// Options configure the service.
type Options struct {
	Store  store.AuthStore
	Logger *slog.Logger
	Now    func() time.Time
	// SessionLifetime is the absolute life of a login (default 12h);
	// IdleTimeout ends it earlier after inactivity (default 2h; 0 = default).
	SessionLifetime time.Duration
	IdleTimeout     time.Duration
	Hash            HashParams  // zero: DefaultHashParams
	Limits          LimitConfig // zero: DefaultLimits
	// MaxHashing bounds concurrent password hashes (each takes Hash.Memory); default 4.
	MaxHashing int
}

// Service applies the account rules over an AuthStore.
type Service struct {
	opts    Options
	st      store.AuthStore
	log     *slog.Logger
	now     func() time.Time
	limiter *Limiter
	hashing chan struct{}
	dummy   struct {
		once sync.Once
		hash string
	}
}

// New returns the service.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = 12 * time.Hour
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Hour
	}
	if opts.Hash == (HashParams{}) {
		opts.Hash = DefaultHashParams
	}
	if opts.Limits == (LimitConfig{}) {
		opts.Limits = DefaultLimits
	}
	if opts.MaxHashing <= 0 {
		opts.MaxHashing = 4
	}
	return &Service{opts: opts, st: opts.Store, log: opts.Logger, now: opts.Now,
		limiter: NewLimiter(opts.Store, opts.Limits, opts.Now), hashing: make(chan struct{}, opts.MaxHashing)}
}

// Store returns the store the service keeps its records in.
func (s *Service) Store() store.AuthStore { return s.st }

// SessionLifetime is how long a new session lasts at most.
func (s *Service) SessionLifetime() time.Duration { return s.opts.SessionLifetime }

// Actor is who performs an audited change, and from where.
type Actor struct {
	Name string // login name; "cli" for the command line
	IP   string
}

// Principal is an authenticated caller.
type Principal struct {
	User store.User
	Role Role
	// Via is "session" or "token".
	Via string
	// SessionID is the raw session ID (only for Via == "session").
	SessionID string
}

// ActorName is how the principal appears in incident logs: the display
// name with the login name, which is unique.
func (p Principal) ActorName() string {
	if p.User.DisplayName == "" || p.User.DisplayName == p.User.Name {
		return p.User.Name
	}
	return p.User.DisplayName + "（" + p.User.Name + "）"
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// NormalizeName lower-cases a login name and checks its form.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !namePattern.MatchString(n) {
		return "", invalid("用户名 %q 无效：2–32 位小写字母、数字、点、- 或 _，以字母或数字开头", name)
	}
	return n, nil
}

func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.hashing }()
	return HashPassword(pw, s.opts.Hash)
}

func (s *Service) verify(ctx context.Context, hash, pw string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-s.hashing }()
	return VerifyPassword(hash, pw)
}

func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AddUser creates an account.
func (s *Service) AddUser(ctx context.Context, by Actor, name, display string, role Role, pw string) (store.User, error) {
	name, err := NormalizeName(name)
	if err != nil {
		return store.User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return store.User{}, err
	}
	if err := CheckPassword(name, pw); err != nil {
		return store.User{}, err
	}
	display = strings.TrimSpace(display)
	if utf8.RuneCountInString(display) > 50 {
		return store.User{}, invalid("姓名最多 50 个字")
	}
	h, err := s.hash(ctx, pw)
	if err != nil {
		return store.User{}, err
	}
	now := s.now()
	u := store.User{Name: name, DisplayName: display, Role: string(role), PasswordHash: h, CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return store.User{}, &InputError{Msg: "用户 " + name + " 已存在"}
		}
		return store.User{}, err
	}
	s.Audit(ctx, by, "user.add", name, "角色："+role.Name(), true)
	return u, nil
}

// SetPassword changes a password and ends the account's sessions.
func (s *Service) SetPassword(ctx context.Context, by Actor, name, pw string) error {
	return s.changeUser(ctx, by, name, "user.passwd", "", func(u *store.User) error {
		if err := CheckPassword(u.Name, pw); err != nil {
			return err
		}
		h, err := s.hash(ctx, pw)
		u.PasswordHash = h
		return err
	})
}

// ChangeOwnPassword lets a logged-in user replace their password. The
// current one is checked as a login checks it, under the same limiter, so
// the form cannot be used to guess it; SetPassword then ends every session
// of the account, the caller's included.
func (s *Service) ChangeOwnPassword(ctx context.Context, p Principal, ip, current, next string) error {
	res, refused, err := s.limiter.Reserve(ctx, p.User.Name, ip)
	if err != nil {
		return err
	}
	if refused != nil {
		return &RateLimitedError{Wait: refused.Wait}
	}
	defer s.cancel(res)
	u, err := s.st.UserByName(ctx, p.User.Name)
	if err != nil {
		return err
	}
	ok, err := s.verify(ctx, u.PasswordHash, current)
	if err != nil && !errors.Is(err, ErrBadHash) {
		return err
	}
	by := Actor{Name: u.Name, IP: ip}
	if !ok {
		if err := res.Fail(); err != nil {
			return err
		}
		s.Audit(ctx, by, "user.passwd", u.Name, "当前密码错误", false)
		return &InputError{Msg: "当前密码不对"}
	}
	if err := res.Success(); err != nil {
		return err
	}
	return s.SetPassword(ctx, by, u.Name, next)
}

// SetRole changes an account's role and ends its sessions.
func (s *Service) SetRole(ctx context.Context, by Actor, name string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return s.changeUser(ctx, by, name, "user.role", "角色："+role.Name(), func(u *store.User) error {
		u.Role = string(role)
		return nil
	})
}

// SetDisabled disables (ending its sessions) or re-enables an account.
func (s *Service) SetDisabled(ctx context.Context, by Actor, name string, disabled bool) error {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return s.changeUser(ctx, by, name, action, "", func(u *store.User) error {
		u.Disabled = disabled
		return nil
	})
}

// SetOffice sets the office (科室) an account works in, one of offices
// (the configured ones), or none for "": its 我的科室 on the incident
// list. The account stays logged in.
func (s *Service) SetOffice(ctx context.Context, by Actor, name, office string, offices []string) error {
	office = strings.TrimSpace(office)
	detail := "科室：" + office
	if office == "" {
		detail = "科室：无"
	}
	return s.updateUser(ctx, by, name, "user.office", detail, false, func(u *store.User) error {
		if office != "" && !slices.Contains(offices, office) {
			return &InputError{Msg: "科室「" + office + "」不在配置的承办科室（offices）中"}
		}
		u.Office = office
		return nil
	})
}

func (s *Service) changeUser(ctx context.Context, by Actor, name, action, detail string, change func(*store.User) error) error {
	return s.updateUser(ctx, by, name, action, detail, true, change)
}

// updateUser changes an account and audits it; endSessions logs it out
// everywhere (a change of what it may do).
func (s *Service) updateUser(ctx context.Context, by Actor, name, action, detail string, endSessions bool, change func(*store.User) error) error {
	n, err := NormalizeName(name)
	if err != nil {
		return err
	}
	u, err := s.st.UserByName(ctx, n)
	if err != nil {
		return err
	}
	if err := change(&u); err != nil {
		s.Audit(ctx, by, action, n, err.Error(), false)
		return err
	}
	u.UpdatedAt = s.now()
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return err
	}
	if endSessions {
		if err := s.st.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
	}
	s.Audit(ctx, by, action, n, detail, true)
	return nil
}

// AddToken creates an API token for a user and returns it in plain text,
// the only time it is ever shown. ttl 0: no expiry.
func (s *Service) AddToken(ctx context.Context, by Actor, user, purpose string, ttl time.Duration) (string, store.APIToken, error) {
	n, err := NormalizeName(user)
	if err != nil {
		return "", store.APIToken{}, err
	}
	u, err := s.st.UserByName(ctx, n)
	if err != nil {
		return "", store.APIToken{}, err
	}
	plain := "yq_" + RandomSecret(32)
	now := s.now()
	t := store.APIToken{UserID: u.ID, Name: strings.TrimSpace(purpose), Hash: HashSecret(plain), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if err := s.st.CreateToken(ctx, &t); err != nil {
		return "", store.APIToken{}, err
	}
	s.Audit(ctx, by, "token.add", n, fmt.Sprintf("令牌 #%d %s", t.ID, t.Name), true)
	return plain, t, nil
}

// RevokeToken revokes a token by ID.
func (s *Service) RevokeToken(ctx context.Context, by Actor, id int64) error {
	if err := s.st.RevokeToken(ctx, id, s.now()); err != nil {
		return err
	}
	s.Audit(ctx, by, "token.revoke", fmt.Sprintf("#%d", id), "", true)
	return nil
}

// UnknownAccount is what the audit log records instead of a login name
// that is no account: people type passwords into the name field.
const UnknownAccount = "（未知账号）"

// Login checks a name and password from ip and opens a session. It returns
// the raw session ID for the cookie. Failures are rate limited per account
// and address, per address and per account, and audited; correct logins
// are not limited. The attempt is held by the limiter while the password
// is checked, so parallel guesses cannot outrun the limit.
func (s *Service) Login(ctx context.Context, name, pw, ip, userAgent string) (string, Principal, error) {
	typed := strings.ToLower(strings.TrimSpace(name))
	if utf8.RuneCountInString(typed) > 64 {
		typed = string([]rune(typed)[:64])
	}
	res, refused, err := s.limiter.Reserve(ctx, typed, ip)
	if err != nil {
		return "", Principal{}, err
	}
	if refused != nil {
		if refused.First { // once per key and window: refusals cannot flood the log
			who := s.auditName(ctx, typed)
			kinds := make([]string, len(refused.Kinds))
			for i, k := range refused.Kinds {
				kinds[i] = limitKindNames[k]
			}
			s.Audit(ctx, Actor{Name: who, IP: ip}, "login.limited", who, strings.Join(kinds, "、"), false)
		}
		return "", Principal{}, &RateLimitedError{Wait: refused.Wait}
	}
	defer s.cancel(res) // an attempt that ends without a verdict (an error) does not count
	fail := func(who, why string) (string, Principal, error) {
		if err := res.Fail(); err != nil {
			return "", Principal{}, err
		}
		s.Audit(ctx, Actor{Name: who, IP: ip}, "login.failed", who, why, false)
		return "", Principal{}, ErrBadCredentials
	}
	u, err := s.st.UserByName(ctx, typed)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as for a real account: no user enumeration by timing.
		_, _ = s.verify(ctx, s.dummyHash(), pw)
		return fail(UnknownAccount, "用户不存在")
	}
	if err != nil {
		return "", Principal{}, err
	}
	ok, err := s.verify(ctx, u.PasswordHash, pw)
	if err != nil && !errors.Is(err, ErrBadHash) {
		return "", Principal{}, err
	}
	if !ok {
		return fail(u.Name, "密码错误")
	}
	if u.Disabled {
		return fail(u.Name, "账号已停用")
	}
	if err := res.Success(); err != nil {
		return "", Principal{}, err
	}
	id := RandomSecret(32)
	now := s.now()
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	if err := s.st.CreateSession(ctx, store.Session{IDHash: HashSecret(id), UserID: u.ID, CreatedAt: now,
		ExpiresAt: now.Add(s.opts.SessionLifetime), LastSeenAt: now, IP: ip, UserAgent: userAgent}); err != nil {
		return "", Principal{}, err
	}
	s.Audit(ctx, Actor{Name: u.Name, IP: ip}, "login", u.Name, "", true)
	return id, Principal{User: u, Role: Role(u.Role), Via: "session", SessionID: id}, nil
}

var limitKindNames = map[LimitKind]string{
	LimitAccountIP: "同一账号同一地址失败过多",
	LimitIP:        "同一地址失败过多",
	LimitAccount:   "同一账号失败过多",
}

// auditName is how a typed login name appears in the audit log: the
// account's name if there is one, else UnknownAccount.
func (s *Service) auditName(ctx context.Context, typed string) string {
	if u, err := s.st.UserByName(ctx, typed); err == nil {
		return u.Name
	}
	return UnknownAccount
}

func (s *Service) dummyHash() string {
	s.dummy.once.Do(func() {
		s.dummy.hash, _ = HashPassword(RandomSecret(16), s.opts.Hash)
	})
	return s.dummy.hash
}

// Session returns the principal of a raw session ID, ending it when it has
// expired or idled out, or its account is disabled.
func (s *Service) Session(ctx context.Context, id string) (Principal, error) {
	if id == "" {
		return Principal{}, ErrNoSession
	}
	h := HashSecret(id)
	se, err := s.st.SessionByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.now()
	if !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) >= s.opts.IdleTimeout {
		if err := s.st.DeleteSession(ctx, h); err != nil {
			s.log.Warn("删除过期会话失败", "err", err)
		}
		return Principal{}, ErrNoSession
	}
	u, err := s.st.UserByID(ctx, se.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	if now.Sub(se.LastSeenAt) >= time.Minute { // one write a minute, not one per request
		if err := s.st.TouchSession(ctx, h, now); err != nil {
			s.log.Warn("更新会话时间失败", "err", err)
		}
	}
	return Principal{User: u, Role: Role(u.Role), Via: "session", SessionID: id}, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p Principal, ip string) error {
	if p.SessionID == "" {
		return nil
	}
	if err := s.st.DeleteSession(ctx, HashSecret(p.SessionID)); err != nil {
		return err
	}
	s.Audit(ctx, Actor{Name: p.User.Name, IP: ip}, "logout", p.User.Name, "", true)
	return nil
}

// Token returns the principal of a raw API token.
func (s *Service) Token(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, "yq_") {
		return Principal{}, ErrBadToken
	}
	t, err := s.st.TokenByHash(ctx, HashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.now()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return Principal{}, ErrBadToken
	}
	u, err := s.st.UserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	if now.Sub(t.LastUsedAt) >= time.Minute {
		if err := s.st.TouchToken(ctx, t.ID, now); err != nil {
			s.log.Warn("更新令牌使用时间失败", "err", err)
		}
	}
	return Principal{User: u, Role: Role(u.Role), Via: "token"}, nil
}

// CSRFToken is the anti-forgery token of a session: an HMAC of a fixed
// label keyed by the session ID, so it needs no storage, differs per
// session, and reveals nothing about the session ID.
func CSRFToken(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(sessionID))
	m.Write([]byte("yuqing csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a submitted token with the session's, in constant time.
func CheckCSRF(sessionID, got string) bool {
	want := CSRFToken(sessionID)
	return want != "" && hmac.Equal([]byte(want), []byte(got))
}

// The bounds of one audit row: a target (a path, an account) of at most
// MaxAuditTarget runes and a detail of at most MaxAuditDetail runes, that
// is at most 1 KiB, whatever a request carried.
const (
	MaxAuditTarget = 256
	MaxAuditDetail = 250
)

// Audit appends one row to the audit log, with personal data in target
// and detail masked and both cut to their bounds. A failure to write is
// logged, never hidden: the caller's action has already happened.
func (s *Service) Audit(ctx context.Context, by Actor, action, target, detail string, ok bool) {
	e := store.AuditEntry{At: s.now(), Actor: by.Name, IP: by.IP, Action: action,
		Target: auditText(target, MaxAuditTarget), Detail: auditText(detail, MaxAuditDetail), OK: ok}
	if err := s.st.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("写入审计日志失败", "action", action, "actor", by.Name, "err", err)
	}
}

// auditText masks s and cuts it to n runes. Masked first, then cut (never
// inside a number): a number cut first would no longer be recognised and
// its stub would be stored unmasked.
func auditText(s string, n int) string {
	return privacy.Truncate(privacy.Mask(privacy.Precut(s, n)), n)
}

// Refused requests (access.denied, csrf.rejected) are audited at most
// refusalBurst times in a row per action, actor and address, then once
// per refusalEvery, over all instances together (the budget is in the
// database): anyone logged in can cause them at will, and the audit log
// is append-only.
const (
	refusalBurst = 20
	refusalEvery = time.Minute
)

// AuditRefusal audits a refused request like Audit, within the refusal
// budget of its action, actor and address; rows left out are counted in
// the detail of the next row written, and the first one left out is
// logged.
func (s *Service) AuditRefusal(ctx context.Context, by Actor, action, target, detail string) {
	ok, dropped, err := s.admitRefusal(ctx, action+" "+by.IP+" "+by.Name)
	if err != nil {
		s.log.Warn("读取审计限额失败，照常写入审计日志", "action", action, "err", err)
		ok, dropped = true, 0
	}
	if !ok {
		if dropped == 1 {
			s.log.Warn("同一用户的被拒请求过多，暂停逐条写入审计日志", "action", action, "actor", by.Name, "ip", by.IP)
		}
		return
	}
	if dropped > 0 {
		detail = fmt.Sprintf("（此前另有 %d 条同类记录因过于频繁未写入）%s", dropped, detail)
	}
	s.Audit(ctx, by, action, target, detail, false)
}

// admitRefusal spends one row of key's budget, a token bucket of
// refusalBurst refilled by one every refusalEvery. It reports whether a
// row may be written now and how many were left out: before it when it
// may, else so far (1: the first, worth a log line).
func (s *Service) admitRefusal(ctx context.Context, key string) (ok bool, dropped int, err error) {
	now := s.now()
	err = s.st.SpendRefusalBudget(context.WithoutCancel(ctx), key, func(b *store.RefusalBudget) {
		ok, dropped = false, 0
		if b.At.IsZero() {
			b.Tokens, b.At = refusalBurst, now
		}
		if d := now.Sub(b.At); d > 0 {
			b.Tokens = min(refusalBurst, b.Tokens+d.Seconds()/refusalEvery.Seconds())
			b.At = now
		}
		if b.Tokens < 1 {
			b.Dropped++
			dropped = b.Dropped
			return
		}
		b.Tokens--
		ok, dropped, b.Dropped = true, b.Dropped, 0
	})
	return ok, dropped, err
}

// CleanSessions removes expired sessions; the daemon calls it now and then.
func (s *Service) CleanSessions(ctx context.Context) (int, error) {
	return s.st.DeleteExpiredSessions(ctx, s.now())
}

// CleanLogins removes the failed logins that no longer count and the
// refusal budgets that have refilled; the daemon calls it now and then.
func (s *Service) CleanLogins(ctx context.Context) (int, error) {
	n, err := s.limiter.Clean(ctx)
	if err != nil {
		return n, err
	}
	m, err := s.st.DeleteRefusalBudgets(ctx, s.now().Add(-refusalBurst*refusalEvery))
	return n + m, err
}

// cancel ends an attempt that got no verdict; its hold would expire anyway.
func (s *Service) cancel(res *Reservation) {
	if err := res.Cancel(); err != nil {
		s.log.Warn("撤销登录尝试失败", "err", err)
	}
}
