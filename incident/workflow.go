package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The handling workflow follows the bureau's complaint process: 登记
// (automatic, in File) → 签收 → 分派 to an office → 跟进 notes, 调查核实 with
// its finding and 答复反馈 with the public reply → 办结 with the outcome; or
// 误报, which closes the incident and counts against the rules that fired.
// 重开 reopens a closed incident, 升级/降级 changes its level by hand. Every
// step appends one event with its actor, in the transaction that makes it.
//
// The steps are one table (Steps): the console's forms, the JSON API's
// actions, the names in the incident log and the deadlines a step meets all
// come from it, so a new step is a row here, its columns (a migration) and
// its form (a template in web/templates/detail.html).

// Refusal is a step the workflow refuses because of what the handler asked
// or gave: its message is meant for them (the console shows it on the
// form, the API returns it with 409). A refusal may be a case of a more
// general one (请填写办结结果 is an ErrEmptyNote), which errors.Is matches.
type Refusal struct {
	Msg string
	// Incident is the incident the refusal names, if any (ErrAlreadyFiled).
	Incident string
	kind     *Refusal
}

func (r *Refusal) Error() string { return r.Msg }

// Is matches the general refusal r is a case of.
func (r *Refusal) Is(target error) bool {
	return r.kind != nil && (target == r.kind || r.kind.Is(target))
}

// refusal returns a refusal with msg that is a case of kind.
func refusal(msg string, kind *Refusal) *Refusal { return &Refusal{Msg: msg, kind: kind} }

// Workflow refusals.
var (
	ErrClosed        = &Refusal{Msg: "事件已办结"}
	ErrNotClosed     = &Refusal{Msg: "事件尚未办结，无需重开"}
	ErrEmptyNote     = &Refusal{Msg: "请填写跟进内容"}
	ErrEmptyActor    = &Refusal{Msg: "请填写经办人"}
	ErrAlreadyDone   = &Refusal{Msg: "该步骤已完成"}
	ErrEmptyReason   = &Refusal{Msg: "请填写原因"}
	ErrUnknownOffice = &Refusal{Msg: "请选择配置中的承办科室"}
	ErrBadLevel      = &Refusal{Msg: "等级只能是 1（特别重大）到 4（一般）"}
	ErrSameLevel     = &Refusal{Msg: "等级未变化"}
	// ErrNotAcknowledged: the bureau's process closes an incident after it
	// was signed for; closing one that was not needs the reason recorded.
	ErrNotAcknowledged = &Refusal{Msg: "事件尚未签收：请先签收，或填写未经签收直接办结的原因"}
)

// Status is the workflow status inc's record implies.
func Status(inc model.Incident) model.Status {
	switch {
	case !inc.ClosedAt.IsZero():
		return model.StatusClosed
	case !inc.FollowedUpAt.IsZero():
		return model.StatusFollowedUp
	case inc.Office != "":
		return model.StatusAssigned
	case !inc.AckedAt.IsZero():
		return model.StatusAcknowledged
	}
	return model.StatusOpen
}

// Stage is one deadline of an incident as staff and metrics see it.
type Stage struct {
	Key   string // ack, followup, investigate, feedback (metric label values)
	Name  string // 签收, 跟进回复, 调查核实, 答复反馈
	Due   time.Time
	Done  time.Time // zero: not met yet
	Level taxonomy.Level
}

// Stage keys, as steps name the deadlines they meet.
const (
	StageAck         = "ack"
	StageFollowUp    = "followup"
	StageInvestigate = "investigate"
	StageFeedback    = "feedback"
)

// stageField is where a stage lives on an incident.
type stageField struct {
	key, name string
	due       func(*model.Incident) *time.Time
	done      func(*model.Incident) *time.Time
}

// stageFields are the deadlines in workflow order.
var stageFields = []stageField{
	{StageAck, "签收", func(i *model.Incident) *time.Time { return &i.AckDueAt }, func(i *model.Incident) *time.Time { return &i.AckedAt }},
	{StageFollowUp, "跟进回复", func(i *model.Incident) *time.Time { return &i.FollowUpDueAt }, func(i *model.Incident) *time.Time { return &i.FollowedUpAt }},
	{StageInvestigate, "调查核实", func(i *model.Incident) *time.Time { return &i.InvestigateDueAt }, func(i *model.Incident) *time.Time { return &i.InvestigatedAt }},
	{StageFeedback, "答复反馈", func(i *model.Incident) *time.Time { return &i.FeedbackDueAt }, func(i *model.Incident) *time.Time { return &i.RepliedAt }},
}

