package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Ping reads a constant on the readers (where the console's pages read):
// a round trip to the server, never queued behind a writer.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("数据库无应答: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// ms converts a time to Unix milliseconds; the zero time becomes NULL.
func ms(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}

// --- sources ---

const sourceCols = `name, next_check_at, last_check_at, last_success_at, consecutive_failures,
	last_error, etag, last_modified, last_items, last_error_kind, breaker_open_until,
	last_new_item_at, new_item_gap, last_deep_at`

func sourceStateColumns(st *store.SourceState) columns {
	var next, check, success, breaker, newItem, deep sql.NullInt64
	var gap int64
	return columns{
		dest: []any{&st.Name, &next, &check, &success, &st.ConsecutiveFailures, &st.LastError,
			&st.ETag, &st.LastModified, &st.LastItems, &st.LastErrorKind, &breaker, &newItem, &gap, &deep},
		decode: func() error {
			st.NextCheckAt, st.LastCheckAt, st.LastSuccessAt = fromMS(next), fromMS(check), fromMS(success)
			st.BreakerOpenUntil, st.LastNewItemAt, st.LastDeepAt = fromMS(breaker), fromMS(newItem), fromMS(deep)
			st.NewItemGap = time.Duration(gap) * time.Millisecond
			return nil
		},
	}
}

var scanSourceState = scanWith(sourceStateColumns)

func (s *Store) SourceState(ctx context.Context, name string) (store.SourceState, error) {
	st, err := scanSourceState(s.r.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM source_state WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.SourceState{Name: name}, nil
	}
	if err != nil {
		return store.SourceState{Name: name}, fmt.Errorf("读取数据源 %s 的状态: %w", name, err)
	}
	return st, nil
}

func (s *Store) SourceStates(ctx context.Context) ([]store.SourceState, error) {
	out, err := queryAll(ctx, s.r, scanSourceState, `SELECT `+sourceCols+` FROM source_state ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("读取数据源状态: %w", err)
	}
	return out, nil
}

func (s *Store) SaveSourceState(ctx context.Context, st store.SourceState) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO source_state (`+sourceCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET next_check_at = excluded.next_check_at,
		last_check_at = excluded.last_check_at, last_success_at = excluded.last_success_at,
		consecutive_failures = excluded.consecutive_failures, last_error = excluded.last_error,
		etag = excluded.etag, last_modified = excluded.last_modified, last_items = excluded.last_items,
		last_error_kind = excluded.last_error_kind, breaker_open_until = excluded.breaker_open_until,
		last_new_item_at = excluded.last_new_item_at, new_item_gap = excluded.new_item_gap,
		last_deep_at = excluded.last_deep_at`,
		st.Name, ms(st.NextCheckAt), ms(st.LastCheckAt), ms(st.LastSuccessAt), st.ConsecutiveFailures,
		st.LastError, st.ETag, st.LastModified, st.LastItems, st.LastErrorKind, ms(st.BreakerOpenUntil),
		ms(st.LastNewItemAt), st.NewItemGap.Milliseconds(), ms(st.LastDeepAt))
	if err != nil {
		return fmt.Errorf("保存数据源 %s 的状态: %w", st.Name, err)
	}
	return nil
}

// --- posts ---

const postCols = `id, source, url, title, body, author, published_at, fetched_at, first_seen_at,
	replies, views, reposts, content_hash, title_key, full_body_chars`

// postColumns reads postCols, however they are prefixed.
func postColumns(p *model.Post) columns {
	var pub, fetched, first sql.NullInt64
	return columns{
		dest: []any{&p.ID, &p.Source, &p.URL, &p.Title, &p.Body, &p.Author, &pub, &fetched, &first,
			&p.Replies, &p.Views, &p.Reposts, &p.ContentHash, &p.TitleKey, &p.FullBodyChars},
		decode: func() error {
			p.PublishedAt, p.FetchedAt, p.FirstSeenAt = fromMS(pub), fromMS(fetched), fromMS(first)
			return nil
		},
	}
}

var scanPost = scanWith(postColumns)

// SavePost takes no whole-database write lock: the post's row is locked
// as it is read, and a post another transaction inserts meanwhile is found
// by the unique URL (INSERT … ON CONFLICT waits for it), so crawling on
// several instances never queues behind filing.
func (s *Store) SavePost(ctx context.Context, p *model.Post) (store.SaveResult, error) {
	var res store.SaveResult
	err := s.inRowTx(ctx, func(tx *tx) error {
		var err error
		res, err = savePost(ctx, tx, p)
		return err
	})
	return res, err
}

func (t *txn) SavePost(ctx context.Context, p *model.Post) (store.SaveResult, error) {
	return savePost(ctx, t.tx, p)
}

// savePost is SavePost inside tx.
func savePost(ctx context.Context, tx *tx, p *model.Post) (store.SaveResult, error) {
	if p.URL == "" {
		return 0, errors.New("保存帖子: URL 为空")
	}
	if p.FetchedAt.IsZero() {
		p.FetchedAt = time.Now()
	}
	// NUL is valid UTF-8 that PostgreSQL's text refuses; no post needs it.
	p.Title, p.Body, p.Author = stripNUL(p.Title), stripNUL(p.Body), stripNUL(p.Author)
	p.ContentHash = model.ContentHash(p.Title, p.Body)
	p.TitleKey = model.TitleKey(p.Title)
	res, err := func() (store.SaveResult, error) {
		byURL := `SELECT ` + postCols + ` FROM posts WHERE url = ?` + tx.d.ForUpdate
		old, err := scanPost(tx.QueryRowContext(ctx, byURL, p.URL))
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `INSERT INTO posts (source, url, title, body, author,
				published_at, first_seen_at, fetched_at, replies, views, reposts, content_hash, title_key, full_body_chars)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING RETURNING id`,
				p.Source, p.URL, p.Title, p.Body, p.Author, ms(p.PublishedAt), ms(p.FetchedAt),
				ms(p.FetchedAt), p.Replies, p.Views, p.Reposts, p.ContentHash, p.TitleKey, p.FullBodyChars).Scan(&p.ID)
			if err == nil {
				p.FirstSeenAt = p.FetchedAt
				return store.Created, recordEngagement(ctx, tx, *p)
			}
			if errors.Is(err, sql.ErrNoRows) { // another transaction stored the URL first: update its post
				old, err = scanPost(tx.QueryRowContext(ctx, byURL, p.URL))
			}
		}
		if err != nil {
			return 0, err
		}
		p.ID, p.FirstSeenAt = old.ID, old.FirstSeenAt
		if p.PublishedAt.IsZero() {
			p.PublishedAt = old.PublishedAt
		}
		res := store.Unchanged
		if old.ContentHash != p.ContentHash {
			res = store.Changed
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET title = ?, body = ?, author = ?,
			published_at = ?, fetched_at = ?, replies = ?, views = ?, reposts = ?,
			content_hash = ?, title_key = ?, full_body_chars = ? WHERE id = ?`,
			p.Title, p.Body, p.Author, ms(p.PublishedAt), ms(p.FetchedAt), p.Replies, p.Views,
			p.Reposts, p.ContentHash, p.TitleKey, p.FullBodyChars, p.ID); err != nil {
			return 0, err
		}
		engaged := old.Replies != p.Replies || old.Views != p.Views || old.Reposts != p.Reposts
		if res == store.Changed || engaged {
			// Queued for grading again: a grading claim taken on the old
			// version ends here, so the grade of what it read is not filed
			// as the grade of this version (the grader's EndClaim fails).
			// The level depends on engagement: a thread that keeps growing
			// is graded again, and can only raise its incident.
			set := `claim_holder = '', claim_until = 0`
			if engaged {
				set += `, graded_hash = ''`
			}
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET `+set+` WHERE id = ?`, p.ID); err != nil {
				return 0, err
			}
		}
		if engaged {
			return res, recordEngagement(ctx, tx, *p)
		}
		return res, nil
	}()
	if err != nil {
		return 0, fmt.Errorf("保存帖子 %s: %w", p.URL, err)
	}
	return res, nil
}

func recordEngagement(ctx context.Context, tx *tx, p model.Post) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO post_engagement (post_id, at, replies, views, reposts)
		VALUES (?, ?, ?, ?, ?)`, p.ID, ms(p.FetchedAt), p.Replies, p.Views, p.Reposts)
	return err
}

func (s *Store) PostByURL(ctx context.Context, u string) (model.Post, bool, error) {
	p, err := scanPost(s.r.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE url = ?`, u))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("查找帖子 %s: %w", u, err)
	}
	return p, true, nil
}

func (s *Store) EngagementHistory(ctx context.Context, postID int64) ([]store.EngagementSample, error) {
	out, err := queryAll(ctx, s.r, scanEngagementSample, `SELECT at, replies, views, reposts FROM post_engagement
		WHERE post_id = ? ORDER BY at, rowid`, postID)
	if err != nil {
		return nil, fmt.Errorf("读取帖子 %d 的互动记录: %w", postID, err)
	}
	return out, nil
}

var scanEngagementSample = scanWith(func(e *store.EngagementSample) columns {
	var at sql.NullInt64
	return columns{
		dest:   []any{&at, &e.Replies, &e.Views, &e.Reposts},
		decode: func() error { e.At = fromMS(at); return nil },
	}
})

// HotPosts reads the last two engagement rows of every post of the source
// with a row since the window opened (index post_engagement_at), works out
// velocities and the source's norm here (store.HotQuery says how), then
// loads the hot posts that are due. The rows are written only when counts
// change, so the last two rows are the last two observations that moved.
func (s *Store) HotPosts(ctx context.Context, q store.HotQuery) ([]model.Post, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	if q.Factor <= 0 {
		q.Factor = store.DefaultHotFactor
	}
	obs, err := queryAll(ctx, s.r, scanObserved, `WITH cand AS (
			SELECT DISTINCT e.post_id FROM post_engagement e JOIN posts p ON p.id = e.post_id
			WHERE e.at >= ?1 AND p.source = ?2
		), recent AS (
			SELECT e.post_id, e.at, e.replies, e.views,
				row_number() OVER (PARTITION BY e.post_id ORDER BY e.at DESC, e.rowid DESC) AS rn
			FROM post_engagement e WHERE e.post_id IN (SELECT post_id FROM cand)
		)
		SELECT p.id, p.fetched_at, a.at, a.replies, a.views, b.at, b.replies, b.views FROM posts p
		JOIN recent a ON a.post_id = p.id AND a.rn = 1
		JOIN recent b ON b.post_id = p.id AND b.rn = 2
		WHERE b.at >= ?1`, q.Since.UnixMilli(), q.Source)
	if err != nil {
		return nil, fmt.Errorf("查找数据源 %s 的热帖: %w", q.Source, err)
	}
	ids := store.PickHot(obs, q)
	out := make([]model.Post, 0, len(ids))
	for _, id := range ids {
		p, err := scanPost(s.r.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE id = ?`, id))
		if err != nil {
			return nil, fmt.Errorf("读取热帖 %d: %w", id, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// scanObserved reads a post's id, fetch time and its last two engagement
// observations (at, replies, views each).
var scanObserved = scanWith(func(o *store.Observed) columns {
	var fetched, aAt, bAt int64
	return columns{
		dest: []any{&o.PostID, &fetched, &aAt, &o.Last.Replies, &o.Last.Views, &bAt, &o.Prev.Replies, &o.Prev.Views},
		decode: func() error {
			o.FetchedAt, o.Last.At, o.Prev.At = time.UnixMilli(fetched), time.UnixMilli(aAt), time.UnixMilli(bAt)
			return nil
		},
	}
})

func (s *Store) UngradedPosts(ctx context.Context, limit int) ([]model.Post, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := queryAll(ctx, s.r, scanPost, `SELECT `+postCols+` FROM posts
		WHERE graded_hash <> content_hash ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("读取待研判帖子: %w", err)
	}
	return out, nil
}

// ClaimUngraded claims in one statement, outside any transaction and
// without the write lock: the claim and the row lock are on the post's
// row, so a concurrent claimer either skips a row being claimed or, once
// the claim committed, re-checks claim_until on the row's new version
// (PostgreSQL's READ COMMITTED re-evaluation) and leaves it.
func (s *Store) ClaimUngraded(ctx context.Context, c store.GradingClaim) ([]model.Post, error) {
	if c.Limit <= 0 {
		c.Limit = 100
	}
	now := c.Now.UnixMilli()
	out, err := queryAll(ctx, s.w, scanPost, `UPDATE posts SET claim_holder = ?, claim_until = ?
		WHERE id IN (SELECT id FROM posts WHERE graded_hash <> content_hash AND claim_until <= ?
			ORDER BY id LIMIT ?`+s.d.SkipLocked+`)
		RETURNING `+postCols, c.Holder, c.Now.Add(c.TTL).UnixMilli(), now, c.Limit)
	if err != nil {
		return nil, fmt.Errorf("认领待研判帖子: %w", err)
	}
	slices.SortFunc(out, func(a, b model.Post) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *Store) ReleaseClaims(ctx context.Context, holder string, ids []int64) error {
	err := eachChunk(ids, func(marks string, args []any) error {
		_, err := s.w.ExecContext(ctx, `UPDATE posts SET claim_holder = '', claim_until = 0
			WHERE claim_holder = ? AND id IN (`+marks+`)`, append([]any{holder}, args...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("交还待研判帖子: %w", err)
	}
	return nil
}

func (t *txn) EndClaim(ctx context.Context, postID int64, holder string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE posts SET claim_holder = '', claim_until = 0
		WHERE id = ? AND claim_holder = ?`, postID, holder)
	if err != nil {
		return false, fmt.Errorf("结束帖子 %d 的研判认领: %w", postID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("结束帖子 %d 的研判认领: %w", postID, err)
	}
	return n == 1, nil
}

func (s *Store) CountPosts(ctx context.Context) (total, ungraded int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT count(*),
		coalesce(sum(CASE WHEN graded_hash <> content_hash THEN 1 ELSE 0 END), 0) FROM posts`).
		Scan(&total, &ungraded)
	if err != nil {
		err = fmt.Errorf("统计帖子: %w", err)
	}
	return total, ungraded, err
}

func (s *Store) GradedPosts(ctx context.Context, since time.Time, afterID int64, limit int) ([]store.GradedPost, error) {
	if limit <= 0 {
		limit = 500
	}
	out, err := queryAll(ctx, s.r, scanGradedPost, `SELECT `+prefixed("p", postCols)+`, `+gradeCols+`,
		coalesce(i.number, '')
		FROM posts p`+latestGrade("LEFT JOIN", "p.id")+`
		LEFT JOIN incident_posts ip ON ip.post_id = p.id
		LEFT JOIN incidents i ON i.id = ip.incident_id
		WHERE p.first_seen_at >= ? AND p.id > ? ORDER BY p.id LIMIT ?`, since.UnixMilli(), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("读取帖子及研判结果: %w", err)
	}
	return out, nil
}

// scanGradedPost reads postCols, gradeCols and an incident number.
func scanGradedPost(row scanner) (store.GradedPost, error) {
	var gp store.GradedPost
	err := scanInto(row, postColumns(&gp.Post), gradeColumns(&gp.Grade, &gp.Graded, &gp.Post.ID), values(&gp.Incident))
	return gp, err
}

// gradeCols are the columns of grade g that gradeColumns reads.
const gradeCols = `g.rules_version, g.relevant, g.category, g.level, g.score, g.matches, g.reasons, g.graded_at,
	g.sentiment, g.decided_by, g.review, g.information`

// gradeColumns reads gradeCols of a LEFT JOIN (all NULL: never graded)
// into g, the grade of the post whose id is scanned into postID; graded,
// when not nil, says whether there was a grade.
func gradeColumns(g *model.Grade, graded *bool, postID *int64) columns {
	var rv, cat, mj, rj, sent, by sql.NullString
	var rel, review, info sql.NullBool
	var lvl, at sql.NullInt64
	var score sql.NullFloat64
	return columns{
		dest: []any{&rv, &rel, &cat, &lvl, &score, &mj, &rj, &at, &sent, &by, &review, &info},
		decode: func() error {
			*g = model.Grade{PostID: *postID, RulesVersion: rv.String, Relevant: rel.Bool, Category: taxonomy.Category(cat.String),
				Level: taxonomy.Level(lvl.Int64), Score: score.Float64, GradedAt: fromMS(at), Sentiment: sent.String,
				DecidedBy: by.String, Review: review.Bool, Information: info.Bool}
			if mj.String != "" {
				if err := json.Unmarshal([]byte(mj.String), &g.Matches); err != nil {
					return fmt.Errorf("帖子 %d 的命中记录损坏: %w", *postID, err)
				}
			}
			if rj.String != "" {
				if err := json.Unmarshal([]byte(rj.String), &g.Reasons); err != nil {
					return fmt.Errorf("帖子 %d 的研判理由损坏: %w", *postID, err)
				}
			}
			if graded != nil {
				*graded = rv.Valid
			}
			return nil
		},
	}
}

func (s *Store) EngagementNorms(ctx context.Context, since time.Time) (map[string]store.Engagement, error) {
	samples := map[string][3][]float64{}
	err := eachRow(ctx, s.r, `SELECT source, replies, views, reposts FROM posts
		WHERE first_seen_at >= ? ORDER BY source`, []any{since.UnixMilli()}, func(row scanner) error {
		var src string
		var r, v, p float64
		if err := row.Scan(&src, &r, &v, &p); err != nil {
			return err
		}
		s := samples[src]
		s[0], s[1], s[2] = append(s[0], r), append(s[1], v), append(s[2], p)
		samples[src] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("统计数据源互动量: %w", err)
	}
	out := make(map[string]store.Engagement, len(samples))
	for src, s := range samples {
		out[src] = store.Engagement{Replies: store.Median(s[0]), Views: store.Median(s[1]), Reposts: store.Median(s[2]), Posts: len(s[0])}
	}
	return out, nil
}

// --- item failures ---

const itemFailureCols = `url, source, tries, last_error_kind, last_error, first_at, last_at, given_up_at, retry_at`

var scanItemFailure = scanWith(func(f *store.ItemFailure) columns {
	var first, last, given, retry sql.NullInt64
	return columns{
		dest: []any{&f.URL, &f.Source, &f.Tries, &f.LastErrorKind, &f.LastError, &first, &last, &given, &retry},
		decode: func() error {
			f.FirstAt, f.LastAt, f.GivenUpAt, f.RetryAt = fromMS(first), fromMS(last), fromMS(given), fromMS(retry)
			return nil
		},
	}
})

func (s *Store) ItemFailure(ctx context.Context, u string) (store.ItemFailure, bool, error) {
	f, err := scanItemFailure(s.r.QueryRowContext(ctx, `SELECT `+itemFailureCols+` FROM item_failures WHERE url = ?`, u))
	if errors.Is(err, sql.ErrNoRows) {
		return store.ItemFailure{}, false, nil
	}
	if err != nil {
		return store.ItemFailure{}, false, fmt.Errorf("读取 %s 的失败记录: %w", u, err)
	}
	return f, true, nil
}

func (s *Store) SaveItemFailure(ctx context.Context, f store.ItemFailure) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO item_failures (`+itemFailureCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET source = excluded.source, tries = excluded.tries,
		last_error_kind = excluded.last_error_kind, last_error = excluded.last_error,
		first_at = excluded.first_at, last_at = excluded.last_at, given_up_at = excluded.given_up_at,
		retry_at = excluded.retry_at`,
		f.URL, f.Source, f.Tries, f.LastErrorKind, stripNUL(f.LastError), ms(f.FirstAt).Int64, ms(f.LastAt).Int64, ms(f.GivenUpAt), ms(f.RetryAt))
	if err != nil {
		return fmt.Errorf("保存 %s 的失败记录: %w", f.URL, err)
	}
	return nil
}

func (s *Store) DeleteItemFailure(ctx context.Context, u string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM item_failures WHERE url = ?`, u); err != nil {
		return fmt.Errorf("删除 %s 的失败记录: %w", u, err)
	}
	return nil
}

func (s *Store) ItemFailures(ctx context.Context, source string, limit int) ([]store.ItemFailure, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := queryAll(ctx, s.r, scanItemFailure, `SELECT `+itemFailureCols+` FROM item_failures
		WHERE source = ? ORDER BY last_at DESC, url LIMIT ?`, source, limit)
	if err != nil {
		return nil, fmt.Errorf("读取数据源 %s 的失败记录: %w", source, err)
	}
	return out, nil
}

// --- transactions ---

// inWriteTx runs fn in a write transaction. When the connection breaks
// before COMMIT is sent, nothing was written and the whole transaction is
// run once more on another connection (fn must not depend on having run
// before); a failed COMMIT is never retried, it may have committed.
func (s *Store) inWriteTx(ctx context.Context, fn func(*tx) error) error {
	return inTxOn(ctx, s.w, fn)
}

// inTxOn is inWriteTx on c (the writer, with or without its write lock).
func inTxOn(ctx context.Context, c conn, fn func(*tx) error) error {
	committing, err := txOnce(ctx, c, fn)
	if !committing && c.retry(ctx, err, false) {
		_, err = txOnce(ctx, c, fn)
	}
	for n := 0; n < maxDeadlockRuns && err != nil && ctx.Err() == nil && c.d.Deadlock != nil && c.d.Deadlock(err); n++ {
		_, err = txOnce(ctx, c, fn)
	}
	return err
}

// maxDeadlockRuns bounds how often a transaction aborted by a deadlock is
// run again.
const maxDeadlockRuns = 3

// txOnce runs fn in one transaction on c; committing reports that the
// error, if any, came from COMMIT.
func txOnce(ctx context.Context, c conn, fn func(*tx) error) (committing bool, err error) {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return false, err
	}
	return true, tx.Commit()
}

// InTx runs fn in one write transaction. fn may run twice: once more when
// the connection breaks before the transaction commits (see inWriteTx).
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return s.inWriteTx(ctx, func(tx *tx) error {
		return fn(&txn{tx: tx, loc: s.loc})
	})
}

// InRowTx runs fn in a write transaction without the write lock; like
// InTx it may run fn twice.
func (s *Store) InRowTx(ctx context.Context, fn func(store.Tx) error) error {
	return s.inRowTx(ctx, func(tx *tx) error {
		return fn(&txn{tx: tx, loc: s.loc})
	})
}

type txn struct {
	tx  *tx
	loc *time.Location
}

func (t *txn) LockGrouping(ctx context.Context, keys []string) error {
	lock := t.tx.d.KeyLock
	if lock == "" || len(keys) == 0 {
		return nil
	}
	// The dialect's statement takes the locks in one order (PostgreSQL:
	// by hash), so that two filings never wait for each other in a cycle.
	if _, err := t.tx.ExecContext(ctx, lock, keys); err != nil {
		return fmt.Errorf("锁定分组键: %w", err)
	}
	return nil
}

func (t *txn) SaveGrade(ctx context.Context, g model.Grade) error {
	matches := g.Matches
	if matches == nil {
		matches = []model.Match{}
	}
	reasons := g.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	mj, err := json.Marshal(matches)
	if err != nil {
		return err
	}
	rj, err := json.Marshal(reasons)
	if err != nil {
		return err
	}
	var hash string
	var filed bool
	if err := t.tx.QueryRowContext(ctx, `SELECT content_hash, EXISTS (SELECT 1 FROM incident_posts WHERE post_id = posts.id)
		FROM posts WHERE id = ?`, g.PostID).Scan(&hash, &filed); err != nil {
		return fmt.Errorf("保存研判结果: 帖子 %d: %w", g.PostID, err)
	}
	if filed { // its incident's sentiments are read and written below
		if _, _, err := t.IncidentOfPost(ctx, g.PostID); err != nil {
			return fmt.Errorf("保存研判结果: %w", err)
		}
	}
	// The new grade is the post's latest (migration 00013).
	if _, err := t.tx.ExecContext(ctx, `UPDATE grades SET latest = ? WHERE post_id = ? AND latest`, false, g.PostID); err != nil {
		return fmt.Errorf("保存研判结果: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO grades (post_id, content_hash, rules_version,
		relevant, category, level, score, matches, reasons, graded_at, sentiment, decided_by, review, information, latest)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.PostID, hash, g.RulesVersion, g.Relevant, g.Category, g.Level, g.Score, string(mj), string(rj),
		ms(g.GradedAt), g.Sentiment, g.DecidedBy, g.Review, g.Information, true); err != nil {
		return fmt.Errorf("保存研判结果: %w", err)
	}
	if err := t.markGraded(ctx, g); err != nil { // stats.go
		return fmt.Errorf("保存研判结果: %w", err)
	}
	// A filed post graded again may change its incident's sentiments.
	return t.refreshSentiments(ctx, `id IN (SELECT incident_id FROM incident_posts WHERE post_id = ?)`, g.PostID)
}

// The columns of incidents: incidentCols is every one, in the order
// incidentColumns reads them; incidentMutable those UpdateIncident writes, in
// the order of incidentValues (number and first_seen_at never change).
const (
	incidentMutable = `title, category, level, status, source, last_post_at, post_count,
	ack_due_at, followup_due_at, acked_at, followed_up_at, closed_at, updated_at,
	office, assigned_at, investigate_due_at, investigated_at, feedback_due_at, replied_at,
	reply, outcome, false_positive, suspected`
	incidentCols = `id, number, first_seen_at, ` + incidentMutable
)

func incidentColumns(i *model.Incident) columns {
	var first, last, ackDue, fuDue, acked, fu, closed, updated, assigned, invDue, inv, fbDue, replied sql.NullInt64
	return columns{
		dest: []any{&i.ID, &i.Number, &first,
			&i.Title, &i.Category, &i.Level, &i.Status, &i.Source, &last, &i.PostCount,
			&ackDue, &fuDue, &acked, &fu, &closed, &updated,
			&i.Office, &assigned, &invDue, &inv, &fbDue, &replied,
			&i.Reply, &i.Outcome, &i.FalsePositive, &i.Suspected},
		decode: func() error {
			i.FirstSeenAt, i.LastPostAt = fromMS(first), fromMS(last)
			i.AckDueAt, i.FollowUpDueAt = fromMS(ackDue), fromMS(fuDue)
			i.AckedAt, i.FollowedUpAt, i.ClosedAt, i.UpdatedAt = fromMS(acked), fromMS(fu), fromMS(closed), fromMS(updated)
			i.AssignedAt, i.InvestigateDueAt, i.InvestigatedAt = fromMS(assigned), fromMS(invDue), fromMS(inv)
			i.FeedbackDueAt, i.RepliedAt = fromMS(fbDue), fromMS(replied)
			return nil
		},
	}
}

var scanIncident = scanWith(incidentColumns)

// incidentValues are the values of incidentMutable for i.
func incidentValues(i model.Incident) []any {
	return []any{i.Title, i.Category, i.Level, i.Status, i.Source, ms(i.LastPostAt), i.PostCount,
		ms(i.AckDueAt), ms(i.FollowUpDueAt), ms(i.AckedAt), ms(i.FollowedUpAt), ms(i.ClosedAt), ms(i.UpdatedAt),
		i.Office, ms(i.AssignedAt), ms(i.InvestigateDueAt), ms(i.InvestigatedAt), ms(i.FeedbackDueAt), ms(i.RepliedAt),
		i.Reply, i.Outcome, i.FalsePositive, i.Suspected}
}

// placeholders returns n comma-separated placeholders.
func placeholders(n int) string { return "?" + strings.Repeat(", ?", n-1) }

// assignments returns "c = ?" for each of the comma-separated cols.
func assignments(cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = strings.TrimSpace(c) + " = ?"
	}
	return strings.Join(parts, ", ")
}

