package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Figures (store/stats.go). Each is one GROUP BY over the posts first
// seen in a span, read from the posts_figures index: the post's source
// and what its latest grade said (graded_*, kept by SaveGrade) are in it,
// so no post row and no grade is looked up.
//
// The statements are written so that SQLite's planner, which cannot tell
// how many posts a span of bound parameters holds, still starts from the
// span in that index: grouping by source groups p.source || '' (grouping
// the bare column, it reads every post in posts_source order to save a
// sort), districts look up the posts the index finds (p.id IN …) instead
// of scanning the table, and words join post_terms to the posts with
// CROSS JOIN (SQLite keeps the posts as the outer loop; to PostgreSQL it
// is a plain join).
//
// Intervals are counted on a grid: the coarsest step all their bounds but
// the last lie on from the first (a day for the days of a zone without
// daylight saving, an hour with it), so that a post's cell is plain
// arithmetic, (first_seen_at - start) / step, the same on both engines;
// the cells are summed into intervals here. The last bound only ends the
// count (a period counted up to now).

// maxCells bounds the cells of one count: intervals whose bounds share no
// coarser step than a few seconds are refused.
const maxCells = 100_000

// cells is the grid of b: its start, its step and the interval of each
// cell, all in Unix milliseconds.
type cells struct {
	start, end, step int64
	bucket           []int // bucket[k] is the interval cell k lies in
}

