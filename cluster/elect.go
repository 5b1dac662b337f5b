package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// elector holds or seeks the leadership.
type elector interface {
	// hold tries for the leadership, or checks the one held, and reports
	// whether this instance leads.
	hold(ctx context.Context) (bool, error)
	// release gives the leadership up (a clean stop).
	release(ctx context.Context)
}

// solo is a single instance's elector: it always leads.
type solo struct{}

func (solo) hold(context.Context) (bool, error) { return true, nil }
func (solo) release(context.Context)            {}

// leaderLockKey and the schema's name make the session advisory lock that
// is the leadership: one per deployment (schema), apart from the write
// lock's key ("yuqi").
const leaderLockKey = 0x7975_6c64 // "yuld"

// pgElector holds the leadership as a session advisory lock on a
// connection of its own: the lock lives exactly as long as that session,
// so when the leader's process dies (or its connection is cut) the server
// frees it and the next instance to try takes it. The session is given
// idle_session_timeout of the lease TTL: a leader that hangs (or whose
// network is cut) stops pinging and the server ends its session, rather
// than holding the lock until TCP gives up.
type pgElector struct {
	dsn  string
	idle time.Duration
	log  *slog.Logger

	conn    *pgx.Conn
	leading bool
}

func (e *pgElector) hold(ctx context.Context) (bool, error) {
	if e.conn == nil {
		if err := e.connect(ctx); err != nil {
			return false, err
		}
	}
	qctx, cancel := context.WithTimeout(ctx, e.idle/2)
	defer cancel()
	if e.leading {
		// The lock is ours as long as the session lives: check it does.
		if err := e.conn.Ping(qctx); err != nil {
			e.drop()
			return false, fmt.Errorf("主实例会话中断: %w", err)
		}
		return true, nil
	}
	var got bool
	if err := e.conn.QueryRow(qctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, leaderLockKey).Scan(&got); err != nil {
		e.drop()
		return false, fmt.Errorf("争取主实例锁: %w", err)
	}
	e.leading = got
	return got, nil
}

func (e *pgElector) connect(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(e.dsn)
	if err != nil {
		return fmt.Errorf("PostgreSQL 连接串无效: %w", err)
	}
	cfg.RuntimeParams["application_name"] = "yuqing-leader"
	cfg.RuntimeParams["idle_session_timeout"] = strconv.FormatInt(e.idle.Milliseconds(), 10)
	cctx, cancel := context.WithTimeout(ctx, e.idle)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42704" { // before PostgreSQL 14: no idle_session_timeout
		e.log.Warn("PostgreSQL 14 以前的版本不支持 idle_session_timeout：主实例进程挂起或断网时，要等 TCP 连接超时后其他实例才能接任")
		delete(cfg.RuntimeParams, "idle_session_timeout")
		conn, err = pgx.ConnectConfig(cctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("连接 PostgreSQL（主实例选举）: %w", err)
	}
	e.conn = conn
	return nil
}

// drop closes a session found broken: whatever it held is the server's
// to free.
func (e *pgElector) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	e.conn.Close(ctx)
	e.conn, e.leading = nil, false
}

func (e *pgElector) release(ctx context.Context) {
	if e.conn == nil {
		return
	}
	if e.leading {
		if _, err := e.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, leaderLockKey); err != nil {
			e.log.Warn("释放主实例锁失败，关闭会话即释放", "err", err)
		}
	}
	e.drop()
}
