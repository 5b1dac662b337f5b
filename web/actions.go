package web

import (
	"bytes"
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
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The incident actions are the steps of the workflow table (incident.Steps),
// each offered as the console form POST /incidents/{number}/{key} and as the
// API's POST /api/v1/incidents/{number}/{key}; the detail page renders the
// form of each step its incident is offered (template "step-{key}" in
// detail.html, or "step" for a step with a note only).

// Workflow is what the console changes: the workflow's steps, 补录漏报
// (missed.go) and the rule statistics. *incident.Service implements it.
type Workflow interface {
	Steps() []incident.Step
	Do(ctx context.Context, step incident.Step, number, actor string, in incident.Input) (model.Incident, error)
	Offices() []string
	RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error)
	FileMissed(ctx context.Context, actor string, m incident.Missed) (model.Incident, error)
}

// maxNoteRunes bounds the note of any action.
const maxNoteRunes = 5000

// noteTooLong is the refusal of a note over maxNoteRunes.
var noteTooLong = "内容过长（最多 " + strconv.Itoa(maxNoteRunes) + " 字）"

// steps are the workflow's steps (none without a workflow).
func (s *Server) steps() []incident.Step {
	if s.opts.Workflow == nil {
		return nil
	}
	return s.opts.Workflow.Steps()
}

// actionRoutes registers the console form of every step and the rule
// statistics.
func (s *Server) actionRoutes(mux *http.ServeMux) {
	for _, st := range s.steps() {
		mux.HandleFunc("POST /incidents/{number}/"+st.Key, s.require(st.Role, s.actionForm(st)))
	}
	mux.HandleFunc("GET /rules/false-positives", s.require(auth.RoleViewer, s.falsePositives))
}

// refusal is the message of a step the workflow refused, or "" when err is
// not a refusal.
func refusal(err error) string {
	if r, ok := errors.AsType[*incident.Refusal](err); ok {
		return r.Msg
	}
	return ""
}

// formInput is the input of a console form: its note (trimmed by the
// workflow), office, level and category fields.
func formInput(r *http.Request) incident.Input {
	level, err := strconv.Atoi(r.PostForm.Get("level"))
	if err != nil {
		level = 0 // refused by the level step as ErrBadLevel
	}
	postID, _ := strconv.ParseInt(r.PostForm.Get("post_id"), 10, 64) // 0: refused as missing
	return incident.Input{Note: strings.TrimSpace(r.PostForm.Get("note")), Office: r.PostForm.Get("office"), Level: taxonomy.Level(level),
		Category: taxonomy.Category(r.PostForm.Get("category")), Reason: strings.TrimSpace(r.PostForm.Get("reason")),
		Target: strings.TrimSpace(r.PostForm.Get("target")), PostID: postID}
}

// actionForm handles the console form of one step: the signed-in user
// (auth.go) takes it; success redirects back to the page saying what was
// done (so a reload does not post twice), a refusal shows the form again
// with its error. A step the table asks to confirm (办结, 误报) needs its
// box ticked.
func (s *Server) actionForm(st incident.Step) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		number := r.PathValue("number")
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
			return
		}
		actor, in := actorName(r), formInput(r)
		audit(r, "incident."+st.Key, number, in.Note)
		if utf8.RuneCountInString(in.Note) > maxNoteRunes || utf8.RuneCountInString(in.Reason) > maxNoteRunes {
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: noteTooLong, Actor: actor, Note: in.Note, Reason: in.Reason, Target: in.Target, Action: st.Key})
			return
		}
		if st.Confirm != "" && r.PostForm.Get("confirmed") != "1" {
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: st.Name + "失败：请勾选「" + st.Confirm + "」后再提交",
				Actor: actor, Note: in.Note, Reason: in.Reason, Target: in.Target, Action: st.Key})
			return
		}
		_, err := s.opts.Workflow.Do(r.Context(), st, number, actor, in)
		switch msg := refusal(err); {
		case errors.Is(err, store.ErrNotFound):
			s.fail(w, r, http.StatusNotFound, "事件 "+number+" 不存在", nil)
		case msg != "":
			s.renderDetail(w, r, http.StatusBadRequest, detailPage{Error: st.Name + "失败：" + msg,
				Actor: actor, Note: in.Note, Reason: in.Reason, Target: in.Target, Action: st.Key})
		case err != nil:
			s.fail(w, r, http.StatusInternalServerError, st.Name+"失败", err)
		default:
			s.opts.Logger.Info("控制台操作", "action", st.Name, "incident", number, "actor", actor)
			http.Redirect(w, r, "/incidents/"+url.PathEscape(number)+"?done="+url.QueryEscape(st.Key)+"#log", http.StatusSeeOther)
		}
	}
}