func gridOf(b store.Buckets) (cells, error) {
	if err := b.Check(); err != nil {
		return cells{}, err
	}
	g := cells{start: b[0].UnixMilli(), end: b[len(b)-1].UnixMilli()}
	for _, t := range b[1 : len(b)-1] {
		g.step = gcd(g.step, t.UnixMilli()-g.start)
	}
	if g.step == 0 { // one interval: one cell
		g.step = g.end - g.start
	}
	n := (g.end - g.start + g.step - 1) / g.step
	if n > maxCells {
		return cells{}, fmt.Errorf("%w：区间边界不在整点上", store.ErrBadBuckets)
	}
	g.bucket = make([]int, n)
	for k := range g.bucket {
		at := g.start + int64(k)*g.step
		g.bucket[k] = sort.Search(b.Len(), func(i int) bool { return b[i+1].UnixMilli() > at })
	}
	return g, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// span is the condition on posts p first seen in the grid and the
// expression of a post's cell, each with its arguments.
func (g cells) span() (cond string, condArgs []any, cell string, cellArgs []any) {
	return `p.first_seen_at >= ? AND p.first_seen_at < ?`, []any{g.start, g.end},
		`(p.first_seen_at - ?) / ?`, []any{g.start, g.step}
}

// negative is true for a relevant post p of negative (or unknown)
// sentiment; its arguments are negativeArgs.
const negative = `p.graded_relevant AND p.graded_sentiment IN (?, ?)`

var negativeArgs = []any{taxonomy.Negative, ""}

func (s *Store) PostCounts(ctx context.Context, b store.Buckets) ([]store.PostCount, error) {
	g, err := gridOf(b)
	if err != nil {
		return nil, err
	}
	cond, condArgs, cell, cellArgs := g.span()
	sums := map[store.PostCount]int{}
	err = eachRow(ctx, s.r, `SELECT `+cell+`, p.graded_relevant,
		CASE WHEN p.graded_relevant THEN p.graded_category ELSE '' END, CASE WHEN p.graded_relevant THEN p.graded_level ELSE 0 END,
		CASE WHEN p.graded_relevant THEN p.graded_sentiment ELSE '' END, count(*)
		FROM posts p WHERE `+cond+` GROUP BY 1, 2, 3, 4, 5`, append(cellArgs, condArgs...), func(row scanner) error {
		var c store.PostCount
		var rel sql.NullBool
		var k, n int
		if err := row.Scan(&k, &rel, &c.Category, &c.Level, &c.Sentiment, &n); err != nil {
			return err
		}
		c.Bucket, c.Graded, c.Relevant = g.bucket[k], rel.Valid, rel.Bool
		sums[c] += n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("按日统计帖子: %w", err)
	}
	return summed(sums, func(c *store.PostCount, n int) { c.Posts = n }), nil
}

// summed is the keys of sums, each with its sum set by set: the counts of
// cells, summed into their intervals.
func summed[T comparable](sums map[T]int, set func(*T, int)) []T {
	out := make([]T, 0, len(sums))
	for c, n := range sums {
		set(&c, n)
		out = append(out, c)
	}
	return out
}

func (s *Store) SourceCounts(ctx context.Context, from, to time.Time) ([]store.SourceCount, error) {
	out, err := queryAll(ctx, s.r, scanWith(func(c *store.SourceCount) columns {
		return values(&c.Source, &c.Posts, &c.Relevant, &c.Negative)
	}), `SELECT p.source || '', count(*), coalesce(sum(CASE WHEN p.graded_relevant THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN `+negative+` THEN 1 ELSE 0 END), 0)
		FROM posts p WHERE p.first_seen_at >= ? AND p.first_seen_at < ?
		GROUP BY 1 ORDER BY 1`, append(slices.Clone(negativeArgs), from.UnixMilli(), to.UnixMilli())...)
	if err != nil {
		return nil, fmt.Errorf("按数据源统计帖子: %w", err)
	}
	return out, nil
}

func (s *Store) PlaceCounts(ctx context.Context, from, to time.Time, places []string) ([]int, error) {
	out := make([]int, len(places))
	if len(places) == 0 {
		return out, nil
	}
	cols := make([]string, len(places))
	args := make([]any, 0, 2*len(places)+2)
	for i, pl := range places {
		cols[i] = `coalesce(sum(CASE WHEN p.title LIKE ? ESCAPE '\' OR p.body LIKE ? ESCAPE '\' THEN 1 ELSE 0 END), 0)`
		args = append(args, likeAny(pl), likeAny(pl))
	}
	dest := make([]any, len(out))
	for i := range out {
		dest[i] = &out[i]
	}
	err := s.r.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM posts p
		WHERE p.id IN (SELECT id FROM posts WHERE first_seen_at >= ? AND first_seen_at < ? AND graded_relevant)`,
		append(args, from.UnixMilli(), to.UnixMilli())...).Scan(dest...)
	if err != nil {
		return nil, fmt.Errorf("按区县统计帖子: %w", err)
	}
	return out, nil
}

// likeAny is a LIKE pattern (escape \) matching text that contains s.
func likeAny(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// overdueStages are the conditions, each with the time as its argument,
// of an open incident's stages being past their deadline (as
// incident.Overdue): 签收, 跟进回复, 调查核实, 答复反馈.
var overdueStages = [...]string{
	`ack_due_at IS NOT NULL AND acked_at IS NULL AND ack_due_at < ?`,
	`followup_due_at IS NOT NULL AND followed_up_at IS NULL AND followup_due_at < ?`,
	`investigate_due_at IS NOT NULL AND investigated_at IS NULL AND investigate_due_at < ?`,
	`feedback_due_at IS NOT NULL AND replied_at IS NULL AND feedback_due_at < ?`,
}

// overdueAny is the condition of any stage being overdue, and its
// arguments for the time now.
func overdueAny(now time.Time) (string, []any) {
	args := make([]any, len(overdueStages))
	for i := range args {
		args[i] = now.UnixMilli()
	}
	return "((" + strings.Join(overdueStages[:], ") OR (") + "))", args
}

func (s *Store) IncidentCounts(ctx context.Context, now time.Time) ([]store.IncidentCount, error) {
	cols := []string{`count(*)`, `sum(CASE WHEN suspected THEN 1 ELSE 0 END)`}
	var args []any
	for _, st := range overdueStages {
		cols = append(cols, `sum(CASE WHEN `+st+` THEN 1 ELSE 0 END)`)
		args = append(args, now.UnixMilli())
	}
	anyCond, anyArgs := overdueAny(now)
	cols = append(cols, `sum(CASE WHEN `+anyCond+` THEN 1 ELSE 0 END)`)
	args = append(append(args, anyArgs...), model.StatusClosed)
	out, err := queryAll(ctx, s.r, scanWith(func(c *store.IncidentCount) columns {
		o := &c.Overdue
		return values(&c.Level, &c.Open, &c.Suspected, &o.Ack, &o.FollowUp, &o.Investigate, &o.Feedback, &o.Any)
	}), `SELECT level, `+strings.Join(cols, ", ")+` FROM incidents WHERE status <> ? GROUP BY level ORDER BY level`, args...)
	if err != nil {
		return nil, fmt.Errorf("统计未办结事件: %w", err)
	}
	return out, nil
}

func (s *Store) TermCounts(ctx context.Context, q store.TermQuery) ([]store.TermCount, error) {
	g, err := gridOf(q.Buckets)
	if err != nil {
		return nil, err
	}
	if q.Recent < 1 || q.Recent > q.Buckets.Len() {
		return nil, fmt.Errorf("%w：近期区间数 %d 不在 1 到 %d 之间", store.ErrBadBuckets, q.Recent, q.Buckets.Len())
	}
	recent := (q.Buckets[q.Buckets.Len()-q.Recent].UnixMilli() - g.start) / g.step
	cond, condArgs, cell, cellArgs := g.span()
	// c counts each word's posts by cell; only the words held by enough
	// posts of the recent cells are read out.
	sums := map[store.TermCount]int{}
	err = eachRow(ctx, s.r, `WITH c AS (SELECT `+cell+` AS k, u.value AS term, count(*) AS n
			FROM posts p CROSS JOIN post_terms t, `+s.d.Terms+`
			WHERE t.post_id = p.id AND `+cond+` AND p.graded_relevant GROUP BY 1, 2)
		SELECT c.term, c.k, c.n FROM c
		WHERE c.term IN (SELECT term FROM c WHERE k >= ? GROUP BY term HAVING sum(n) >= ?)`,
		append(append(cellArgs, condArgs...), recent, max(q.MinPosts, 1)), func(row scanner) error {
			var c store.TermCount
			var k, n int
			if err := row.Scan(&c.Term, &k, &n); err != nil {
				return err
			}
			c.Bucket = g.bucket[k]
			sums[c] += n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("统计相关帖子的词: %w", err)
	}
	out := summed(sums, func(c *store.TermCount, n int) { c.Posts = n })
	// Sorted here: the engines' collations order words differently.
	slices.SortFunc(out, func(a, b store.TermCount) int {
		if c := strings.Compare(a.Term, b.Term); c != 0 {
			return c
		}
		return a.Bucket - b.Bucket
	})
	return out, nil
}

// markGraded notes on the post what its new latest grade g says (and that
// its current content is graded). A post that turns relevant without the
// words TermCounts needs is left to the grader's catch-up to index again;
// the grader itself indexes it in the same transaction.
func (t *txn) markGraded(ctx context.Context, g model.Grade) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE posts SET graded_hash = content_hash, graded_relevant = ?,
		graded_category = ?, graded_level = ?, graded_sentiment = ?,
		indexed_hash = CASE WHEN ? AND NOT EXISTS (SELECT 1 FROM post_terms WHERE post_id = posts.id)
			THEN '' ELSE indexed_hash END
		WHERE id = ?`, g.Relevant, g.Category, g.Level, g.Sentiment, g.Relevant, g.PostID)
	return err
}

// saveTerms keeps the PostTerms of words for TermCounts when the post's
// latest grade is relevant, and drops any it had otherwise.
func (t *txn) saveTerms(ctx context.Context, postID int64, words string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM post_terms WHERE post_id = ?`, postID); err != nil {
		return fmt.Errorf("保存帖子 %d 的词: %w", postID, err)
	}
	terms := store.PostTerms(stripNUL(words))
	if len(terms) == 0 {
		return nil
	}
	j, err := json.Marshal(terms)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO post_terms (post_id, terms) SELECT id, ? FROM posts
		WHERE id = ? AND graded_relevant`, string(j), postID); err != nil {
		return fmt.Errorf("保存帖子 %d 的词: %w", postID, err)
	}
	return nil
}

