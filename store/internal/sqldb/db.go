// Package sqldb implements store.Store on database/sql once for every SQL
// engine: the statements are written with SQLite's ? and ?N placeholders
// and portable SQL, and a Dialect supplies what differs (placeholder
// syntax, how a unique violation looks, how writers are serialised). The
// engine packages (store/sqlite, store/postgres) open the connections, run
// their own embedded migrations and hand the pools to New.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/yuqing-bureau/yuqing/store"
)

// Dialect is what one SQL engine needs different.
type Dialect struct {
	// Numbered placeholders: rewrite ? and ?N as $n (PostgreSQL).
	Numbered bool
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
	// WriteLock, when set, runs first in every write transaction of
	// InTx (staff steps, reloads, maintenance). SQLite has one writer by
	// construction; PostgreSQL takes a transaction-scoped advisory lock so
	// that those read-then-write sequences see one serial order. InRowTx
	// (the grader's filing) goes without: saving a post (its row and the
	// unique URL), the claims of posts and leases (row locks), incident
	// numbers (a per-day counter row, UPSERT … RETURNING) and incidents
	// (rows read FOR UPDATE) need no lock, and grouping takes only the
	// keys it reads (KeyLock).
	WriteLock string
	// ConnLost, when set, reports an error of a connection that broke (a
	// terminated backend, a reset socket), not of the statement: a read,
	// or a transaction not yet committing, is run once more on another
	// connection. Unsent reports an error after which the statement
	// surely never reached the server: only then is a write outside a
	// transaction run again (it might have committed otherwise).
	ConnLost func(error) bool
	Unsent   func(error) bool
	// Deadlock reports an error of a transaction the server chose to
	// abort because it waited in a cycle with another (a filing locking
	// grouping keys then an incident, a staff step the other way round):
	// nothing of it committed, and it is run again.
	Deadlock func(error) bool
	// Search is how the engine keeps and searches posts' search text.
	Search Search
	// Terms is a FROM item that makes the JSON array of words t.terms
	// (post_terms) into rows aliased u, each word in u.value.
	Terms string
	// SkipLocked ends a SELECT that claims rows another transaction may
	// be claiming: " FOR UPDATE SKIP LOCKED" on PostgreSQL; "" on SQLite,
	// whose single writer claims alone.
	SkipLocked string
	// KeyLock, when set, locks the grouping keys bound as one text array
	// until the transaction ends (Tx.LockGrouping), each once and in an
	// order of its own, the same for every transaction; "" on SQLite,
	// whose single writer files alone.
	KeyLock string
	// ForUpdate ends a SELECT of a row the transaction goes on to write
	// from what it read: " FOR UPDATE" on PostgreSQL; "" on SQLite.
	ForUpdate string

	cache sync.Map // query → rewritten query
}

// Search is the SQL of an engine's full-text index over the posts' search
// text (store.PostFilter.Words), kept under the post's id.
type Search struct {
	// Index stores (or replaces) the search text ?2 of post ?1.
	Index string
	// Table is the index as a table aliased s, Key the post id in it,
	// Match the condition on s with one placeholder, Query(words).
	Table, Key, Match string
	Query             func(words []string) string
	// Filed, when not "", is the condition on s that the post is filed
	// into an incident, and File the statement that says so of post ?1:
	// a search within 已立事件 then stays in the search index instead of
	// reading each incident post's search text (PostgreSQL).
	Filed, File string
}

// retry reports whether a statement that failed with err is run once more:
// never when ctx is done; on the writer outside a transaction only when it
// never reached the server.
func (c conn) retry(ctx context.Context, err error, autocommitWrite bool) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if autocommitWrite {
		return c.d.Unsent != nil && c.d.Unsent(err)
	}
	return c.d.ConnLost != nil && c.d.ConnLost(err)
}