func (t *txn) IncidentOfPost(ctx context.Context, postID int64) (model.Incident, bool, error) {
	of := func() (int64, bool, error) {
		var id int64
		err := t.tx.QueryRowContext(ctx, `SELECT incident_id FROM incident_posts WHERE post_id = ?`, postID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("查找帖子 %d 所属事件: %w", postID, err)
		}
		return id, true, nil
	}
	id, found, err := of()
	for err == nil && found {
		var i model.Incident
		if i, err = t.IncidentByID(ctx, id); err != nil { // locked, as the Tx promises
			break
		}
		// A step that moved the post meanwhile committed before the lock
		// was ours: read again where it is now.
		var now int64
		if now, found, err = of(); err == nil && found && now == id {
			return i, true, nil
		}
		id = now
	}
	return model.Incident{}, false, err
}

// IncidentOfPost is Tx.IncidentOfPost on the readers.
func (s *Store) IncidentOfPost(ctx context.Context, postID int64) (model.Incident, bool, error) {
	return incidentOfPost(ctx, s.r, postID)
}

func incidentOfPost(ctx context.Context, q querier, postID int64) (model.Incident, bool, error) {
	i, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+prefixed("i", incidentCols)+`
		FROM incidents i JOIN incident_posts ip ON ip.incident_id = i.id WHERE ip.post_id = ?`, postID))
	if errors.Is(err, sql.ErrNoRows) {
		return i, false, nil
	}
	if err != nil {
		return i, false, fmt.Errorf("查找帖子 %d 所属事件: %w", postID, err)
	}
	return i, true, nil
}