// StageKeys are the keys of every stage in workflow order: the values of
// the metrics' stage label.
func StageKeys() []string {
	keys := make([]string, len(stageFields))
	for i, f := range stageFields {
		keys[i] = f.key
	}
	return keys
}

// StageName is the name staff read for a stage key (签收…), or the key.
func StageName(key string) string {
	for _, f := range stageFields {
		if f.key == key {
			return f.name
		}
	}
	return key
}

// Stages returns inc's deadlines in workflow order, those the level has.
func Stages(inc model.Incident) []Stage {
	var out []Stage
	for _, f := range stageFields {
		if due := *f.due(&inc); !due.IsZero() {
			out = append(out, Stage{Key: f.key, Name: f.name, Due: due, Done: *f.done(&inc), Level: inc.Level})
		}
	}
	return out
}

// Overdue returns the stages of an open incident past their deadline at now
// and not yet met.
func Overdue(inc model.Incident, now time.Time) []Stage {
	if !inc.Open() {
		return nil
	}
	var out []Stage
	for _, st := range Stages(inc) {
		if st.Done.IsZero() && now.After(st.Due) {
			out = append(out, st)
		}
	}
	return out
}

// meet marks the stage key met at now unless it already was.
func meet(inc *model.Incident, key string, now time.Time) {
	for _, f := range stageFields {
		if done := f.done(inc); f.key == key && done.IsZero() {
			*done = now
		}
	}
}

// Field is an input a step takes besides its actor.
type Field string

// The fields of Input.
const (
	FieldNote     Field = "note"
	FieldReason   Field = "reason" // why a step is taken out of the usual order
	FieldTarget   Field = "target" // the incident (number) a merge goes into
	FieldPost     Field = "post"   // the post a split takes out
	FieldOffice   Field = "office"
	FieldLevel    Field = "level"
	FieldCategory Field = "category"
)

// Input is what a handler gives a step: the console form's fields, the
// JSON body of an API action.
type Input struct {
	Note     string            `json:"note"`
	Office   string            `json:"office,omitempty"`   // assign
	Level    taxonomy.Level    `json:"level,omitempty"`    // level
	Category taxonomy.Category `json:"category,omitempty"` // category key
	// Reason is why a step skips the usual order (办结 before 签收).
	Reason string `json:"reason,omitempty"`
	Target string `json:"target,omitempty"`  // merge: the incident number to merge into
	PostID int64  `json:"post_id,omitempty"` // split: the post to take out
}

// empty reports whether in leaves f out.
func (in Input) empty(f Field) bool {
	switch f {
	case FieldNote:
		return in.Note == ""
	case FieldOffice:
		return in.Office == ""
	case FieldLevel:
		return in.Level == 0
	case FieldCategory:
		return in.Category == ""
	case FieldReason:
		return in.Reason == ""
	case FieldTarget:
		return in.Target == ""
	case FieldPost:
		return in.PostID == 0
	}
	return false
}

// Change is a step being applied to an incident in its transaction.
type Change struct {
	Tx       store.Tx
	Incident *model.Incident
	Actor    string
	Input    Input
	Now      time.Time
}

// Step is one thing staff do to an incident.
type Step struct {
	// Key names the step in URLs: the console form posts to
	// /incidents/{number}/{key}, the API to /api/v1/incidents/{number}/{key}.
	Key string
	// Name is the step as staff see it: the form, its refusals
	// ("分派失败：…"), the log line of the console.
	Name string
	// Event is the kind of the event the step appends; the incident log
	// names it by the step's Name, so a step has one name everywhere.
	Event model.EventKind
	// Fields are the inputs the step takes, in form order; Required
	// those it refuses without, with Missing (ErrEmptyReason if nil);
	// Check refuses wrong values first.
	Fields   []Field
	Required []Field
	Missing  *Refusal
	// Role is the least role that may take the step.
	Role auth.Role
	// Stops are the stages (deadlines) the step meets, in workflow order.
	Stops []string
	// OnClosed: the step is for closed incidents (重开); the others are
	// refused on them with ErrClosed.
	OnClosed bool
	// Offered reports whether the console offers the step for inc (in
	// the state OnClosed names); nil: always.
	Offered func(inc model.Incident) bool
	// Next reports whether the step is what the incident's stage calls
	// for now (the console shows it first; the other offered steps wait
	// under 更多操作); nil: never.
	Next func(inc model.Incident) bool
	// Confirm, when set, is what the console asks the handler to confirm
	// before the step is taken (it cannot be taken back without 重开).
	Confirm string
	// Check refuses input before the transaction; nil: none.
	Check func(s *Service, in Input) error
	// Apply changes the incident and returns the note of the event to
	// append. The stages in Stops are met after it returns.
	Apply func(ctx context.Context, s *Service, c Change) (note string, err error)
	// LogsItself: Apply appends its own event (a level change writes the
	// one the automatic escalation writes), Do appends none.
	LogsItself bool
}

