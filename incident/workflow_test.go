package incident_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// setupCalendar uses the shipped holiday calendar (国庆 2026-10-01..07,
// 调休 Saturday 2026-10-10).
func setupCalendar(t *testing.T, at time.Time) (store.Store, *incident.Service, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cal, err := calendar.Load(filepath.Join("..", "configs", "calendar.yaml"), cst)
	if err != nil {
		t.Fatal(err)
	}
	p := incident.DefaultPolicy()
	p.Location, p.Calendar = cst, cal
	c := &clock{t: at}
	return st, incident.New(st, p, c.now, nil), c
}

func day(t time.Time) string { return t.In(cst).Format("2006-01-02 15:04") }

func TestWorkingDayDeadlinesSkipHolidaysAndCountMakeUpDays(t *testing.T) {
	st, svc, c := setupCalendar(t, time.Date(2026, 9, 30, 16, 0, 0, 0, cst))
	p := savePost(t, st, "http://bbs/1", "节前报销款未到账", "九月交的报销材料，到现在还没有到账。", c.t)
	inc := file(t, st, svc, p, 4, "reimbursement").Incident
	// 7 working days from Wed 09-30: 10-08, 10-09, 10-10 (调休), 10-12, 10-13, 10-14, 10-15.
	if got := day(inc.InvestigateDueAt); got != "2026-10-15 16:00" {
		t.Errorf("investigation due %s", got)
	}
	if !inc.FeedbackDueAt.IsZero() {
		t.Error("feedback deadline before the investigation ends")
	}
	c.t = time.Date(2026, 10, 9, 10, 0, 0, 0, cst) // Friday
	inc, err := svc.Investigated(context.Background(), inc.Number, "王科员", "已核实，系银行退票")
	if err != nil {
		t.Fatal(err)
	}
	// 3 working days from Fri 10-09: Sat 10-10 (调休), Mon 10-12, Tue 10-13.
	if got := day(inc.FeedbackDueAt); got != "2026-10-13 10:00" {
		t.Errorf("feedback due %s", got)
	}
	if over := incident.Overdue(inc, time.Date(2026, 10, 14, 0, 0, 0, 0, cst)); len(over) != 1 || over[0].Key != "feedback" {
		t.Errorf("overdue %+v", over)
	}
	if _, err := svc.Investigated(context.Background(), inc.Number, "王科员", "again"); !errors.Is(err, incident.ErrAlreadyDone) {
		t.Errorf("second finding: %v", err)
	}
}

