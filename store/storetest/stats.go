package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // days of a zone with daylight saving, wherever the tests run

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// statsDay0 is the first of the three days the figures fixture covers
// (2026-11-21 in t0's zone, UTC+8: its midnight is 16:00 UTC the day before).
var statsDay0 = time.Date(2026, 11, 21, 0, 0, 0, 0, t0.Location())

// statsPost is a post of the figures fixture: when it was first seen, its
// grades in order (none: ungraded) and the search text indexed after the
// first grade.
type statsPost struct {
	source, title, body string
	at                  time.Time
	grades              []model.Grade
	words               string
}

func statsGrade(cat taxonomy.Category, level taxonomy.Level, sentiment string) model.Grade {
	return model.Grade{RulesVersion: "v1", Relevant: level > 0, Category: cat, Level: level, Sentiment: sentiment, Score: 1}
}

// statsPosts are the figures fixture's posts: on the edges of days, of
// every kind of grade, naming places, with words for TermCounts.
func statsPosts() []statsPost {
	d := func(day int, h, m int) time.Time {
		return statsDay0.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	irrelevant := statsGrade("", 0, "")
	return []statsPost{
		// Day 0, its last millisecond.
		{"bbs", "岚北区医院报销难", "报销材料交了两个月", d(1, 0, 0).Add(-time.Millisecond),
			[]model.Grade{statsGrade(taxonomy.Reimbursement, taxonomy.LevelIII, taxonomy.Negative)}, "医保 报销 断缴 了"},
		// Day 1, its first instant.
		{"tieba", "居民医保在哪交", "户口迁到白沙县了", d(1, 0, 0),
			[]model.Grade{statsGrade(taxonomy.Enrollment, taxonomy.LevelIV, taxonomy.Neutral)}, "医保 报销 报销 参保"},
		{"bbs", "岚北区周末好去处", "天气不错", d(1, 12, 0), []model.Grade{irrelevant}, "岚北区 天气"},
		{"news", "未研判的新闻", "正文", d(1, 13, 0), nil, ""},
		// Day 2: unknown sentiment counts as negative; a post graded
		// relevant, then not (the latest grade counts); 高新区 is no
		// match for the place 高_区.
		{"bbs", "挂床住院", "岚北区和白沙县的两家医院都有", d(2, 9, 0),
			[]model.Grade{statsGrade(taxonomy.Institution, taxonomy.LevelII, "")}, "医保 断缴 挂床 挂床"},
		{"tieba", "看错了", "挂床的事是谣言", d(2, 10, 0),
			[]model.Grade{statsGrade(taxonomy.Institution, taxonomy.LevelIII, taxonomy.Negative), irrelevant}, "断缴 挂床 政策"},
		{"12345", "门诊统筹政策解读", "高新区办事处答复", d(2, 11, 0),
			[]model.Grade{statsGrade(taxonomy.Policy, taxonomy.LevelIV, taxonomy.Positive)}, "断缴 政策 医保"},
		// Outside the three days.
		{"bbs", "前一天岚北区报销", "岚北区", d(0, 0, 0).Add(-time.Minute),
			[]model.Grade{statsGrade(taxonomy.Reimbursement, taxonomy.LevelIII, taxonomy.Negative)}, "医保 断缴"},
		{"bbs", "后一天岚北区报销", "岚北区", d(3, 0, 0),
			[]model.Grade{statsGrade(taxonomy.Reimbursement, taxonomy.LevelIII, taxonomy.Negative)}, "医保 断缴"},
	}
}

// seedStatsPosts stores the fixture's posts, grades and search texts.
func seedStatsPosts(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	for i, sp := range statsPosts() {
		p := &model.Post{Source: sp.source, URL: fmt.Sprintf("http://stats.example/%d", i), Title: sp.title,
			Body: sp.body, FetchedAt: sp.at}
		mustSave(t, s, p)
		for j, g := range sp.grades {
			g.PostID, g.GradedAt = p.ID, sp.at
			if err := s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.SaveGrade(ctx, g); err != nil || j > 0 {
					return err
				}
				return tx.IndexPost(ctx, p.ID, p.ContentHash, sp.words)
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// testPostCounts: posts count on the day they were first seen (midnight
// to midnight in the zone of the days), by their latest grade; those
// outside the days are left out; intervals out of order are refused.
func testPostCounts(t *testing.T, s store.Store) {
	seedStatsPosts(t, s)
	ctx := context.Background()
	counts, err := s.PostCounts(ctx, store.Days(statsDay0, 3))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range counts {
		got[fmt.Sprintf("%d %v %v %s %d %s", c.Bucket, c.Graded, c.Relevant, c.Category, c.Level, c.Sentiment)] += c.Posts
	}
	want := map[string]int{
		"0 true true reimbursement 3 negative": 1,
		"1 true true enrollment 4 neutral":     1,
		"1 true false  0 ":                     1,
		"1 false false  0 ":                    1,
		"2 true true institution 2 ":           1,
		"2 true false  0 ":                     1,
		"2 true true policy 4 positive":        1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("PostCounts = %v, want %v", got, want)
	}
	neg := 0
	for _, c := range counts {
		if c.Negative() {
			neg += c.Posts
		}
	}
	if neg != 2 {
		t.Errorf("negative posts = %d, want 2 (one of unknown sentiment)", neg)
	}
	// Counted up to a moment of day 2 (as the overview counts up to now):
	// its posts of 9:00 and 10:00, not the one of 11:00.
	until := store.Days(statsDay0, 3)
	until[3] = statsDay0.AddDate(0, 0, 2).Add(10*time.Hour + time.Millisecond)
	if counts, err = s.PostCounts(ctx, until); err != nil {
		t.Fatal(err)
	}
	if byDay, want := postsByBucket(counts, 3), []int{1, 3, 2}; !slices.Equal(byDay, want) {
		t.Errorf("posts by day, up to 10:00 of day 2 = %v, want %v", byDay, want)
	}
	for _, b := range []store.Buckets{nil, {statsDay0}, {statsDay0, statsDay0}, {statsDay0.Add(time.Hour), statsDay0},
		{statsDay0, statsDay0.Add(time.Millisecond), statsDay0.Add(time.Hour)}} {
		if _, err := s.PostCounts(ctx, b); !errors.Is(err, store.ErrBadBuckets) {
			t.Errorf("PostCounts(%v) = %v, want ErrBadBuckets", b, err)
		}
	}
}

// testPostCountsDaylightSaving: in a zone with daylight saving, the day
// the clocks go back is 25 hours long, and a post late that day counts on
// it, not on the next.
func testPostCountsDaylightSaving(t *testing.T, s store.Store) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m int) time.Time { return time.Date(2026, 10, 31+d, h, m, 0, 0, ny) }
	for i, at := range []time.Time{day(0, 23, 59), day(1, 0, 30), day(1, 23, 30), day(2, 0, 30)} {
		mustSave(t, s, &model.Post{Source: "bbs", URL: fmt.Sprintf("http://dst.example/%d", i), Title: "标题", Body: "正文", FetchedAt: at})
	}
	counts, err := s.PostCounts(context.Background(), store.Days(day(0, 12, 0), 3))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := postsByBucket(counts, 3), []int{1, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("posts by day around the change = %v, want %v", got, want)
	}
}

// postsByBucket sums counts over n intervals.
func postsByBucket(counts []store.PostCount, n int) []int {
	out := make([]int, n)
	for _, c := range counts {
		out[c.Bucket] += c.Posts
	}
	return out
}

// testSourceAndPlaceCounts: by source, every post of the span with its
// relevant and negative ones; by place, the relevant posts whose title or
// body names it, a LIKE wildcard in a name taken literally.
func testSourceAndPlaceCounts(t *testing.T, s store.Store) {
	seedStatsPosts(t, s)
	ctx := context.Background()
	from, to := statsDay0, statsDay0.AddDate(0, 0, 3)
	sources, err := s.SourceCounts(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	sc := func(source string, posts, relevant, negative int) store.SourceCount {
		return store.SourceCount{Source: source, Posts: posts, Relevant: relevant, Negative: negative}
	}
	want := []store.SourceCount{sc("12345", 1, 1, 0), sc("bbs", 3, 2, 2), sc("news", 1, 0, 0), sc("tieba", 2, 1, 0)}
	if !slices.Equal(sources, want) {
		t.Errorf("SourceCounts = %v, want %v", sources, want)
	}
	places, err := s.PlaceCounts(ctx, from, to, []string{"岚北区", "白沙县", "高_区", "临江区"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 2, 0, 0}; !slices.Equal(places, want) {
		t.Errorf("PlaceCounts = %v, want %v", places, want)
	}
	if places, err := s.PlaceCounts(ctx, from, to, nil); err != nil || len(places) != 0 {
		t.Errorf("PlaceCounts(no places) = %v, %v", places, err)
	}
}

// testIncidentCounts: open incidents by level, 疑似 among them, and each
// stage past its deadline; an incident overdue at two stages is one
// overdue incident; closed incidents do not count.
func testIncidentCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := t0.Add(48 * time.Hour)
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	mk := func(level taxonomy.Level, edit func(*model.Incident)) {
		inc := newIncident(t0)
		inc.Level, inc.FollowUpDueAt = level, future
		edit(&inc)
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateIncident(ctx, &inc) }); err != nil {
			t.Fatal(err)
		}
	}
	mk(taxonomy.LevelII, func(i *model.Incident) { i.AckDueAt, i.Suspected = past, true })
	mk(taxonomy.LevelII, func(i *model.Incident) { i.AckDueAt, i.AckedAt, i.FollowUpDueAt = past, t0, past })
	mk(taxonomy.LevelIV, func(i *model.Incident) {
		i.InvestigateDueAt, i.FeedbackDueAt, i.RepliedAt = past, past, t0
	})
	mk(taxonomy.LevelIV, func(*model.Incident) {})
	mk(taxonomy.LevelIII, func(i *model.Incident) {
		i.Status, i.ClosedAt, i.AckDueAt, i.FollowUpDueAt = model.StatusClosed, t0, past, past
	})
	mk(taxonomy.LevelI, func(i *model.Incident) { i.AckDueAt, i.FollowUpDueAt = past, past })
	mk(taxonomy.LevelIV, func(i *model.Incident) { i.FeedbackDueAt = now }) // due this instant: not yet past
	got, err := s.IncidentCounts(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.IncidentCount{
		{Level: 1, Open: 1, Overdue: store.StageCounts{Ack: 1, FollowUp: 1, Any: 1}},
		{Level: 2, Open: 2, Suspected: 1, Overdue: store.StageCounts{Ack: 1, FollowUp: 1, Any: 2}},
		{Level: 4, Open: 3, Overdue: store.StageCounts{Investigate: 1, Any: 1}},
	}
	if !slices.Equal(got, want) {
		t.Errorf("IncidentCounts = %+v, want %+v", got, want)
	}
}

// testTermCounts: the words of relevant posts, by day, for the words
// enough posts of the recent day hold; a word counts once per post;
// single characters, posts no longer relevant and posts outside the days
// do not count.
func testTermCounts(t *testing.T, s store.Store) {
	seedStatsPosts(t, s)
	ctx := context.Background()
	got, err := s.TermCounts(ctx, store.TermQuery{Buckets: store.Days(statsDay0, 3), Recent: 1, MinPosts: 2})
	if err != nil {
		t.Fatal(err)
	}
	tc := func(term string, bucket, posts int) store.TermCount {
		return store.TermCount{Term: term, Bucket: bucket, Posts: posts}
	}
	want := []store.TermCount{tc("医保", 0, 1), tc("医保", 1, 1), tc("医保", 2, 2), tc("断缴", 0, 1), tc("断缴", 2, 2)}
	if !slices.Equal(got, want) {
		t.Errorf("TermCounts = %v, want %v", got, want)
	}
	got, err = s.TermCounts(ctx, store.TermQuery{Buckets: store.Days(statsDay0, 3), Recent: 2, MinPosts: 3})
	if err != nil {
		t.Fatal(err)
	}
	var terms []string
	for _, c := range got {
		if !slices.Contains(terms, c.Term) {
			terms = append(terms, c.Term)
		}
	}
	if want := []string{"医保"}; !slices.Equal(terms, want) { // 断缴: two posts of day 2, none of day 1
		t.Errorf("words held by three posts of the last two days = %v (%v), want %v", terms, got, want)
	}
	if _, err := s.TermCounts(ctx, store.TermQuery{Buckets: store.Days(statsDay0, 3), Recent: 4}); !errors.Is(err, store.ErrBadBuckets) {
		t.Errorf("TermCounts(recent beyond the days) = %v, want ErrBadBuckets", err)
	}
}

// testTermsBackfill: migration 00014 has the grader's catch-up index again
// the relevant posts of the last 60 days (by the clock), whose words
// TermCounts then finds; older and irrelevant posts are left alone.
func testTermsBackfill(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	s := open(t, e, addr)
	now := time.Now()
	var ids []int64
	for i, c := range []struct {
		age   time.Duration
		level taxonomy.Level
	}{{24 * time.Hour, taxonomy.LevelIII}, {90 * 24 * time.Hour, taxonomy.LevelIII}, {time.Hour, 0}} {
		p := &model.Post{Source: "bbs", URL: fmt.Sprintf("http://backfill.example/%d", i), Title: "断缴", Body: "医保",
			FetchedAt: now.Add(-c.age)}
		mustSave(t, s, p)
		g := statsGrade(taxonomy.Enrollment, c.level, taxonomy.Negative)
		g.PostID, g.GradedAt = p.ID, now
		if err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.SaveGrade(ctx, g); err != nil {
				return err
			}
			return tx.IndexPost(ctx, p.ID, p.ContentHash, "断缴 医保")
		}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	s.Close()
	if err := e.MigrateDown(ctx, addr, 13); err != nil {
		t.Fatal(err)
	}
	s = open(t, e, addr)
	todo, err := s.UnindexedPosts(ctx, 10)
	if err != nil || len(todo) != 1 || todo[0].ID != ids[0] {
		t.Fatalf("after migration 00014 the catch-up indexes %v (%v), want post %d only", todo, err, ids[0])
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		return tx.IndexPost(ctx, todo[0].ID, todo[0].ContentHash, "断缴 医保")
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.TermCounts(ctx, store.TermQuery{Buckets: store.Days(now.AddDate(0, 0, -2), 3), Recent: 3, MinPosts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Posts != 1 || got[1].Posts != 1 {
		t.Errorf("TermCounts after the catch-up = %v, want 医保 and 断缴 of one post", got)
	}
}
