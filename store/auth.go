package store

import (
	"context"
	"errors"
	"time"
)

// ErrDuplicate is returned when a record with the same unique key exists.
var ErrDuplicate = errors.New("记录已存在")

// User is one console account. The password is kept only as a slow hash
// (see package auth); Role is one of viewer, handler, operator, admin.
type User struct {
	ID           int64
	Name         string // login name, unique, lower case
	DisplayName  string // shown in the console and the incident log
	Role         string
	PasswordHash string
	Disabled     bool
	// Office is the office (科室) the account works in: 我的科室 on the
	// incident list lists what is assigned to it. "": none.
	Office    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Session is one console login. Only a hash of the session ID (what the
// browser's cookie carries) is stored, so a copy of the database cannot be
// used to log in.
type Session struct {
	IDHash     string
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time // absolute end of the session
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// APIToken lets automation call the JSON API as a user. Only its hash is stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string // what the token is for
	Hash       string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time
	RevokedAt  time.Time // zero: valid
}

// AuditEntry is one row of the append-only audit log: who did what, from
// where, when, and whether it succeeded.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // login name, or what was typed on a failed login
	IP     string
	Action string // e.g. login, login_failed, logout, incident.ack, user.add
	Target string // the incident number, user name, ... acted on
	Detail string // masked free text
	OK     bool
}

// AuditFilter pages through the audit log, newest first.
type AuditFilter struct {
	Actor    string // "": anyone
	Action   string // "": any
	BeforeID int64  // 0: from the newest
	Limit    int    // 0: a default of 100
}

// AuthStore keeps accounts, sessions, API tokens and the audit log. Every
// engine implements it beside Store and passes storetest.RunAuth.
type AuthStore interface {
	// CreateUser assigns u.ID; ErrDuplicate when the name is taken.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser saves display name, role, password hash, disabled flag
	// and office.
	UpdateUser(ctx context.Context, u User) error
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// Users lists every account by name.
	Users(ctx context.Context) ([]User, error)

	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, idHash string) (Session, error)
	// TouchSession records activity on a session.
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteUserSessions ends every session of a user (password change, disable).
	DeleteUserSessions(ctx context.Context, userID int64) error
	// DeleteExpiredSessions removes sessions whose ExpiresAt is before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	// CreateToken assigns t.ID.
	CreateToken(ctx context.Context, t *APIToken) error
	TokenByHash(ctx context.Context, hash string) (APIToken, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error
	RevokeToken(ctx context.Context, id int64, at time.Time) error
	// Tokens lists every token, newest first.
	Tokens(ctx context.Context) ([]APIToken, error)

	// AppendAudit adds one row to the audit log; rows are never changed.
	AppendAudit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// CountAudit counts the entries f's actor and action select (its
	// BeforeID and Limit aside): the audit page's total.
	CountAudit(ctx context.Context, f AuditFilter) (int, error)

	// Failed-login limits (auth.Limiter), shared by every instance on
	// the database.

	// HoldLogin locks h.Keys (every instance's HoldLogin on any of them
	// waits), reads their state and calls h.Decide with it; when Decide
	// holds the attempt, one pending attempt is recorded on every key
	// until h.Until, and the keys Decide names as noted get NotedAt
	// h.Now. It returns the attempt's ID, or 0 when it was not held.
	// Decide may be called twice (see InTx) and must only decide.
	HoldLogin(ctx context.Context, h LoginHold) (int64, error)
	// EndLogin ends a held attempt: on e.Keys it counts as a failure at
	// e.At when e.Failed, and the failures of e.Clear are forgotten.
	EndLogin(ctx context.Context, e LoginEnd) error
	// DeleteStaleLogins removes failures before since, held attempts
	// that expired before now, and keys left with neither that noted no
	// refusal since since; it returns how many rows went.
	DeleteStaleLogins(ctx context.Context, since, now time.Time) (int, error)

	// SpendRefusalBudget locks key's budget (every instance's call on it
	// waits), lets spend change it and saves it; a budget never saved
	// has a zero At. spend may be called twice (see InTx).
	SpendRefusalBudget(ctx context.Context, key string, spend func(b *RefusalBudget)) error
	// DeleteRefusalBudgets removes the budgets last refilled before
	// before with no row left out: as good as new. It returns how many.
	DeleteRefusalBudgets(ctx context.Context, before time.Time) (int, error)
}

// RefusalBudget is how many more audit rows of refused requests one
// action, actor and address may write (auth.Service.AuditRefusal).
type RefusalBudget struct {
	Tokens  float64
	At      time.Time // when Tokens was last refilled; zero: a new budget
	Dropped int       // rows left out since the last one written
}

// LoginKey is the state of one key of the login limiter: an account and
// address, an address, an account.
type LoginKey struct {
	Key string
	// Failures are the failed attempts at or after LoginHold.Since,
	// oldest first.
	Failures []time.Time
	// Pending counts the attempts held and not ended (nor expired).
	Pending int
	// NotedAt is when a refusal by the key was last reported; zero: never.
	NotedAt time.Time
}

// LoginHold is one check of a login attempt (see HoldLogin).
type LoginHold struct {
	Keys  []string
	Now   time.Time
	Since time.Time // failures before it no longer count
	Until time.Time // a held attempt not ended by then stops counting
	// Decide sees the keys' state, in the order of Keys, and says
	// whether to hold the attempt and which keys note a refusal now.
	Decide func(keys []LoginKey) (hold bool, noted []string)
}

// LoginEnd is the verdict on a held attempt (see EndLogin).
type LoginEnd struct {
	Attempt int64
	Keys    []string
	Failed  bool
	At      time.Time
	Clear   []string
}
