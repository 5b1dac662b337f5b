package sqldb

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
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
	where, args := incidentWhere(f)
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
func incidentWhere(f store.IncidentFilter) ([]string, []any) {
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
	return where, args
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