// OfferedFor reports whether the console offers the step for inc.
func (st Step) OfferedFor(inc model.Incident) bool {
	return st.OnClosed == !inc.Open() && (st.Offered == nil || st.Offered(inc))
}

// NextFor reports whether the step is what inc's stage calls for now.
func (st Step) NextFor(inc model.Incident) bool {
	return st.Next != nil && st.OfferedFor(inc) && st.Next(inc)
}

// Takes reports whether the step takes field f.
func (st Step) Takes(f Field) bool { return slices.Contains(st.Fields, f) }

// Requires reports whether the step refuses to run without field f.
func (st Step) Requires(f Field) bool { return slices.Contains(st.Required, f) }

// Step keys.
const (
	StepAck           = "ack"
	StepFollowUp      = "followup"
	StepClose         = "close"
	StepAssign        = "assign"
	StepInvestigated  = "investigated"
	StepReply         = "reply"
	StepLevel         = "level"
	StepConfirm       = "confirm"
	StepCategory      = "category"
	StepFalsePositive = "false-positive"
	StepReopen        = "reopen"
	StepMerge         = "merge"
	StepSplit         = "split"
	StepAttach        = "attach"
)

// Steps returns the workflow's steps in the order the console offers them.
func Steps() []Step {
	note := []Field{FieldNote}
	return []Step{
		{Key: StepAck, Name: "签收", Event: model.EventAcknowledged, Fields: note,
			Role: auth.RoleHandler, Stops: []string{StageAck},
			Offered: func(i model.Incident) bool { return i.AckedAt.IsZero() }, Next: always, Apply: applyAck},
		{Key: StepFollowUp, Name: "跟进回复", Event: model.EventFollowedUp, Fields: note, Required: note,
			Missing: ErrEmptyNote, Role: auth.RoleHandler, Stops: []string{StageAck, StageFollowUp},
			Next: func(i model.Incident) bool { return !i.AckedAt.IsZero() && i.FollowedUpAt.IsZero() }, Apply: applyFollowUp},
		{Key: StepClose, Name: "办结", Event: model.EventClosed, Fields: []Field{FieldNote, FieldReason}, Required: note,
			Missing: refusal("请填写办结结果", ErrEmptyNote), Role: auth.RoleHandler, Next: readyToClose,
			Confirm: "确认办结：办结后不再计时，须重开才能继续处置", Apply: applyClose},
		{Key: StepAssign, Name: "分派", Event: model.EventAssigned, Fields: []Field{FieldOffice, FieldNote},
			Required: []Field{FieldOffice}, Missing: ErrUnknownOffice, Role: auth.RoleHandler, Stops: []string{StageAck},
			Next: func(i model.Incident) bool { return !i.AckedAt.IsZero() && i.Office == "" }, Check: checkOffice, Apply: applyAssign},
		{Key: StepInvestigated, Name: "调查核实", Event: model.EventInvestigated, Fields: note, Required: note,
			Missing: refusal("请填写调查核实结论", ErrEmptyNote), Role: auth.RoleHandler,
			Stops:   []string{StageAck, StageFollowUp, StageInvestigate},
			Offered: func(i model.Incident) bool { return i.InvestigatedAt.IsZero() },
			Next:    func(i model.Incident) bool { return !i.FollowedUpAt.IsZero() && !i.InvestigateDueAt.IsZero() }, Apply: applyInvestigated},
		{Key: StepReply, Name: "答复反馈", Event: model.EventReplied, Fields: note, Required: note,
			Missing: refusal("请填写回复内容", ErrEmptyNote), Role: auth.RoleHandler,
			Stops: []string{StageAck, StageFollowUp, StageInvestigate, StageFeedback},
			Next:  func(i model.Incident) bool { return !i.InvestigatedAt.IsZero() && i.RepliedAt.IsZero() }, Apply: applyReply},
		{Key: StepLevel, Name: "调整等级", Event: model.EventLevelChanged, Fields: []Field{FieldLevel, FieldNote},
			Required: []Field{FieldLevel, FieldNote}, Missing: ErrEmptyReason, Role: auth.RoleHandler,
			Check: checkLevel, Apply: applyLevel, LogsItself: true},
		{Key: StepConfirm, Name: "确认疑似", Event: model.EventConfirmed, Fields: note, Role: auth.RoleHandler,
			Offered: func(i model.Incident) bool { return i.Suspected }, Next: always, Apply: applyConfirm},
		{Key: StepCategory, Name: "更正类别", Event: model.EventCategoryChanged,
			Fields: []Field{FieldCategory, FieldNote}, Required: []Field{FieldCategory, FieldNote}, Missing: ErrEmptyReason,
			Role: auth.RoleHandler, Check: checkCategory, Apply: applyCategory},
		{Key: StepFalsePositive, Name: "误报", Event: model.EventFalsePositive, Fields: note, Required: note,
			Missing: ErrEmptyReason, Role: auth.RoleHandler,
			Confirm: "确认误报：事件将关闭，命中的规则计入误报统计", Apply: applyFalsePositive},
		{Key: StepMerge, Name: "合并", Event: model.EventMerged, Fields: []Field{FieldTarget, FieldNote},
			Required: []Field{FieldTarget, FieldNote}, Missing: refusal("请填写要并入的事件编号和合并原因", ErrEmptyReason),
			Role: auth.RoleHandler, Confirm: "确认合并：本事件的帖子全部并入目标事件，本事件随即关闭", Apply: applyMerge},
		{Key: StepSplit, Name: "拆分", Event: model.EventSplit, Fields: []Field{FieldPost, FieldNote},
			Required: []Field{FieldPost, FieldNote}, Missing: refusal("请选择要拆出的帖子并填写原因", ErrEmptyReason),
			Role: auth.RoleHandler, Offered: func(i model.Incident) bool { return i.PostCount > 1 }, Apply: applySplit},
		{Key: StepAttach, Name: "并入帖子", Event: model.EventAttached, Fields: []Field{FieldPost, FieldNote},
			Required: []Field{FieldPost, FieldNote}, Missing: refusal("请选择要并入的帖子并填写原因", ErrEmptyReason),
			// Offered from the page of collected posts, where the post is picked.
			Role: auth.RoleHandler, Offered: func(model.Incident) bool { return false }, Apply: applyAttach},
		{Key: StepReopen, Name: "重开", Event: model.EventReopened, Fields: note, Required: note,
			Missing: ErrEmptyReason, Role: auth.RoleHandler, OnClosed: true, Next: always, Apply: applyReopen},
	}
}

