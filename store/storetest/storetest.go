// Package storetest is the contract every store.Store implementation must
// pass. Each engine's tests call Run with a constructor for an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Run runs the contract suite. open must return a new, empty store each call.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"SourceState", testSourceState},
		{"SavePostDedup", testSavePostDedup},
		{"SavePostDropsNUL", testSavePostDropsNUL},
		{"GradeMarksPostDone", testGradeMarksPostDone},
		{"GradingQueue", testGradingQueue},
		{"TxRollback", testTxRollback},
		{"IncidentNumbering", testIncidentNumbering},
		{"RelatedIncident", testRelatedIncident},
		{"IncidentOfPostReadSide", testIncidentOfPostReadSide},
		{"IncidentDetailAndOrder", testIncidentDetailAndOrder},
		{"ConcurrentWriters", testConcurrentWriters},
		{"GradedPostsPaging", testGradedPosts},
		{"EngagementNorms", testEngagementNorms},
		{"SourceHealthState", testSourceHealthState},
		{"EngagementHistory", testEngagementHistory},
		{"HotPosts", testHotPosts},
		{"WorkflowFields", testWorkflowFields},
		{"Fingerprints", testFingerprints},
		{"FalsePositives", testFalsePositives},
		{"BurstStage", testBurstStage},
		{"HotPostsCoolDown", testHotPostsCoolDown},
		{"HotPostsTwoObservations", testHotPostsTwoObservations},
		{"HotPostsAgainstNorm", testHotPostsAgainstNorm},
		{"ItemFailures", testItemFailures},
		{"BodyTruncatedKept", testBodyTruncatedKept},
		{"GradeVerdictFields", testGradeVerdictFields},
		{"Labels", testLabels},
		{"IncidentPages", testIncidentPages},
		{"IncidentSentiments", testIncidentSentiments},
		{"MovePost", testMovePost},
		{"Posts", testPosts},
		{"PostSearchRegrade", testPostSearchRegrade},
		{"PostListCapped", testPostListCapped},
		{"PostCounts", testPostCounts},
		{"PostCountsDaylightSaving", testPostCountsDaylightSaving},
		{"SourceAndPlaceCounts", testSourceAndPlaceCounts},
		{"IncidentCounts", testIncidentCounts},
		{"TermCounts", testTermCounts},
		{"Figures", testFigures},
		{"HandlingCounts", testHandlingCounts},
		{"Report", testReport},
		{"SpecialReport", testSpecialReport},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

func post(n int) *model.Post {
	return &model.Post{
		Source:      "bbs",
		URL:         fmt.Sprintf("http://bbs.example/thread-%d-1-1.html", n),
		Title:       fmt.Sprintf("第%d个帖子：医保报销迟迟不到账", n),
		Body:        fmt.Sprintf("正文 %d：住院报销材料交了两个月了还没有消息。", n),
		Author:      "网友",
		PublishedAt: t0.Add(-time.Hour),
		FetchedAt:   t0,
		Replies:     3,
		Views:       100,
	}
}

func mustSave(t *testing.T, s store.Store, p *model.Post) store.SaveResult {
	t.Helper()
	r, err := s.SavePost(context.Background(), p)
	if err != nil {
		t.Fatalf("SavePost(%s): %v", p.URL, err)
	}
	return r
}

