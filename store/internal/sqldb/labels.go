package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/yuqing-bureau/yuqing/store"
)

// Staff labels and 舆情信息 (store/labels.go).

func (t *txn) SaveLabel(ctx context.Context, l store.Label) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO post_labels (post_id, relevant, category, level, sentiment,
		origin, actor, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (post_id) DO UPDATE SET relevant = excluded.relevant, category = excluded.category,
		level = excluded.level, sentiment = excluded.sentiment, origin = excluded.origin,
		actor = excluded.actor, note = excluded.note, at = excluded.at`,
		l.PostID, l.Relevant, l.Category, l.Level, l.Sentiment, l.Origin, l.Actor, l.Note, ms(l.At))
	if err != nil {
		return fmt.Errorf("保存帖子 %d 的人工标注: %w", l.PostID, err)
	}
	return nil
}

func (t *txn) IncidentPostIDs(ctx context.Context, incidentID int64) ([]int64, error) {
	ids, err := queryAll(ctx, t.tx, scanValue[int64], `SELECT post_id FROM incident_posts WHERE incident_id = ?
		ORDER BY joined_at, post_id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("读取事件的帖子: %w", err)
	}
	return ids, nil
}

func (s *Store) Labels(ctx context.Context, afterPostID int64, limit int) ([]store.LabeledPost, error) {
	if limit <= 0 {
		limit = 500
	}
	out, err := queryAll(ctx, s.r, scanLabeledPost, `SELECT `+prefixed("p", postCols)+`, `+labelCols+`
		FROM post_labels l JOIN posts p ON p.id = l.post_id
		WHERE l.post_id > ? ORDER BY l.post_id LIMIT ?`, afterPostID, limit)
	if err != nil {
		return nil, fmt.Errorf("读取人工标注: %w", err)
	}
	return out, nil
}

// labelCols are the columns of label l that labelColumns reads.
const labelCols = `l.relevant, l.category, l.level, l.sentiment, l.origin, l.actor, l.note, l.at`

// labelColumns reads labelCols into l, the label of the post whose id is
// scanned into postID.
func labelColumns(l *store.Label, postID *int64) columns {
	var at sql.NullInt64
	return columns{
		dest: []any{&l.Relevant, &l.Category, &l.Level, &l.Sentiment, &l.Origin, &l.Actor, &l.Note, &at},
		decode: func() error {
			l.PostID, l.At = *postID, fromMS(at)
			return nil
		},
	}
}

// scanLabeledPost reads postCols and labelCols.
func scanLabeledPost(row scanner) (store.LabeledPost, error) {
	var lp store.LabeledPost
	err := scanInto(row, postColumns(&lp.Post), labelColumns(&lp.Label, &lp.Post.ID))
	return lp, err
}
