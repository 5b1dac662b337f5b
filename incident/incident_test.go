package incident_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

var cst = time.FixedZone("CST", 8*3600)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t testing.TB) (store.Store, *incident.Service, *clock) {
	t.Helper()
	return setupWith(t, nil)
}

// setupWith is setup with the given tokenizer for grouping.
func setupWith(t testing.TB, tokenize incident.Tokenizer) (store.Store, *incident.Service, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 11, 23, 23, 50, 0, 0, cst)}
	policy := incident.DefaultPolicy()
	policy.Location = cst
	return st, incident.New(st, policy, c.now, tokenize), c
}

func savePost(t testing.TB, st store.Store, url, title, body string, at time.Time) model.Post {
	t.Helper()
	p := model.Post{Source: "bbs", URL: url, Title: title, Body: body, FetchedAt: at}
	if _, err := st.SavePost(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func file(t testing.TB, st store.Store, svc *incident.Service, p model.Post, level taxonomy.Level, category taxonomy.Category) incident.Outcome {
	t.Helper()
	var out incident.Outcome
	err := st.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = svc.File(context.Background(), tx, p, model.Grade{PostID: p.ID, RulesVersion: "v1",
			Relevant: level > 0, Category: category, Level: level, GradedAt: p.FetchedAt})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileCreatesNumberedIncidentWithDeadlines(t *testing.T) {
	st, svc, c := setup(t)
	p := savePost(t, st, "http://bbs/1", "康福医院组织老人挂床住院", "村里老人被拉去免费住院体检", c.t)
	out := file(t, st, svc, p, 2, "institution")
	inc := out.Incident
	if !out.Created || inc.Number != "YQ-20261123-0001" {
		t.Fatalf("outcome %+v", out)
	}
	if !inc.AckDueAt.Equal(c.t.Add(time.Hour)) || !inc.FollowUpDueAt.Equal(c.t.Add(24*time.Hour)) {
		t.Errorf("deadlines ack %v followup %v", inc.AckDueAt, inc.FollowUpDueAt)
	}
	// The day of the number is the local day of first sight, not UTC's.
	c.t = c.t.Add(20 * time.Minute) // 00:10 on the 24th, local
	p2 := savePost(t, st, "http://bbs/2", "异地就医备案以后还是不能直接结算", "在外地住院", c.t)
	out = file(t, st, svc, p2, 4, "treatment")
	if out.Incident.Number != "YQ-20261124-0001" || !out.Incident.AckDueAt.IsZero() {
		t.Errorf("second incident %+v", out.Incident)
	}
	d, err := st.IncidentDetail(context.Background(), inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].Kind != model.EventCreated || !strings.Contains(d.Events[0].Note, "应急响应") ||
		!strings.Contains(d.Events[0].Note, "须在 2026-11-24 00:50 前签收") {
		t.Errorf("events %+v", d.Events)
	}
}

func TestIrrelevantPostFilesNothing(t *testing.T) {
	st, svc, c := setup(t)
	p := savePost(t, st, "http://bbs/1", "今年养老金涨了多少", "晒一下", c.t)
	if out := file(t, st, svc, p, 0, ""); out.Created || out.Joined {
		t.Fatalf("irrelevant post filed: %+v", out)
	}
	if u, _ := st.UngradedPosts(context.Background(), 10); len(u) != 0 {
		t.Error("irrelevant post not marked graded")
	}
	if open, _ := st.OpenIncidents(context.Background()); len(open) != 0 {
		t.Errorf("incidents: %v", open)
	}
}

func TestRepostJoinsAndRaises(t *testing.T) {
	st, svc, c := setup(t)
	first := savePost(t, st, "http://bbs/1", "市医保结算系统又瘫痪了，药店都刷不了卡", "从早上开始就不行", c.t)
	out := file(t, st, svc, first, 4, "system")
	c.t = c.t.Add(30 * time.Minute)
	repost := savePost(t, st, "http://weibo/9", "市医保结算系统又瘫痪了，药店都刷不了卡！", "从早上开始就不行。全市都这样，医院门口排长队", c.t)
	joined := file(t, st, svc, repost, 2, "system")
	if !joined.Joined || joined.Incident.Number != out.Incident.Number || !joined.Raised {
		t.Fatalf("repost: %+v", joined)
	}
	inc := joined.Incident
	if inc.Level != 2 || inc.PostCount != 2 || !inc.AckDueAt.Equal(c.t.Add(time.Hour)) {
		t.Errorf("raised incident %+v", inc)
	}
	// The follow-up deadline already running is kept, not extended.
	if !inc.FollowUpDueAt.Equal(out.Incident.FollowUpDueAt) {
		t.Errorf("followup deadline moved from %v to %v", out.Incident.FollowUpDueAt, inc.FollowUpDueAt)
	}
	d, _ := st.IncidentDetail(context.Background(), inc.Number)
	var kinds []string
	for _, e := range d.Events {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, ","); got != "created,post_joined,level_changed" {
		t.Errorf("event kinds %s", got)
	}
	if len(d.Posts) != 2 || !strings.Contains(d.Posts[1].Reason, "转帖") {
		t.Errorf("posts %+v", d.Posts)
	}
	// Regrading the same post (content edited) does not file it twice.
	repost.Body += "（更新）"
	if _, err := st.SavePost(context.Background(), &repost); err != nil {
		t.Fatal(err)
	}
	again := file(t, st, svc, repost, 2, "system")
	if again.Created || again.Joined {
		t.Errorf("edited post filed again: %+v", again)
	}
	if open, _ := st.OpenIncidents(context.Background()); len(open) != 1 || open[0].PostCount != 2 {
		t.Errorf("open incidents after regrade: %+v", open)
	}
}

func TestWorkflow(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	p := savePost(t, st, "http://bbs/1", "门诊共济以后个人账户钱少了", "想问一下怎么回事", c.t)
	num := file(t, st, svc, p, 4, "policy").Incident.Number

	if _, err := svc.FollowUp(ctx, num, "王科员", "  "); !errors.Is(err, incident.ErrEmptyNote) {
		t.Errorf("empty follow-up: %v", err)
	}
	if _, err := svc.Acknowledge(ctx, num, "", ""); !errors.Is(err, incident.ErrEmptyActor) {
		t.Errorf("ack without actor: %v", err)
	}
	c.t = c.t.Add(2 * time.Hour)
	inc, err := svc.Acknowledge(ctx, num, "王科员", "")
	if err != nil || inc.Status != model.StatusAcknowledged || !inc.AckedAt.Equal(c.t) {
		t.Fatalf("ack: %+v %v", inc, err)
	}
	if _, err := svc.Acknowledge(ctx, num, "王科员", ""); !errors.Is(err, incident.ErrAlreadyDone) {
		t.Errorf("second ack: %v", err)
	}
	if !inc.FollowUpPending() {
		t.Error("follow-up should still be pending after ack")
	}
	c.t = c.t.Add(time.Hour)
	inc, err = svc.FollowUp(ctx, num, "王科员", "已电话联系网友，解释门诊共济政策")
	if err != nil || inc.Status != model.StatusFollowedUp || inc.FollowUpPending() {
		t.Fatalf("follow-up: %+v %v", inc, err)
	}
	if _, err := svc.Close(ctx, num, "李科长", ""); !errors.Is(err, incident.ErrEmptyNote) {
		t.Errorf("close without outcome: %v", err)
	}
	if inc, err = svc.Close(ctx, num, "李科长", "已答复，网友表示理解"); err != nil || inc.Open() {
		t.Fatalf("close: %+v %v", inc, err)
	}
	if _, err := svc.FollowUp(ctx, num, "王科员", "补充"); !errors.Is(err, incident.ErrClosed) {
		t.Errorf("follow-up after close: %v", err)
	}
	if _, err := svc.Acknowledge(ctx, "YQ-20000101-0001", "王科员", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown incident: %v", err)
	}
	d, _ := st.IncidentDetail(ctx, num)
	var log []string
	for _, e := range d.Events {
		log = append(log, string(e.Kind)+"/"+e.Actor)
	}
	want := "created/系统,acknowledged/王科员,followed_up/王科员,closed/李科长"
	if got := strings.Join(log, ","); got != want {
		t.Errorf("log = %s, want %s", got, want)
	}
	// A closed incident takes no reposts: a new one is opened.
	c.t = c.t.Add(time.Hour)
	p2 := savePost(t, st, "http://bbs/2", "门诊共济以后个人账户钱少了", "又来问", c.t)
	if out := file(t, st, svc, p2, 4, "policy"); !out.Created {
		t.Errorf("repost of a closed incident: %+v", out)
	}
}