func (t *txn) FindRelatedIncident(ctx context.Context, p model.Post, since time.Time) (model.Incident, bool, error) {
	// The posts come first, each from its own index: a plan that starts
	// from the incidents reads every open one.
	i, err := scanIncident(t.tx.QueryRowContext(ctx, `SELECT `+prefixed("i", incidentCols)+`
		FROM posts p JOIN incident_posts ip ON ip.post_id = p.id JOIN incidents i ON i.id = ip.incident_id
		WHERE p.id IN (SELECT id FROM posts WHERE content_hash = ?
			UNION SELECT id FROM posts WHERE title_key = ? AND title_key <> '')
		  AND p.id <> ? AND i.status <> ? AND i.first_seen_at >= ?
		ORDER BY i.first_seen_at DESC LIMIT 1`,
		p.ContentHash, p.TitleKey, p.ID, model.StatusClosed, since.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return i, false, nil
	}
	if err != nil {
		return i, false, fmt.Errorf("查找相关事件: %w", err)
	}
	return i, true, nil
}

func (t *txn) CreateIncident(ctx context.Context, inc *model.Incident) error {
	day := inc.FirstSeenAt.In(t.loc).Format("20060102")
	var seq int
	if err := t.tx.QueryRowContext(ctx, `INSERT INTO incident_counters (day, last) VALUES (?, 1)
		ON CONFLICT (day) DO UPDATE SET last = incident_counters.last + 1 RETURNING last`, day).Scan(&seq); err != nil {
		return fmt.Errorf("分配事件编号: %w", err)
	}
	inc.Number = fmt.Sprintf("YQ-%s-%04d", day, seq)
	values := append([]any{inc.Number, ms(inc.FirstSeenAt)}, incidentValues(*inc)...)
	err := t.tx.QueryRowContext(ctx, `INSERT INTO incidents (number, first_seen_at, `+incidentMutable+`)
		VALUES (`+placeholders(len(values))+`) RETURNING id`, values...).Scan(&inc.ID)
	if err != nil {
		return fmt.Errorf("登记事件: %w", err)
	}
	return nil
}

func (t *txn) UpdateIncident(ctx context.Context, inc model.Incident) error {
	var was model.Status
	if err := t.tx.QueryRowContext(ctx, `SELECT status FROM incidents WHERE id = ?`, inc.ID).Scan(&was); errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("更新事件 %s: %w", inc.Number, store.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("更新事件 %s: %w", inc.Number, err)
	}
	r, err := t.tx.ExecContext(ctx, `UPDATE incidents SET `+assignments(incidentMutable)+` WHERE id = ?`,
		append(incidentValues(inc), inc.ID)...)
	if err != nil {
		return fmt.Errorf("更新事件 %s: %w", inc.Number, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("更新事件 %s: %w", inc.Number, store.ErrNotFound)
	}
	if err := t.reindexIncident(ctx, inc.ID, was, inc.Status); err != nil {
		return err
	}
	return nil
}

func (t *txn) IncidentByNumber(ctx context.Context, number string) (model.Incident, error) {
	i, err := scanIncident(t.tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE number = ?`+t.tx.d.ForUpdate, number))
	if errors.Is(err, sql.ErrNoRows) {
		return i, fmt.Errorf("事件 %s: %w", number, store.ErrNotFound)
	}
	if err != nil {
		return i, fmt.Errorf("读取事件 %s: %w", number, err)
	}
	return i, nil
}

func (t *txn) IncidentByID(ctx context.Context, id int64) (model.Incident, error) {
	i, err := scanIncident(t.tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`+t.tx.d.ForUpdate, id))
	if errors.Is(err, sql.ErrNoRows) {
		return i, fmt.Errorf("事件 #%d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return i, fmt.Errorf("读取事件 #%d: %w", id, err)
	}
	return i, nil
}

func (t *txn) CountIncidentPosts(ctx context.Context, incidentID int64, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM incident_posts ip JOIN posts p ON p.id = ip.post_id
		WHERE ip.incident_id = ? AND p.first_seen_at >= ?`, incidentID, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("统计事件 #%d 的帖子: %w", incidentID, err)
	}
	return n, nil
}

func (t *txn) IncidentRules(ctx context.Context, incidentID int64) ([]string, error) {
	mjs, err := queryAll(ctx, t.tx, scanValue[string], `SELECT g.matches FROM incident_posts ip
		JOIN grades g ON g.post_id = ip.post_id AND g.latest
		WHERE ip.incident_id = ?`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("读取事件 #%d 命中的规则: %w", incidentID, err)
	}
	seen := map[string]bool{}
	for _, mj := range mjs {
		var ms []model.Match
		if err := json.Unmarshal([]byte(mj), &ms); err != nil {
			return nil, fmt.Errorf("事件 #%d 的命中记录损坏: %w", incidentID, err)
		}
		for _, m := range ms {
			if m.Rule != "" {
				seen[m.Rule] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out, nil
}

func (t *txn) AddFalsePositives(ctx context.Context, rules []string, delta int, at time.Time) error {
	for _, r := range rules {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO rule_false_positives (rule, count, last_at)
			VALUES (?1, ?2, ?3)
			ON CONFLICT (rule) DO UPDATE SET last_at = ?3, count = CASE
				WHEN rule_false_positives.count + ?4 > 0 THEN rule_false_positives.count + ?4 ELSE 0 END`,
			r, max(delta, 0), at.UnixMilli(), delta); err != nil {
			return fmt.Errorf("记录规则 %s 的误报: %w", r, err)
		}
	}
	return nil
}