// stageColumns are each stage's deadline and completion columns: 签收,
// 跟进回复, 调查核实, 答复反馈.
var stageColumns = [...][2]string{
	{"ack_due_at", "acked_at"}, {"followup_due_at", "followed_up_at"},
	{"investigate_due_at", "investigated_at"}, {"feedback_due_at", "replied_at"},
}

func (s *Store) HandlingCounts(ctx context.Context, from, to, now time.Time) ([]store.HandlingCount, error) {
	n := now.UnixMilli()
	var args []any
	// arg adds a placeholder's argument: columns are written in the order
	// they appear in the statement.
	arg := func(v any) string { args = append(args, v); return "?" }
	count := func(cond string) string { return `sum(CASE WHEN ` + cond + ` THEN 1 ELSE 0 END)` }
	// A stage falls due: met by now, or its deadline passed; on time: met
	// by now at or before its deadline; late: its deadline passed and it
	// was not met by then.
	fallsDue := func(due, done string) string {
		return count(due + ` IS NOT NULL AND ((` + done + ` IS NOT NULL AND ` + done + ` <= ` + arg(n) + `) OR ` + due + ` < ` + arg(n) + `)`)
	}
	onTime := func(due, done string) string {
		return count(due + ` IS NOT NULL AND ` + done + ` IS NOT NULL AND ` + done + ` <= ` + due + ` AND ` + done + ` <= ` + arg(n))
	}
	anyLate := func() string {
		var late []string
		for _, c := range stageColumns {
			late = append(late, c[0]+` IS NOT NULL AND `+c[0]+` < `+arg(n)+` AND (`+c[1]+` IS NULL OR `+c[1]+` > `+c[0]+`)`)
		}
		return count(`(` + strings.Join(late, `) OR (`) + `)`)
	}
	acked := func() string { return `acked_at IS NOT NULL AND acked_at <= ` + arg(n) }
	closed := func() string {
		return `status = ` + arg(model.StatusClosed) + ` AND closed_at IS NOT NULL AND closed_at <= ` + arg(n)
	}
	// Milliseconds summed as BIGINT on both engines.
	elapsed := func(cond, at string) string {
		return `CAST(coalesce(sum(CASE WHEN ` + cond + ` THEN ` + at + ` - first_seen_at ELSE 0 END), 0) AS BIGINT)`
	}
	cols := []string{`office`, `level`, `count(*)`,
		fallsDue("ack_due_at", "acked_at"), onTime("ack_due_at", "acked_at"),
		fallsDue("followup_due_at", "followed_up_at"), onTime("followup_due_at", "followed_up_at"),
		anyLate(), count(acked()), count(closed()), elapsed(acked(), "acked_at"), elapsed(closed(), "closed_at")}
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM incidents WHERE first_seen_at >= ` + arg(from.UnixMilli()) +
		` AND first_seen_at < ` + arg(to.UnixMilli()) + ` GROUP BY office, level`
	out, err := queryAll(ctx, s.r, scanWith(func(c *store.HandlingCount) columns {
		var ackMS, closeMS int64
		return columns{
			dest: []any{&c.Office, &c.Level, &c.Incidents, &c.AckDue, &c.AckOnTime, &c.FollowUpDue, &c.FollowUpOnTime,
				&c.Overdue, &c.Acked, &c.Closed, &ackMS, &closeMS},
			decode: func() error {
				c.AckTime, c.CloseTime = time.Duration(ackMS)*time.Millisecond, time.Duration(closeMS)*time.Millisecond
				return nil
			},
		}
	}), q, args...)
	if err != nil {
		return nil, fmt.Errorf("统计事件处置情况: %w", err)
	}
	// Sorted here: the engines' collations order office names differently.
	slices.SortFunc(out, func(a, b store.HandlingCount) int {
		return cmp.Or(strings.Compare(a.Office, b.Office), cmp.Compare(a.Level, b.Level))
	})
	return out, nil
}