func always(model.Incident) bool { return true }

// readyToClose: what the process asks of the incident before 办结 is done
// (followed up, and the public answered where the level has that stage).
func readyToClose(i model.Incident) bool {
	return !i.FollowedUpAt.IsZero() && (i.InvestigateDueAt.IsZero() || !i.RepliedAt.IsZero())
}

// Progress names where inc stands in the bureau's process, for the
// console: the first thing it still waits for.
func Progress(inc model.Incident) string { return ProgressName(inc.Progress()) }

// ProgressName is the name staff read for a step of the process (the
// incident list's 处置阶段 filter offers them all).
func ProgressName(p model.Progress) string {
	switch p {
	case model.ProgressClosed:
		return "已办结"
	case model.ProgressAck:
		return "待签收"
	case model.ProgressFollowUp:
		return "待跟进回复"
	case model.ProgressInvestigate:
		return "待调查核实"
	case model.ProgressFeedback:
		return "待答复反馈"
	case model.ProgressClose:
		return "待办结"
	}
	return string(p)
}

// StepByKey returns the step named key among steps.
func StepByKey(steps []Step, key string) (Step, bool) {
	i := slices.IndexFunc(steps, func(st Step) bool { return st.Key == key })
	if i < 0 {
		return Step{}, false
	}
	return steps[i], true
}

// systemEvents are the events the system writes itself, with their names
// in the incident log.
var systemEvents = map[model.EventKind]string{
	model.EventCreated:     "登记",
	model.EventPostJoined:  "新帖并入",
	model.EventMissedFiled: "补录漏报",
	model.EventMergedIn:    "他案并入",
	model.EventSplitOff:    "拆分登记",
	model.EventDetached:    "帖子移出",
}

// EventName is the name of an event kind in the incident log: the name
// of the step among steps that appends it, or of an event the system
// writes itself; an unknown kind is its own name.
func EventName(steps []Step, kind model.EventKind) string {
	for _, st := range steps {
		if st.Event == kind {
			return st.Name
		}
	}
	if name, ok := systemEvents[kind]; ok {
		return name
	}
	return string(kind)
}

// Steps returns the steps the service takes (the package's Steps).
func (s *Service) Steps() []Step { return Steps() }

// Offices returns the offices incidents can be assigned to.
func (s *Service) Offices() []string { return slices.Clone(s.policy.Offices) }