func TestFullWorkflowLogsEveryStep(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	p := savePost(t, st, "http://bbs/1", "康福医院骗保", "康福医院组织老人挂床住院", c.t)
	if err := st.InTx(ctx, func(tx store.Tx) error {
		_, err := svc.File(ctx, tx, p, model.Grade{PostID: p.ID, RulesVersion: "v1", Relevant: true, Category: "institution",
			Level: 3, GradedAt: c.t, Matches: []model.Match{{Rule: "fraud", Term: "骗保"}, {Rule: "bed_blocking", Term: "挂床"}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	inc, _ := st.Incidents(ctx, store.IncidentFilter{})
	n := inc.Incidents[0].Number
	steps := []struct {
		do   func() (model.Incident, error)
		kind model.EventKind
	}{
		{func() (model.Incident, error) { return svc.Acknowledge(ctx, n, "李科长", "") }, model.EventAcknowledged},
		{func() (model.Incident, error) { return svc.Assign(ctx, n, "李科长", "基金监管科", "请核查") }, model.EventAssigned},
		{func() (model.Incident, error) {
			return svc.ChangeLevel(ctx, n, "李科长", 2, "涉及多名老人，媒体已关注")
		}, model.EventLevelChanged},
		{func() (model.Incident, error) { return svc.FollowUp(ctx, n, "王科员", "已约谈院方") }, model.EventFollowedUp},
		{func() (model.Incident, error) { return svc.MarkFalsePositive(ctx, n, "王科员", "系旧闻转发") }, model.EventFalsePositive},
		{func() (model.Incident, error) { return svc.Reopen(ctx, n, "李科长", "发现新的住院记录") }, model.EventReopened},
		{func() (model.Incident, error) { return svc.Reply(ctx, n, "王科员", "我局已立案调查") }, model.EventReplied},
		{func() (model.Incident, error) {
			return svc.Close(ctx, n, "李科长", "查实违规，追回基金 12 万元")
		}, model.EventClosed},
	}
	for i, s := range steps {
		c.t = c.t.Add(10 * time.Minute)
		if _, err := s.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i, s.kind, err)
		}
		d, _ := st.IncidentDetail(ctx, n)
		e := d.Events[len(d.Events)-1]
		if e.Kind != s.kind || !e.At.Equal(c.t) || e.Actor == incident.SystemActor {
			t.Errorf("step %d: last event %+v, want %s at %s", i, e, s.kind, c.t)
		}
		switch s.kind {
		case model.EventAssigned:
			if d.Incident.Status != model.StatusAssigned {
				t.Errorf("status after assign %s", d.Incident.Status)
			}
		case model.EventLevelChanged:
			// Raised to Ⅱ after acknowledgement: no new ack stage.
			if d.Incident.Level != 2 || !d.Incident.AckDueAt.IsZero() || !strings.Contains(e.Note, "升为Ⅱ级") {
				t.Errorf("after raise %+v %q", d.Incident, e.Note)
			}
		case model.EventFalsePositive:
			fps, _ := st.RuleFalsePositives(ctx)
			if len(fps) != 2 || fps[0].Count != 1 || !strings.Contains(e.Note, "计入 2 条命中规则的误报统计") {
				t.Errorf("false positives %+v, note %q", fps, e.Note)
			}
		case model.EventReopened:
			fps, _ := st.RuleFalsePositives(ctx)
			if fps[0].Count != 0 || !d.Incident.Open() || d.Incident.Status != model.StatusFollowedUp {
				t.Errorf("after reopen %+v %+v", fps, d.Incident)
			}
		case model.EventClosed:
			if d.Incident.Outcome != "查实违规，追回基金 12 万元" || d.Incident.Reply != "我局已立案调查" || d.Incident.FalsePositive {
				t.Errorf("closed %+v", d.Incident)
			}
		}
	}
	if _, err := svc.Assign(ctx, n, "x", "宣传科", ""); !errors.Is(err, incident.ErrClosed) {
		t.Errorf("assign after close: %v", err)
	}
	if _, err := svc.Assign(ctx, n, "x", "财务科", ""); !errors.Is(err, incident.ErrUnknownOffice) {
		t.Errorf("unknown office: %v", err)
	}
}

func TestManualRaiseStartsEmergencyAck(t *testing.T) {
	st, svc, c := setup(t)
	p := savePost(t, st, "http://bbs/1", "报销慢", "报销材料交了很久", c.t)
	n := file(t, st, svc, p, 4, "reimbursement").Incident.Number
	c.t = c.t.Add(time.Hour)
	inc, err := svc.ChangeLevel(context.Background(), n, "李科长", 2, "已上热搜")
	if err != nil {
		t.Fatal(err)
	}
	if !inc.AckDueAt.Equal(c.t.Add(time.Hour)) || !inc.AckPending() {
		t.Errorf("ack due %s", inc.AckDueAt)
	}
	if _, err := svc.ChangeLevel(context.Background(), n, "李科长", 2, "再升"); !errors.Is(err, incident.ErrSameLevel) {
		t.Errorf("same level: %v", err)
	}
}

// 办结 follows 签收 in the bureau's process: closing an incident nobody
// signed for is refused unless the reason is given, and the reason is
// kept in the record.
func TestCloseBeforeAckNeedsAReason(t *testing.T) {
	st, svc, c := setup(t)
	p := savePost(t, st, "http://bbs/close", "报销款三个月没到账", "住院报销材料交了三个月，款还没到。", c.t)
	num := file(t, st, svc, p, 4, "reimbursement").Incident.Number
	closeStep, _ := incident.StepByKey(incident.Steps(), incident.StepClose)
	if _, err := svc.Do(context.Background(), closeStep, num, "王科员", incident.Input{Note: "已答复"}); !errors.Is(err, incident.ErrNotAcknowledged) {
		t.Fatalf("close before ack without a reason: %v, want ErrNotAcknowledged", err)
	}
	inc, err := svc.Do(context.Background(), closeStep, num, "王科员", incident.Input{Note: "已答复", Reason: "网友已自行撤帖"})
	if err != nil || inc.Open() || inc.Outcome != "已答复（未经签收直接办结：网友已自行撤帖）" {
		t.Fatalf("close before ack with a reason: %+v, %v", inc, err)
	}
	if got := incident.Progress(inc); got != "已办结" {
		t.Errorf("progress %q, want 已办结", got)
	}
}

// The console's next step follows the incident through the process.
func TestNextStepFollowsTheProcess(t *testing.T) {
	st, svc, c := setup(t)
	p := savePost(t, st, "http://bbs/next", "报销款三个月没到账", "住院报销材料交了三个月，款还没到。", c.t)
	num := file(t, st, svc, p, 4, "reimbursement").Incident.Number
	ctx := context.Background()
	next := func() (string, []string) {
		d, err := st.IncidentDetail(ctx, num)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, s := range incident.Steps() {
			if s.NextFor(d.Incident) {
				keys = append(keys, s.Key)
			}
		}
		return incident.Progress(d.Incident), keys
	}
	for _, c := range []struct {
		do       func() error
		progress string
		next     string
	}{
		{func() error { return nil }, "待签收", "[ack]"},
		{func() error { _, err := svc.Acknowledge(ctx, num, "王科员", ""); return err }, "待跟进回复", "[followup assign]"},
		{func() error { _, err := svc.FollowUp(ctx, num, "王科员", "已联系"); return err }, "待调查核实", "[assign investigated]"},
		{func() error { _, err := svc.Investigated(ctx, num, "王科员", "属实"); return err }, "待答复反馈", "[assign reply]"},
		{func() error { _, err := svc.Reply(ctx, num, "王科员", "已答复"); return err }, "待办结", "[close assign]"},
		{func() error { _, err := svc.Close(ctx, num, "王科员", "办结"); return err }, "已办结", "[reopen]"},
	} {
		if err := c.do(); err != nil {
			t.Fatal(err)
		}
		if progress, keys := next(); progress != c.progress || fmt.Sprint(keys) != c.next {
			t.Errorf("%s: next %v; want %s %s", progress, keys, c.progress, c.next)
		}
	}
}

// One event reported twice becomes one incident by a handler's merge: the
// posts move, the target takes the more severe level and the earlier
// deadlines, the merged incident closes, and both logs say so; a post
// grouped by mistake is split off into an incident of its own.
func TestMergeAndSplit(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	a := savePost(t, st, "http://bbs/m1", "全市医保刷不了", "门诊收费窗口都刷不了医保。", c.t)
	first := file(t, st, svc, a, 4, "system").Incident
	c.t = c.t.Add(30 * time.Minute)
	b := savePost(t, st, "http://news/m2", "医保平台故障结算中断", "记者获悉信息平台故障，定点机构结算中断。", c.t)
	second := file(t, st, svc, b, 2, "system").Incident
	merge, _ := incident.StepByKey(incident.Steps(), incident.StepMerge)
	for _, bad := range []struct {
		in   incident.Input
		want string
	}{
		{incident.Input{Target: first.Number, Note: "同一事件"}, "不能合并到事件本身"},
		{incident.Input{Target: "YQ-20000101-0001", Note: "同一事件"}, "不存在"},
		{incident.Input{Target: second.Number}, "请填写要并入的事件编号和合并原因"},
	} {
		if _, err := svc.Do(ctx, merge, first.Number, "王科员", bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("merge %+v: %v, want %q", bad.in, err, bad.want)
		}
	}
	merged, err := svc.Do(ctx, merge, first.Number, "王科员", incident.Input{Target: second.Number, Note: "同一次全市结算中断"})
	if err != nil || merged.Open() || merged.Outcome != "合并至事件 "+second.Number {
		t.Fatalf("merge: %+v, %v", merged, err)
	}
	d, err := st.IncidentDetail(ctx, second.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Posts) != 2 || d.Incident.PostCount != 2 || d.Incident.Level != 2 || !d.Incident.FollowUpDueAt.Equal(first.FollowUpDueAt) {
		t.Errorf("after merge: %d posts, %+v", len(d.Posts), d.Incident)
	}
	if e := d.Events[len(d.Events)-1]; e.Kind != model.EventMergedIn || !strings.Contains(e.Note, "事件 "+first.Number+" 的 1 条帖子并入：同一次全市结算中断") {
		t.Errorf("target log: %+v", e)
	}
	if got := incident.EventName(incident.Steps(), model.EventMergedIn); got != "他案并入" {
		t.Errorf("merged-in event named %q", got)
	}

	split, _ := incident.StepByKey(incident.Steps(), incident.StepSplit)
	if _, err := svc.Do(ctx, split, second.Number, "王科员", incident.Input{PostID: 999999, Note: "另一件事"}); !errors.Is(err, incident.ErrNotThisIncident) {
		t.Errorf("split of a foreign post: %v", err)
	}
	c.t = c.t.Add(time.Hour)
	after, err := svc.Do(ctx, split, second.Number, "王科员", incident.Input{PostID: a.ID, Note: "是另一家医院的故障"})
	if err != nil || after.PostCount != 1 {
		t.Fatalf("split: %+v, %v", after, err)
	}
	inc, found, err := st.IncidentOfPost(ctx, a.ID)
	if err != nil || !found || inc.Number == second.Number || inc.Level != 2 || inc.PostCount != 1 || !inc.Open() {
		t.Fatalf("the split post is in %+v (found %v, %v)", inc, found, err)
	}
	nd, _ := st.IncidentDetail(ctx, inc.Number)
	if e := nd.Events[0]; e.Kind != model.EventSplitOff || !strings.Contains(e.Note, "由事件 "+second.Number+" 拆分：是另一家医院的故障") {
		t.Errorf("new incident's log: %+v", nd.Events)
	}
	if _, err := svc.Do(ctx, split, second.Number, "王科员", incident.Input{PostID: b.ID, Note: "x"}); !errors.Is(err, incident.ErrSingle) {
		t.Errorf("split of the last post: %v", err)
	}
}

// A handler files a collected post into an incident by hand: a post of
// no incident is attached; one of another incident moves, and that
// incident's log says where it went.
func TestAttachPost(t *testing.T) {
	st, svc, c := setup(t)
	ctx := context.Background()
	a := savePost(t, st, "http://bbs/t1", "报销款三个月没到账", "住院报销材料交了三个月，款还没到。", c.t)
	target := file(t, st, svc, a, 4, "reimbursement").Incident
	b := savePost(t, st, "http://bbs/t2", "医保卡在药店被拒刷", "药店说系统维护，拒绝刷卡。", c.t)
	other := file(t, st, svc, b, 4, "system").Incident
	free := savePost(t, st, "http://bbs/t3", "报销到账了吗", "同样的报销问题，我也等了三个月。", c.t)
	attach, _ := incident.StepByKey(incident.Steps(), incident.StepAttach)
	if _, err := svc.Do(ctx, attach, target.Number, "王科员", incident.Input{PostID: a.ID, Note: "x"}); !errors.Is(err, incident.ErrAlreadyHere) {
		t.Errorf("attaching the incident's own post: %v", err)
	}
	inc, err := svc.Do(ctx, attach, target.Number, "王科员", incident.Input{PostID: free.ID, Note: "同一报销问题"})
	if err != nil || inc.PostCount != 2 {
		t.Fatalf("attach a free post: %+v, %v", inc, err)
	}
	inc, err = svc.Do(ctx, attach, target.Number, "王科员", incident.Input{PostID: b.ID, Note: "其实是同一件事"})
	if err != nil || inc.PostCount != 3 {
		t.Fatalf("attach another incident's post: %+v, %v", inc, err)
	}
	d, _ := st.IncidentDetail(ctx, other.Number)
	if len(d.Posts) != 0 || d.Incident.PostCount != 0 || d.Incident.Open() || d.Events[len(d.Events)-1].Kind != model.EventDetached ||
		!strings.Contains(d.Events[len(d.Events)-1].Note, "移入事件 "+target.Number) {
		t.Errorf("the post's former incident: %d posts, %+v", len(d.Posts), d.Events)
	}
}
