package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Handling is the part of the workflow beyond 签收/跟进/办结: 分派 to an
// office, the investigation's finding, the public reply, 误报, 重开 and
// 升级/降级, and the decisions that become labels: 确认疑似, 更正类别 and
// 补录漏报 (labels.go, missed.go). *incident.Service implements it.
type Handling interface {
	Offices() []string
	Assign(ctx context.Context, number, actor, office, note string) (store.Incident, error)
	Investigated(ctx context.Context, number, actor, finding string) (store.Incident, error)
	Reply(ctx context.Context, number, actor, text string) (store.Incident, error)
	MarkFalsePositive(ctx context.Context, number, actor, reason string) (store.Incident, error)
	Reopen(ctx context.Context, number, actor, reason string) (store.Incident, error)
	ChangeLevel(ctx context.Context, number, actor string, level int, reason string) (store.Incident, error)
	RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error)
	Confirm(ctx context.Context, number, actor, note string) (store.Incident, error)
	ChangeCategory(ctx context.Context, number, actor, category, reason string) (store.Incident, error)
	FileMissed(ctx context.Context, actor string, m incident.Missed) (store.Incident, error)
}

// workflowRoutes registers the console form of every action in apiActions
// (签收, 跟进, 办结 and the steps in Handling) and the rule statistics.
func (s *Server) workflowRoutes(mux *http.ServeMux) {
	for name, act := range apiActions {
		mux.HandleFunc("POST /incidents/{number}/"+name, s.require(auth.RoleHandler, s.actionForm(name, act)))
	}
	mux.HandleFunc("GET /rules/false-positives", s.require(auth.RoleViewer, s.falsePositives))
}

// workflowErrors are the refusals shown on the form rather than as a failure.
var workflowErrors = []error{incident.ErrEmptyActor, incident.ErrEmptyNote, incident.ErrClosed, incident.ErrNotClosed,
	incident.ErrAlreadyDone, incident.ErrEmptyReason, incident.ErrUnknownOffice, incident.ErrBadLevel, incident.ErrSameLevel,
	incident.ErrBadCategory, incident.ErrSameCategory, incident.ErrNotSuspected}

// formRequest is the request of a console form: its note (trimmed), office,
// level and category fields.
func formRequest(r *http.Request) ActionRequest {
	level, err := strconv.Atoi(r.PostForm.Get("level"))
	if err != nil {
		level = 0 // rejected by ChangeLevel as ErrBadLevel
	}
	return ActionRequest{Note: strings.TrimSpace(r.PostForm.Get("note")), Office: r.PostForm.Get("office"), Level: level,
		Category: r.PostForm.Get("category")}
}

// actionForm handles the console form of one action: the signed-in user
// (auth.go) does it; success redirects back to the log (so a reload does not
// post twice), a refusal shows the form again with its error.
func (s *Server) actionForm(name string, act APIAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		number := r.PathValue("number")
		if err := r.ParseForm(); err != nil {
			s.fail(w, http.StatusBadRequest, "表单无法解析", err)
			return
		}
		actor, req := actorName(r), formRequest(r)
		audit(r, "incident."+name, number, req.Note)
		if utf8.RuneCountInString(req.Note) > maxNoteRunes {
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: noteTooLong, Actor: actor, Note: req.Note, Action: act.Name})
			return
		}
		_, err := act.Do(r.Context(), s.opts.Workflow, number, actor, req)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.fail(w, http.StatusNotFound, "事件 "+number+" 不存在", nil)
		case isWorkflowError(err):
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: act.Name + "失败：" + workflowMessage(err, number),
				Actor: actor, Note: req.Note, Action: act.Name})
		case err != nil:
			s.fail(w, http.StatusInternalServerError, act.Name+"失败", err)
		default:
			s.opts.Logger.Info("控制台操作", "action", act.Name, "incident", number, "actor", actor)
			http.Redirect(w, r, "/incidents/"+url.PathEscape(number)+"#log", http.StatusSeeOther)
		}
	}
}

func isWorkflowError(err error) bool {
	for _, e := range workflowErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// workflowMessage is the first clause of a workflow refusal, without the
// incident number prefix: "请填写调查核实结论", "请填写办结结果" (not the
// wrapped "请填写跟进内容"), "请选择配置中的承办科室", "事件已办结".
func workflowMessage(err error, number string) string {
	msg := strings.TrimPrefix(err.Error(), "事件 "+number+": ")
	if i := strings.Index(msg, ": "); i > 0 {
		msg = msg[:i]
	}
	return msg
}

func (s *Server) workflowFuncs(funcs template.FuncMap) {
	funcs["stages"] = incident.Stages
	funcs["overdue"] = func(inc store.Incident) []incident.Stage { return incident.Overdue(inc, s.opts.Now()) }
	funcs["stageDeadline"] = func(st incident.Stage, open bool) Deadline { return s.deadline(st.Due, st.Done, open) }
	funcs["offices"] = func() []string {
		if s.opts.Workflow == nil {
			return nil
		}
		return s.opts.Workflow.Offices()
	}
	funcs["allLevels"] = func() []int {
		return []int{taxonomy.LevelI, taxonomy.LevelII, taxonomy.LevelIII, taxonomy.LevelIV}
	}
}

func workflowEventName(kind string) string {
	switch kind {
	case store.EventAssigned:
		return "分派"
	case store.EventInvestigated:
		return "调查核实"
	case store.EventReplied:
		return "答复反馈"
	case store.EventFalsePositive:
		return "误报"
	case store.EventReopened:
		return "重开"
	case store.EventCategoryChanged:
		return "类别更正"
	case store.EventConfirmed:
		return "确认疑似"
	case store.EventMissedFiled:
		return "补录漏报"
	}
	return kind
}

type falsePositivesPage struct {
	Title string
	Rules []store.RuleFalsePositives
}

// falsePositives lists how often each rule fired on incidents closed as 误报.
func (s *Server) falsePositives(w http.ResponseWriter, r *http.Request) {
	fps, err := s.opts.Workflow.RuleFalsePositives(r.Context())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "读取规则误报统计失败", err)
		return
	}
	s.render(w, http.StatusOK, "falsepositives", falsePositivesPage{Title: "规则误报统计", Rules: fps})
}
