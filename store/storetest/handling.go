package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// fileNew creates an incident holding p (graded with g) inside one transaction.
func fileNew(t *testing.T, s store.Store, p *model.Post, g model.Grade, first time.Time) model.Incident {
	t.Helper()
	ctx := context.Background()
	inc := newIncident(first)
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, g); err != nil {
			return err
		}
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		return tx.AttachPost(ctx, inc.ID, p.ID, "首发帖子", first)
	}); err != nil {
		t.Fatal(err)
	}
	return inc
}

func testWorkflowFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	mustSave(t, s, p)
	inc := fileNew(t, s, p, grade(p, 4), t0)
	inc.Office, inc.AssignedAt = "信访科", t0.Add(time.Hour)
	inc.InvestigateDueAt, inc.InvestigatedAt = t0.Add(7*24*time.Hour), t0.Add(48*time.Hour)
	inc.FeedbackDueAt, inc.RepliedAt = t0.Add(5*24*time.Hour), t0.Add(72*time.Hour)
	inc.Reply, inc.Outcome, inc.FalsePositive = "您好，已核实。", "误报：旧闻", true
	inc.Status, inc.ClosedAt = model.StatusClosed, t0.Add(73*time.Hour)
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIncident(ctx, inc) }); err != nil {
		t.Fatal(err)
	}
	d, err := s.IncidentDetail(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Incident
	if got.Office != "信访科" || !got.AssignedAt.Equal(inc.AssignedAt) || !got.InvestigateDueAt.Equal(inc.InvestigateDueAt) ||
		!got.InvestigatedAt.Equal(inc.InvestigatedAt) || !got.FeedbackDueAt.Equal(inc.FeedbackDueAt) ||
		!got.RepliedAt.Equal(inc.RepliedAt) || got.Reply != inc.Reply || got.Outcome != inc.Outcome || !got.FalsePositive {
		t.Errorf("workflow fields not kept:\n got %+v\nwant %+v", got, inc)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		byID, err := tx.IncidentByID(ctx, inc.ID)
		if err != nil || byID.Number != inc.Number || byID.Office != "信访科" {
			t.Errorf("IncidentByID = %+v, %v", byID, err)
		}
		if _, err := tx.IncidentByID(ctx, inc.ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("IncidentByID(missing) = %v, want ErrNotFound", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A fresh incident has no workflow fields set.
	p2 := post(2)
	mustSave(t, s, p2)
	fresh := fileNew(t, s, p2, grade(p2, 4), t0)
	d, _ = s.IncidentDetail(ctx, fresh.Number)
	if d.Incident.Office != "" || !d.Incident.AssignedAt.IsZero() || !d.Incident.InvestigateDueAt.IsZero() || d.Incident.FalsePositive {
		t.Errorf("fresh incident %+v", d.Incident)
	}
}

func testFingerprints(t *testing.T, s store.Store) {
	fc := fileFingerprintPosts(t, s)
	fc.saveFingerprints(t)
	fc.checkCandidates(t)
	fc.checkCandidatesInTx(t)
	fc.checkClosingAndReopening(t)
}

// highSimHash has the top bit set: it must survive a signed column.
const highSimHash = uint64(0xF00D_0000_0000_BEEF)

// fingerprintCase is what testFingerprints files and indexes. Its phases
// read the same posts and incidents, each checking one way the lookup of
// candidates must hold up.
type fingerprintCase struct {
	s                    store.Store
	old, a, b, closed, c *model.Post
	inc, incClosed, incC model.Incident // the incidents of a, closed and c
	many                 []string       // more keys than one statement binds at a time
	since                time.Time      // the window of every lookup
}

// candidates looks candidates up as filing does, in a transaction of
// their own.
func candidates(t *testing.T, s store.Store, q store.CandidateQuery) []store.Fingerprint {
	t.Helper()
	ctx := context.Background()
	var fps []store.Fingerprint
	if err := s.InTx(ctx, func(tx store.Tx) (err error) { fps, err = tx.FingerprintCandidates(ctx, q); return err }); err != nil {
		t.Fatal(err)
	}
	return fps
}

// fileFingerprintPosts stores five posts and files each in an incident of
// its own: old outside the lookup window, c first seen before a and b so
// that the order of candidates shows.
func fileFingerprintPosts(t *testing.T, s store.Store) *fingerprintCase {
	old, a, b, closed, c := post(1), post(2), post(3), post(4), post(5)
	old.FetchedAt = t0.Add(-96 * time.Hour)
	c.FetchedAt = t0.Add(-time.Hour) // first seen before a and b: listed first
	for _, p := range []*model.Post{old, a, b, closed, c} {
		mustSave(t, s, p)
	}
	fileNew(t, s, old, grade(old, 4), old.FetchedAt)
	fc := &fingerprintCase{s: s, old: old, a: a, b: b, closed: closed, c: c, since: t0.Add(-72 * time.Hour)}
	fc.inc = fileNew(t, s, a, grade(a, 4), t0)
	fc.incClosed = fileNew(t, s, closed, grade(closed, 4), t0)
	fc.incC = fileNew(t, s, c, grade(c, 4), c.FetchedAt)
	// Many keys, more than one statement binds at a time.
	for i := range 700 {
		fc.many = append(fc.many, fmt.Sprintf("k%d", i))
	}
	return fc
}

// saveFingerprints indexes every post, in the transaction that also moves
// b into a's incident and closes the closed post's, so that the lookups
// see membership and status as of that commit. b's fingerprint is saved
// twice, as an edited post's is: the second must replace the first's keys.
// A fingerprint of a missing post is refused.
func (fc *fingerprintCase) saveFingerprints(t *testing.T) {
	ctx := context.Background()
	err := fc.s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.AttachPost(ctx, fc.inc.ID, fc.b.ID, "转帖", t0); err != nil {
			return err
		}
		fc.incClosed.Status, fc.incClosed.ClosedAt = model.StatusClosed, t0
		if err := tx.UpdateIncident(ctx, fc.incClosed); err != nil {
			return err
		}
		for _, f := range []store.Fingerprint{
			{PostID: fc.old.ID, SimHash: 1, Entities: []string{"康福医院"}, Keys: []string{"x", "y"}},
			{PostID: fc.a.ID, SimHash: 2, Terms: []string{"挂床"}, Keys: []string{"y"}},
			{PostID: fc.b.ID, SimHash: 7, Entities: []string{"康福医院", "岚川市"}, Terms: []string{"挂床", "老人"}, Keys: []string{"x", "gone"}},
			{PostID: fc.closed.ID, SimHash: 4, Keys: []string{"x", "y"}},
			{PostID: fc.c.ID, SimHash: 5, Keys: append([]string{"z", "z"}, fc.many...)},
		} {
			if err := tx.SaveFingerprint(ctx, f); err != nil {
				return err
			}
		}
		// Replacing a fingerprint (the post was edited) keeps one row and
		// replaces its keys.
		return tx.SaveFingerprint(ctx, store.Fingerprint{PostID: fc.b.ID, SimHash: highSimHash,
			Entities: []string{"康福医院", "岚川市"}, Terms: []string{"挂床", "老人"}, Keys: []string{"x", "y"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fc.s.InTx(ctx, func(tx store.Tx) error {
		return tx.SaveFingerprint(ctx, store.Fingerprint{PostID: 9999, Keys: []string{"x"}})
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("fingerprint of a missing post: %v, want ErrNotFound", err)
	}
}

// postIDs lists the posts of fps in order, the order being part of what a
// lookup promises.
func postIDs(fps []store.Fingerprint) []int64 {
	var out []int64
	for _, f := range fps {
		out = append(out, f.PostID)
	}
	return out
}

// checkCandidates looks candidates up by names and by SimHash bands:
// which posts each finds, and in which order.
func (fc *fingerprintCase) checkCandidates(t *testing.T) {
	a, b, c := fc.a, fc.b, fc.c
	for _, tc := range []struct {
		q    store.CandidateQuery
		want []int64
	}{
		{store.CandidateQuery{Names: []string{"x", "y"}}, []int64{a.ID, b.ID}}, // old post and closed incident excluded, b once
		{store.CandidateQuery{Names: []string{"gone"}}, nil},                   // replaced
		{store.CandidateQuery{Names: []string{"nothing"}}, nil},
		{store.CandidateQuery{}, nil},
		{store.CandidateQuery{Names: append([]string{"y"}, fc.many[650:]...)}, []int64{c.ID, a.ID, b.ID}}, // oldest first across statements
		{store.CandidateQuery{Names: []string{"z"}}, []int64{c.ID}},
		// Band keys find only SimHashes within the distance: a's 2 is one
		// bit from 3, b's is far.
		{store.CandidateQuery{Bands: []string{"x", "y"}, SimHash: 3, Distance: 1}, []int64{a.ID}},
		{store.CandidateQuery{Bands: []string{"x", "y"}, SimHash: 3, Distance: 0}, nil},
		{store.CandidateQuery{Bands: []string{"x", "y"}, SimHash: highSimHash, Distance: 0}, []int64{b.ID}},
		{store.CandidateQuery{Bands: []string{"x", "y"}, SimHash: 3, Distance: 1, Names: []string{"x"}}, []int64{a.ID, b.ID}},
	} {
		tc.q.Since = fc.since
		if got := candidates(t, fc.s, tc.q); !slices.Equal(postIDs(got), tc.want) {
			t.Errorf("FingerprintCandidates(%.60v) = posts %v; want %v", tc.q, postIDs(got), tc.want)
		}
	}
}

// checkCandidatesInTx looks candidates up inside a transaction, as filing
// does, where every field of a fingerprint is read back and the incident's
// posts are counted.
func (fc *fingerprintCase) checkCandidatesInTx(t *testing.T) {
	ctx := context.Background()
	a, b, inc := fc.a, fc.b, fc.inc
	err := fc.s.InTx(ctx, func(tx store.Tx) error {
		fps, err := tx.FingerprintCandidates(ctx, store.CandidateQuery{Since: fc.since, Names: []string{"x", "y"}})
		if err != nil {
			return err
		}
		if len(fps) != 2 || fps[0].PostID != a.ID || fps[1].PostID != b.ID {
			t.Fatalf("candidates in a transaction %+v: want a and b", fps)
		}
		f := fps[1]
		if f.SimHash != highSimHash || f.IncidentID != inc.ID || !f.FirstSeenAt.Equal(t0) ||
			!slices.Equal(f.Entities, []string{"康福医院", "岚川市"}) || !slices.Equal(f.Terms, []string{"挂床", "老人"}) {
			t.Errorf("fingerprint %+v", f)
		}
		if fps[0].Entities == nil || len(fps[0].Entities) != 0 {
			t.Errorf("missing entities should read back empty, got %#v", fps[0].Entities)
		}
		n, err := tx.CountIncidentPosts(ctx, inc.ID, t0.Add(-time.Hour))
		if err != nil || n != 2 {
			t.Errorf("CountIncidentPosts = %d, %v; want 2", n, err)
		}
		if n, _ := tx.CountIncidentPosts(ctx, inc.ID, t0.Add(time.Hour)); n != 0 {
			t.Errorf("CountIncidentPosts after the window = %d", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkClosingAndReopening: closing and reopening an incident take its
// posts out of the candidates and back; a post whose incident stays
// closed does not rejoin by being edited.
func (fc *fingerprintCase) checkClosingAndReopening(t *testing.T) {
	ctx := context.Background()
	s, incC := fc.s, fc.incC
	incC.Status, incC.ClosedAt = model.StatusClosed, t0
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIncident(ctx, incC) }); err != nil {
		t.Fatal(err)
	}
	if got := candidates(t, s, store.CandidateQuery{Since: fc.since, Names: []string{"z"}}); len(got) != 0 {
		t.Errorf("after closing: %+v; want no candidates", got)
	}
	// Reopened, its posts are candidates again; an edited post of a closed
	// incident is not one.
	incC.Status, incC.ClosedAt = model.StatusOpen, time.Time{}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UpdateIncident(ctx, incC); err != nil {
			return err
		}
		return tx.SaveFingerprint(ctx, store.Fingerprint{PostID: fc.closed.ID, SimHash: 4, Keys: []string{"z", "w"}})
	}); err != nil {
		t.Fatal(err)
	}
	if got := candidates(t, s, store.CandidateQuery{Since: fc.since, Names: []string{"z", "w"}}); !slices.Equal(postIDs(got), []int64{fc.c.ID}) {
		t.Errorf("after reopening: %v; want post %d only", postIDs(got), fc.c.ID)
	}
}

func testFalsePositives(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := post(1), post(2)
	mustSave(t, s, a)
	mustSave(t, s, b)
	ga := grade(a, 4)
	ga.Matches = append(ga.Matches, model.Match{Rule: "fraud", Term: "骗保"})
	inc := fileNew(t, s, a, ga, t0)
	gb := grade(b, 4)
	gb.Matches = []model.Match{{Rule: "fraud", Term: "骗保"}, {Rule: "collective", Term: "拉横幅"}}
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, gb); err != nil {
			return err
		}
		if err := tx.AttachPost(ctx, inc.ID, b.ID, "同一事件", t0); err != nil {
			return err
		}
		rules, err := tx.IncidentRules(ctx, inc.ID)
		if err != nil {
			return err
		}
		if !slices.Equal(rules, []string{"collective", "fraud", "reimb"}) {
			t.Errorf("IncidentRules = %q", rules)
		}
		if err := tx.AddFalsePositives(ctx, rules, 1, t0); err != nil {
			return err
		}
		if err := tx.AddFalsePositives(ctx, []string{"fraud"}, 1, t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.AddFalsePositives(ctx, []string{"reimb", "never"}, -1, t0.Add(2*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	fps, err := s.RuleFalsePositives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range fps {
		got[f.Rule] = f.Count
	}
	if len(fps) < 3 || fps[0].Rule != "fraud" || fps[0].Count != 2 || !fps[0].LastAt.Equal(t0.Add(time.Hour)) ||
		got["collective"] != 1 || got["reimb"] != 0 || got["never"] != 0 {
		t.Errorf("RuleFalsePositives = %+v (counts never go below 0)", fps)
	}
}

func testBurstStage(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := post(1), post(2)
	mustSave(t, s, a)
	mustSave(t, s, b)
	incA := fileNew(t, s, a, grade(a, 4), t0)
	incB := fileNew(t, s, b, grade(b, 4), t0)
	stages := func() (int, int) {
		var sa, sb int
		if err := s.InTx(ctx, func(tx store.Tx) (err error) {
			if sa, err = tx.BurstStage(ctx, incA.ID); err != nil {
				return err
			}
			sb, err = tx.BurstStage(ctx, incB.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return sa, sb
	}
	if sa, sb := stages(); sa != 0 || sb != 0 {
		t.Fatalf("new incidents have burst stages %d, %d; want 0, 0", sa, sb)
	}
	for _, st := range []int{1, 2} {
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SetBurstStage(ctx, incA.ID, st) }); err != nil {
			t.Fatal(err)
		}
		if sa, sb := stages(); sa != st || sb != 0 {
			t.Errorf("after SetBurstStage(A, %d): stages %d, %d; want %d, 0", st, sa, sb, st)
		}
	}
	// A rolled-back transaction leaves the stage as it was.
	boom := errors.New("boom")
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetBurstStage(ctx, incB.ID, 1); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want %v", err, boom)
	}
	if sa, sb := stages(); sa != 2 || sb != 0 {
		t.Errorf("after rollback: stages %d, %d; want 2, 0", sa, sb)
	}
}