func testSourceState(t *testing.T, s store.Store) {
	ctx := context.Background()
	st, err := s.SourceState(ctx, "bbs")
	if err != nil || st.Name != "bbs" || !st.NextCheckAt.IsZero() {
		t.Fatalf("unknown source: %+v, %v", st, err)
	}
	want := store.SourceState{Name: "bbs", NextCheckAt: t0.Add(5 * time.Minute), LastCheckAt: t0,
		LastSuccessAt: t0, ConsecutiveFailures: 2, LastError: "HTTP 503", ETag: `"abc"`,
		LastModified: "Mon, 23 Nov 2026 01:00:00 GMT", LastItems: 17}
	if err := s.SaveSourceState(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.ConsecutiveFailures = 0
	if err := s.SaveSourceState(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceState(ctx, "bbs")
	if err != nil {
		t.Fatal(err)
	}
	if !got.NextCheckAt.Equal(want.NextCheckAt) || !got.LastSuccessAt.Equal(want.LastSuccessAt) ||
		got.ConsecutiveFailures != 0 || got.ETag != want.ETag || got.LastModified != want.LastModified ||
		got.LastError != want.LastError || got.LastItems != 17 {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
}

func testSavePostDedup(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	if r := mustSave(t, s, p); r != store.Created || p.ID == 0 || p.ContentHash == "" {
		t.Fatalf("first save: %v, %+v", r, p)
	}
	id := p.ID
	again := post(1)
	again.Replies, again.FetchedAt = 40, t0.Add(time.Hour)
	if r := mustSave(t, s, again); r != store.Unchanged || again.ID != id {
		t.Fatalf("same content again: %v id %d (want Unchanged, %d)", r, again.ID, id)
	}
	if !again.FirstSeenAt.Equal(t0) {
		t.Errorf("FirstSeenAt moved to %v", again.FirstSeenAt)
	}
	got, ok, err := s.PostByURL(ctx, p.URL)
	if err != nil || !ok || got.Replies != 40 || !got.FetchedAt.Equal(t0.Add(time.Hour)) || !got.FirstSeenAt.Equal(t0) {
		t.Fatalf("PostByURL after engagement update: %+v %v %v", got, ok, err)
	}
	// Whitespace and punctuation do not make a new version.
	reformatted := post(1)
	reformatted.Body = strings.ReplaceAll(reformatted.Body, "，", " ,  ")
	if r := mustSave(t, s, reformatted); r != store.Unchanged {
		t.Errorf("reformatted body: %v, want Unchanged", r)
	}
	edited := post(1)
	edited.Body += "今天又打了电话，说系统升级。"
	if r := mustSave(t, s, edited); r != store.Changed || edited.ID != id {
		t.Errorf("edited body: %v, want Changed", r)
	}
	total, _, err := s.CountPosts(ctx)
	if err != nil || total != 1 {
		t.Errorf("CountPosts = %d, %v; want 1", total, err)
	}
	if _, ok, _ := s.PostByURL(ctx, "http://nowhere/"); ok {
		t.Error("PostByURL found a post that was never saved")
	}
	if _, err := s.SavePost(ctx, &model.Post{Title: "无地址"}); err == nil {
		t.Error("SavePost accepted a post without URL")
	}
}

func grade(p *model.Post, level taxonomy.Level) model.Grade {
	return model.Grade{PostID: p.ID, RulesVersion: "v1", Relevant: level > 0, Category: "reimbursement",
		Level: level, Score: 2.5, GradedAt: t0,
		Matches: []model.Match{{Rule: "reimb", Term: "报销", Field: "title", Start: 3, End: 9}},
		Reasons: []string{"命中「报销」"}}
}

func testGradeMarksPostDone(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := post(1), post(2)
	mustSave(t, s, a)
	mustSave(t, s, b)
	ungraded, err := s.UngradedPosts(ctx, 10)
	if err != nil || len(ungraded) != 2 || ungraded[0].ID != a.ID {
		t.Fatalf("UngradedPosts = %v, %v", ungraded, err)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, grade(a, 4)) }); err != nil {
		t.Fatal(err)
	}
	ungraded, _ = s.UngradedPosts(ctx, 10)
	if len(ungraded) != 1 || ungraded[0].ID != b.ID {
		t.Fatalf("after grading a: ungraded = %v", ungraded)
	}
	// An unchanged re-crawl does not queue the post again; an edit does.
	mustSave(t, s, post(1))
	if u, _ := s.UngradedPosts(ctx, 10); len(u) != 1 {
		t.Fatalf("unchanged recrawl queued a regrade: %v", u)
	}
	// Engagement that moved (a hot thread) is graded again: the level
	// depends on it.
	busier := post(1)
	busier.Replies += 50
	mustSave(t, s, busier)
	if u, _ := s.UngradedPosts(ctx, 10); len(u) != 2 || u[0].ID != a.ID || u[0].Replies != busier.Replies {
		t.Fatalf("post whose replies grew not queued for regrading with its new counts: %v", u)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, grade(a, 3)) }); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, busier)
	if u, _ := s.UngradedPosts(ctx, 10); len(u) != 1 {
		t.Fatalf("recrawl with the same counts queued a regrade: %v", u)
	}
	edited := *busier
	edited.Title += "（已更新）"
	mustSave(t, s, &edited)
	if u, _ := s.UngradedPosts(ctx, 10); len(u) != 2 {
		t.Fatalf("edited post not queued for regrading: %v", u)
	}
	if _, n, _ := s.CountPosts(ctx); n != 2 {
		t.Errorf("CountPosts ungraded = %d, want 2", n)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		return tx.SaveGrade(ctx, model.Grade{PostID: 99999, RulesVersion: "v1"})
	}); err == nil {
		t.Error("SaveGrade for a missing post succeeded")
	}
}

func testTxRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	mustSave(t, s, p)
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, grade(p, 3)); err != nil {
			return err
		}
		inc := &model.Incident{Title: "x", Category: "reimbursement", Level: 3, Status: model.StatusOpen,
			Source: "bbs", FirstSeenAt: t0, LastPostAt: t0, PostCount: 1, FollowUpDueAt: t0.Add(24 * time.Hour), UpdatedAt: t0}
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	if u, _ := s.UngradedPosts(ctx, 10); len(u) != 1 {
		t.Errorf("rolled-back grade still marked the post graded")
	}
	if open, _ := s.OpenIncidents(ctx); len(open) != 0 {
		t.Errorf("rolled-back incident exists: %v", open)
	}
	// The rolled-back number is reused: numbering has no gaps.
	var inc model.Incident
	if err := s.InTx(ctx, func(tx store.Tx) error {
		inc = newIncident(t0)
		return tx.CreateIncident(ctx, &inc)
	}); err != nil {
		t.Fatal(err)
	}
	if inc.Number != "YQ-20261123-0001" {
		t.Errorf("number after rollback = %s", inc.Number)
	}
}

func newIncident(first time.Time) model.Incident {
	return model.Incident{Title: "报销迟迟不到账", Category: "reimbursement", Level: 4, Status: model.StatusOpen,
		Source: "bbs", FirstSeenAt: first, LastPostAt: first, PostCount: 1,
		FollowUpDueAt: first.Add(24 * time.Hour), UpdatedAt: first}
}

func testIncidentNumbering(t *testing.T, s store.Store) {
	ctx := context.Background()
	var nums []string
	for _, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(24 * time.Hour), t0.Add(2 * time.Minute)} {
		inc := newIncident(at)
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateIncident(ctx, &inc) }); err != nil {
			t.Fatal(err)
		}
		nums = append(nums, inc.Number)
	}
	want := []string{"YQ-20261123-0001", "YQ-20261123-0002", "YQ-20261124-0001", "YQ-20261123-0003"}
	if fmt.Sprint(nums) != fmt.Sprint(want) {
		t.Errorf("numbers = %v, want %v", nums, want)
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.IncidentByNumber(ctx, "YQ-19990101-0001")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("IncidentByNumber(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.IncidentDetail(ctx, "YQ-19990101-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("IncidentDetail(missing) = %v, want ErrNotFound", err)
	}
}

