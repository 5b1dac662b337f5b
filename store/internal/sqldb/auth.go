package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

var _ store.AuthStore = (*Store)(nil)

// --- users ---

const userCols = `id, name, display_name, role, password_hash, disabled, created_at, updated_at, office`

var scanUser = scanWith(func(u *store.User) columns {
	var created, updated int64
	return columns{
		dest: []any{&u.ID, &u.Name, &u.DisplayName, &u.Role, &u.PasswordHash, &u.Disabled, &created, &updated, &u.Office},
		decode: func() error {
			u.CreatedAt, u.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
			return nil
		},
	}
})

func (s *Store) isUnique(err error) bool { return err != nil && s.d.IsUnique(err) }

func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO users (name, display_name, role, password_hash, disabled, created_at, updated_at, office)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, u.Name, u.DisplayName, u.Role, u.PasswordHash, u.Disabled,
		u.CreatedAt.UnixMilli(), u.UpdatedAt.UnixMilli(), u.Office).Scan(&u.ID)
	if s.isUnique(err) {
		return fmt.Errorf("用户 %s: %w", u.Name, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("创建用户 %s: %w", u.Name, err)
	}
	return nil
}

func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET display_name = ?, role = ?, password_hash = ?, disabled = ?, updated_at = ?,
		office = ? WHERE id = ?`, u.DisplayName, u.Role, u.PasswordHash, u.Disabled, u.UpdatedAt.UnixMilli(), u.Office, u.ID)
	if err != nil {
		return fmt.Errorf("更新用户 %s: %w", u.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("用户 %s: %w", u.Name, store.ErrNotFound)
	}
	return nil
}

func (s *Store) userWhere(ctx context.Context, what string, where string, arg any) (store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, fmt.Errorf("用户 %s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("读取用户 %s: %w", what, err)
	}
	return u, nil
}

func (s *Store) UserByName(ctx context.Context, name string) (store.User, error) {
	return s.userWhere(ctx, name, `name = ?`, name)
}

func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	return s.userWhere(ctx, fmt.Sprint(id), `id = ?`, id)
}

func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	out, err := queryAll(ctx, s.r, scanUser, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("读取用户列表: %w", err)
	}
	return out, nil
}

// --- sessions ---

func (s *Store) CreateSession(ctx context.Context, se store.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, se.IDHash, se.UserID, se.CreatedAt.UnixMilli(), se.ExpiresAt.UnixMilli(),
		se.LastSeenAt.UnixMilli(), se.IP, se.UserAgent)
	if err != nil {
		return fmt.Errorf("创建会话: %w", err)
	}
	return nil
}

func (s *Store) SessionByHash(ctx context.Context, idHash string) (store.Session, error) {
	var se store.Session
	var created, expires, seen int64
	err := s.r.QueryRowContext(ctx, `SELECT id_hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent
		FROM sessions WHERE id_hash = ?`, idHash).Scan(&se.IDHash, &se.UserID, &created, &expires, &seen, &se.IP, &se.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, fmt.Errorf("会话: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("读取会话: %w", err)
	}
	se.CreatedAt, se.ExpiresAt, se.LastSeenAt = time.UnixMilli(created), time.UnixMilli(expires), time.UnixMilli(seen)
	return se, nil
}

func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, at.UnixMilli(), idHash); err != nil {
		return fmt.Errorf("更新会话: %w", err)
	}
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("删除会话: %w", err)
	}
	return nil
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("删除用户会话: %w", err)
	}
	return nil
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("清理过期会话: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// --- API tokens ---

const tokenCols = `id, user_id, name, hash, created_at, expires_at, last_used_at, revoked_at`

var scanToken = scanWith(func(t *store.APIToken) columns {
	var created int64
	var expires, used, revoked sql.NullInt64
	return columns{
		dest: []any{&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &expires, &used, &revoked},
		decode: func() error {
			t.CreatedAt = time.UnixMilli(created)
			t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMS(expires), fromMS(used), fromMS(revoked)
			return nil
		},
	}
})

func (s *Store) CreateToken(ctx context.Context, t *store.APIToken) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		t.UserID, t.Name, t.Hash, t.CreatedAt.UnixMilli(), ms(t.ExpiresAt)).Scan(&t.ID)
	if s.isUnique(err) {
		return fmt.Errorf("令牌: %w", store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("创建令牌: %w", err)
	}
	return nil
}

func (s *Store) TokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIToken{}, fmt.Errorf("令牌: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("读取令牌: %w", err)
	}
	return t, nil
}

func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("更新令牌: %w", err)
	}
	return nil
}

func (s *Store) RevokeToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("吊销令牌: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("令牌 %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s *Store) Tokens(ctx context.Context) ([]store.APIToken, error) {
	out, err := queryAll(ctx, s.r, scanToken, `SELECT `+tokenCols+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("读取令牌列表: %w", err)
	}
	return out, nil
}

// --- audit log ---

func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_log (at, actor, ip, action, target, detail, ok) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.At.UnixMilli(), e.Actor, e.IP, e.Action, e.Target, e.Detail, e.OK)
	if err != nil {
		return fmt.Errorf("写入审计日志: %w", err)
	}
	return nil
}

// auditWhere is the condition f's actor and action make.
func auditWhere(f store.AuditFilter) (string, []any) {
	q := ` WHERE 1 = 1`
	var args []any
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	return q, args
}

func (s *Store) CountAudit(ctx context.Context, f store.AuditFilter) (int, error) {
	where, args := auditWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("统计审计日志: %w", err)
	}
	return n, nil
}

func (s *Store) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	where, args := auditWhere(f)
	q := `SELECT id, at, actor, ip, action, target, detail, ok FROM audit_log` + where
	if f.BeforeID > 0 {
		q += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	out, err := queryAll(ctx, s.r, scanAuditEntry, q, args...)
	if err != nil {
		return nil, fmt.Errorf("读取审计日志: %w", err)
	}
	return out, nil
}

var scanAuditEntry = scanWith(func(e *store.AuditEntry) columns {
	var at int64
	return columns{
		dest:   []any{&e.ID, &at, &e.Actor, &e.IP, &e.Action, &e.Target, &e.Detail, &e.OK},
		decode: func() error { e.At = time.UnixMilli(at); return nil },
	}
})
