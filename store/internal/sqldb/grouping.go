package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

func (t *txn) SaveFingerprint(ctx context.Context, f store.Fingerprint) error {
	ents, terms := f.Entities, f.Terms
	if ents == nil {
		ents = []string{}
	}
	if terms == nil {
		terms = []string{}
	}
	ej, err := json.Marshal(ents)
	if err != nil {
		return err
	}
	tj, err := json.Marshal(terms)
	if err != nil {
		return err
	}
	var first int64
	err = t.tx.QueryRowContext(ctx, `INSERT INTO post_fingerprints (post_id, simhash, entities, terms, first_seen_at)
		SELECT id, ?, ?, ?, first_seen_at FROM posts WHERE id = ?
		ON CONFLICT (post_id) DO UPDATE SET simhash = excluded.simhash, entities = excluded.entities,
		terms = excluded.terms RETURNING first_seen_at`, int64(f.SimHash), string(ej), string(tj), f.PostID).Scan(&first)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("保存帖子 %d 的指纹: %w", f.PostID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("保存帖子 %d 的指纹: %w", f.PostID, err)
	}
	if err := t.indexFingerprint(ctx, f, first); err != nil {
		return fmt.Errorf("保存帖子 %d 的指纹索引: %w", f.PostID, err)
	}
	return nil
}

// maxKeysPerStatement bounds the keys bound in one statement (SQLite and
// PostgreSQL both limit the parameters of a statement).
const maxKeysPerStatement = 300

// indexFingerprint replaces the keys a post is indexed under, open unless
// the post belongs to a closed incident (an edited post of one).
func (t *txn) indexFingerprint(ctx context.Context, f store.Fingerprint, first int64) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM fingerprint_keys WHERE post_id = ?`, f.PostID); err != nil {
		return err
	}
	var status model.Status
	err := t.tx.QueryRowContext(ctx, `SELECT i.status FROM incident_posts ip JOIN incidents i ON i.id = ip.incident_id
		WHERE ip.post_id = ?`, f.PostID).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	open := openFlag(status)
	for chunk := range slices.Chunk(distinct(f.Keys), maxKeysPerStatement) {
		args := make([]any, 0, 5*len(chunk))
		for _, k := range chunk {
			args = append(args, k, first, f.PostID, int64(f.SimHash), open)
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open) VALUES `+
			strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)-1)+`(?, ?, ?, ?, ?)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// openFlag is fingerprint_keys.open for an incident status.
func openFlag(status model.Status) int {
	if status == model.StatusClosed {
		return 0
	}
	return 1
}

// reindexIncident marks the keys of an incident's posts open or closed
// when its status moved from or to closed.
func (t *txn) reindexIncident(ctx context.Context, incidentID int64, was, is model.Status) error {
	if openFlag(was) == openFlag(is) {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE fingerprint_keys SET open = ?
		WHERE post_id IN (SELECT post_id FROM incident_posts WHERE incident_id = ?)`, openFlag(is), incidentID)
	if err != nil {
		return fmt.Errorf("更新事件 #%d 的指纹索引: %w", incidentID, err)
	}
	return nil
}

func (t *txn) FingerprintCandidates(ctx context.Context, q store.CandidateQuery) ([]store.Fingerprint, error) {
	return fingerprintCandidates(ctx, t.tx, q)
}

// fingerprintCandidates reads the keys from the index alone (with each
// post's SimHash), and only the posts that pass in full.
func fingerprintCandidates(ctx context.Context, q querier, cq store.CandidateQuery) ([]store.Fingerprint, error) {
	var out []store.Fingerprint
	var ids []int64
	seen := map[int64]bool{}
	for _, group := range []struct {
		keys  []string
		bands bool
	}{{cq.Bands, true}, {cq.Names, false}} {
		err := eachChunk(distinct(group.keys), func(marks string, keys []any) error {
			return eachRow(ctx, q, `SELECT post_id, simhash FROM fingerprint_keys
				WHERE key IN (`+marks+`) AND open = 1 AND first_seen_at >= ?`, append(keys, cq.Since.UnixMilli()), func(row scanner) error {
				var id, h int64
				if err := row.Scan(&id, &h); err != nil {
					return err
				}
				if !seen[id] && (!group.bands || bits.OnesCount64(uint64(h)^cq.SimHash) <= cq.Distance) {
					seen[id] = true
					ids = append(ids, id)
				}
				return nil
			})
		})
		if err != nil {
			return nil, fmt.Errorf("查找候选帖子: %w", err)
		}
	}
	err := eachChunk(ids, func(marks string, ids []any) error {
		fps, err := queryAll(ctx, q, scanFingerprint, `SELECT f.post_id, ip.incident_id, f.simhash, f.entities, f.terms, f.first_seen_at
			FROM post_fingerprints f JOIN incident_posts ip ON ip.post_id = f.post_id
			JOIN incidents i ON i.id = ip.incident_id
			WHERE f.post_id IN (`+marks+`) AND i.status <> ?`, append(ids, model.StatusClosed)...)
		if err != nil {
			return fmt.Errorf("读取候选帖子指纹: %w", err)
		}
		out = append(out, fps...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b store.Fingerprint) int {
		return cmp.Or(a.FirstSeenAt.Compare(b.FirstSeenAt), cmp.Compare(a.PostID, b.PostID))
	})
	return out, nil
}

// eachChunk calls fn with xs in chunks a statement can bind, and the
// placeholders for them.
func eachChunk[T any](xs []T, fn func(marks string, args []any) error) error {
	for chunk := range slices.Chunk(xs, maxKeysPerStatement) {
		if err := fn(placeholders(len(chunk)), anys(chunk)); err != nil {
			return err
		}
	}
	return nil
}

// scanFingerprint reads (post_id, incident_id, simhash, entities, terms,
// first_seen_at).
var scanFingerprint = scanWith(func(f *store.Fingerprint) columns {
	var h int64
	var ej, tj string
	var first sql.NullInt64
	return columns{
		dest: []any{&f.PostID, &f.IncidentID, &h, &ej, &tj, &first},
		decode: func() error {
			f.SimHash, f.FirstSeenAt = uint64(h), fromMS(first)
			if err := json.Unmarshal([]byte(ej), &f.Entities); err != nil {
				return fmt.Errorf("帖子 %d 的指纹损坏: %w", f.PostID, err)
			}
			if err := json.Unmarshal([]byte(tj), &f.Terms); err != nil {
				return fmt.Errorf("帖子 %d 的指纹损坏: %w", f.PostID, err)
			}
			return nil
		},
	}
})

// distinct returns keys without repeats, in first-seen order.
func distinct(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
