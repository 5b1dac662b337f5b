package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// seededPost is a post of the post-list seed with what the list must say
// of it.
type seededPost struct {
	post     model.Post
	graded   bool
	grade    model.Grade
	incident string
	words    string // its search text; "" when not indexed
}

// seedPostList stores 24 posts of every kind: ungraded, not relevant,
// 舆情信息, filed into incidents, relevant but not filed; from three
// sources, several first seen in the same minute, all but the ungraded
// ones indexed.
func seedPostList(t *testing.T, s store.Store) []seededPost {
	t.Helper()
	ctx := context.Background()
	sources := []string{"bbs", "tieba", "12345"}
	words := []string{"医保 报销 比例 太 低", "断缴 医保 怎么 补缴", "门诊 统筹 报销 政策 解读", "天气 不错 出去 玩", "医院 骗保 挂床 住院"}
	var out []seededPost
	for i := range 24 {
		sp := seededPost{post: model.Post{Source: sources[i%3], URL: fmt.Sprintf("http://list.example/%d", i),
			Title: fmt.Sprintf("帖子%d", i), Body: words[i%len(words)],
			FetchedAt: t0.Add(time.Duration(i/3) * time.Minute)}} // three posts a minute
		mustSave(t, s, &sp.post)
		p := &sp.post
		kind := i % 6
		if kind == 0 { // ungraded: listed under 全部 only, not searchable
			out = append(out, sp)
			continue
		}
		sp.graded, sp.words = true, strings.ReplaceAll(p.Title, "帖子", "帖子 ")+" "+p.Body
		switch kind {
		case 1: // not relevant
			sp.grade = grade(p, 0)
			sp.grade.Category = ""
		case 2, 3: // 舆情信息
			sp.grade = grade(p, taxonomy.LevelIV)
			sp.grade.Category, sp.grade.Information = taxonomy.Policy, true
		case 4: // an incident's
			sp.grade = grade(p, taxonomy.Levels[i%3])
		case 5: // relevant, not filed (yet)
			sp.grade = grade(p, taxonomy.LevelIII)
		}
		sp.grade.Sentiment = taxonomy.Sentiments[i%len(taxonomy.Sentiments)]
		if kind == 4 {
			sp.incident = fileNew(t, s, p, sp.grade, p.FetchedAt).Number
		}
		if err := s.InTx(ctx, func(tx store.Tx) error {
			if kind != 4 {
				if err := tx.SaveGrade(ctx, sp.grade); err != nil {
					return err
				}
			}
			return tx.IndexPost(ctx, p.ID, p.ContentHash, sp.words)
		}); err != nil {
			t.Fatal(err)
		}
		out = append(out, sp)
	}
	return out
}

// inRange says whether sp was first seen from minute from to before
// minute to after t0.
func inRange(sp seededPost, from, to int) bool {
	at := sp.post.FirstSeenAt
	return !at.Before(t0.Add(time.Duration(from)*time.Minute)) && at.Before(t0.Add(time.Duration(to)*time.Minute))
}

func hasWord(sp seededPost, w string) bool {
	return slices.Contains(strings.Fields(sp.words), w)
}

