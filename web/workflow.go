package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Handling is the part of the workflow beyond 签收/跟进/办结: 分派 to an
// office, the investigation's finding, the public reply, 误报, 重开 and
// 升级/降级. *incident.Service implements it.
type Handling interface {
	Offices() []string
	Assign(ctx context.Context, number, actor, office, note string) (store.Incident, error)
	Investigated(ctx context.Context, number, actor, finding string) (store.Incident, error)
	Reply(ctx context.Context, number, actor, text string) (store.Incident, error)
	MarkFalsePositive(ctx context.Context, number, actor, reason string) (store.Incident, error)
	Reopen(ctx context.Context, number, actor, reason string) (store.Incident, error)
	ChangeLevel(ctx context.Context, number, actor string, level int, reason string) (store.Incident, error)
	RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error)
}

func (s *Server) workflowRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /incidents/{number}/assign", s.require(auth.RoleHandler, s.action("分派", func(r *http.Request, number, actor, note string) (store.Incident, error) {
		return s.opts.Workflow.Assign(r.Context(), number, actor, r.PostForm.Get("office"), note)
	})))
	mux.HandleFunc("POST /incidents/{number}/investigated", s.require(auth.RoleHandler, s.action("调查核实", func(r *http.Request, number, actor, note string) (store.Incident, error) {
		return s.opts.Workflow.Investigated(r.Context(), number, actor, note)
	})))
	mux.HandleFunc("POST /incidents/{number}/reply", s.require(auth.RoleHandler, s.action("答复", func(r *http.Request, number, actor, note string) (store.Incident, error) {
		return s.opts.Workflow.Reply(r.Context(), number, actor, note)
	})))
	mux.HandleFunc("POST /incidents/{number}/false-positive", s.require(auth.RoleHandler, s.action("误报", func(r *http.Request, number, actor, note string) (store.Incident, error) {
		return s.opts.Workflow.MarkFalsePositive(r.Context(), number, actor, note)
	})))
	mux.HandleFunc("POST /incidents/{number}/reopen", s.require(auth.RoleHandler, s.action("重开", func(r *http.Request, number, actor, note string) (store.Incident, error) {
		return s.opts.Workflow.Reopen(r.Context(), number, actor, note)
	})))
	mux.HandleFunc("POST /incidents/{number}/level", s.require(auth.RoleHandler, s.action("调整等级", func(r *http.Request, number, actor, note string) (store.Incident, error) {
		level, err := strconv.Atoi(r.PostForm.Get("level"))
		if err != nil {
			level = 0 // rejected by ChangeLevel as ErrBadLevel
		}
		return s.opts.Workflow.ChangeLevel(r.Context(), number, actor, level, note)
	})))
	mux.HandleFunc("GET /rules/false-positives", s.require(auth.RoleViewer, s.falsePositives))
}

// formActor is who performs a console action: the signed-in user (auth.go).
func formActor(r *http.Request) string { return actorName(r) }

// workflowErrors are the refusals shown on the form rather than as a failure.
var workflowErrors = []error{incident.ErrEmptyActor, incident.ErrEmptyNote, incident.ErrClosed, incident.ErrNotClosed,
	incident.ErrAlreadyDone, incident.ErrEmptyReason, incident.ErrUnknownOffice, incident.ErrBadLevel, incident.ErrSameLevel}

// action handles one workflow form like step, for the steps in Handling.
func (s *Server) action(name string, do func(r *http.Request, number, actor, note string) (store.Incident, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		number := r.PathValue("number")
		if err := r.ParseForm(); err != nil {
			s.fail(w, http.StatusBadRequest, "表单无法解析", err)
			return
		}
		actor, note := formActor(r), strings.TrimSpace(r.PostForm.Get("note"))
		audit(r, "incident."+path.Base(r.URL.Path), number, note)
		if len([]rune(note)) > 5000 {
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: "内容过长（最多 5000 字）", Actor: actor, Note: note, Action: name})
			return
		}
		_, err := do(r, number, actor, note)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.fail(w, http.StatusNotFound, "事件 "+number+" 不存在", nil)
		case isWorkflowError(err):
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: name + "失败：" + workflowMessage(err, number), Actor: actor, Note: note, Action: name})
		case err != nil:
			s.fail(w, http.StatusInternalServerError, name+"失败", err)
		default:
			s.opts.Logger.Info("控制台操作", "action", name, "incident", number, "actor", actor)
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
// incident number prefix ("请填写调查核实结论", "请选择配置中的承办科室").
func workflowMessage(err error, number string) string {
	msg := strings.TrimPrefix(err.Error(), "事件 "+number+": ")
	msg = strings.TrimPrefix(msg, "事件 "+number+": ")
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
