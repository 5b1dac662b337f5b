package model

import (
	"time"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Status is where an incident stands in its handling.
type Status string

// Incident statuses, in workflow order.
const (
	StatusOpen         Status = "open"         // 登记: filed, nobody has signed for it
	StatusAcknowledged Status = "acknowledged" // 签收
	StatusAssigned     Status = "assigned"     // 分派 to an office, no follow-up yet
	StatusFollowedUp   Status = "followed_up"  // 已跟进: a follow-up reply was recorded
	StatusClosed       Status = "closed"       // 办结
)

// Name is the status as staff read it (the console's list, reports).
func (s Status) Name() string {
	switch s {
	case StatusOpen:
		return "待签收"
	case StatusAcknowledged:
		return "已签收"
	case StatusAssigned:
		return "已分派"
	case StatusFollowedUp:
		return "已跟进"
	case StatusClosed:
		return "已办结"
	}
	return string(s)
}

// Incident is one numbered matter that one or more posts belong to.
type Incident struct {
	ID            int64
	Number        string // YQ-YYYYMMDD-NNNN
	Title         string
	Category      taxonomy.Category
	Level         taxonomy.Level
	Status        Status
	Source        string // source of the first post
	FirstSeenAt   time.Time
	LastPostAt    time.Time
	PostCount     int
	AckDueAt      time.Time // zero: the level needs no separate acknowledgement
	FollowUpDueAt time.Time
	AckedAt       time.Time
	FollowedUpAt  time.Time
	ClosedAt      time.Time
	UpdatedAt     time.Time

	// Handling (incident/workflow.go).
	Office           string    // office the incident is assigned to (分派); "" until then
	AssignedAt       time.Time // zero: not assigned
	InvestigateDueAt time.Time // 调查核实 deadline (working days from registration)
	InvestigatedAt   time.Time
	FeedbackDueAt    time.Time // 答复反馈 deadline (working days from the investigation's end)
	RepliedAt        time.Time
	Reply            string // the public reply text, latest
	Outcome          string // 办结 outcome
	FalsePositive    bool   // closed as 误报
	// Suspected (疑似): opened by a grade on which rules and model disagreed
	// about Ⅰ/Ⅱ; it alerts like any Ⅱ until a handler confirms or
	// downgrades it.
	Suspected bool
}

// Open reports whether the incident still needs handling.
func (i Incident) Open() bool { return i.Status != StatusClosed }

// AckPending reports whether the incident still awaits its emergency
// acknowledgement (签收); deadlines are kept after they are met, as record.
func (i Incident) AckPending() bool { return i.Open() && !i.AckDueAt.IsZero() && i.AckedAt.IsZero() }

// FollowUpPending reports whether the incident still awaits its first follow-up.
func (i Incident) FollowUpPending() bool {
	return i.Open() && !i.FollowUpDueAt.IsZero() && i.FollowedUpAt.IsZero()
}

// InvestigatePending reports whether the investigation stage (调查核实) is
// still running.
func (i Incident) InvestigatePending() bool {
	return i.Open() && !i.InvestigateDueAt.IsZero() && i.InvestigatedAt.IsZero()
}

// FeedbackPending reports whether the reply to the public (答复反馈) is
// still due.
func (i Incident) FeedbackPending() bool {
	return i.Open() && !i.FeedbackDueAt.IsZero() && i.RepliedAt.IsZero()
}

// Progress is the step an incident waits for in the bureau's process:
// the first one not done yet. The console names it (incident.Progress)
// and filters the incident list by it (store.IncidentFilter.Stage).
type Progress string

// Progress steps, in workflow order.
const (
	ProgressAck         Progress = "ack"         // 待签收
	ProgressFollowUp    Progress = "followup"    // 待跟进回复
	ProgressInvestigate Progress = "investigate" // 待调查核实 (levels with that stage)
	ProgressFeedback    Progress = "feedback"    // 待答复反馈 (levels with that stage)
	ProgressClose       Progress = "close"       // 待办结: every step done, not closed yet
	ProgressClosed      Progress = "closed"      // 已办结
)

// Progresses lists the steps in workflow order.
var Progresses = []Progress{ProgressAck, ProgressFollowUp, ProgressInvestigate, ProgressFeedback, ProgressClose, ProgressClosed}

// Progress is the step i waits for.
func (i Incident) Progress() Progress {
	switch {
	case !i.Open():
		return ProgressClosed
	case i.AckedAt.IsZero():
		return ProgressAck
	case i.FollowedUpAt.IsZero():
		return ProgressFollowUp
	case !i.InvestigateDueAt.IsZero() && i.InvestigatedAt.IsZero():
		return ProgressInvestigate
	case !i.InvestigateDueAt.IsZero() && i.RepliedAt.IsZero():
		return ProgressFeedback
	}
	return ProgressClose
}

// EventKind says what an entry of the incident log records.
type EventKind string

// Event kinds of the incident log.
const (
	EventCreated       EventKind = "created"
	EventPostJoined    EventKind = "post_joined"
	EventLevelChanged  EventKind = "level_changed"
	EventAcknowledged  EventKind = "acknowledged"
	EventFollowedUp    EventKind = "followed_up"
	EventClosed        EventKind = "closed"
	EventAssigned      EventKind = "assigned"       // 分派 to an office
	EventInvestigated  EventKind = "investigated"   // 调查核实 finished, with its finding
	EventReplied       EventKind = "replied"        // 答复反馈: the public reply text
	EventFalsePositive EventKind = "false_positive" // 误报: closed, counted against its rules
	EventReopened      EventKind = "reopened"       // 重开
	// Staff decisions that become labels (store.Label).
	EventCategoryChanged EventKind = "category_changed" // 类别更正
	EventConfirmed       EventKind = "confirmed"        // 疑似 confirmed as graded
	EventMissedFiled     EventKind = "missed_filed"     // 补录漏报: a post the system missed, entered by hand
	// One event, one incident: a handler's merge and split.
	EventMerged   EventKind = "merged"    // this incident's posts went into another; it is closed
	EventMergedIn EventKind = "merged_in" // another incident's posts came into this one
	EventSplit    EventKind = "split"     // a post of this incident became an incident of its own
	EventSplitOff EventKind = "split_off" // this incident was opened by a split
	EventAttached EventKind = "attached"  // a handler filed a collected post into this incident
	EventDetached EventKind = "detached"  // a post of this incident went into another by hand
)

// Event is one entry in an incident's append-only log.
type Event struct {
	ID         int64
	IncidentID int64
	At         time.Time
	Kind       EventKind
	Actor      string // "system" or the person who acted
	Note       string
	PostID     int64 // 0 when the event concerns no single post
}