// testPosts: every filter and search, paged by keyset in small pages,
// lists each matching post once, newest first, with its latest grade and
// incident and the same total on every page; two-character words are
// found, absent words and a single character are not; a bad cursor is
// refused.
func testPosts(t *testing.T, s store.Store) {
	all := seedPostList(t, s)
	newest := func(a, b seededPost) int { return cmp.Compare(b.post.ID, a.post.ID) }
	all = slices.SortedFunc(slices.Values(all), newest)
	for _, c := range []struct {
		name string
		f    store.PostFilter
		keep func(seededPost) bool
	}{
		{"all", store.PostFilter{}, func(seededPost) bool { return true }},
		{"relevant", store.PostFilter{Scope: store.ScopeRelevant}, func(sp seededPost) bool { return sp.graded && sp.grade.Relevant }},
		{"information", store.PostFilter{Scope: store.ScopeInformation}, func(sp seededPost) bool { return sp.grade.Information }},
		{"incident", store.PostFilter{Scope: store.ScopeIncident}, func(sp seededPost) bool { return sp.incident != "" }},
		{"irrelevant", store.PostFilter{Scope: store.ScopeIrrelevant}, func(sp seededPost) bool { return sp.graded && !sp.grade.Relevant }},
		{"source", store.PostFilter{Source: "tieba"}, func(sp seededPost) bool { return sp.post.Source == "tieba" }},
		{"level", store.PostFilter{Level: taxonomy.LevelIII}, func(sp seededPost) bool { return sp.grade.Level == taxonomy.LevelIII }},
		{"category", store.PostFilter{Category: taxonomy.Policy}, func(sp seededPost) bool { return sp.grade.Category == taxonomy.Policy }},
		{"two-character word", store.PostFilter{Words: []string{"报销"}}, func(sp seededPost) bool { return hasWord(sp, "报销") }},
		{"every word", store.PostFilter{Words: []string{"断缴", "补缴"}}, func(sp seededPost) bool { return hasWord(sp, "断缴") }},
		{"word and scope", store.PostFilter{Words: []string{"医保"}, Scope: store.ScopeRelevant},
			func(sp seededPost) bool { return hasWord(sp, "医保") && sp.grade.Relevant }},
		{"word and incident", store.PostFilter{Words: []string{"帖子"}, Scope: store.ScopeIncident},
			func(sp seededPost) bool { return hasWord(sp, "帖子") && sp.incident != "" }},
		{"platform's sources", store.PostFilter{ListFilter: store.ListFilter{Sources: []string{"bbs", "12345"}}},
			func(sp seededPost) bool { return sp.post.Source != "tieba" }},
		{"a platform of one source", store.PostFilter{ListFilter: store.ListFilter{Sources: []string{"tieba"}}},
			func(sp seededPost) bool { return sp.post.Source == "tieba" }},
		{"sentiment", store.PostFilter{ListFilter: store.ListFilter{Sentiment: taxonomy.Negative}},
			func(sp seededPost) bool { return sp.graded && sp.grade.Sentiment == taxonomy.Negative }},
		{"first seen from, to", store.PostFilter{ListFilter: store.ListFilter{From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute)}},
			func(sp seededPost) bool { return inRange(sp, 2, 5) }},
		{"first seen from", store.PostFilter{ListFilter: store.ListFilter{From: t0.Add(5 * time.Minute)}},
			func(sp seededPost) bool { return inRange(sp, 5, 100) }},
		{"word, sentiment and range", store.PostFilter{Words: []string{"医保"}, ListFilter: store.ListFilter{
			Sentiment: taxonomy.Neutral, To: t0.Add(7 * time.Minute)}}, func(sp seededPost) bool {
			return hasWord(sp, "医保") && sp.grade.Sentiment == taxonomy.Neutral && inRange(sp, 0, 7)
		}},
		{"scope, sources and range", store.PostFilter{Scope: store.ScopeRelevant, ListFilter: store.ListFilter{
			Sources: []string{"tieba", "12345"}, From: t0.Add(time.Minute)}}, func(sp seededPost) bool {
			return sp.grade.Relevant && sp.post.Source != "bbs" && inRange(sp, 1, 100)
		}},
		{"incident and sentiment", store.PostFilter{Scope: store.ScopeIncident, ListFilter: store.ListFilter{Sentiment: taxonomy.Neutral}},
			func(sp seededPost) bool { return sp.incident != "" && sp.grade.Sentiment == taxonomy.Neutral }},
	} {
		var want []seededPost
		for _, sp := range all {
			if c.keep(sp) {
				want = append(want, sp)
			}
		}
		if len(want) < 3 {
			t.Fatalf("%s: the seed matches %d posts, too few to test", c.name, len(want))
		}
		checkPostList(t, s, c.name, c.f, want, len(all))
	}
	checkPostSearchMisses(t, s)
}

// checkPostList pages through f, two posts at a time unless f.Limit says,
// and compares the rows with want: each once, newest first, read back as
// stored, with the same (capped) total on every page.
func checkPostList(t *testing.T, s store.Store, name string, f store.PostFilter, want []seededPost, seeded int) {
	ctx := context.Background()
	if f.Limit == 0 {
		f.Limit = 2
	}
	wantTotal, wantCapped := min(len(want), store.PostCountCap), len(want) > store.PostCountCap
	var got []store.GradedPost
	for pages := 0; ; pages++ {
		page, err := s.Posts(ctx, f)
		if err != nil {
			t.Fatalf("%s page %d: %v", name, pages+1, err)
		}
		if page.Total != wantTotal || page.TotalCapped != wantCapped {
			t.Errorf("%s page %d: total %d (capped %v), want %d (capped %v)", name, pages+1,
				page.Total, page.TotalCapped, wantTotal, wantCapped)
		}
		got = append(got, page.Posts...)
		if page.Next == "" || pages > seeded {
			break
		}
		if len(page.Posts) != f.Limit {
			t.Errorf("%s page %d: %d posts and a next page", name, pages+1, len(page.Posts))
		}
		f.After = page.Next
	}
	if len(got) != len(want) {
		t.Errorf("%s: listed %d posts, want %d", name, len(got), len(want))
		return
	}
	for i, gp := range got {
		w := want[i]
		if gp.Post.ID != w.post.ID {
			t.Errorf("%s: row %d is post %d, want %d (newest first, each once)", name, i, gp.Post.ID, w.post.ID)
			return
		}
		if gp.Graded != w.graded || gp.Grade.Level != w.grade.Level || gp.Grade.Information != w.grade.Information ||
			gp.Grade.Category != w.grade.Category || gp.Incident != w.incident || gp.Post.Body != w.post.Body {
			t.Errorf("%s: post %d read as graded %v %+v in %q, want %v %+v in %q", name, gp.Post.ID,
				gp.Graded, gp.Grade, gp.Incident, w.graded, w.grade, w.incident)
		}
	}
}