// rebind rewrites the placeholders of q for the dialect. It numbers them as
// SQLite does (?N is N; a bare ? is one more than the largest so far) and
// leaves alone what sits in '…' strings, "…" identifiers and -- or /* */
// comments.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	if r, ok := d.cache.Load(q); ok {
		return r.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	largest := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		var end int // the end of a quoted span or comment starting at i
		switch {
		case c == '\'' || c == '"':
			end = strings.IndexByte(q[i+1:], c)
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			end = strings.IndexByte(q[i+1:], '\n')
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			if end = strings.Index(q[i+2:], "*/"); end >= 0 {
				end += 2
			}
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			largest = max(largest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
			continue
		default:
			b.WriteByte(c)
			continue
		}
		// Copy the quoted span or comment as it is (to the end of q if
		// it is not closed).
		stop := len(q)
		if end >= 0 {
			stop = i + 1 + end + 1
		}
		b.WriteString(q[i:stop])
		i = stop - 1
	}
	r := b.String()
	d.cache.Store(q, r)
	return r
}

// Migrate applies the pending goose migrations found in dir of fsys.
func Migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS, dir string, opts ...goose.ProviderOption) error {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db, sub, append(opts, goose.WithDisableGlobalRegistry(true))...)
	if err != nil {
		return fmt.Errorf("准备数据库迁移: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("执行数据库迁移: %w", err)
	}
	return nil
}

// Store implements store.Store and store.AuthStore.
type Store struct {
	w   conn // writes (SQLite: the single writer connection)
	r   conn // reads
	loc *time.Location
	d   *Dialect
}

var _ store.Store = (*Store)(nil)

// New returns a Store on the given pools (they may be the same); loc is the
// zone incident numbers are dated in. The Store closes both on Close.
func New(w, r *sql.DB, loc *time.Location, d *Dialect) *Store {
	if loc == nil {
		loc = time.Local
	}
	return &Store{w: conn{w, d, true}, r: conn{r, d, false}, loc: loc, d: d}
}

// NewReadOnly returns a Store for reading only on db (whose connections
// refuse writes): its transactions take no write lock, so a tool beside a
// running daemon never holds up the daemon's writers.
func NewReadOnly(db *sql.DB, loc *time.Location, d *Dialect) *Store {
	s := New(db, db, loc, d)
	s.w.writer = false
	return s
}

// Exec runs one statement on the writer, outside any transaction. Engine
// tests use it to check what the schema itself forbids.
func (s *Store) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.w.ExecContext(ctx, query, args...)
}

// conn is a pool whose statements are rebound for the dialect.
type conn struct {
	db     *sql.DB
	d      *Dialect
	writer bool
}

// The statements below run once more on a broken connection (see retry):
// database/sql retries only when the driver knew before sending that its
// connection was bad, not when the server went away under an idle one.

func (c conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := c.db.ExecContext(ctx, c.d.rebind(q), args...)
	if c.retry(ctx, err, c.writer) {
		res, err = c.db.ExecContext(ctx, c.d.rebind(q), args...)
	}
	return res, err
}

func (c conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := c.db.QueryContext(ctx, c.d.rebind(q), args...)
	if c.retry(ctx, err, c.writer) {
		rows, err = c.db.QueryContext(ctx, c.d.rebind(q), args...)
	}
	return rows, err
}

func (c conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	row := c.db.QueryRowContext(ctx, c.d.rebind(q), args...)
	if c.retry(ctx, row.Err(), c.writer) {
		row = c.db.QueryRowContext(ctx, c.d.rebind(q), args...)
	}
	return row
}

func (c conn) Close() error { return c.db.Close() }

// BeginTx starts a transaction; on the writer it first takes the dialect's
// write lock. A connection found broken meanwhile is replaced once:
// nothing has been done yet.
func (c conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*tx, error) {
	t, err := c.beginTx(ctx, opts)
	if c.retry(ctx, err, false) {
		t, err = c.beginTx(ctx, opts)
	}
	return t, err
}

func (c conn) beginTx(ctx context.Context, opts *sql.TxOptions) (*tx, error) {
	lock := c.writer && c.d.WriteLock != "" && (opts == nil || !opts.ReadOnly)
	if c.d.WriteLock != "" && opts == nil {
		// READ COMMITTED whatever the server's default: under REPEATABLE
		// READ or SERIALIZABLE the snapshot would predate the locks (the
		// write lock, grouping keys, incident rows), and serialised
		// writers would fail with serialization errors.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	t, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if lock {
		if _, err := t.ExecContext(ctx, c.d.WriteLock); err != nil {
			_ = t.Rollback()
			return nil, err
		}
	}
	return &tx{t, c.d}, nil
}

// tx is a transaction whose statements are rebound for the dialect.
type tx struct {
	*sql.Tx
	d *Dialect
}

func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}
