package incident_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

func fileGrade(t *testing.T, st store.Store, svc *incident.Service, g model.Grade) incident.Outcome {
	t.Helper()
	ctx := context.Background()
	var out incident.Outcome
	if err := st.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, err = svc.File(ctx, tx, model.Post{ID: g.PostID}, g)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func labels(t *testing.T, st store.Store) map[int64]store.Label {
	t.Helper()
	got, err := st.Labels(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]store.Label{}
	for _, lp := range got {
		out[lp.Post.ID] = lp.Label
	}
	return out
}

// Information is graded and listed, never filed; a 疑似 grade opens a
// suspected incident.
func TestInformationIsNotFiledAndReviewIsSuspected(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	info := savePost(t, st, "http://gov/notice", "关于开展城乡居民医保集中参保缴费的通知", "请广大居民按时缴费。", c.t)
	out := fileGrade(t, st, svc, model.Grade{PostID: info.ID, RulesVersion: "v1", Relevant: true, Category: "enrollment",
		Level: 4, Sentiment: "neutral", Information: true, GradedAt: c.t})
	if out.Created || out.Joined {
		t.Fatalf("information filed: %+v", out)
	}
	if page, err := st.Posts(ctx, store.PostFilter{Scope: store.ScopeInformation}); err != nil || page.Total != 1 || page.Posts[0].Post.ID != info.ID {
		t.Fatalf("information posts = %d, %v", page.Total, err)
	}
	p := savePost(t, st, "http://bbs/2", "医院门口有人拉人住院", "说住院不花钱还倒给钱，医保卡交给他们。", c.t)
	out = fileGrade(t, st, svc, model.Grade{PostID: p.ID, RulesVersion: "v1", Relevant: true, Category: "institution",
		Level: 2, Sentiment: "neutral", Review: true, GradedAt: c.t})
	if !out.Created || !out.Incident.Suspected {
		t.Fatalf("review grade: %+v", out)
	}
	d, err := st.IncidentDetail(ctx, out.Incident.Number)
	if err != nil || !d.Incident.Suspected || !strings.Contains(d.Events[0].Note, "疑似") {
		t.Fatalf("detail %+v, %v", d.Incident, err)
	}
	// Confirmed: no longer suspected, labelled as graded; a second confirm is refused.
	inc, err := svc.Confirm(ctx, out.Incident.Number, "张科长", "核实属实")
	if err != nil || inc.Suspected {
		t.Fatalf("Confirm = %+v, %v", inc, err)
	}
	if l := labels(t, st)[p.ID]; !l.Relevant || l.Level != 2 || l.Category != "institution" || l.Origin != store.LabelConfirmed || l.Actor != "张科长" {
		t.Errorf("label after confirm %+v", l)
	}
	if _, err := svc.Confirm(ctx, out.Incident.Number, "张科长", ""); !errors.Is(err, incident.ErrNotSuspected) {
		t.Errorf("second confirm: %v", err)
	}
}

// Every correction a handler makes labels the incident's posts.
func TestStaffDecisionsBecomeLabels(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	a := savePost(t, st, "http://bbs/1", "异地就医备案后结算失败", "在外地住院，备案了还是不能直接结算。", c.t)
	inc := file(t, st, svc, a, 4, "reimbursement").Incident

	got, err := svc.ChangeCategory(ctx, inc.Number, "王科员", "system", "是系统故障")
	if err != nil || got.Category != "system" {
		t.Fatalf("ChangeCategory = %+v, %v", got, err)
	}
	if l := labels(t, st)[a.ID]; l.Category != "system" || l.Level != 4 || l.Origin != store.LabelCategory || l.Note != "是系统故障" {
		t.Errorf("label after category change %+v", l)
	}
	if _, err := svc.ChangeCategory(ctx, inc.Number, "王科员", "system", "再改"); !errors.Is(err, incident.ErrSameCategory) {
		t.Errorf("same category: %v", err)
	}
	if _, err := svc.ChangeCategory(ctx, inc.Number, "王科员", "pension", "x"); !errors.Is(err, incident.ErrBadCategory) {
		t.Errorf("bad category: %v", err)
	}
	if _, err := svc.ChangeLevel(ctx, inc.Number, "王科员", 3, "多人反映"); err != nil {
		t.Fatal(err)
	}
	if l := labels(t, st)[a.ID]; l.Level != 3 || l.Origin != store.LabelLevel {
		t.Errorf("label after level change %+v", l)
	}
	if _, err := svc.MarkFalsePositive(ctx, inc.Number, "王科员", "旧闻"); err != nil {
		t.Fatal(err)
	}
	if l := labels(t, st)[a.ID]; l.Relevant || l.Level != 0 || l.Category != "" || l.Origin != store.LabelFalsePositive {
		t.Errorf("label after 误报 %+v", l)
	}
	if _, err := svc.Reopen(ctx, inc.Number, "李科长", "不是旧闻"); err != nil {
		t.Fatal(err)
	}
	if l := labels(t, st)[a.ID]; !l.Relevant || l.Level != 3 || l.Category != "system" || l.Origin != store.LabelReopened {
		t.Errorf("label after 重开 %+v", l)
	}
	d, _ := st.IncidentDetail(ctx, inc.Number)
	var kinds []string
	for _, e := range d.Events {
		kinds = append(kinds, string(e.Kind))
	}
	if !strings.Contains(strings.Join(kinds, ","), string(model.EventCategoryChanged)) {
		t.Errorf("events %v lack the category change", kinds)
	}
}

// 补录漏报: pasted text opens an incident at the handler's level and
// becomes a label; a stored post is named by its address; refusals are
// clear and store nothing.
func TestFileMissed(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	inc, err := svc.FileMissed(ctx, "赵科员", incident.Missed{Title: "群里说明早九点去医保局门口", Body: "带上身份证和缴费单，人越多越好，大家都去。",
		Category: "policy", Level: 2, Sentiment: "negative", Note: "微信群截图"})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Level != 2 || inc.Category != "policy" || inc.AckDueAt.IsZero() || inc.Source != incident.ManualSource {
		t.Errorf("missed incident %+v", inc)
	}
	d, err := st.IncidentDetail(ctx, inc.Number)
	if err != nil || len(d.Posts) != 1 {
		t.Fatalf("detail %v", err)
	}
	g := d.Posts[0].Grade
	if g.DecidedBy != "staff" || !g.Relevant || g.Level != 2 || g.Sentiment != "negative" || !strings.Contains(g.Reasons[0], "赵科员") {
		t.Errorf("missed grade %+v", g)
	}
	if last := d.Events[len(d.Events)-1]; last.Kind != model.EventMissedFiled || last.Actor != "赵科员" {
		t.Errorf("last event %+v", last)
	}
	if l := labels(t, st)[d.Posts[0].Post.ID]; l.Origin != store.LabelMissed || l.Level != 2 || l.Sentiment != "negative" {
		t.Errorf("missed label %+v", l)
	}
	// The same text again is already filed.
	if _, err := svc.FileMissed(ctx, "赵科员", incident.Missed{Title: "群里说明早九点去医保局门口", Body: "带上身份证和缴费单，人越多越好，大家都去。",
		Category: "policy", Level: 2}); !errors.Is(err, incident.ErrAlreadyFiled) || !strings.Contains(err.Error(), inc.Number) {
		t.Errorf("again: %v", err)
	}

	// A crawled post the rules left irrelevant, named by its address.
	p := savePost(t, st, "http://bbs/9", "门特报不了", "透析的门特卡办了三个月还是报不了。", c.t)
	if err := st.InTx(ctx, func(tx store.Tx) error {
		return tx.SaveGrade(ctx, model.Grade{PostID: p.ID, RulesVersion: "v1", GradedAt: c.t})
	}); err != nil {
		t.Fatal(err)
	}
	inc2, err := svc.FileMissed(ctx, "赵科员", incident.Missed{URL: p.URL, Category: "reimbursement", Level: 4})
	if err != nil || inc2.Number == inc.Number {
		t.Fatalf("by URL: %+v, %v", inc2, err)
	}
	if l := labels(t, st)[p.ID]; !l.Relevant || l.Category != "reimbursement" || l.Sentiment != "" {
		t.Errorf("label by URL %+v", l)
	}

	for name, m := range map[string]struct {
		m    incident.Missed
		want error
	}{
		"empty":       {incident.Missed{Category: "policy", Level: 4}, incident.ErrMissedEmpty},
		"unknown URL": {incident.Missed{URL: "http://nowhere/1", Category: "policy", Level: 4}, incident.ErrMissedNotFound},
		"bad level":   {incident.Missed{Body: "x", Category: "policy", Level: 7}, incident.ErrBadLevel},
		"bad cat":     {incident.Missed{Body: "x", Category: "", Level: 4}, incident.ErrBadCategory},
		"bad sent":    {incident.Missed{Body: "x", Category: "policy", Level: 4, Sentiment: "angry"}, incident.ErrBadSentiment},
	} {
		if _, err := svc.FileMissed(ctx, "赵科员", m.m); !errors.Is(err, m.want) {
			t.Errorf("%s: %v, want %v", name, err, m.want)
		}
	}
	if total, _, _ := st.CountPosts(ctx); total != 2 {
		t.Errorf("%d posts stored, want 2 (refusals store nothing)", total)
	}
}