// checkPostSearchMisses: a single character, a stop word, an absent word
// and a quote find nothing; a garbage cursor, or one of the incident
// list, is refused.
func checkPostSearchMisses(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, words := range [][]string{{"缴"}, {"没有"}, {"断缴", "天气"}, {`"`}} {
		page, err := s.Posts(ctx, store.PostFilter{Words: words})
		if err != nil || page.Total != 0 || len(page.Posts) != 0 {
			t.Errorf("search %q: %d posts (total %d), %v; want none", words, len(page.Posts), page.Total, err)
		}
	}
	if _, err := s.Posts(ctx, store.PostFilter{After: "garbage"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("a garbage cursor: %v", err)
	}
	first, _ := s.Incidents(ctx, store.IncidentFilter{Limit: 1})
	if _, err := s.Posts(ctx, store.PostFilter{After: first.Next}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("an incident list cursor: %v", err)
	}
}

// testPostListCapped: past PostCountCap matches the total is capped and
// the pages still list every match once, newest first, as they do at
// exactly the cap; a post graded again is listed in the scope of its
// latest grade, with that grade.
func testPostListCapped(t *testing.T, s store.Store) {
	n := store.PostCountCap + 2
	all := seedRegraded(t, s, n)
	slices.Reverse(all)
	for _, c := range []struct {
		name string
		f    store.PostFilter
		keep func(int, seededPost) bool
	}{
		{"capped, every post", store.PostFilter{}, func(int, seededPost) bool { return true }},
		{"capped word", store.PostFilter{Words: []string{"报销"}}, func(int, seededPost) bool { return true }},
		{"capped incident", store.PostFilter{Scope: store.ScopeIncident}, func(int, seededPost) bool { return true }},
		{"capped word and incident", store.PostFilter{Words: []string{"报销"}, Scope: store.ScopeIncident},
			func(int, seededPost) bool { return true }},
		{"capped word and category", store.PostFilter{Words: []string{"报销"}, Category: taxonomy.Reimbursement},
			func(int, seededPost) bool { return true }},
		{"the cap", store.PostFilter{Words: []string{"一千"}}, func(i int, _ seededPost) bool { return i >= n-store.PostCountCap }},
		{"regraded relevant", store.PostFilter{Scope: store.ScopeRelevant}, func(_ int, sp seededPost) bool { return sp.grade.Relevant }},
		// Days that end: the page may be read from the days' posts, sorted.
		{"capped days", store.PostFilter{ListFilter: store.ListFilter{From: t0, To: t0.Add(time.Second)}},
			func(int, seededPost) bool { return true }},
		{"capped days, relevant", store.PostFilter{Scope: store.ScopeRelevant, ListFilter: store.ListFilter{To: t0.Add(time.Hour)}},
			func(_ int, sp seededPost) bool { return sp.grade.Relevant }},
		{"days before every post", store.PostFilter{ListFilter: store.ListFilter{To: t0}}, nil},
		{"regraded not relevant", store.PostFilter{Words: []string{"医保"}, Scope: store.ScopeIrrelevant},
			func(_ int, sp seededPost) bool { return !sp.grade.Relevant }},
	} {
		var want []seededPost
		for i, sp := range all {
			if c.keep != nil && c.keep(i, sp) {
				want = append(want, sp)
			}
		}
		c.f.Limit = 300
		checkPostList(t, s, c.name, c.f, want, n)
	}
}

// seedRegraded stores n posts in one transaction, oldest first, each
// graded (relevant or not by turns, of one category), indexed with 医保
// 报销 (the first PostCountCap also with 一千) and filed into one incident
// (before or after indexing, by turns); every third is graded again the
// other way. It returns them with their
// latest grades.
func seedRegraded(t *testing.T, s store.Store, n int) []seededPost {
	t.Helper()
	ctx := context.Background()
	out := make([]seededPost, n)
	err := s.InTx(ctx, func(tx store.Tx) error {
		inc := newIncident(t0)
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		for i := range out {
			sp := seededPost{post: model.Post{Source: "bbs", URL: fmt.Sprintf("http://capped.example/%d", i),
				Title: fmt.Sprintf("帖子%d", i), Body: "医保报销", FetchedAt: t0}, graded: true, words: "医保 报销"}
			if i < store.PostCountCap {
				sp.words += " 一千"
			}
			if _, err := tx.SavePost(ctx, &sp.post); err != nil {
				return err
			}
			sp.grade = grade(&sp.post, taxonomy.LevelIII*taxonomy.Level(i%2))
			if i%3 == 0 {
				if err := tx.SaveGrade(ctx, sp.grade); err != nil {
					return err
				}
				sp.grade = grade(&sp.post, taxonomy.LevelIII*taxonomy.Level(1-i%2))
			}
			if err := tx.SaveGrade(ctx, sp.grade); err != nil {
				return err
			}
			sp.incident = inc.Number
			out[i] = sp
			if err := indexAndFile(ctx, tx, inc.ID, sp, i%2 == 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// indexAndFile indexes sp and files it into incident incidentID, filed
// first when fileFirst: the search within 已立事件 finds it either way.
func indexAndFile(ctx context.Context, tx store.Tx, incidentID int64, sp seededPost, fileFirst bool) error {
	steps := []func() error{
		func() error { return tx.IndexPost(ctx, sp.post.ID, sp.post.ContentHash, sp.words) },
		func() error { return tx.AttachPost(ctx, incidentID, sp.post.ID, "首发帖子", t0) },
	}
	if fileFirst {
		slices.Reverse(steps)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// testPostSearchRegrade: a post graded again is found once, by its new
// text only; graded posts without search text are the catch-up's
// (UnindexedPosts) until indexed, and again when their content changes.
func testPostSearchRegrade(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	mustSave(t, s, p)
	q := post(2)
	mustSave(t, s, q)
	unindexed := func() []int64 { return unindexedIDs(t, s) }
	if got := unindexed(); len(got) != 0 {
		t.Errorf("ungraded posts are the catch-up's: %v", got)
	}
	for _, x := range []*model.Post{p, q} {
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, grade(x, 3)) }); err != nil {
			t.Fatal(err)
		}
	}
	if got := unindexed(); !slices.Equal(got, []int64{p.ID, q.ID}) {
		t.Errorf("graded, not indexed: %v, want %d and %d", got, p.ID, q.ID)
	}
	index := func(x *model.Post, words string) {
		t.Helper()
		if err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.SaveGrade(ctx, grade(x, 3)); err != nil {
				return err
			}
			return tx.IndexPost(ctx, x.ID, x.ContentHash, words)
		}); err != nil {
			t.Fatal(err)
		}
	}
	index(p, "医保 报销 迟迟 不 到账")
	index(p, "医保 报销 迟迟 不 到账") // graded again, same text
	if got := unindexed(); !slices.Equal(got, []int64{q.ID}) {
		t.Errorf("after indexing the first post: %v, want %d", got, q.ID)
	}
	found := func(word string) []int64 { return searchIDs(t, s, word) }
	if got := found("报销"); !slices.Equal(got, []int64{p.ID}) {
		t.Errorf("报销 finds %v, want %d once", got, p.ID)
	}
	p.Body = "医保卡断缴了怎么办"
	if r := mustSave(t, s, p); r != store.Changed {
		t.Fatalf("changed post saved as %v", r)
	}
	if got := unindexed(); !slices.Equal(got, []int64{q.ID}) {
		t.Errorf("a changed post is the grader's, not the catch-up's: %v", got)
	}
	index(p, "医保卡 断缴 了 怎么办")
	if got := found("断缴"); !slices.Equal(got, []int64{p.ID}) {
		t.Errorf("the new text finds %v, want %d once", got, p.ID)
	}
	if got := found("报销"); len(got) != 0 {
		t.Errorf("the old text still finds %v", got)
	}
	if got := unindexed(); !slices.Equal(got, []int64{q.ID}) {
		t.Errorf("after indexing the new text: %v, want %d", got, q.ID)
	}
}

// unindexedIDs lists the posts the search catch-up would index now.
func unindexedIDs(t *testing.T, s store.Store) []int64 {
	t.Helper()
	ps, err := s.UnindexedPosts(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

// searchIDs lists the posts a search for word finds, checking the total.
func searchIDs(t *testing.T, s store.Store, word string) []int64 {
	t.Helper()
	page, err := s.Posts(context.Background(), store.PostFilter{Words: []string{word}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, gp := range page.Posts {
		ids = append(ids, gp.Post.ID)
	}
	if len(ids) != page.Total {
		t.Errorf("%s: %d posts, total %d", word, len(ids), page.Total)
	}
	return ids
}
