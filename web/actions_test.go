package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/web"
)

// postPage posts a form and returns the status and the page.
func postPage(t *testing.T, f *fixture, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := f.client.PostForm(f.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustStep(t *testing.T, f *fixture, path string, form url.Values) {
	t.Helper()
	if code, body := postPage(t, f, path, form); code != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d\n%s", path, code, body)
	}
}

func detail(t *testing.T, f *fixture, number string) store.IncidentDetail {
	t.Helper()
	d, err := f.st.IncidentDetail(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func lastEvent(d store.IncidentDetail) model.Event { return d.Events[len(d.Events)-1] }

func TestAssignForm(t *testing.T) {
	f := setup(t)
	_, page := get(t, f, "/incidents/"+f.minor)
	for _, want := range []string{`action="/incidents/` + f.minor + `/assign"`, `<option value="信访科"`, "未分派"} {
		if !strings.Contains(page, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	code, body := postPage(t, f, "/incidents/"+f.minor+"/assign", url.Values{"actor": {"王科员"}, "office": {"不存在科"}})
	if code != 400 || !strings.Contains(body, "分派失败：请选择配置中的承办科室") {
		t.Errorf("unknown office: %d", code)
	}
	mustStep(t, f, "/incidents/"+f.minor+"/assign", url.Values{"actor": {"王科员"}, "office": {"信访科"}, "note": {"请核实"}})
	d := detail(t, f, f.minor)
	if d.Incident.Office != "信访科" || d.Incident.Status != model.StatusAssigned || d.Incident.AckedAt.IsZero() {
		t.Errorf("after assign: %+v", d.Incident)
	}
	if e := lastEvent(d); e.Kind != model.EventAssigned || e.Actor != "王科员（wang）" || e.Note != "分派至信访科：请核实" {
		t.Errorf("event %+v", e)
	}
	_, page = get(t, f, "/incidents/"+f.minor)
	if !strings.Contains(page, "<strong>分派</strong> · 王科员（wang）：分派至信访科：请核实") || !strings.Contains(page, "已分派") {
		t.Error("assignment not on the detail page")
	}
}

func TestInvestigatedAndReplyForms(t *testing.T) {
	f := setup(t)
	code, body := postPage(t, f, "/incidents/"+f.minor+"/investigated", url.Values{"actor": {"王科员"}, "note": {" "}})
	if code != 400 || !strings.Contains(body, "请填写调查核实结论") {
		t.Errorf("empty finding: %d", code)
	}
	mustStep(t, f, "/incidents/"+f.minor+"/investigated", url.Values{"actor": {"王科员"}, "note": {"材料齐全，系窗口告知不清"}})
	d := detail(t, f, f.minor)
	if d.Incident.InvestigatedAt.IsZero() || d.Incident.FeedbackDueAt.IsZero() || lastEvent(d).Kind != model.EventInvestigated {
		t.Fatalf("after investigation: %+v", d.Incident)
	}
	// 2026-11-23 is a Monday: 3 working days after Monday 11:30 is Thursday.
	if got := d.Incident.FeedbackDueAt.In(cst).Format("2006-01-02 15:04"); got != "2026-11-26 11:30" {
		t.Errorf("feedback due %s", got)
	}
	_, page := get(t, f, "/incidents/"+f.minor)
	if !strings.Contains(page, "答复反馈时限（工作日）") || !strings.Contains(page, "调查核实") {
		t.Error("feedback deadline not shown")
	}
	mustStep(t, f, "/incidents/"+f.minor+"/reply", url.Values{"actor": {"王科员"}, "note": {"您好，住院报销需携带发票和出院小结。"}})
	d = detail(t, f, f.minor)
	if d.Incident.RepliedAt.IsZero() || d.Incident.Reply != "您好，住院报销需携带发票和出院小结。" || lastEvent(d).Kind != model.EventReplied {
		t.Errorf("after reply: %+v", d.Incident)
	}
	if _, page := get(t, f, "/incidents/"+f.minor); !strings.Contains(page, "答复反馈内容") || !strings.Contains(page, "住院报销需携带发票") {
		t.Error("reply not shown")
	}
}

func TestLevelForm(t *testing.T) {
	f := setup(t)
	if code, body := postPage(t, f, "/incidents/"+f.major+"/level", url.Values{"actor": {"李科长"}, "level": {"9"}, "note": {"x"}}); code != 400 || !strings.Contains(body, "等级只能是") {
		t.Errorf("bad level: %d", code)
	}
	if code, body := postPage(t, f, "/incidents/"+f.major+"/level", url.Values{"actor": {"李科长"}, "level": {"3"}}); code != 400 || !strings.Contains(body, "请填写原因") {
		t.Errorf("no reason: %d", code)
	}
	mustStep(t, f, "/incidents/"+f.major+"/level", url.Values{"actor": {"李科长"}, "level": {"3"}, "note": {"经核实为个别现象"}})
	d := detail(t, f, f.major)
	e := lastEvent(d)
	if d.Incident.Level != 3 || e.Kind != model.EventLevelChanged || e.Actor != "王科员（wang）" || !strings.Contains(e.Note, "降为Ⅲ级") || !strings.Contains(e.Note, "经核实为个别现象") {
		t.Errorf("after lowering: level %d, event %+v", d.Incident.Level, e)
	}
	if !d.Incident.AckDueAt.IsZero() {
		t.Error("Ⅲ needs no emergency acknowledgement")
	}
}

func TestFalsePositiveReopenAndStats(t *testing.T) {
	f := setup(t)
	if code, body := postPage(t, f, "/incidents/"+f.major+"/reopen", url.Values{"actor": {"李科长"}, "note": {"再看看"}}); code != 400 || !strings.Contains(body, "事件尚未办结") {
		t.Errorf("reopen of an open incident: %d", code)
	}
	if code, body := postPage(t, f, "/incidents/"+f.major+"/false-positive", url.Values{"note": {"电视剧剧情讨论"}}); code != 400 ||
		!strings.Contains(body, "误报失败：请勾选「确认误报") {
		t.Errorf("false positive without the confirmation: %d", code)
	}
	mustStep(t, f, "/incidents/"+f.major+"/false-positive", url.Values{"actor": {"李科长"}, "note": {"电视剧剧情讨论"}, "confirmed": {"1"}})
	d := detail(t, f, f.major)
	if d.Incident.Open() || !d.Incident.FalsePositive || lastEvent(d).Kind != model.EventFalsePositive {
		t.Fatalf("after false positive: %+v", d.Incident)
	}
	_, page := get(t, f, "/rules/false-positives")
	if !strings.Contains(page, "<td>研判规则</td><td class=\"count\">1</td>") {
		t.Errorf("false-positive stats page lacks fraud=1:\n%s", page)
	}
	_, page = get(t, f, "/incidents/"+f.major)
	if !strings.Contains(page, `/reopen"`) || strings.Contains(page, `/followup"`) {
		t.Error("closed incident should offer reopen only")
	}
	mustStep(t, f, "/incidents/"+f.major+"/reopen", url.Values{"actor": {"李科长"}, "note": {"网友补充了证据"}})
	d = detail(t, f, f.major)
	if !d.Incident.Open() || d.Incident.FalsePositive || lastEvent(d).Kind != model.EventReopened || lastEvent(d).Actor != "王科员（wang）" {
		t.Errorf("after reopen: %+v", d.Incident)
	}
	if _, page := get(t, f, "/rules/false-positives"); !strings.Contains(page, "<td class=\"count\">0</td>") {
		t.Error("reopening did not take the false positive back")
	}
}

func TestListShowsOverdueStages(t *testing.T) {
	f := setup(t)
	_, page := get(t, f, "/incidents")
	if !strings.Contains(page, "逾期环节") || !strings.Contains(page, `<td class="deadline overdue">签收</td>`) {
		t.Error("overdue acknowledgement not shown in the list")
	}
	_, page = get(t, f, "/incidents/"+f.major)
	if !strings.Contains(page, "已逾期环节：签收") {
		t.Error("overdue stage not shown on the detail page")
	}
}

// The actor is the logged-in user, whatever the form says.
func TestWorkflowActionsRecordLoggedInUserAndNeedKnownIncident(t *testing.T) {
	f := setup(t)
	mustStep(t, f, "/incidents/"+f.minor+"/reply", url.Values{"actor": {"冒名者"}, "note": {"答复"}})
	if e := lastEvent(detail(t, f, f.minor)); e.Actor != "王科员（wang）" {
		t.Errorf("reply recorded as %q", e.Actor)
	}
	if code, _ := postPage(t, f, "/incidents/YQ-20000101-0001/assign", url.Values{"actor": {"x"}, "office": {"宣传科"}}); code != 404 {
		t.Errorf("unknown incident: %d", code)
	}
}

// Viewers read the false-positive statistics but cannot change incidents.
func TestWorkflowActionsNeedHandlerRole(t *testing.T) {
	f := setup(t)
	viewer := loginClient(t, f.srv, "zhao", true)
	for _, step := range []struct{ path, extra string }{
		{"assign", "&office=信访科"}, {"investigated", ""}, {"reply", ""}, {"false-positive", ""}, {"level", "&level=3"},
	} {
		code, _, _ := do(t, viewer, "POST", f.srv.URL+"/incidents/"+f.minor+"/"+step.path, "note=x"+step.extra, nil)
		if code != http.StatusForbidden {
			t.Errorf("viewer %s: status %d, want 403", step.path, code)
		}
	}
	d := detail(t, f, f.minor)
	if d.Incident.Office != "" || !d.Incident.InvestigatedAt.IsZero() || d.Incident.Level != 4 || len(d.Events) != 1 {
		t.Errorf("a viewer changed the incident: %+v", d.Incident)
	}
	if code, _, _ := do(t, viewer, "GET", f.srv.URL+"/rules/false-positives", "", nil); code != 200 {
		t.Errorf("viewer false-positive page: %d", code)
	}
}

// extraStep is a workflow with one step more than the incident service's.
type extraStep struct {
	*incident.Service
	step incident.Step
}

func (w extraStep) Steps() []incident.Step { return append(w.Service.Steps(), w.step) }

// A step added to the workflow table gets its console form, its API action
// and its name in the log with no other change to the console: the step
// table is the one list of steps.
func TestNewStepNeedsOnlyTheTable(t *testing.T) {
	escalate := incident.Step{Key: "escalate", Name: "上报", Event: "escalated",
		Fields: []incident.Field{incident.FieldNote}, Required: []incident.Field{incident.FieldNote}, Role: auth.RoleHandler,
		Apply: func(_ context.Context, _ *incident.Service, c incident.Change) (string, error) {
			return "上报至市局：" + c.Input.Note, nil
		}}
	f := setupWith(t, func(svc *incident.Service) web.Workflow { return extraStep{svc, escalate} })

	_, page := get(t, f, "/incidents/"+f.minor)
	for _, want := range []string{`action="/incidents/` + f.minor + `/escalate"`, "<h3>上报</h3>"} {
		if !strings.Contains(page, want) {
			t.Errorf("detail lacks the new step's form: %q", want)
		}
	}
	if code, body := postPage(t, f, "/incidents/"+f.minor+"/escalate", url.Values{"note": {" "}}); code != 400 ||
		!strings.Contains(body, "上报失败：请填写原因") {
		t.Errorf("empty note: status %d", code)
	}
	mustStep(t, f, "/incidents/"+f.minor+"/escalate", url.Values{"note": {"涉及面广"}})
	if e := lastEvent(detail(t, f, f.minor)); e.Kind != "escalated" || e.Note != "上报至市局：涉及面广" || e.Actor != "王科员（wang）" {
		t.Errorf("form step logged %+v", e)
	}
	if _, page := get(t, f, "/incidents/"+f.minor); !strings.Contains(page, "<strong>上报</strong> · 王科员（wang）：上报至市局：涉及面广") {
		t.Error("log does not name the new step's event")
	}

	resp, err := f.client.Post(f.srv.URL+"/api/v1/incidents/"+f.major+"/escalate", "application/json",
		strings.NewReader(`{"note": "经 API 上报"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API action: status %d", resp.StatusCode)
	}
	if e := lastEvent(detail(t, f, f.major)); e.Kind != "escalated" || e.Note != "上报至市局：经 API 上报" {
		t.Errorf("API step logged %+v", e)
	}
	// The service itself does not have the step.
	if _, ok := incident.StepByKey(incident.Steps(), "escalate"); ok {
		t.Error("the test's step leaked into the table")
	}
}

// The API's incident carries every deadline the console shows, with the
// stage's completion.
func TestAPIIncidentHasEveryDeadline(t *testing.T) {
	f := setup(t)
	read := func() map[string]any {
		t.Helper()
		resp, err := f.client.Get(f.srv.URL + "/api/v1/incidents/" + f.minor)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Incident map[string]any }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Incident
	}
	stamp := func(at time.Time) string { return at.Format(time.RFC3339) }
	inc := read()
	d := detail(t, f, f.minor).Incident
	if d.InvestigateDueAt.IsZero() {
		t.Fatal("fixture: the Ⅳ incident has no investigation deadline")
	}
	if inc["investigate_due_at"] != stamp(d.InvestigateDueAt) || inc["feedback_due_at"] != nil || inc["investigated_at"] != nil {
		t.Errorf("before the investigation: %v", inc)
	}
	mustStep(t, f, "/incidents/"+f.minor+"/investigated", url.Values{"note": {"已核实"}})
	d = detail(t, f, f.minor).Incident
	inc = read()
	if d.FeedbackDueAt.IsZero() || inc["feedback_due_at"] != stamp(d.FeedbackDueAt) || inc["investigated_at"] != stamp(d.InvestigatedAt) {
		t.Errorf("after the investigation: %v (feedback due %v)", inc, d.FeedbackDueAt)
	}
	mustStep(t, f, "/incidents/"+f.minor+"/reply", url.Values{"note": {"已答复"}})
	if inc = read(); inc["replied_at"] != stamp(detail(t, f, f.minor).Incident.RepliedAt) {
		t.Errorf("after the reply: %v", inc)
	}
}

// docs/api.md lists every step of the workflow table as an API action,
// under its name.
func TestAPIDocListsEveryStep(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range incident.Steps() {
		if row := "| `" + st.Key + "` | " + st.Name; !strings.Contains(string(doc), row) {
			t.Errorf("docs/api.md lacks the row %q", row)
		}
	}
}

// A step is offered only to the roles that may take it: a handler does
// not see the form of an operator's step, and cannot post it either.
func TestStepFormsFollowTheStepsRole(t *testing.T) {
	audit := incident.Step{Key: "audit-mark", Name: "审计标记", Event: "audit_marked",
		Fields: []incident.Field{incident.FieldNote}, Role: auth.RoleOperator,
		Apply: func(_ context.Context, _ *incident.Service, c incident.Change) (string, error) {
			return c.Input.Note, nil
		}}
	f := setupWith(t, func(svc *incident.Service) web.Workflow { return extraStep{svc, audit} })
	_, page := get(t, f, "/incidents/"+f.minor)
	if strings.Contains(page, "/audit-mark\"") || strings.Contains(page, "审计标记") {
		t.Error("a handler is offered an operator's step")
	}
	if !strings.Contains(page, `action="/incidents/`+f.minor+`/ack"`) {
		t.Error("a handler is not offered 签收")
	}
	if code, _ := postPage(t, f, "/incidents/"+f.minor+"/audit-mark", url.Values{"note": {"x"}}); code != http.StatusForbidden {
		t.Errorf("a handler posting an operator's step: status %d, want 403", code)
	}
}