// RuleFalsePositives returns the false-positive counts, most first.
func (s *Store) RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error) {
	out, err := queryAll(ctx, s.r, scanRuleFalsePositives, `SELECT rule, count, last_at FROM rule_false_positives
		ORDER BY count DESC, rule`)
	if err != nil {
		return nil, fmt.Errorf("读取规则误报统计: %w", err)
	}
	return out, nil
}

var scanRuleFalsePositives = scanWith(func(r *store.RuleFalsePositives) columns {
	var at sql.NullInt64
	return columns{
		dest:   []any{&r.Rule, &r.Count, &at},
		decode: func() error { r.LastAt = fromMS(at); return nil },
	}
})

func (t *txn) BurstStage(ctx context.Context, incidentID int64) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT stage FROM incident_bursts WHERE incident_id = ?`, incidentID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("读取事件 #%d 的聚集阶段: %w", incidentID, err)
	}
	return n, nil
}

func (t *txn) SetBurstStage(ctx context.Context, incidentID int64, stage int) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO incident_bursts (incident_id, stage) VALUES (?1, ?2)
		ON CONFLICT (incident_id) DO UPDATE SET stage = ?2`, incidentID, stage); err != nil {
		return fmt.Errorf("记录事件 #%d 的聚集阶段: %w", incidentID, err)
	}
	return nil
}

