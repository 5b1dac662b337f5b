package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
)

// Workflow columns of incidents (migration 00003), appended to incidentCols.
const (
	workflowCols = `office, assigned_at, investigate_due_at, investigated_at, feedback_due_at,
	replied_at, reply, outcome, false_positive`
	workflowMarks = `?, ?, ?, ?, ?, ?, ?, ?, ?`
	workflowSets  = `office = ?, assigned_at = ?, investigate_due_at = ?, investigated_at = ?,
	feedback_due_at = ?, replied_at = ?, reply = ?, outcome = ?, false_positive = ?`
)

type workflowScan struct {
	assigned, invDue, inv, fbDue, replied sql.NullInt64
}

func (w *workflowScan) dest(i *store.Incident) []any {
	return []any{&i.Office, &w.assigned, &w.invDue, &w.inv, &w.fbDue, &w.replied, &i.Reply, &i.Outcome, &i.FalsePositive}
}

func (w *workflowScan) fill(i *store.Incident) {
	i.AssignedAt, i.InvestigateDueAt, i.InvestigatedAt = fromMS(w.assigned), fromMS(w.invDue), fromMS(w.inv)
	i.FeedbackDueAt, i.RepliedAt = fromMS(w.fbDue), fromMS(w.replied)
}

func workflowArgs(i store.Incident) []any {
	return []any{i.Office, ms(i.AssignedAt), ms(i.InvestigateDueAt), ms(i.InvestigatedAt), ms(i.FeedbackDueAt),
		ms(i.RepliedAt), i.Reply, i.Outcome, i.FalsePositive}
}

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
	_, err = t.tx.ExecContext(ctx, `INSERT INTO post_fingerprints (post_id, simhash, entities, terms, first_seen_at)
		SELECT id, ?, ?, ?, first_seen_at FROM posts WHERE id = ?
		ON CONFLICT (post_id) DO UPDATE SET simhash = excluded.simhash, entities = excluded.entities,
		terms = excluded.terms`, int64(f.SimHash), string(ej), string(tj), f.PostID)
	if err != nil {
		return fmt.Errorf("保存帖子 %d 的指纹: %w", f.PostID, err)
	}
	return nil
}

func (t *txn) RecentFingerprints(ctx context.Context, since time.Time) ([]store.Fingerprint, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT f.post_id, ip.incident_id, f.simhash, f.entities, f.terms, f.first_seen_at
		FROM post_fingerprints f JOIN incident_posts ip ON ip.post_id = f.post_id
		JOIN incidents i ON i.id = ip.incident_id
		WHERE f.first_seen_at >= ? AND i.status <> ?
		ORDER BY f.first_seen_at, f.post_id`, since.UnixMilli(), store.StatusClosed)
	if err != nil {
		return nil, fmt.Errorf("读取近期帖子指纹: %w", err)
	}
	defer rows.Close()
	var out []store.Fingerprint
	for rows.Next() {
		var f store.Fingerprint
		var h int64
		var ej, tj string
		var first sql.NullInt64
		if err := rows.Scan(&f.PostID, &f.IncidentID, &h, &ej, &tj, &first); err != nil {
			return nil, fmt.Errorf("读取近期帖子指纹: %w", err)
		}
		f.SimHash, f.FirstSeenAt = uint64(h), fromMS(first)
		if err := json.Unmarshal([]byte(ej), &f.Entities); err != nil {
			return nil, fmt.Errorf("帖子 %d 的指纹损坏: %w", f.PostID, err)
		}
		if err := json.Unmarshal([]byte(tj), &f.Terms); err != nil {
			return nil, fmt.Errorf("帖子 %d 的指纹损坏: %w", f.PostID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (t *txn) IncidentByID(ctx context.Context, id int64) (store.Incident, error) {
	i, err := scanIncident(t.tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
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
	rows, err := t.tx.QueryContext(ctx, `SELECT g.matches FROM incident_posts ip
		JOIN grades g ON g.id = (SELECT max(id) FROM grades WHERE post_id = ip.post_id)
		WHERE ip.incident_id = ?`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("读取事件 #%d 命中的规则: %w", incidentID, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var mj string
		if err := rows.Scan(&mj); err != nil {
			return nil, err
		}
		var ms []store.Match
		if err := json.Unmarshal([]byte(mj), &ms); err != nil {
			return nil, fmt.Errorf("事件 #%d 的命中记录损坏: %w", incidentID, err)
		}
		for _, m := range ms {
			if m.Rule != "" {
				seen[m.Rule] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
	rows, err := s.r.QueryContext(ctx, `SELECT rule, count, last_at FROM rule_false_positives
		ORDER BY count DESC, rule`)
	if err != nil {
		return nil, fmt.Errorf("读取规则误报统计: %w", err)
	}
	defer rows.Close()
	var out []store.RuleFalsePositives
	for rows.Next() {
		var r store.RuleFalsePositives
		var at sql.NullInt64
		if err := rows.Scan(&r.Rule, &r.Count, &at); err != nil {
			return nil, fmt.Errorf("读取规则误报统计: %w", err)
		}
		r.LastAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

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