// Do takes step on the incident number for actor: it checks the input,
// then loads the incident, applies the step, meets its stages and stores
// the incident with its event in one transaction.
func (s *Service) Do(ctx context.Context, step Step, number, actor string, in Input) (model.Incident, error) {
	in.Note, in.Office, in.Category = strings.TrimSpace(in.Note), strings.TrimSpace(in.Office), taxonomy.Category(strings.TrimSpace(string(in.Category)))
	if err := s.checkInput(step, in); err != nil {
		return model.Incident{}, fmt.Errorf("事件 %s: %w", number, err)
	}
	return s.step(ctx, number, actor, step.OnClosed, func(tx store.Tx, inc *model.Incident, now time.Time) (model.Event, error) {
		note, err := step.Apply(ctx, s, Change{Tx: tx, Incident: inc, Actor: strings.TrimSpace(actor), Input: in, Now: now})
		if err != nil || step.LogsItself {
			return model.Event{}, err
		}
		for _, key := range step.Stops {
			meet(inc, key, now)
		}
		return model.Event{Kind: step.Event, Note: note}, nil
	})
}

func (s *Service) checkInput(step Step, in Input) error {
	if step.Check != nil {
		if err := step.Check(s, in); err != nil {
			return err
		}
	}
	for _, f := range step.Required {
		if in.empty(f) && step.Missing != nil {
			return step.Missing
		} else if in.empty(f) {
			return ErrEmptyReason
		}
	}
	return nil
}

// doKey takes the step of the package's table named key.
func (s *Service) doKey(ctx context.Context, key, number, actor string, in Input) (model.Incident, error) {
	step, ok := StepByKey(Steps(), key)
	if !ok {
		return model.Incident{}, fmt.Errorf("未知步骤 %s", key)
	}
	return s.Do(ctx, step, number, actor, in)
}

// Acknowledge records 签收.
func (s *Service) Acknowledge(ctx context.Context, number, actor, note string) (model.Incident, error) {
	return s.doKey(ctx, StepAck, number, actor, Input{Note: note})
}

// Assign records 分派: the incident goes to office (one of the configured
// ones); assigning implies acknowledgement. Reassigning (改派) is allowed.
func (s *Service) Assign(ctx context.Context, number, actor, office, note string) (model.Incident, error) {
	return s.doKey(ctx, StepAssign, number, actor, Input{Office: office, Note: note})
}

// FollowUp records a follow-up (跟进回复); the first one meets the follow-up
// deadline, and it implies acknowledgement.
func (s *Service) FollowUp(ctx context.Context, number, actor, note string) (model.Incident, error) {
	return s.doKey(ctx, StepFollowUp, number, actor, Input{Note: note})
}

// Investigated records the finding of the investigation (调查核实), which
// starts the feedback stage (答复反馈, in working days).
func (s *Service) Investigated(ctx context.Context, number, actor, finding string) (model.Incident, error) {
	return s.doKey(ctx, StepInvestigated, number, actor, Input{Note: finding})
}

// Reply records the reply given to the public (答复反馈); the latest text
// is kept on the incident. A reply ends the investigation if still open.
func (s *Service) Reply(ctx context.Context, number, actor, text string) (model.Incident, error) {
	return s.doKey(ctx, StepReply, number, actor, Input{Note: text})
}

// Close records 办结 with its outcome.
func (s *Service) Close(ctx context.Context, number, actor, note string) (model.Incident, error) {
	return s.doKey(ctx, StepClose, number, actor, Input{Note: note})
}

// MarkFalsePositive closes the incident as 误报 and adds one to the
// false-positive count of every rule that fired on its posts.
func (s *Service) MarkFalsePositive(ctx context.Context, number, actor, reason string) (model.Incident, error) {
	return s.doKey(ctx, StepFalsePositive, number, actor, Input{Note: reason})
}

// Reopen reopens a closed incident (重开). A false positive's counts are
// taken back; a matter already answered needs a new answer, due in the
// feedback stage's working days.
func (s *Service) Reopen(ctx context.Context, number, actor, reason string) (model.Incident, error) {
	return s.doKey(ctx, StepReopen, number, actor, Input{Note: reason})
}

// ChangeLevel records 升级/降级 by hand, with its reason; deadlines follow
// the new level.
func (s *Service) ChangeLevel(ctx context.Context, number, actor string, level taxonomy.Level, reason string) (model.Incident, error) {
	return s.doKey(ctx, StepLevel, number, actor, Input{Level: level, Note: reason})
}

// Confirm records that a handler checked a 疑似 incident and agrees with
// its level: it is no longer suspected, and its posts are labelled so.
func (s *Service) Confirm(ctx context.Context, number, actor, note string) (model.Incident, error) {
	return s.doKey(ctx, StepConfirm, number, actor, Input{Note: note})
}

