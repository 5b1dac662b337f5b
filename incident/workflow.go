package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The handling workflow follows the bureau's complaint process: 登记
// (automatic, in File) → 签收 → 分派 to an office → 跟进 notes, 调查核实 with
// its finding and 答复反馈 with the public reply → 办结 with the outcome; or
// 误报, which closes the incident and counts against the rules that fired.
// 重开 reopens a closed incident, 升级/降级 changes its level by hand. Every
// step appends one event with its actor, in the transaction that makes it.

// Workflow errors.
var (
	ErrClosed        = errors.New("事件已办结")
	ErrNotClosed     = errors.New("事件尚未办结，无需重开")
	ErrEmptyNote     = errors.New("请填写跟进内容")
	ErrEmptyActor    = errors.New("请填写经办人")
	ErrAlreadyDone   = errors.New("该步骤已完成")
	ErrEmptyReason   = errors.New("请填写原因")
	ErrUnknownOffice = errors.New("请选择配置中的承办科室")
	ErrBadLevel      = errors.New("等级只能是 1（特别重大）到 4（一般）")
	ErrSameLevel     = errors.New("等级未变化")
)

// Status is the workflow status inc's record implies.
func Status(inc store.Incident) string {
	switch {
	case !inc.ClosedAt.IsZero():
		return store.StatusClosed
	case !inc.FollowedUpAt.IsZero():
		return store.StatusFollowedUp
	case inc.Office != "":
		return store.StatusAssigned
	case !inc.AckedAt.IsZero():
		return store.StatusAcknowledged
	}
	return store.StatusOpen
}

// Stage is one deadline of an incident as staff and metrics see it.
type Stage struct {
	Key   string // ack, followup, investigate, feedback (metric label values)
	Name  string // 签收, 跟进回复, 调查核实, 答复反馈
	Due   time.Time
	Done  time.Time // zero: not met yet
	Level int
}

// Stages returns inc's deadlines in workflow order, those the level has.
func Stages(inc store.Incident) []Stage {
	var out []Stage
	for _, st := range []Stage{
		{Key: "ack", Name: "签收", Due: inc.AckDueAt, Done: inc.AckedAt},
		{Key: "followup", Name: "跟进回复", Due: inc.FollowUpDueAt, Done: inc.FollowedUpAt},
		{Key: "investigate", Name: "调查核实", Due: inc.InvestigateDueAt, Done: inc.InvestigatedAt},
		{Key: "feedback", Name: "答复反馈", Due: inc.FeedbackDueAt, Done: inc.RepliedAt},
	} {
		if !st.Due.IsZero() {
			st.Level = inc.Level
			out = append(out, st)
		}
	}
	return out
}

// Overdue returns the stages of an open incident past their deadline at now
// and not yet met.
func Overdue(inc store.Incident, now time.Time) []Stage {
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

// Offices returns the offices incidents can be assigned to.
func (s *Service) Offices() []string { return slices.Clone(s.policy.Offices) }

// Acknowledge records 签收.
func (s *Service) Acknowledge(ctx context.Context, number, actor, note string) (store.Incident, error) {
	return s.step(ctx, number, actor, false, func(_ store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		if !inc.AckedAt.IsZero() {
			return store.Event{}, ErrAlreadyDone
		}
		inc.AckedAt = now
		return store.Event{Kind: store.EventAcknowledged, Note: note}, nil
	})
}

// Assign records 分派: the incident goes to office (one of the configured
// ones); assigning implies acknowledgement. Reassigning is allowed.
func (s *Service) Assign(ctx context.Context, number, actor, office, note string) (store.Incident, error) {
	office = strings.TrimSpace(office)
	if !slices.Contains(s.policy.Offices, office) {
		return store.Incident{}, fmt.Errorf("事件 %s: %w", number, ErrUnknownOffice)
	}
	return s.step(ctx, number, actor, false, func(_ store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		if inc.Office == office {
			return store.Event{}, ErrAlreadyDone
		}
		text := "分派至" + office
		if inc.Office != "" {
			text = fmt.Sprintf("由%s改派至%s", inc.Office, office)
		}
		if inc.AckedAt.IsZero() {
			inc.AckedAt = now
		}
		inc.Office, inc.AssignedAt = office, now
		return store.Event{Kind: store.EventAssigned, Note: joinNote(text, note)}, nil
	})
}

// FollowUp records a follow-up (跟进/回复); the first one meets the follow-up
// deadline, and it implies acknowledgement.
func (s *Service) FollowUp(ctx context.Context, number, actor, note string) (store.Incident, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return store.Incident{}, ErrEmptyNote
	}
	return s.step(ctx, number, actor, false, func(_ store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		markFollowedUp(inc, now)
		return store.Event{Kind: store.EventFollowedUp, Note: note}, nil
	})
}

// Investigated records the finding of the investigation (调查核实), which
// starts the feedback stage (答复反馈, in working days).
func (s *Service) Investigated(ctx context.Context, number, actor, finding string) (store.Incident, error) {
	finding = strings.TrimSpace(finding)
	if finding == "" {
		return store.Incident{}, fmt.Errorf("请填写调查核实结论: %w", ErrEmptyNote)
	}
	return s.step(ctx, number, actor, false, func(_ store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		if !inc.InvestigatedAt.IsZero() {
			return store.Event{}, ErrAlreadyDone
		}
		markFollowedUp(inc, now)
		inc.InvestigatedAt = now
		s.setFeedbackDue(inc, now)
		note := finding
		if !inc.FeedbackDueAt.IsZero() {
			note += fmt.Sprintf("（答复反馈时限 %s）", s.formatTime(inc.FeedbackDueAt))
		}
		return store.Event{Kind: store.EventInvestigated, Note: note}, nil
	})
}

// Reply records the reply given to the public (答复反馈); the latest text
// is kept on the incident. A reply ends the investigation if still open.
func (s *Service) Reply(ctx context.Context, number, actor, text string) (store.Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return store.Incident{}, fmt.Errorf("请填写回复内容: %w", ErrEmptyNote)
	}
	return s.step(ctx, number, actor, false, func(_ store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		markFollowedUp(inc, now)
		if inc.InvestigatedAt.IsZero() {
			inc.InvestigatedAt = now
		}
		if inc.RepliedAt.IsZero() {
			inc.RepliedAt = now
		}
		inc.Reply = text
		return store.Event{Kind: store.EventReplied, Note: text}, nil
	})
}

// Close records 办结 with its outcome.
func (s *Service) Close(ctx context.Context, number, actor, note string) (store.Incident, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return store.Incident{}, fmt.Errorf("请填写办结结果: %w", ErrEmptyNote)
	}
	return s.step(ctx, number, actor, false, func(_ store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		inc.ClosedAt, inc.Outcome = now, note
		return store.Event{Kind: store.EventClosed, Note: note}, nil
	})
}

// MarkFalsePositive closes the incident as 误报 and adds one to the
// false-positive count of every rule that fired on its posts.
func (s *Service) MarkFalsePositive(ctx context.Context, number, actor, reason string) (store.Incident, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return store.Incident{}, fmt.Errorf("事件 %s: %w", number, ErrEmptyReason)
	}
	return s.step(ctx, number, actor, false, func(tx store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		rules, err := tx.IncidentRules(ctx, inc.ID)
		if err != nil {
			return store.Event{}, err
		}
		if err := tx.AddFalsePositives(ctx, rules, 1, now); err != nil {
			return store.Event{}, err
		}
		inc.ClosedAt, inc.FalsePositive, inc.Outcome = now, true, "误报："+reason
		if err := labelPosts(ctx, tx, *inc, false, store.LabelFalsePositive, actor, reason, now); err != nil {
			return store.Event{}, err
		}
		note := reason
		if len(rules) > 0 {
			note += "（计入规则误报统计：" + strings.Join(rules, "、") + "）"
		}
		return store.Event{Kind: store.EventFalsePositive, Note: note}, nil
	})
}

// Reopen reopens a closed incident (重开). A false positive's counts are
// taken back; a matter already answered needs a new answer, due in the
// feedback stage's working days.
func (s *Service) Reopen(ctx context.Context, number, actor, reason string) (store.Incident, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return store.Incident{}, fmt.Errorf("事件 %s: %w", number, ErrEmptyReason)
	}
	return s.step(ctx, number, actor, true, func(tx store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		if inc.Open() {
			return store.Event{}, ErrNotClosed
		}
		note := reason
		if inc.FalsePositive {
			rules, err := tx.IncidentRules(ctx, inc.ID)
			if err != nil {
				return store.Event{}, err
			}
			if err := tx.AddFalsePositives(ctx, rules, -1, now); err != nil {
				return store.Event{}, err
			}
			note += "（撤销误报）"
			if err := labelPosts(ctx, tx, *inc, true, store.LabelReopened, actor, reason, now); err != nil {
				return store.Event{}, err
			}
		}
		inc.ClosedAt, inc.FalsePositive, inc.Outcome = time.Time{}, false, ""
		if !inc.RepliedAt.IsZero() {
			inc.RepliedAt = time.Time{}
			s.setFeedbackDue(inc, now)
			if !inc.FeedbackDueAt.IsZero() {
				note += fmt.Sprintf("；须在 %s 前重新答复", s.formatTime(inc.FeedbackDueAt))
			}
		}
		return store.Event{Kind: store.EventReopened, Note: note}, nil
	})
}

// ChangeLevel records 升级/降级 by hand, with its reason; deadlines follow
// the new level.
func (s *Service) ChangeLevel(ctx context.Context, number, actor string, level int, reason string) (store.Incident, error) {
	reason = strings.TrimSpace(reason)
	if !taxonomy.ValidLevel(level) {
		return store.Incident{}, fmt.Errorf("事件 %s: %w", number, ErrBadLevel)
	}
	if reason == "" {
		return store.Incident{}, fmt.Errorf("事件 %s: %w", number, ErrEmptyReason)
	}
	return s.step(ctx, number, actor, false, func(tx store.Tx, inc *store.Incident, now time.Time) (store.Event, error) {
		if inc.Level == level {
			return store.Event{}, ErrSameLevel
		}
		// A handler's level settles a 疑似: it is what staff decided.
		inc.Suspected = false
		if err := s.changeLevel(ctx, tx, inc, level, now, actor, 0, reason); err != nil {
			return store.Event{}, err
		}
		// changeLevel appended the level event itself.
		return store.Event{}, labelPosts(ctx, tx, *inc, true, store.LabelLevel, actor, reason, now)
	})
}

func markFollowedUp(inc *store.Incident, now time.Time) {
	if inc.AckedAt.IsZero() {
		inc.AckedAt = now
	}
	if inc.FollowedUpAt.IsZero() {
		inc.FollowedUpAt = now
	}
}

func joinNote(a, b string) string {
	if b = strings.TrimSpace(b); b != "" {
		return a + "：" + b
	}
	return a
}

// step loads the incident, applies one change and stores it with its event
// in one transaction. apply returns a zero event when it logged itself.
func (s *Service) step(ctx context.Context, number, actor string, closedOK bool, apply func(store.Tx, *store.Incident, time.Time) (store.Event, error)) (store.Incident, error) {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return store.Incident{}, ErrEmptyActor
	}
	var inc store.Incident
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
