package store

import "time"

// StatusAssigned is the status of an incident handed to an office (分派)
// that has no follow-up yet.
const StatusAssigned = "assigned"

// Event kinds of the handling workflow (beyond those in store.go).
const (
	EventAssigned      = "assigned"       // 分派 to an office
	EventInvestigated  = "investigated"   // 调查核实 finished, with its finding
	EventReplied       = "replied"        // 答复反馈: the public reply text
	EventFalsePositive = "false_positive" // 误报: closed, counted against its rules
	EventReopened      = "reopened"       // 重开
	// Staff decisions that become labels (labels.go).
	EventCategoryChanged = "category_changed" // 类别更正
	EventConfirmed       = "confirmed"        // 疑似 confirmed as graded
	EventMissedFiled     = "missed_filed"     // 补录漏报: a post the system missed, entered by hand
)

// Fingerprint is what grouping keeps of a filed post: a 64-bit SimHash of
// its tokens, the institution and place names it mentions and its key
// terms. IncidentID and FirstSeenAt are filled on reads.
type Fingerprint struct {
	PostID      int64
	IncidentID  int64
	SimHash     uint64
	Entities    []string
	Terms       []string
	FirstSeenAt time.Time
	// Keys are what the post is indexed under for FingerprintCandidates
	// (grouping derives them: SimHash bands, names); written, not read back.
	Keys []string
}

// CandidateQuery names the stored posts a new post could match, by the
// keys of Fingerprint.Keys. Only posts first seen at or after Since that
// belong to open incidents are candidates.
type CandidateQuery struct {
	Since time.Time
	// Posts indexed under one of Bands whose SimHash is within Distance
	// bits of SimHash: a SimHash band shared by chance (SimHashes of text
	// in one domain have skewed bits) costs an index entry, not a read.
	Bands    []string
	SimHash  uint64
	Distance int
	// Posts indexed under one of Names.
	Names []string
}

// Empty reports whether the query can find nothing.
func (q CandidateQuery) Empty() bool { return len(q.Bands) == 0 && len(q.Names) == 0 }

// Candidates are the fingerprints FingerprintCandidates found, with the
// grouping version they were read at: while the version stays the same,
// no fingerprint, incident membership or incident status has changed, so
// a lookup made before a write transaction is still exact inside it.
type Candidates struct {
	Version      int64
	Fingerprints []Fingerprint
}

// RuleFalsePositives is how often incidents a rule fired on were closed as
// false positives (误报).
type RuleFalsePositives struct {
	Rule   string
	Count  int
	LastAt time.Time
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