// ChangeCategory records a handler's correction of the category, with
// its reason.
func (s *Service) ChangeCategory(ctx context.Context, number, actor string, category taxonomy.Category, reason string) (model.Incident, error) {
	return s.doKey(ctx, StepCategory, number, actor, Input{Category: category, Note: reason})
}

func checkOffice(s *Service, in Input) error {
	if !slices.Contains(s.policy.Offices, in.Office) {
		return ErrUnknownOffice
	}
	return nil
}

func checkLevel(_ *Service, in Input) error {
	if !in.Level.Valid() {
		return ErrBadLevel
	}
	return nil
}

func checkCategory(_ *Service, in Input) error {
	if !in.Category.Valid() {
		return ErrBadCategory
	}
	return nil
}

func applyAck(_ context.Context, _ *Service, c Change) (string, error) {
	if !c.Incident.AckedAt.IsZero() {
		return "", ErrAlreadyDone
	}
	return c.Input.Note, nil
}

func applyAssign(_ context.Context, _ *Service, c Change) (string, error) {
	inc, office := c.Incident, c.Input.Office
	if inc.Office == office {
		return "", ErrAlreadyDone
	}
	text := "分派至" + office
	if inc.Office != "" {
		text = fmt.Sprintf("由%s改派至%s", inc.Office, office)
	}
	inc.Office, inc.AssignedAt = office, c.Now
	return joinNote(text, c.Input.Note), nil
}

func applyFollowUp(_ context.Context, _ *Service, c Change) (string, error) {
	return c.Input.Note, nil
}

func applyInvestigated(_ context.Context, s *Service, c Change) (string, error) {
	inc := c.Incident
	if !inc.InvestigatedAt.IsZero() {
		return "", ErrAlreadyDone
	}
	s.setFeedbackDue(inc, c.Now)
	note := c.Input.Note
	if !inc.FeedbackDueAt.IsZero() {
		note += fmt.Sprintf("（答复反馈时限 %s）", s.formatTime(inc.FeedbackDueAt))
	}
	return note, nil
}

func applyReply(_ context.Context, _ *Service, c Change) (string, error) {
	c.Incident.Reply = c.Input.Note
	return c.Input.Note, nil
}

func applyClose(_ context.Context, _ *Service, c Change) (string, error) {
	note := c.Input.Note
	if c.Incident.AckedAt.IsZero() {
		if c.Input.Reason == "" {
			return "", ErrNotAcknowledged
		}
		note += "（未经签收直接办结：" + c.Input.Reason + "）"
	}
	c.Incident.ClosedAt, c.Incident.Outcome = c.Now, note
	return note, nil
}

func applyFalsePositive(ctx context.Context, _ *Service, c Change) (string, error) {
	inc, reason := c.Incident, c.Input.Note
	rules, err := c.Tx.IncidentRules(ctx, inc.ID)
	if err != nil {
		return "", err
	}
	if err := c.Tx.AddFalsePositives(ctx, rules, 1, c.Now); err != nil {
		return "", err
	}
	inc.ClosedAt, inc.FalsePositive, inc.Outcome = c.Now, true, "误报："+reason
	if err := labelPosts(ctx, c.Tx, *inc, false, store.LabelFalsePositive, c.Actor, reason, c.Now); err != nil {
		return "", err
	}
	note := reason
	if len(rules) > 0 {
		// The rules by number: the log is read by staff, the rules' ids
		// are on the false-positive page for operators.
		note += fmt.Sprintf("（计入 %d 条命中规则的误报统计）", len(rules))
	}
	return note, nil
}

func applyReopen(ctx context.Context, s *Service, c Change) (string, error) {
	inc, reason := c.Incident, c.Input.Note
	if inc.Open() {
		return "", ErrNotClosed
	}
	note := reason
	if inc.FalsePositive {
		rules, err := c.Tx.IncidentRules(ctx, inc.ID)
		if err != nil {
			return "", err
		}
		if err := c.Tx.AddFalsePositives(ctx, rules, -1, c.Now); err != nil {
			return "", err
		}
		note += "（撤销误报）"
		if err := labelPosts(ctx, c.Tx, *inc, true, store.LabelReopened, c.Actor, reason, c.Now); err != nil {
			return "", err
		}
	}
	inc.ClosedAt, inc.FalsePositive, inc.Outcome = time.Time{}, false, ""
	if !inc.RepliedAt.IsZero() {
		inc.RepliedAt = time.Time{}
		s.setFeedbackDue(inc, c.Now)
		if !inc.FeedbackDueAt.IsZero() {
			note += fmt.Sprintf("；须在 %s 前重新答复", s.formatTime(inc.FeedbackDueAt))
		}
	}
	return note, nil
}