func (t *txn) AttachPost(ctx context.Context, incidentID, postID int64, reason string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO incident_posts (incident_id, post_id, reason, joined_at)
		VALUES (?, ?, ?, ?)`, incidentID, postID, reason, ms(at))
	if err != nil {
		return fmt.Errorf("帖子 %d 并入事件: %w", postID, err)
	}
	// A post stays filed once filed (moves keep it in an incident).
	if file := t.tx.d.Search.File; file != "" {
		if _, err := t.tx.ExecContext(ctx, file, postID); err != nil {
			return fmt.Errorf("帖子 %d 并入事件: %w", postID, err)
		}
	}
	if err := t.refreshSentiments(ctx, `id = ?`, incidentID); err != nil {
		return fmt.Errorf("帖子 %d 并入事件: %w", postID, err)
	}
	return nil
}

func (t *txn) MovePost(ctx context.Context, postID, toIncidentID int64, reason string, at time.Time) error {
	var from int64
	err := t.tx.QueryRowContext(ctx, `SELECT incident_id FROM incident_posts WHERE post_id = ?`, postID).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("帖子 %d 不属于任何事件: %w", postID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("帖子 %d 移入事件: %w", postID, err)
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE incident_posts SET incident_id = ?, reason = ?, joined_at = ? WHERE post_id = ?`,
		toIncidentID, reason, ms(at), postID)
	if err != nil {
		return fmt.Errorf("帖子 %d 移入事件: %w", postID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("帖子 %d 不属于任何事件: %w", postID, store.ErrNotFound)
	}
	if err := t.refreshSentiments(ctx, `id IN (?, ?)`, from, toIncidentID); err != nil {
		return fmt.Errorf("帖子 %d 移入事件: %w", postID, err)
	}
	return nil
}

