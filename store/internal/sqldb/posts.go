package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// The list of every post (store/posts.go), paged by keyset.

// postSort names the post list's cursors (they are refused elsewhere).
const postSort store.IncidentSort = "posts"

func (t *txn) IndexPost(ctx context.Context, postID int64, contentHash, words string) error {
	if _, err := t.tx.ExecContext(ctx, t.tx.d.Search.Index, postID, stripNUL(words)); err != nil {
		return fmt.Errorf("保存帖子 %d 的检索文本: %w", postID, err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE posts SET indexed_hash = ? WHERE id = ?`, contentHash, postID); err != nil {
		return fmt.Errorf("保存帖子 %d 的检索文本: %w", postID, err)
	}
	return nil
}

func (s *Store) UnindexedPosts(ctx context.Context, limit int) ([]model.Post, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := queryAll(ctx, s.r, scanPost, `SELECT `+postCols+` FROM posts
		WHERE indexed_hash <> content_hash AND graded_hash = content_hash ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("读取待建检索的帖子: %w", err)
	}
	return out, nil
}

// The post list is in id order, newest first: a post's id and its
// first_seen_at are both given when it is first stored, so the two orders
// agree but for posts stored within the same moment by different crawls.
// Ordering by the id is what makes a search fast on both engines: the
// index holds the search text under the post id and reads its matches in
// that order (FTS5 walks its doclists backwards, PostgreSQL reads
// post_search's primary key backwards), stopping at a page instead of
// sorting every match of a common word.

// gradeJoin joins the latest grade g of post p (none: all NULL).
const gradeJoin = ` LEFT JOIN grades g ON g.id = (SELECT max(id) FROM grades WHERE post_id = p.id)`

// incidentJoin joins p's incident i, if any.
const incidentJoin = ` LEFT JOIN incident_posts ip ON ip.post_id = p.id LEFT JOIN incidents i ON i.id = ip.incident_id`

func (s *Store) Posts(ctx context.Context, f store.PostFilter) (store.PostPage, error) {
	var page store.PostPage
	q := s.postQuery(f)
	// Counting stops at the cap: a common word over a million posts would
	// otherwise be counted to the end on every page. Only the joins the
	// filter needs are made.
	from := q.from
	if q.needGrade {
		from += gradeJoin
	}
	if q.needIncident {
		from += ` LEFT JOIN incident_posts ip ON ip.post_id = p.id`
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+from+q.cond()+` LIMIT ?) c`,
		append(q.args, store.PostCountCap+1)...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("统计帖子: %w", err)
	}
	if page.Total > store.PostCountCap {
		page.Total, page.TotalCapped = store.PostCountCap, true
	}
	if f.After != "" {
		after, err := decodeCursor(postSort, f.After, 1)
		if err != nil {
			return page, err
		}
		q.add(q.key+" < ?", after[0])
	}
	limit := pageLimit(f.Limit)
	rows, err := queryAll(ctx, s.r, scanGradedPost, `SELECT `+prefixed("p", postCols)+`, `+gradeCols+`,
		coalesce(i.number, '')`+q.from+gradeJoin+incidentJoin+q.cond()+` ORDER BY `+q.key+` DESC LIMIT ?`,
		append(q.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("读取帖子列表: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = encodeCursor(postSort, []int64{rows[limit-1].Post.ID})
	}
	page.Posts = rows
	return page, nil
}

// postQuery is a post filter as SQL: the table the rows come from (the
// search index when there are words, so that its order drives the page),
// the key they are ordered by, and the conditions.
type postQuery struct {
	from, key               string
	where                   []string
	args                    []any
	needGrade, needIncident bool
}

func (q *postQuery) add(cond string, a ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, a...)
}

func (q *postQuery) cond() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

func (s *Store) postQuery(f store.PostFilter) postQuery {
	q := postQuery{from: " FROM posts p", key: "p.id"}
	var words []string
	for _, w := range f.Words {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	if len(words) > 0 {
		sq := s.d.Search
		q.from, q.key = " FROM "+sq.Table+" JOIN posts p ON p.id = "+sq.Key, sq.Key
		q.add(sq.Match, sq.Query(words))
	}
	switch f.Scope {
	case store.ScopeRelevant:
		q.add("g.relevant = ?", true)
	case store.ScopeInformation:
		q.add("g.information = ?", true)
	case store.ScopeIncident:
		q.add("ip.post_id IS NOT NULL")
		q.needIncident = true
	case store.ScopeIrrelevant:
		q.add("g.relevant = ?", false)
	}
	q.needGrade = f.Scope != store.ScopeAll && f.Scope != store.ScopeIncident
	if f.Source != "" {
		q.add("p.source = ?", f.Source)
	}
	if f.Level != 0 {
		q.add("g.level = ?", f.Level)
		q.needGrade = true
	}
	if f.Category != "" {
		q.add("g.category = ?", f.Category)
		q.needGrade = true
	}
	return q
}