func testRelatedIncident(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := post(1)
	mustSave(t, s, first)
	repost := post(1)
	repost.URL, repost.Source = "http://other.example/p/9", "other"
	mustSave(t, s, repost)
	sameTitle := post(2)
	sameTitle.Title = "回复：" + first.Title
	mustSave(t, s, sameTitle)
	unrelated := post(3)
	mustSave(t, s, unrelated)

	var inc model.Incident
	err := s.InTx(ctx, func(tx store.Tx) error {
		inc = newIncident(t0)
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		if err := tx.AttachPost(ctx, inc.ID, first.ID, "首发", t0); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: t0, Kind: model.EventCreated, Actor: "系统"})
	})
	if err != nil {
		t.Fatal(err)
	}
	find := func(p *model.Post, since time.Time) (model.Incident, bool) {
		var got model.Incident
		var ok bool
		if err := s.InTx(ctx, func(tx store.Tx) error {
			var err error
			got, ok, err = tx.FindRelatedIncident(ctx, *p, since)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got, ok
	}
	if got, ok := find(repost, t0.Add(-time.Hour)); !ok || got.ID != inc.ID {
		t.Errorf("repost with same content not related: %v %v", got, ok)
	}
	if got, ok := find(sameTitle, t0.Add(-time.Hour)); !ok || got.ID != inc.ID {
		t.Errorf("reply-titled repost not related: %v %v", got, ok)
	}
	if _, ok := find(unrelated, t0.Add(-time.Hour)); ok {
		t.Error("unrelated post found a related incident")
	}
	if _, ok := find(repost, t0.Add(time.Hour)); ok {
		t.Error("incident older than the window was returned")
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		got, ok, err := tx.IncidentOfPost(ctx, first.ID)
		if err != nil || !ok || got.ID != inc.ID {
			return fmt.Errorf("IncidentOfPost(first) = %v %v %v", got, ok, err)
		}
		if _, ok, _ := tx.IncidentOfPost(ctx, unrelated.ID); ok {
			return errors.New("IncidentOfPost(unrelated) found one")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	// A post belongs to one incident only. (A statement that fails inside
	// InTx fails the whole transaction, as PostgreSQL aborts it: callers
	// return the error rather than carry on.)
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.AttachPost(ctx, inc.ID, first.ID, "again", t0) }); err == nil {
		t.Error("attaching a post twice succeeded")
	}
	// Closed incidents take no new posts.
	inc.Status, inc.ClosedAt = model.StatusClosed, t0
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIncident(ctx, inc) }); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(repost, t0.Add(-time.Hour)); ok {
		t.Error("closed incident returned as related")
	}
}