// stepForm is what the form of a step shows: the step, its incident and
// the note to fill in again after a refusal.
type stepForm struct {
	Step     incident.Step
	Incident model.Incident
	Refill   bool // the form was refused: Note and Reason are what was sent
	Note     string
	Reason   string
	Target   string
	Next     bool                 // what the incident's stage calls for now
	Posts    []store.IncidentPost // the incident's posts (拆分 picks one)
}

// stepForms are the forms of the steps offered for the page's incident
// that the caller's role may take (a step's Role; none without a caller).
func (s *Server) stepForms(p detailPage, caller auth.Principal, ok bool) []stepForm {
	var out []stepForm
	for _, st := range s.steps() {
		if ok && caller.Role.AtLeast(st.Role) && st.OfferedFor(p.D.Incident) {
			out = append(out, stepForm{Step: st, Incident: p.D.Incident, Refill: p.Action == st.Key, Note: p.Note,
				Reason: p.Reason, Target: p.Target, Next: st.NextFor(p.D.Incident), Posts: p.D.Posts})
		}
	}
	return out
}

// stepFormFunc renders the fields of a step's form with t's template
// "step-{key}", or "step" when the step has none of its own.
func stepFormFunc(t *template.Template) func(stepForm) (template.HTML, error) {
	return func(f stepForm) (template.HTML, error) {
		tt := t.Lookup("step-" + f.Step.Key)
		if tt == nil {
			tt = t.Lookup("step")
		}
		if tt == nil {
			return "", errors.New("模板缺少步骤表单 step")
		}
		var b bytes.Buffer
		if err := tt.Execute(&b, f); err != nil {
			return "", err
		}
		return template.HTML(b.String()), nil
	}
}

// offices are the configured offices (科室), none without a workflow.
func (s *Server) offices() []string {
	if s.opts.Workflow == nil {
		return nil
	}
	return s.opts.Workflow.Offices()
}

func (s *Server) actionFuncs(funcs template.FuncMap) {
	funcs["stages"] = incident.Stages
	funcs["progress"] = incident.Progress
	funcs["progressName"] = incident.ProgressName
	funcs["overdue"] = func(inc model.Incident) []incident.Stage { return incident.Overdue(inc, s.opts.Now()) }
	funcs["stageDeadline"] = func(st incident.Stage, open bool) Deadline { return s.deadline(st.Due, st.Done, open) }
	funcs["stepForm"] = stepFormFunc(nil) // bound to the page in pageFor
	funcs["eventName"] = func(kind model.EventKind) string { return incident.EventName(s.steps(), kind) }
	funcs["offices"] = s.offices
	funcs["allLevels"] = func() []taxonomy.Level { return taxonomy.Levels }
}

type falsePositivesPage struct {
	Title string
	Rules []store.RuleFalsePositives
}

// falsePositives lists how often each rule fired on incidents closed as 误报.
func (s *Server) falsePositives(w http.ResponseWriter, r *http.Request) {
	fps, err := s.opts.Workflow.RuleFalsePositives(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取规则误报统计失败", err)
		return
	}
	s.render(w, r, http.StatusOK, "falsepositives", falsePositivesPage{Title: "规则误报统计", Rules: fps})
}

// attachPost files a collected post, picked on the post list, into the
// incident whose number the handler typed: the attach step of the table
// (并入帖子), taken on that incident.
func (s *Server) attachPost(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusBadRequest, "帖子编号无效", nil)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "表单无法解析", err)
		return
	}
	st, ok := incident.StepByKey(s.steps(), incident.StepAttach)
	if !ok {
		s.fail(w, r, http.StatusServiceUnavailable, "并入帖子不可用", nil)
		return
	}
	number, note := strings.TrimSpace(r.PostForm.Get("target")), strings.TrimSpace(r.PostForm.Get("note"))
	audit(r, "incident."+st.Key, number, note)
	_, err = s.opts.Workflow.Do(r.Context(), st, number, actorName(r), incident.Input{PostID: id, Note: note})
	switch msg := refusal(err); {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "事件 "+number+" 不存在", nil)
	case msg != "":
		s.fail(w, r, http.StatusBadRequest, st.Name+"失败："+msg, nil)
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, st.Name+"失败", err)
	default:
		http.Redirect(w, r, "/incidents/"+url.PathEscape(number)+"?done="+url.QueryEscape(st.Key)+"#log", http.StatusSeeOther)
	}
}