func applyLevel(ctx context.Context, s *Service, c Change) (string, error) {
	inc := c.Incident
	if inc.Level == c.Input.Level {
		return "", ErrSameLevel
	}
	// A handler's level settles a 疑似: it is what staff decided.
	inc.Suspected = false
	if err := s.changeLevel(ctx, c.Tx, inc, c.Input.Level, c.Now, c.Actor, 0, c.Input.Note); err != nil {
		return "", err
	}
	// changeLevel appended the level event itself.
	return "", labelPosts(ctx, c.Tx, *inc, true, store.LabelLevel, c.Actor, c.Input.Note, c.Now)
}

func joinNote(a, b string) string {
	if b = strings.TrimSpace(b); b != "" {
		return a + "：" + b
	}
	return a
}

// step loads the incident, applies one change and stores it with its event
// in one transaction. apply returns a zero event when it logged itself.
func (s *Service) step(ctx context.Context, number, actor string, closedOK bool, apply func(store.Tx, *model.Incident, time.Time) (model.Event, error)) (model.Incident, error) {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return model.Incident{}, ErrEmptyActor
	}
	var inc model.Incident
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		if inc, err = tx.IncidentByNumber(ctx, number); err != nil {
			return err
		}
		if !inc.Open() && !closedOK {
			return ErrClosed
		}
		now := s.now()
		ev, err := apply(tx, &inc, now)
		if err != nil {
			return err
		}
		inc.Status = Status(inc)
		inc.UpdatedAt = now
		if err := tx.UpdateIncident(ctx, inc); err != nil {
			return err
		}
		if ev.Kind == "" {
			return nil
		}
		ev.IncidentID, ev.At, ev.Actor = inc.ID, now, actor
		return tx.AppendEvent(ctx, ev)
	})
	if err != nil {
		return inc, fmt.Errorf("事件 %s: %w", number, err)
	}
	return inc, nil
}

// RuleFalsePositives returns the false-positive counts per rule.
func (s *Service) RuleFalsePositives(ctx context.Context) ([]store.RuleFalsePositives, error) {
	return s.st.RuleFalsePositives(ctx)
}

// Merge and split refusals.
var (
	ErrMergeSelf       = &Refusal{Msg: "不能合并到事件本身"}
	ErrMergeClosed     = &Refusal{Msg: "目标事件已办结：请先重开，或并入其他事件"}
	ErrNotThisIncident = &Refusal{Msg: "该帖子不属于本事件"}
	ErrSingle          = &Refusal{Msg: "本事件只有一条帖子，无需拆分"}
)

// applyMerge moves every post of the incident into the target incident
// (one event reported as two), which takes the more severe level and the
// earlier of each unmet deadline; the incident is closed as merged, and
// both logs say so.
func applyMerge(ctx context.Context, s *Service, c Change) (string, error) {
	inc, number := c.Incident, strings.TrimSpace(c.Input.Target)
	if number == inc.Number {
		return "", ErrMergeSelf
	}
	into, err := c.Tx.IncidentByNumber(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return "", &Refusal{Msg: "事件 " + number + " 不存在"}
	}
	if err != nil {
		return "", err
	}
	if !into.Open() {
		return "", ErrMergeClosed
	}
	ids, err := c.Tx.IncidentPostIDs(ctx, inc.ID)
	if err != nil {
		return "", err
	}
	why := fmt.Sprintf("由事件 %s 合并（%s）", inc.Number, c.Input.Note)
	for _, id := range ids {
		if err := c.Tx.MovePost(ctx, id, into.ID, why, c.Now); err != nil {
			return "", err
		}
	}
	into.PostCount += len(ids) // its first-seen time stays: the number is made of it
	if inc.LastPostAt.After(into.LastPostAt) {
		into.LastPostAt = inc.LastPostAt
	}
	into.Level = min(into.Level, inc.Level) // Ⅰ is 1: the more severe
	into.Suspected = into.Suspected || inc.Suspected
	for _, f := range stageFields { // deadlines from the more pressing
		due, theirs := f.due(&into), *f.due(inc)
		if f.done(&into).IsZero() && !theirs.IsZero() && (due.IsZero() || theirs.Before(*due)) {
			*due = theirs
		}
	}
	into.Status, into.UpdatedAt = Status(into), c.Now
	if err := c.Tx.UpdateIncident(ctx, into); err != nil {
		return "", err
	}
	if err := c.Tx.AppendEvent(ctx, model.Event{IncidentID: into.ID, At: c.Now, Kind: model.EventMergedIn, Actor: c.Actor,
		Note: fmt.Sprintf("事件 %s 的 %d 条帖子并入：%s", inc.Number, len(ids), c.Input.Note)}); err != nil {
		return "", err
	}
	inc.ClosedAt, inc.Outcome, inc.PostCount = c.Now, "合并至事件 "+into.Number, 0
	return fmt.Sprintf("并入事件 %s（%d 条帖子）：%s", into.Number, len(ids), c.Input.Note), nil
}