func (t *txn) PostByID(ctx context.Context, id int64) (model.Post, error) {
	p, err := scanPost(t.tx.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE id = ?`+t.tx.d.ForUpdate, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("帖子 %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("读取帖子 %d: %w", id, err)
	}
	return p, nil
}

func (t *txn) AppendEvent(ctx context.Context, e model.Event) error {
	var post sql.NullInt64
	if e.PostID != 0 {
		post = sql.NullInt64{Int64: e.PostID, Valid: true}
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO incident_events (incident_id, at, kind, actor, note, post_id)
		VALUES (?, ?, ?, ?, ?, ?)`, e.IncidentID, ms(e.At), e.Kind, e.Actor, e.Note, post)
	if err != nil {
		return fmt.Errorf("记录事件日志: %w", err)
	}
	return nil
}

// --- incident reads ---

func (s *Store) OpenIncidents(ctx context.Context) ([]model.Incident, error) {
	return s.queryIncidents(ctx, `SELECT `+incidentCols+` FROM incidents WHERE status <> ? ORDER BY id`, model.StatusClosed)
}

func (s *Store) queryIncidents(ctx context.Context, q string, args ...any) ([]model.Incident, error) {
	out, err := queryAll(ctx, s.r, scanIncident, q, args...)
	if err != nil {
		return nil, fmt.Errorf("读取事件列表: %w", err)
	}
	return out, nil
}

