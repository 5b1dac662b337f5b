package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// The list of every post (store/posts.go): keyset pages newest first, on
// the same keys as the incident list (negated times, ascending), which
// index posts_by_newest (migration 00012) answers.

// postKeys order the post list: newest first, ties by id.
var postKeys = []string{"(-p.first_seen_at)", "(-p.id)"}

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

// latestGrade joins the latest grade g of post p (none: all NULL), and
// its incident i, if any.
const postJoins = ` FROM posts p
	LEFT JOIN grades g ON g.id = (SELECT max(id) FROM grades WHERE post_id = p.id)
	LEFT JOIN incident_posts ip ON ip.post_id = p.id
	LEFT JOIN incidents i ON i.id = ip.incident_id`

func (s *Store) Posts(ctx context.Context, f store.PostFilter) (store.PostPage, error) {
	var page store.PostPage
	where, args := s.postWhere(f)
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	// Counting stops at the cap: a common word over a million posts would
	// otherwise be counted to the end on every page.
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+postJoins+cond+` LIMIT ?) c`,
		append(args, store.PostCountCap+1)...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("统计帖子: %w", err)
	}
	if page.Total > store.PostCountCap {
		page.Total, page.TotalCapped = store.PostCountCap, true
	}
	if f.After != "" {
		after, err := decodeCursor(postSort, f.After, len(postKeys))
		if err != nil {
			return page, err
		}
		where = append(where, "("+strings.Join(postKeys, ", ")+") > (?, ?)")
		args = append(args, after[0], after[1])
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = store.DefaultPageSize
	case limit > store.MaxPageSize:
		limit = store.MaxPageSize
	}
	rows, err := queryAll(ctx, s.r, scanGradedPost, `SELECT `+prefixed("p", postCols)+`, `+gradeCols+`,
		coalesce(i.number, '')`+postJoins+cond+` ORDER BY `+strings.Join(postKeys, ", ")+` LIMIT ?`,
		append(args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("读取帖子列表: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1].Post
		page.Next = encodeCursor(postSort, []int64{-last.FirstSeenAt.UnixMilli(), -last.ID})
	}
	page.Posts = rows
	return page, nil
}

// postWhere is the filter's conditions, without the page position.
func (s *Store) postWhere(f store.PostFilter) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	switch f.Scope {
	case store.ScopeRelevant:
		add("g.relevant = ?", true)
	case store.ScopeInformation:
		add("g.information = ?", true)
	case store.ScopeIncident:
		add("ip.post_id IS NOT NULL")
	case store.ScopeIrrelevant:
		add("g.relevant = ?", false)
	}
	if f.Source != "" {
		add("p.source = ?", f.Source)
	}
	if f.Level != 0 {
		add("g.level = ?", f.Level)
	}
	if f.Category != "" {
		add("g.category = ?", f.Category)
	}
	var words []string
	for _, w := range f.Words {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	if len(words) > 0 {
		add("p.id IN ("+s.d.Search.Match+")", s.d.Search.Query(words))
	}
	return where, args
}
