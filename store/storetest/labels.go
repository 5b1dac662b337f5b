package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// testGradeVerdictFields: sentiment, who decided, review and information
// survive the round trip, in the incident detail and in GradedPosts; an
// incident keeps its suspected mark.
func testGradeVerdictFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	mustSave(t, s, p)
	g := grade(p, 2)
	g.Sentiment, g.DecidedBy, g.Review = "negative", "rules+model", true
	inc := newIncident(t0)
	inc.Suspected = true
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, g); err != nil {
			return err
		}
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		return tx.AttachPost(ctx, inc.ID, p.ID, "首发帖子", t0)
	}); err != nil {
		t.Fatal(err)
	}
	d, err := s.IncidentDetail(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Incident.Suspected {
		t.Error("incident lost its suspected mark")
	}
	got := d.Posts[0].Grade
	if got.Sentiment != "negative" || got.DecidedBy != "rules+model" || !got.Review || got.Information {
		t.Errorf("grade read back as %+v", got)
	}
	inc.Suspected = false
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIncident(ctx, inc) }); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.IncidentDetail(ctx, inc.Number); d.Incident.Suspected {
		t.Error("suspected mark not cleared by UpdateIncident")
	}

	q := post(2)
	mustSave(t, s, q)
	info := grade(q, 4)
	info.Sentiment, info.DecidedBy, info.Information = "positive", "rules", true
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, info) }); err != nil {
		t.Fatal(err)
	}
	gps, err := s.GradedPosts(ctx, time.Time{}, 0, 10)
	if err != nil || len(gps) != 2 {
		t.Fatalf("GradedPosts = %d posts, %v", len(gps), err)
	}
	if g := gps[1].Grade; !g.Information || g.Sentiment != "positive" || g.Review || gps[1].Incident != "" {
		t.Errorf("information grade read back as %+v (incident %q)", g, gps[1].Incident)
	}
}

func ids(gps []store.GradedPost) string {
	var out []int64
	for _, gp := range gps {
		out = append(out, gp.Post.ID)
	}
	return fmt.Sprint(out)
}

// testLabels: a post keeps its latest label; Labels pages in post id
// order with the post; a post saved inside a transaction is rolled back
// with it.
func testLabels(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ps []*model.Post
	for i := range 3 {
		p := post(i + 1)
		mustSave(t, s, p)
		ps = append(ps, p)
	}
	inc := fileNew(t, s, ps[0], grade(ps[0], 4), t0)
	save := func(l store.Label) {
		t.Helper()
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SaveLabel(ctx, l) }); err != nil {
			t.Fatal(err)
		}
	}
	save(store.Label{PostID: ps[2].ID, Relevant: true, Category: "policy", Level: 2, Origin: store.LabelLevel, Actor: "张三", Note: "升级", At: t0})
	save(store.Label{PostID: ps[0].ID, Relevant: false, Origin: store.LabelFalsePositive, Actor: "李四", At: t0})
	save(store.Label{PostID: ps[2].ID, Relevant: true, Category: "system", Level: 3, Sentiment: "negative",
		Origin: store.LabelCategory, Actor: "王五", Note: "改类别", At: t0.Add(time.Hour)})
	got, err := s.Labels(ctx, 0, 1)
	if err != nil || len(got) != 1 || got[0].Post.ID != ps[0].ID || got[0].Label.Relevant || got[0].Label.Actor != "李四" {
		t.Fatalf("Labels first page = %+v, %v", got, err)
	}
	got, err = s.Labels(ctx, got[0].Post.ID, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("Labels second page = %+v, %v", got, err)
	}
	l := got[0].Label
	if got[0].Post.Title != ps[2].Title || l.PostID != ps[2].ID || l.Category != "system" || l.Level != 3 ||
		l.Sentiment != "negative" || l.Origin != store.LabelCategory || l.Actor != "王五" || l.Note != "改类别" ||
		!l.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("latest label = %+v", l)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		ids, err := tx.IncidentPostIDs(ctx, inc.ID)
		if err != nil || len(ids) != 1 || ids[0] != ps[0].ID {
			t.Errorf("IncidentPostIDs = %v, %v", ids, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A post saved in a transaction that fails is not kept.
	manual := &model.Post{Source: "manual", URL: "manual:abc", Title: "补录", Body: "正文", FetchedAt: t0}
	boom := fmt.Errorf("boom")
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if res, err := tx.SavePost(ctx, manual); err != nil || res != store.Created || manual.ID == 0 {
			t.Errorf("Tx.SavePost = %v, %v (id %d)", res, err, manual.ID)
		}
		return boom
	}); err != boom {
		t.Fatalf("InTx = %v", err)
	}
	if _, found, err := s.PostByURL(ctx, "manual:abc"); found || err != nil {
		t.Errorf("rolled-back post found=%v err=%v", found, err)
	}
}