// testIncidentOfPostReadSide: the store reads a post's incident as the
// transaction does, from committed data, and without the write lock: it
// answers while a write transaction is held open.
func testIncidentOfPostReadSide(t *testing.T, s store.Store) {
	ctx := context.Background()
	filed, later, unfiled := post(1), post(2), post(3)
	for _, p := range []*model.Post{filed, later, unfiled} {
		mustSave(t, s, p)
	}
	inc := fileNew(t, s, filed, grade(filed, 3), t0)

	got, ok, err := s.IncidentOfPost(ctx, filed.ID)
	if err != nil || !ok {
		t.Fatalf("IncidentOfPost(filed) = %v, %v", ok, err)
	}
	var inTx model.Incident
	if err := s.InTx(ctx, func(tx store.Tx) (err error) {
		inTx, _, err = tx.IncidentOfPost(ctx, filed.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.ID != inc.ID || got.Number != inc.Number || got != inTx {
		t.Errorf("IncidentOfPost(filed) = %+v, want %s as the transaction reads it: %+v", got, inc.Number, inTx)
	}
	if got, ok, err := s.IncidentOfPost(ctx, unfiled.ID); ok || err != nil || got.ID != 0 {
		t.Errorf("IncidentOfPost(unfiled) = %+v, %v, %v; want none", got, ok, err)
	}

	// Inside a write transaction that attaches another post: a read that
	// needed the write lock would wait for it (and time out here).
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.AttachPost(ctx, inc.ID, later.ID, "同一事件", t0.Add(time.Minute)); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if got, ok, err := s.IncidentOfPost(rctx, filed.ID); err != nil || !ok || got.ID != inc.ID {
			return fmt.Errorf("IncidentOfPost(filed) during a write = %q, %v, %v", got.Number, ok, err)
		}
		if _, ok, err := s.IncidentOfPost(rctx, later.ID); err != nil || ok {
			return fmt.Errorf("IncidentOfPost(later) saw an uncommitted attachment: %v, %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.IncidentOfPost(ctx, later.ID); err != nil || !ok || got.ID != inc.ID {
		t.Errorf("IncidentOfPost(later) after commit = %+v, %v, %v", got, ok, err)
	}
}

func testIncidentDetailAndOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	var numbers []string
	for i, lvl := range []taxonomy.Level{4, 2, 3} {
		p := post(i + 1)
		mustSave(t, s, p)
		err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.SaveGrade(ctx, grade(p, lvl)); err != nil {
				return err
			}
			inc := newIncident(t0.Add(time.Duration(i) * time.Minute))
			inc.Level = lvl
			if err := tx.CreateIncident(ctx, &inc); err != nil {
				return err
			}
			numbers = append(numbers, inc.Number)
			if err := tx.AttachPost(ctx, inc.ID, p.ID, "首发", t0); err != nil {
				return err
			}
			for _, k := range []model.EventKind{model.EventCreated, model.EventAcknowledged} {
				if err := tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: t0, Kind: k, Actor: "张三", Note: string(k), PostID: p.ID}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Close the Ⅱ incident: open ones come first, most severe first.
	err := s.InTx(ctx, func(tx store.Tx) error {
		inc, err := tx.IncidentByNumber(ctx, numbers[1])
		if err != nil {
			return err
		}
		inc.Status, inc.ClosedAt = model.StatusClosed, t0.Add(time.Hour)
		return tx.UpdateIncident(ctx, inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Incidents(ctx, store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, i := range all.Incidents {
		order = append(order, i.Number)
	}
	if want := []string{numbers[2], numbers[0], numbers[1]}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("list order = %v, want %v", order, want)
	}
	open, err := s.Incidents(ctx, store.IncidentFilter{OnlyOpen: true, Level: 4})
	if err != nil || len(open.Incidents) != 1 || open.Incidents[0].Number != numbers[0] || open.Total != 1 {
		t.Errorf("filtered list = %v, %v", open, err)
	}
	if o, _ := s.OpenIncidents(ctx); len(o) != 2 {
		t.Errorf("OpenIncidents = %d, want 2", len(o))
	}
	d, err := s.IncidentDetail(ctx, numbers[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Posts) != 1 || d.Posts[0].Post.Title != post(1).Title || d.Posts[0].Grade.Level != 4 ||
		len(d.Posts[0].Grade.Matches) != 1 || d.Posts[0].Grade.Matches[0].Term != "报销" ||
		d.Posts[0].Grade.Reasons[0] != "命中「报销」" || d.Posts[0].Reason != "首发" {
		t.Errorf("detail posts = %+v", d.Posts)
	}
	if len(d.Events) != 2 || d.Events[0].Kind != model.EventCreated || d.Events[1].Actor != "张三" || d.Events[1].PostID == 0 {
		t.Errorf("detail events = %+v", d.Events)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				p := post(w*100 + i)
				if _, err := s.SavePost(ctx, p); err != nil {
					errs <- err
					return
				}
				err := s.InTx(ctx, func(tx store.Tx) error {
					inc := newIncident(t0)
					return tx.CreateIncident(ctx, &inc)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.Incidents(ctx, store.IncidentFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, i := range all.Incidents {
		if seen[i.Number] {
			t.Errorf("duplicate incident number %s", i.Number)
		}
		seen[i.Number] = true
	}
	if len(all.Incidents) != 40 || all.Total != 40 {
		t.Errorf("%d incidents (total %d), want 40", len(all.Incidents), all.Total)
	}
}

func testGradedPosts(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ps []*model.Post
	for i := 1; i <= 5; i++ {
		p := post(i)
		p.FetchedAt = t0.Add(time.Duration(i) * time.Hour)
		mustSave(t, s, p)
		ps = append(ps, p)
	}
	var number string
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, grade(ps[1], 3)); err != nil {
			return err
		}
		inc := newIncident(t0)
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		number = inc.Number
		return tx.AttachPost(ctx, inc.ID, ps[1].ID, "首发", t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Since the second post, two per page.
	var got []store.GradedPost
	var after int64
	for {
		page, err := s.GradedPosts(ctx, t0.Add(2*time.Hour), after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Post.ID
	}
	if len(got) != 4 || got[0].Post.ID != ps[1].ID {
		t.Fatalf("paged %d posts from %v", len(got), got)
	}
	if !got[0].Graded || got[0].Grade.Level != 3 || got[0].Incident != number || got[0].Grade.Matches[0].Term != "报销" {
		t.Errorf("graded post %+v", got[0])
	}
	if got[1].Graded || got[1].Incident != "" {
		t.Errorf("ungraded post %+v", got[1])
	}
}

func testEngagementNorms(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, r := range []int{1, 3, 5, 1000} {
		p := post(i)
		p.Replies, p.Views = r, r*10
		mustSave(t, s, p)
	}
	other := post(9)
	other.Source, other.Replies = "gov", 0
	mustSave(t, s, other)
	norms, err := s.EngagementNorms(ctx, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n := norms["bbs"]; n.Replies != 4 || n.Views != 40 || n.Posts != 4 {
		t.Errorf("bbs norm %+v, want median replies 4, views 40 over 4 posts", n)
	}
	if n := norms["gov"]; n.Replies != 0 || n.Posts != 1 {
		t.Errorf("gov norm %+v", n)
	}
	if norms, _ := s.EngagementNorms(ctx, t0.Add(time.Hour)); len(norms) != 0 {
		t.Errorf("norms for a window with no posts: %v", norms)
	}
}

func testSourceHealthState(t *testing.T, s store.Store) {
	ctx := context.Background()
	if all, err := s.SourceStates(ctx); err != nil || len(all) != 0 {
		t.Fatalf("SourceStates on an empty store = %v, %v", all, err)
	}
	open := store.SourceState{Name: "bbs", NextCheckAt: t0.Add(time.Hour), LastCheckAt: t0,
		ConsecutiveFailures: 5, LastError: "页面结构与选择器不符", LastErrorKind: "layout",
		BreakerOpenUntil: t0.Add(time.Hour), LastNewItemAt: t0.Add(-3 * time.Hour), NewItemGap: 47 * time.Minute,
		LastDeepAt: t0.Add(-20 * time.Minute)}
	if err := s.SaveSourceState(ctx, open); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSourceState(ctx, store.SourceState{Name: "army", LastItems: 3}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceState(ctx, "bbs")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastErrorKind != "layout" || !got.BreakerOpenUntil.Equal(open.BreakerOpenUntil) ||
		!got.LastNewItemAt.Equal(open.LastNewItemAt) || got.NewItemGap != open.NewItemGap ||
		!got.LastDeepAt.Equal(open.LastDeepAt) {
		t.Errorf("health fields round trip: got %+v, want %+v", got, open)
	}
	if !got.BreakerOpen(t0) || got.BreakerOpen(t0.Add(time.Hour)) {
		t.Errorf("BreakerOpen: open at t0 = %v, at open-until = %v", got.BreakerOpen(t0), got.BreakerOpen(t0.Add(time.Hour)))
	}
	// Closing the breaker clears it.
	got.BreakerOpenUntil, got.ConsecutiveFailures, got.LastErrorKind = time.Time{}, 0, ""
	if err := s.SaveSourceState(ctx, got); err != nil {
		t.Fatal(err)
	}
	all, err := s.SourceStates(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "army" || all[1].Name != "bbs" {
		t.Fatalf("SourceStates = %+v, %v", all, err)
	}
	if b := all[1]; !b.BreakerOpenUntil.IsZero() || b.LastErrorKind != "" || b.NewItemGap != open.NewItemGap ||
		!b.LastDeepAt.Equal(open.LastDeepAt) || all[0].LastItems != 3 || !all[0].LastDeepAt.IsZero() {
		t.Errorf("SourceStates entries = %+v", all)
	}
}

func testEngagementHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	mustSave(t, s, p)
	for i, r := range []int{3, 3, 7, 9} { // the first two saves change nothing
		q := post(1)
		q.Replies, q.Views, q.FetchedAt = r, 100, t0.Add(time.Duration(i+1)*time.Hour)
		mustSave(t, s, q)
	}
	h, err := s.EngagementHistory(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h {
		got = append(got, fmt.Sprintf("%s:%d/%d", e.At.In(t0.Location()).Format("15:04"), e.Replies, e.Views))
	}
	if want := "[09:30:3/100 12:30:7/100 13:30:9/100]"; fmt.Sprint(got) != want {
		t.Errorf("history = %v, want %s", got, want)
	}
	if h, err := s.EngagementHistory(ctx, 99999); err != nil || len(h) != 0 {
		t.Errorf("history of a missing post = %v, %v", h, err)
	}
}

func testHotPosts(t *testing.T, s store.Store) {
	ctx := context.Background()
	// save stores post n observed with the given replies at t0+hours.
	save := func(n, replies int, hours float64, source string) *model.Post {
		p := post(n)
		p.Source, p.Replies, p.FetchedAt = source, replies, t0.Add(time.Duration(hours*float64(time.Hour)))
		mustSave(t, s, p)
		return p
	}
	// 1: grew at its last two observations: hot.
	save(1, 0, 0, "bbs")
	save(1, 4, 1, "bbs")
	hot := save(1, 9, 2, "bbs")
	// 2: grew twice, then only its views changed: cooled down.
	save(2, 0, 0, "bbs")
	save(2, 4, 1, "bbs")
	save(2, 9, 1.5, "bbs")
	cooled := post(2)
	cooled.Replies, cooled.Views, cooled.FetchedAt = 9, 500, t0.Add(2*time.Hour)
	mustSave(t, s, cooled)
	// 3: grew between its only two observations: hot too.
	save(3, 2, 0, "bbs")
	three := save(3, 5, 2, "bbs")
	// 4: grew twice, but the earlier growth is outside the window.
	save(4, 0, -30, "bbs")
	save(4, 1, -26, "bbs")
	save(4, 2, 1, "bbs")
	// 5: hot, on another source.
	save(5, 0, 0, "gov")
	save(5, 1, 1, "gov")
	save(5, 2, 2, "gov")
	// 6: hot and fetched earlier than 1, so listed first.
	save(6, 0, -3, "bbs")
	save(6, 10, -2, "bbs")
	early := save(6, 20, -1, "bbs")

	since := t0.Add(-24 * time.Hour)
	list := func(fetchedBefore time.Time, limit int) []int64 {
		t.Helper()
		ps, err := s.HotPosts(ctx, store.HotQuery{Source: "bbs", Since: since, FetchedBefore: fetchedBefore, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, p := range ps {
			if p.Source != "bbs" || p.URL == "" {
				t.Errorf("hot post %+v", p)
			}
			ids = append(ids, p.ID)
		}
		return ids
	}
	if got, want := list(t0.Add(3*time.Hour), 10), []int64{early.ID, hot.ID, three.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("HotPosts = %v, want %v (posts 6, 1 and 3)", got, want)
	}
	if got, want := list(t0.Add(3*time.Hour), 1), []int64{early.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("HotPosts limit 1 = %v, want %v", got, want)
	}
	// Post 1 was fetched at t0+2h: not yet due for a revisit at t0+1h.
	if got, want := list(t0.Add(time.Hour), 10), []int64{early.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("HotPosts due by t0+1h = %v, want %v", got, want)
	}
	// A day later the growth is outside the window.
	ps, err := s.HotPosts(ctx, store.HotQuery{Source: "bbs", Since: t0.Add(23 * time.Hour), FetchedBefore: t0.Add(48 * time.Hour), Limit: 10})
	if err != nil || len(ps) != 0 {
		t.Errorf("HotPosts after the window = %v, %v", ps, err)
	}
}

// testSavePostDropsNUL: a NUL byte (valid UTF-8, refused by PostgreSQL's
// text type) never costs a post; it is dropped on every engine alike.
func testSavePostDropsNUL(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := &model.Post{Source: "bbs", URL: "http://x/nul", Title: "医保\x00卡", Body: "报\x00销", Author: "王\x00"}
	if _, err := s.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.PostByURL(ctx, p.URL)
	if err != nil || !ok {
		t.Fatalf("PostByURL: %v %v", ok, err)
	}
	if got.Title != "医保卡" || got.Body != "报销" || got.Author != "王" {
		t.Errorf("stored %q %q %q", got.Title, got.Body, got.Author)
	}
}

// testPing: an open database answers; a ping whose context has ended
// fails rather than reporting a database that was not asked.
func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping with an ended context succeeded")
	}
}
