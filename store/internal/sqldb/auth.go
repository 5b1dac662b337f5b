package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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

// --- failed-login limits ---

// HoldLogin runs in a transaction without the whole-database write lock:
// the keys' rows in login_keys are the lock. An upsert locks a row that
// exists (PostgreSQL: ON CONFLICT DO UPDATE) and makes one that does not,
// and the keys are taken in sorted order so that two attempts sharing keys
// never wait for each other crosswise.
func (s *Store) HoldLogin(ctx context.Context, h store.LoginHold) (int64, error) {
	keys := slices.Compact(slices.Sorted(slices.Values(h.Keys)))
	if len(keys) == 0 {
		return 0, errors.New("登录限制：没有要检查的键")
	}
	var attempt int64
	err := s.inRowTx(ctx, func(tx *tx) error {
		attempt = 0
		now := h.Now.UnixMilli()
		args := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			args = append(args, k, now)
		}
		state := make(map[string]*store.LoginKey, len(keys))
		err := eachRow(ctx, tx, `INSERT INTO login_keys (key, used_at) VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", len(keys)), ", ")+`
			ON CONFLICT (key) DO UPDATE SET used_at = excluded.used_at RETURNING key, noted_at`, args, func(row scanner) error {
			var k store.LoginKey
			var noted int64
			if err := row.Scan(&k.Key, &noted); err != nil {
				return err
			}
			if noted > 0 {
				k.NotedAt = time.UnixMilli(noted)
			}
			state[k.Key] = &k
			return nil
		})
		if err != nil {
			return err
		}
		err = eachRow(ctx, tx, `SELECT key, at, held_until FROM login_attempts WHERE key IN `+inList(len(keys))+`
			AND ((held_until = 0 AND at > ?) OR held_until > ?) ORDER BY key, at`,
			append(stringArgs(nil, keys), h.Since.UnixMilli(), now), func(row scanner) error {
				var key string
				var at, held int64
				if err := row.Scan(&key, &at, &held); err != nil {
					return err
				}
				k := state[key]
				if held > 0 {
					k.Pending++
				} else {
					k.Failures = append(k.Failures, time.UnixMilli(at))
				}
				return nil
			})
		if err != nil {
			return err
		}
		seen := make([]store.LoginKey, len(h.Keys))
		for i, key := range h.Keys {
			seen[i] = *state[key]
		}
		hold, noted := h.Decide(seen)
		if len(noted) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE login_keys SET noted_at = ? WHERE key IN `+inList(len(noted)),
				stringArgs([]any{now}, noted)...); err != nil {
				return err
			}
		}
		if !hold {
			return nil
		}
		id := rand.Int64N(math.MaxInt64-1) + 1
		args = args[:0]
		for _, k := range keys {
			args = append(args, id, k, now, h.Until.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (attempt, key, at, held_until) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(keys)), ", "), args...); err != nil {
			return err
		}
		attempt = id
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("检查登录限制: %w", err)
	}
	return attempt, nil
}

func (s *Store) EndLogin(ctx context.Context, e store.LoginEnd) error {
	err := s.inRowTx(ctx, func(tx *tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE attempt = ?`, e.Attempt); err != nil {
			return err
		}
		if e.Failed && len(e.Keys) > 0 {
			args := make([]any, 0, 3*len(e.Keys))
			for _, k := range e.Keys {
				args = append(args, e.Attempt, k, e.At.UnixMilli())
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (attempt, key, at) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(e.Keys)), ", "), args...); err != nil {
				return err
			}
		}
		if len(e.Clear) > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE held_until = 0 AND key IN `+inList(len(e.Clear)),
				stringArgs(nil, e.Clear)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("记录登录结果: %w", err)
	}
	return nil
}

// DeleteStaleLogins skips the rows an attempt has locked (they are in
// use, and the sweep neither waits for nor deadlocks with a login).
func (s *Store) DeleteStaleLogins(ctx context.Context, since, now time.Time) (int, error) {
	var n int64
	err := s.inRowTx(ctx, func(tx *tx) error {
		n = 0
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM login_attempts WHERE id IN (SELECT id FROM login_attempts
				WHERE (held_until = 0 AND at < ?) OR (held_until > 0 AND held_until < ?)` + s.d.SkipLocked + `)`,
				[]any{since.UnixMilli(), now.UnixMilli()}},
			{`DELETE FROM login_keys WHERE key IN (SELECT key FROM login_keys WHERE used_at < ?1 AND noted_at < ?1
				AND NOT EXISTS (SELECT 1 FROM login_attempts a WHERE a.key = login_keys.key)` + s.d.SkipLocked + `)`,
				[]any{since.UnixMilli()}},
		} {
			res, err := tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("清理登录失败记录: %w", err)
	}
	return int(n), nil
}

// --- refusal budgets ---

// SpendRefusalBudget locks the budget's row as HoldLogin locks its keys.
func (s *Store) SpendRefusalBudget(ctx context.Context, key string, spend func(b *store.RefusalBudget)) error {
	err := s.inRowTx(ctx, func(tx *tx) error {
		var b store.RefusalBudget
		var at int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO audit_budgets (key, tokens, at) VALUES (?, 0, 0)
			ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING tokens, at, dropped`, key).Scan(&b.Tokens, &at, &b.Dropped); err != nil {
			return err
		}
		if at > 0 {
			b.At = time.UnixMilli(at)
		}
		spend(&b)
		_, err := tx.ExecContext(ctx, `UPDATE audit_budgets SET tokens = ?, at = ?, dropped = ? WHERE key = ?`,
			b.Tokens, ms(b.At).Int64, b.Dropped, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("审计限额 %s: %w", key, err)
	}
	return nil
}

func (s *Store) DeleteRefusalBudgets(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM audit_budgets WHERE at < ? AND dropped = 0`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("清理审计限额: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
