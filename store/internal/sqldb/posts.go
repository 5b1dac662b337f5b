package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
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
	return t.saveTerms(ctx, postID, words) // stats.go
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
//
// A page is read in two steps. The first reads the ids of up to
// PostCountCap+1 matches, in whatever order is cheapest: the total, and,
// when there are no more than the cap, every match, so that the page is
// the newest of them below the cursor, read by id. Only a filter matching
// more than the cap reads its page in id order: its matches are then many
// enough to be met soon going back from the newest. Ordering by the id is
// what makes that fast on both engines: the index holds the search text
// under the post id and reads its matches in that order (FTS5 walks its
// doclists backwards, PostgreSQL reads post_search's primary key
// backwards), stopping at a page instead of sorting every match of a
// common word. A rare word, which an index walk in id order would look for
// through the whole table, thus never takes that path whatever the
// planner estimates.

// latestGrade joins (join: "JOIN" or "LEFT JOIN") post key's latest grade g.
func latestGrade(join, key string) string {
	return ` ` + join + ` grades g ON g.post_id = ` + key + ` AND g.latest`
}

func (s *Store) Posts(ctx context.Context, f store.PostFilter) (store.PostPage, error) {
	var page store.PostPage
	if f.Sentiment != "" {
		if _, err := sentimentBit(f.Sentiment); err != nil {
			return page, err
		}
	}
	q := s.postQuery(f)
	var after int64
	if f.After != "" {
		keys, err := decodeCursor(postSort, f.After, 1)
		if err != nil {
			return page, err
		}
		after = keys[0]
	}
	ids, err := queryAll(ctx, s.r, scanValue[int64], `SELECT `+q.key+q.joins(false)+q.cond()+` LIMIT ?`,
		append(q.args, store.PostCountCap+1)...)
	if err != nil {
		return page, fmt.Errorf("统计帖子: %w", err)
	}
	page.Total = len(ids)
	if page.Total > store.PostCountCap {
		page.Total, page.TotalCapped = store.PostCountCap, true
	}
	limit := pageLimit(f.Limit)
	byIDs := !page.TotalCapped
	if page.TotalCapped && after != 0 {
		q.before(after)
	}
	if page.TotalCapped {
		sorted, err := s.sortRange(ctx, f, after)
		if err != nil {
			return page, err
		}
		if sorted {
			// The page's ids first, from the days' posts, sorted (no
			// index gives this order): a post's row is read only when
			// it is on the page.
			ids, err = queryAll(ctx, s.r, scanValue[int64], `SELECT `+q.key+q.joins(false)+q.cond()+
				` ORDER BY `+q.key+` + 0 DESC LIMIT ?`, append(q.args, limit+1)...)
			if err != nil {
				return page, fmt.Errorf("读取帖子列表: %w", err)
			}
			byIDs, after = true, 0
		}
	}
	if byIDs {
		// Every match is in ids (or every match of the page): the page is
		// read by id alone, as the matches were a moment ago (FTS5 would
		// run the search again for each id).
		if ids = pageIDs(ids, after, limit+1); len(ids) == 0 {
			return page, nil
		}
		q = postQuery{table: "posts p", key: "p.id"}
		q.add("p.id IN ("+placeholders(len(ids))+")", anys(ids)...)
	}
	rows, err := queryAll(ctx, s.r, scanGradedPost, `SELECT `+prefixed("p", postCols)+`, `+gradeCols+`,
		coalesce(i.number, '')`+q.joins(true)+q.cond()+` ORDER BY `+q.key+` DESC LIMIT ?`,
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

// sortRange says whether a page of more matches than the count cap,
// within first-seen days that end before the newest posts (f.To), is
// read from the days' posts, its ids sorted, rather than by walking the posts
// down from the newest (or from after) to the days. The ids and the
// first-seen times of posts go together (both are given when a post is
// stored), so the posts a walk would pass before the days and the posts
// of the days are about the ids between the posts at the days' ends: two
// seeks in posts_figures. Either way the page is the same; only its cost
// differs (at a million posts, a walk down to days a year old reads most
// of them). With a search, the sorted ids are the days' matches: PostgreSQL
// reads the days' posts and checks their search text (209 ms -> 48, fastest
// call on 200,000 posts, for a common word in a week); SQLite reads the word's
// matches from FTS5 either way.
func (s *Store) sortRange(ctx context.Context, f store.PostFilter, after int64) (bool, error) {
	if f.To.IsZero() {
		return false, nil
	}
	seek := func(q string, args ...any) (int64, error) {
		var id sql.NullInt64
		if err := s.r.QueryRowContext(ctx, q, args...).Scan(&id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("读取帖子列表: %w", err)
		}
		return id.Int64, nil
	}
	top := after
	if top == 0 {
		var err error
		if top, err = seek(`SELECT max(id) FROM posts`); err != nil {
			return false, err
		}
	}
	hi, err := seek(`SELECT id FROM posts WHERE first_seen_at < ? ORDER BY first_seen_at DESC LIMIT 1`, f.To.UnixMilli())
	if err != nil {
		return false, err
	}
	var lo int64
	if !f.From.IsZero() {
		if lo, err = seek(`SELECT id FROM posts WHERE first_seen_at >= ? ORDER BY first_seen_at LIMIT 1`, f.From.UnixMilli()); err != nil {
			return false, err
		}
	}
	return top-hi > hi-lo, nil
}

// pageIDs is the newest n of ids below after (0: any), newest first,
// padded to n with the oldest of them: one statement for every page of a
// size, whatever its last page holds.
func pageIDs(ids []int64, after int64, n int) []int64 {
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
	if after != 0 {
		ids = ids[sort.Search(len(ids), func(i int) bool { return ids[i] < after }):]
	}
	ids = ids[:min(n, len(ids))]
	for len(ids) > 0 && len(ids) < n {
		ids = append(ids, ids[len(ids)-1])
	}
	return ids
}

// anys is vs as statement arguments.
func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// postQuery is a post filter as SQL: the table the rows come from, in
// key order (the search index when there are words, the incident posts
// for ScopeIncident, else the posts), the conditions, and the tables
// these need (joinIncident: ScopeIncident as a join).
type postQuery struct {
	table, key                        string
	where                             []string
	args                              []any
	needPost, needGrade, joinIncident bool
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

// joins is the FROM clause: every table a listed row reads when all,
// else only those the conditions need (the ids of the matches). The joins
// that filter come before the posts, whose rows are wide: SQLite then
// reads a post only once it has passed them.
func (q *postQuery) joins(all bool) string {
	from := " FROM " + q.table
	if q.joinIncident && q.key != "ip.post_id" {
		from += " JOIN incident_posts ip ON ip.post_id = " + q.key
	}
	if q.needGrade {
		from += latestGrade("JOIN", q.key)
	}
	if q.key != "p.id" && (all || q.needPost) {
		from += " JOIN posts p ON p.id = " + q.key
	}
	if all && !q.needGrade {
		from += latestGrade("LEFT JOIN", q.key)
	}
	if all && !q.joinIncident {
		from += " LEFT JOIN incident_posts ip ON ip.post_id = " + q.key
	}
	if all {
		from += " LEFT JOIN incidents i ON i.id = ip.incident_id"
	}
	return from
}

// before keeps the posts older than after, on the id of every table the
// page joins by post id without NULLs: PostgreSQL does not carry an
// inequality over to the columns equal to it, and would otherwise read an
// index of a joined table (舆情信息's, say) from the newest post down to
// the page.
func (q *postQuery) before(after int64) {
	cols := []string{q.key}
	if q.key != "p.id" {
		cols = append(cols, "p.id")
	}
	if q.needGrade {
		cols = append(cols, "g.post_id")
	}
	if q.joinIncident && q.key != "ip.post_id" {
		cols = append(cols, "ip.post_id")
	}
	for _, c := range cols {
		q.add(c+" < ?", after)
	}
}

func (s *Store) postQuery(f store.PostFilter) postQuery {
	q := postQuery{table: "posts p", key: "p.id"}
	var words []string
	for _, w := range f.Words {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	q.joinIncident = f.Scope == store.ScopeIncident
	switch {
	case len(words) > 0:
		q.table, q.key = s.d.Search.Table, s.d.Search.Key
		q.add(s.d.Search.Match, s.d.Search.Query(words))
		if q.joinIncident && s.d.Search.Filed != "" {
			q.add(s.d.Search.Filed)
			q.joinIncident = false
		}
	case q.joinIncident:
		q.table, q.key = "incident_posts ip", "ip.post_id"
	}
	// The scopes are conditions without arguments: PostgreSQL proves the
	// partial indexes of grades (migration 00013) from them. ScopeIncident
	// is a join, or Search.Filed. Every condition on g is false without a
	// grade: g is then an inner join.
	switch f.Scope {
	case store.ScopeRelevant:
		q.add("g.relevant")
	case store.ScopeInformation:
		q.add("g.information")
	case store.ScopeIrrelevant:
		q.add("NOT g.relevant")
	}
	q.needGrade = f.Scope != store.ScopeAll && f.Scope != store.ScopeIncident
	if f.Source != "" {
		q.add("p.source = ?", f.Source)
		q.needPost = true
	}
	if f.Level != 0 {
		q.add("g.level = ?", f.Level)
		q.needGrade = true
	}
	if f.Category != "" {
		q.add("g.category = ?", f.Category)
		q.needGrade = true
	}
	// The shared filters read the post row: its source, first-seen time
	// and the sentiment of its latest grade (kept beside it since
	// migration 00014). A time range is met in the ids' step from
	// posts_figures, whose key is first_seen_at.
	n := len(q.where)
	// One source is read on posts_source in id order; several are compared
	// as p.source || '', so that the posts are walked newest first rather
	// than every post of the sources read and sorted (SQLite, BenchPosts
	// "channel-sources" on 200,000 posts: 1,008 ms -> 1 ms).
	source := "p.source || ''"
	if len(f.Sources) == 1 {
		source = "p.source"
	}
	listWhere(f.ListFilter, source, "p.first_seen_at", false, q.add)
	if f.Sentiment != "" {
		q.add("p.graded_sentiment = ?", f.Sentiment)
	}
	q.needPost = q.needPost || len(q.where) > n
	return q
}
