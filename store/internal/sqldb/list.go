package sqldb

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The incident list is paged by keyset: each sort is a tuple of integer
// keys, all ascending (a newest-first order sorts by the negated time),
// so a page is "the tuples after the last one shown", one row-value
// comparison that the sort's index (migration 00011) answers without
// reading the pages before it.
var incidentSorts = map[store.IncidentSort][]string{
	store.SortSeverity: {closedKey, "level", "(-first_seen_at)", "(-id)"},
	store.SortNewest:   {"(-first_seen_at)", "(-id)"},
	store.SortActive:   {"(-last_post_at)", "(-id)"},
}

// closedKey sorts open incidents (0) before closed ones (1).
const closedKey = "(CASE WHEN status = 'closed' THEN 1 ELSE 0 END)"

func (s *Store) Incidents(ctx context.Context, f store.IncidentFilter) (store.IncidentPage, error) {
	var page store.IncidentPage
	keys, ok := incidentSorts[f.Sort]
	if !ok {
		return page, fmt.Errorf("未知的排序方式 %q", f.Sort)
	}
	where, args, err := incidentWhere(f)
	if err != nil {
		return page, err
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents`+cond, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("统计事件数: %w", err)
	}
	if f.After != "" {
		after, err := decodeCursor(f.Sort, f.After, len(keys))
		if err != nil {
			return page, err
		}
		where = append(where, "("+strings.Join(keys, ", ")+") > ("+strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")+")")
		for _, k := range after {
			args = append(args, k)
		}
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := pageLimit(f.Limit)
	// One row more than the page says whether there is a next page.
	q := `SELECT ` + incidentCols + `, ` + strings.Join(keys, ", ") + ` FROM incidents` + cond +
		` ORDER BY ` + strings.Join(keys, ", ") + ` LIMIT ?`
	var last []int64
	rows, err := queryAll(ctx, s.r, func(row scanner) (keyed, error) {
		k := keyed{keys: make([]int64, len(keys))}
		ks := make([]any, len(keys))
		for i := range k.keys {
			ks[i] = &k.keys[i]
		}
		err := scanInto(row, incidentColumns(&k.inc), values(ks...))
		return k, err
	}, q, append(args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("读取事件列表: %w", err)
	}
	for i, r := range rows {
		if i == limit {
			page.Next = encodeCursor(f.Sort, last)
			break
		}
		page.Incidents = append(page.Incidents, r.inc)
		last = r.keys
	}
	return page, nil
}

// keyed is an incident with its sort keys.
type keyed struct {
	inc  model.Incident
	keys []int64
}

// incidentWhere is the filter's conditions, without the page position.
func incidentWhere(f store.IncidentFilter) ([]string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.OnlyOpen || f.Overdue {
		add("status <> ?", model.StatusClosed)
	}
	if f.Level != 0 {
		add("level = ?", f.Level)
	}
	if f.Category != "" {
		add("category = ?", f.Category)
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if f.Office != "" {
		add("office = ?", f.Office)
	}
	if f.Overdue {
		// As incident.Overdue: a stage with a deadline, not met, past it.
		cond, a := overdueAny(f.Now)
		add(cond, a...)
	}
	if f.Stage != "" {
		cond, ok := progressConds[f.Stage]
		if !ok {
			return nil, nil, fmt.Errorf("未知的处置阶段 %q", f.Stage)
		}
		add(cond, model.StatusClosed)
	}
	if f.Sentiment != "" {
		bit, err := sentimentBit(f.Sentiment)
		if err != nil {
			return nil, nil, err
		}
		add("(sentiments & ?) <> 0", bit)
	}
	// A platform's sources are compared as source || '': on the index of
	// source, SQLite would read every incident of the sources and sort
	// them (165 ms on 100,000, half of them matching), rather than walk
	// the sort's index to a page (BenchIncidentPages "sources").
	listWhere(f.ListFilter, "source || ''", "(-first_seen_at)", true, add)
	return where, args, nil
}

// progressConds are the conditions of an incident waiting for each step,
// as model.Incident.Progress reads it; each takes the closed status.
var progressConds = map[model.Progress]string{
	model.ProgressAck:      `status <> ? AND acked_at IS NULL`,
	model.ProgressFollowUp: `status <> ? AND acked_at IS NOT NULL AND followed_up_at IS NULL`,
	model.ProgressInvestigate: `status <> ? AND acked_at IS NOT NULL AND followed_up_at IS NOT NULL
		AND investigate_due_at IS NOT NULL AND investigated_at IS NULL`,
	model.ProgressFeedback: `status <> ? AND acked_at IS NOT NULL AND followed_up_at IS NOT NULL
		AND investigate_due_at IS NOT NULL AND investigated_at IS NOT NULL AND replied_at IS NULL`,
	model.ProgressClose: `status <> ? AND acked_at IS NOT NULL AND followed_up_at IS NOT NULL
		AND (investigate_due_at IS NULL OR (investigated_at IS NOT NULL AND replied_at IS NOT NULL))`,
	// As the severity sort's first key: its index counts them.
	model.ProgressClosed: closedKey + ` = 1 AND status = ?`,
}

// listWhere adds the conditions of the filter both lists share: by the
// source column named, and by first-seen time on column firstSeen, which
// is compared as written (the incident list gives its newest-first index
// key, (-first_seen_at), and the bounds negated). The sentiment is each
// list's own condition (sentimentBit).
func listWhere(f store.ListFilter, source, firstSeen string, negated bool, add func(string, ...any)) {
	if f.Sources != nil {
		if len(f.Sources) == 0 {
			add("1 = 0")
		} else {
			add(source+" IN ("+placeholders(len(f.Sources))+")", anys(f.Sources)...)
		}
	}
	from, to := f.From.UnixMilli(), f.To.UnixMilli()
	switch {
	case negated && !f.From.IsZero():
		add(firstSeen+" <= ?", -from)
	case !f.From.IsZero():
		add(firstSeen+" >= ?", from)
	}
	switch {
	case negated && !f.To.IsZero():
		add(firstSeen+" > ?", -to)
	case !f.To.IsZero():
		add(firstSeen+" < ?", to)
	}
}

// sentimentBit is an incident's bit for a sentiment (migration 00015):
// 1, 2, 4 in the order of taxonomy.Sentiments.
func sentimentBit(sentiment string) (int64, error) {
	i := slices.Index(taxonomy.Sentiments, sentiment)
	if i < 0 {
		return 0, fmt.Errorf("未知的情感倾向 %q", sentiment)
	}
	return 1 << i, nil
}

// sentimentsOf is the bitset of the sentiments of the latest grades of
// the posts of the incident whose id is the expression id.
func sentimentsOf(id string) string {
	var sum []string
	for _, s := range taxonomy.Sentiments {
		bit, _ := sentimentBit(s)
		sum = append(sum, fmt.Sprintf("coalesce(max(CASE WHEN p.graded_sentiment = '%s' THEN %d ELSE 0 END), 0)", s, bit))
	}
	return `(SELECT ` + strings.Join(sum, " + ") + ` FROM incident_posts ip JOIN posts p ON p.id = ip.post_id
		WHERE ip.incident_id = ` + id + `)`
}

// refreshSentiments sets the sentiments of the incidents cond selects
// (by their id) from their posts: after a post joins, leaves or is graded
// again.
func (t *txn) refreshSentiments(ctx context.Context, cond string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE incidents SET sentiments = `+sentimentsOf("incidents.id")+` WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("更新事件的情感倾向: %w", err)
	}
	return nil
}

// A cursor is the sort's name and the keys of the last row shown,
// base64url: opaque to callers, checked on the way back in.
func encodeCursor(sort store.IncidentSort, keys []int64) string {
	parts := make([]string, 0, len(keys)+1)
	parts = append(parts, "s"+string(sort))
	for _, k := range keys {
		parts = append(parts, strconv.FormatInt(k, 10))
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ",")))
}

func decodeCursor(sort store.IncidentSort, c string, n int) ([]int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, store.ErrBadCursor
	}
	parts := strings.Split(string(b), ",")
	if len(parts) != n+1 || parts[0] != "s"+string(sort) {
		return nil, store.ErrBadCursor
	}
	keys := make([]int64, n)
	for i, p := range parts[1:] {
		if keys[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return nil, store.ErrBadCursor
		}
	}
	return keys, nil
}

// pageLimit is the size of a list page asked for as n: the default for 0,
// at most store.MaxPageSize.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return store.DefaultPageSize
	case n > store.MaxPageSize:
		return store.MaxPageSize
	}
	return n
}