// applySplit takes one post out of the incident into an incident of its
// own (a different matter grouped by mistake), of the same level and
// category, its deadlines counted from now.
func applySplit(ctx context.Context, s *Service, c Change) (string, error) {
	inc := c.Incident
	ids, err := c.Tx.IncidentPostIDs(ctx, inc.ID)
	if err != nil {
		return "", err
	}
	if !slices.Contains(ids, c.Input.PostID) {
		return "", ErrNotThisIncident
	}
	if len(ids) < 2 {
		return "", ErrSingle
	}
	p, err := c.Tx.PostByID(ctx, c.Input.PostID)
	if err != nil {
		return "", err
	}
	out := model.Incident{Title: Title(p), Category: inc.Category, Level: inc.Level, Status: model.StatusOpen,
		Source: p.Source, FirstSeenAt: p.FirstSeenAt, LastPostAt: p.FirstSeenAt, PostCount: 1, UpdatedAt: c.Now}
	s.setDeadlines(&out, c.Now)
	if err := c.Tx.CreateIncident(ctx, &out); err != nil {
		return "", err
	}
	if err := c.Tx.MovePost(ctx, p.ID, out.ID, "由事件 "+inc.Number+" 拆分（"+c.Input.Note+"）", c.Now); err != nil {
		return "", err
	}
	if err := c.Tx.AppendEvent(ctx, model.Event{IncidentID: out.ID, At: c.Now, Kind: model.EventSplitOff, Actor: c.Actor,
		Note: fmt.Sprintf("由事件 %s 拆分：%s；%s，跟进回复时限 %s", inc.Number, c.Input.Note, out.Level.Label(),
			s.formatTime(out.FollowUpDueAt)), PostID: p.ID}); err != nil {
		return "", err
	}
	inc.PostCount--
	return fmt.Sprintf("帖子「%s」拆分为事件 %s：%s", privacy.Truncate(privacy.Mask(Title(p)), 40), out.Number, c.Input.Note), nil
}

// ErrAlreadyHere: the post is already one of the incident's.
var ErrAlreadyHere = &Refusal{Msg: "该帖子已在本事件中"}

// applyAttach files a collected post into the incident by hand (a post
// the grouping did not join, or one kept as 舆情信息): a post of no
// incident is attached; one of another incident moves, and that
// incident's log says where it went. The post is picked on the page of
// collected posts, so the console offers no form for it here.
func applyAttach(ctx context.Context, s *Service, c Change) (string, error) {
	inc := c.Incident
	p, err := c.Tx.PostByID(ctx, c.Input.PostID)
	if errors.Is(err, store.ErrNotFound) {
		return "", &Refusal{Msg: "帖子不存在"}
	}
	if err != nil {
		return "", err
	}
	why := "人工并入（" + c.Input.Note + "）"
	from, found, err := c.Tx.IncidentOfPost(ctx, p.ID)
	switch {
	case err != nil:
		return "", err
	case found && from.ID == inc.ID:
		return "", ErrAlreadyHere
	case found:
		if err := c.Tx.MovePost(ctx, p.ID, inc.ID, why, c.Now); err != nil {
			return "", err
		}
		from.PostCount--
		if from.PostCount == 0 && from.Open() { // nothing left to handle there
			from.ClosedAt, from.Outcome = c.Now, "帖子已全部移入事件 "+inc.Number
		}
		from.Status, from.UpdatedAt = Status(from), c.Now
		if err := c.Tx.UpdateIncident(ctx, from); err != nil {
			return "", err
		}
		if err := c.Tx.AppendEvent(ctx, model.Event{IncidentID: from.ID, At: c.Now, Kind: model.EventDetached, Actor: c.Actor,
			Note: "移入事件 " + inc.Number + "：" + c.Input.Note, PostID: p.ID}); err != nil {
			return "", err
		}
	default:
		if err := c.Tx.AttachPost(ctx, inc.ID, p.ID, why, c.Now); err != nil {
			return "", err
		}
	}
	inc.PostCount++
	if p.FirstSeenAt.After(inc.LastPostAt) {
		inc.LastPostAt = p.FirstSeenAt
	}
	title := privacy.Truncate(privacy.Mask(Title(p)), 40)
	if found {
		return fmt.Sprintf("帖子「%s」由事件 %s 移入：%s", title, from.Number, c.Input.Note), nil
	}
	return fmt.Sprintf("帖子「%s」并入：%s", title, c.Input.Note), nil
}