func (s *Store) IncidentDetail(ctx context.Context, number string) (store.IncidentDetail, error) {
	var d store.IncidentDetail
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d, fmt.Errorf("读取事件 %s: %w", number, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	d.Incident, err = scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("事件 %s: %w", number, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("读取事件 %s: %w", number, err)
	}
	d.Posts, err = queryAll(ctx, tx, scanIncidentPost, `SELECT `+prefixed("p", postCols)+`, ip.reason, ip.joined_at, `+gradeCols+`
		FROM incident_posts ip JOIN posts p ON p.id = ip.post_id`+latestGrade("LEFT JOIN", "p.id")+`
		WHERE ip.incident_id = ? ORDER BY ip.joined_at, p.id`, d.Incident.ID)
	if err != nil {
		return d, fmt.Errorf("读取事件 %s 的帖子: %w", number, err)
	}
	d.Events, err = queryAll(ctx, tx, scanEvent, `SELECT id, incident_id, at, kind, actor, note, post_id
		FROM incident_events WHERE incident_id = ? ORDER BY id`, d.Incident.ID)
	if err != nil {
		return d, fmt.Errorf("读取事件 %s 的日志: %w", number, err)
	}
	return d, nil
}

// scanIncidentPost reads postCols, the reason and time it joined, and gradeCols.
func scanIncidentPost(row scanner) (store.IncidentPost, error) {
	var ip store.IncidentPost
	var joined sql.NullInt64
	err := scanInto(row, postColumns(&ip.Post), values(&ip.Reason, &joined), gradeColumns(&ip.Grade, nil, &ip.Post.ID))
	ip.JoinedAt = fromMS(joined)
	return ip, err
}

var scanEvent = scanWith(func(e *model.Event) columns {
	var at, post sql.NullInt64
	return columns{
		dest:   []any{&e.ID, &e.IncidentID, &at, &e.Kind, &e.Actor, &e.Note, &post},
		decode: func() error { e.At, e.PostID = fromMS(at), post.Int64; return nil },
	}
})

// prefixed qualifies each column in a comma-separated list with alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func stripNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }
