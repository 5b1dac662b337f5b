// Package incident owns the life of a numbered incident: filing a graded
// post into a new or an existing incident, the deadlines that follow from its
// level, and the workflow steps staff record (签收, 跟进, 办结). Every change
// is written to the incident's append-only event log in the same transaction
// as the change itself.
package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// SystemActor is the actor recorded for automatic steps.
const SystemActor = "系统"

// Deadlines are the time limits of one level, counted from first sight.
type Deadlines struct {
	Ack      time.Duration // 0: no separate acknowledgement stage
	FollowUp time.Duration
}

// Policy is what the level configuration decides.
type Policy struct {
	Levels map[int]Deadlines
	// GroupWindow bounds how far back a new post looks for an open incident
	// about the same thing.
	GroupWindow time.Duration
	// Location is the zone deadlines are written in, in event notes.
	Location *time.Location
}

// DefaultPolicy is the bureau's rule: Ⅳ/Ⅲ need a follow-up within 24 hours;
// Ⅱ/Ⅰ need an acknowledgement within 1 hour (emergency response) and a
// follow-up within 24 hours.
func DefaultPolicy() Policy {
	return Policy{
		Levels: map[int]Deadlines{
			taxonomy.LevelI:   {Ack: time.Hour, FollowUp: 24 * time.Hour},
			taxonomy.LevelII:  {Ack: time.Hour, FollowUp: 24 * time.Hour},
			taxonomy.LevelIII: {FollowUp: 24 * time.Hour},
			taxonomy.LevelIV:  {FollowUp: 24 * time.Hour},
		},
		GroupWindow: 72 * time.Hour,
		Location:    time.Local,
	}
}

// Service files posts and records workflow steps.
type Service struct {
	st     store.Store
	policy Policy
	now    func() time.Time
}

// New returns a Service; now is the clock (time.Now in production).
func New(st store.Store, policy Policy, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if policy.Location == nil {
		policy.Location = time.Local
	}
	return &Service{st: st, policy: policy, now: now}
}

// Outcome says what filing a post did.
type Outcome struct {
	Incident store.Incident
	Created  bool // a new incident was opened
	Joined   bool // the post joined an existing incident
	Raised   bool // the incident's level went up
}

// File records the grade of p and, when the post is relevant, files it into
// an incident, all inside tx. It is called once per graded post version.
func (s *Service) File(ctx context.Context, tx store.Tx, p store.Post, g store.Grade) (Outcome, error) {
	var out Outcome
	if err := tx.SaveGrade(ctx, g); err != nil {
		return out, err
	}
	if !g.Relevant || !taxonomy.ValidLevel(g.Level) {
		return out, nil
	}
	now := s.now()
	inc, found, err := tx.IncidentOfPost(ctx, p.ID)
	if err != nil {
		return out, err
	}
	if found {
		// A changed post that already belongs to an incident can only raise it.
		out.Incident = inc
		out.Raised, err = s.raise(ctx, tx, &out.Incident, g.Level, now, p.ID, "帖子内容更新后重新研判")
		if err == nil && out.Raised {
			err = tx.UpdateIncident(ctx, out.Incident)
		}
		return out, err
	}
	first := p.FirstSeenAt
	if first.IsZero() {
		first = now
	}
	inc, found, err = tx.FindRelatedIncident(ctx, p, now.Add(-s.policy.GroupWindow))
	if err != nil {
		return out, err
	}
	if found {
		reason := relatedReason(inc, p)
		if err := tx.AttachPost(ctx, inc.ID, p.ID, reason, now); err != nil {
			return out, err
		}
		inc.PostCount++
		if first.After(inc.LastPostAt) {
			inc.LastPostAt = first
		}
		inc.UpdatedAt = now
		if err := tx.AppendEvent(ctx, store.Event{IncidentID: inc.ID, At: now, Kind: store.EventPostJoined,
			Actor: SystemActor, Note: fmt.Sprintf("来自「%s」的帖子并入本事件：%s", p.Source, reason), PostID: p.ID}); err != nil {
			return out, err
		}
		out.Incident, out.Joined = inc, true
		if out.Raised, err = s.raise(ctx, tx, &out.Incident, g.Level, now, p.ID, "相关帖子等级更高"); err != nil {
			return out, err
		}
		return out, tx.UpdateIncident(ctx, out.Incident)
	}

	inc = store.Incident{
		Title:       Title(p),
		Category:    g.Category,
		Level:       g.Level,
		Status:      store.StatusOpen,
		Source:      p.Source,
		FirstSeenAt: first,
		LastPostAt:  first,
		PostCount:   1,
		UpdatedAt:   now,
	}
	s.setDeadlines(&inc, first)
	if err := tx.CreateIncident(ctx, &inc); err != nil {
		return out, err
	}
	if err := tx.AttachPost(ctx, inc.ID, p.ID, "首发帖子", now); err != nil {
		return out, err
	}
	note := fmt.Sprintf("自动登记：%s · %s，跟进回复时限 %s", taxonomy.LevelLabel(inc.Level),
		taxonomy.CategoryName(inc.Category), s.formatTime(inc.FollowUpDueAt))
	if !inc.AckDueAt.IsZero() {
		note += fmt.Sprintf("；重大舆情须在 %s 前签收并启动应急响应（宣传科、信访科）", s.formatTime(inc.AckDueAt))
	}
	if err := tx.AppendEvent(ctx, store.Event{IncidentID: inc.ID, At: now, Kind: store.EventCreated,
		Actor: SystemActor, Note: note, PostID: p.ID}); err != nil {
		return out, err
	}
	out.Incident, out.Created = inc, true
	return out, nil
}

// setDeadlines sets the deadlines of inc's level counted from start.
func (s *Service) setDeadlines(inc *store.Incident, start time.Time) {
	d := s.policy.Levels[inc.Level]
	inc.AckDueAt = time.Time{}
	if d.Ack > 0 && inc.AckedAt.IsZero() {
		inc.AckDueAt = start.Add(d.Ack)
	}
	if inc.FollowedUpAt.IsZero() {
		inc.FollowUpDueAt = start.Add(d.FollowUp)
	}
}

// raise moves inc to a more severe level (a smaller number) and logs it.
// Deadlines of the new level run from now, but never later than the ones
// already running.
func (s *Service) raise(ctx context.Context, tx store.Tx, inc *store.Incident, level int, now time.Time, postID int64, why string) (bool, error) {
	if level >= inc.Level || !inc.Open() {
		return false, nil
	}
	old := *inc
	inc.Level = level
	s.setDeadlines(inc, now)
	if !old.FollowUpDueAt.IsZero() && old.FollowUpDueAt.Before(inc.FollowUpDueAt) {
		inc.FollowUpDueAt = old.FollowUpDueAt
	}
	if !old.AckDueAt.IsZero() && old.AckDueAt.Before(inc.AckDueAt) {
		inc.AckDueAt = old.AckDueAt
	}
	inc.UpdatedAt = now
	return true, tx.AppendEvent(ctx, store.Event{IncidentID: inc.ID, At: now, Kind: store.EventLevelChanged,
		Actor: SystemActor, PostID: postID,
		Note: fmt.Sprintf("等级由%s升为%s（%s）", taxonomy.LevelLabel(old.Level), taxonomy.LevelLabel(level), why)})
}

func relatedReason(inc store.Incident, p store.Post) string {
	return fmt.Sprintf("与事件 %s 的帖子内容或标题相同（转帖）", inc.Number)
}

// Title derives an incident title from its first post: the post title, or
// the start of the body when the post has none (微博-style posts).
func Title(p store.Post) string {
	t := strings.TrimSpace(p.Title)
	if t == "" {
		t = strings.Join(strings.Fields(p.Body), " ")
	}
	return truncate(t, 60)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (s *Service) formatTime(t time.Time) string {
	return t.In(s.policy.Location).Format("2006-01-02 15:04")
}

// Workflow errors.
var (
	ErrClosed      = errors.New("事件已办结")
	ErrEmptyNote   = errors.New("请填写跟进内容")
	ErrEmptyActor  = errors.New("请填写经办人")
	ErrAlreadyDone = errors.New("该步骤已完成")
)

// Acknowledge records 签收.
func (s *Service) Acknowledge(ctx context.Context, number, actor, note string) (store.Incident, error) {
	return s.step(ctx, number, actor, func(inc *store.Incident, now time.Time) (store.Event, error) {
		if !inc.AckedAt.IsZero() {
			return store.Event{}, ErrAlreadyDone
		}
		inc.AckedAt = now
		if inc.Status == store.StatusOpen {
			inc.Status = store.StatusAcknowledged
		}
		return store.Event{Kind: store.EventAcknowledged, Note: note}, nil
	})
}

// FollowUp records a follow-up (跟进/回复); the first one meets the follow-up
// deadline, and it implies acknowledgement.
func (s *Service) FollowUp(ctx context.Context, number, actor, note string) (store.Incident, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return store.Incident{}, ErrEmptyNote
	}
	return s.step(ctx, number, actor, func(inc *store.Incident, now time.Time) (store.Event, error) {
		if inc.AckedAt.IsZero() {
			inc.AckedAt = now
		}
		if inc.FollowedUpAt.IsZero() {
			inc.FollowedUpAt = now
		}
		inc.Status = store.StatusFollowedUp
		return store.Event{Kind: store.EventFollowedUp, Note: note}, nil
	})
}

// Close records 办结 with its outcome.
func (s *Service) Close(ctx context.Context, number, actor, note string) (store.Incident, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return store.Incident{}, fmt.Errorf("请填写办结结果: %w", ErrEmptyNote)
	}
	return s.step(ctx, number, actor, func(inc *store.Incident, now time.Time) (store.Event, error) {
		inc.Status, inc.ClosedAt = store.StatusClosed, now
		return store.Event{Kind: store.EventClosed, Note: note}, nil
	})
}

func (s *Service) step(ctx context.Context, number, actor string, apply func(*store.Incident, time.Time) (store.Event, error)) (store.Incident, error) {
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
		if !inc.Open() {
			return ErrClosed
		}
		now := s.now()
		ev, err := apply(&inc, now)
		if err != nil {
			return err
		}
		inc.UpdatedAt = now
		if err := tx.UpdateIncident(ctx, inc); err != nil {
			return err
		}
		ev.IncidentID, ev.At, ev.Actor = inc.ID, now, actor
		return tx.AppendEvent(ctx, ev)
	})
	if err != nil {
		return inc, fmt.Errorf("事件 %s: %w", number, err)
	}
	return inc, nil
}
