// Package store keeps everything yuqing keeps: crawl state per source, posts,
// their grades, incidents and the append-only incident event log. The
// domain types themselves live in package model; store is their
// repository. The store is the hand-off between stages: a post is
// committed before it is graded, and a grade and the incident it files are
// committed together, so a crash at any point replays work instead of
// losing it.
//
// Store is implemented once per engine (store/sqlite; PostgreSQL later) and
// every implementation must pass the contract suite in store/storetest.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// ErrNotFound is returned when a named record does not exist.
var ErrNotFound = errors.New("记录不存在")

// SourceState is the scheduler's memory of one source, kept across restarts.
type SourceState struct {
	Name                string
	NextCheckAt         time.Time // zero: due now
	LastCheckAt         time.Time
	LastSuccessAt       time.Time
	ConsecutiveFailures int
	LastError           string
	ETag                string
	LastModified        string
	LastItems           int // items found by the last successful crawl that read a list
	// LastErrorKind classifies LastError for the console and metrics
	// ("layout", "encoding", "http", "retry_later", "robots", "truncated",
	// "network", "store"); "" after a success.
	LastErrorKind string
	// BreakerOpenUntil is set while the source's circuit breaker is open:
	// no request is made before it; the first crawl after it is a single
	// half-open probe. Zero: closed.
	BreakerOpenUntil time.Time
	// LastNewItemAt is when a crawl last stored a post never seen before;
	// NewItemGap is the usual (smoothed) time between such crawls. Together
	// they tell a source gone silent from one that is merely quiet.
	LastNewItemAt time.Time
	NewItemGap    time.Duration
	// LastDeepAt is when the crawler last read the source's deeper list
	// pages (2..N), which it samples on their own cadence; zero: never.
	LastDeepAt time.Time
}

// BreakerOpen reports whether the breaker keeps the source from being
// requested at now (open and still cooling down).
func (s SourceState) BreakerOpen(now time.Time) bool {
	return !s.BreakerOpenUntil.IsZero() && now.Before(s.BreakerOpenUntil)
}

// EngagementSample is one observed change of a post's engagement counts.
type EngagementSample struct {
	At                      time.Time
	Replies, Views, Reposts int
}

// ItemFailure is the record of an item whose detail page failed at its
// last fetches (cleared when a fetch succeeds). The crawler decides from
// it when to give the item up and when to try it again.
type ItemFailure struct {
	URL           string // canonical
	Source        string
	Tries         int // failed fetches in a row
	LastErrorKind string
	LastError     string
	FirstAt       time.Time // first failure of this run of failures
	LastAt        time.Time
	GivenUpAt     time.Time // zero: not given up
	// RetryAt: the site answered 429/503 and asked (Retry-After) not to
	// fetch the page before this; zero: no such wait.
	RetryAt time.Time
}

// SaveResult says what SavePost did with a post.
type SaveResult int

const (
	// Created: a new post, queued for grading.
	Created SaveResult = iota + 1
	// Changed: the URL was known but title or body changed; queued for regrading.
	Changed
	// Unchanged: same content; only engagement counts and fetch time were updated.
	Unchanged
)

// RuleFalsePositives is how often incidents a rule fired on were closed as
// false positives (误报).
type RuleFalsePositives struct {
	Rule   string
	Count  int
	LastAt time.Time
}

// IncidentPost is a post as it belongs to an incident, with its latest grade.
type IncidentPost struct {
	Post     model.Post
	Grade    model.Grade
	Reason   string // why the post joined the incident
	JoinedAt time.Time
}

// GradedPost is a post with its latest grade (zero Grade when never graded)
// and the incident it belongs to ("" when none).
type GradedPost struct {
	Post     model.Post
	Grade    model.Grade
	Graded   bool
	Incident string
}

// Engagement is a typical (median) engagement of a source's posts.
type Engagement struct {
	Replies, Views, Reposts float64
	Posts                   int // how many posts the medians are taken over
}

// IncidentDetail is everything the console shows on one incident.
type IncidentDetail struct {
	Incident model.Incident
	Posts    []IncidentPost
	Events   []model.Event
}

// ListFilter is what the incident list and the post list both filter by.
type ListFilter struct {
	// Sources keeps what came from these sources: a platform (渠道类型,
	// taxonomy.Channels) as the configured sources of that kind. nil: any
	// source; an empty, non-nil list matches nothing (no source is of
	// that kind).
	Sources []string
	// Sentiment (taxonomy.Sentiments; "": any) keeps posts whose latest
	// grade has it, and incidents holding at least one such post.
	Sentiment string
	// From and To bound the first-seen time, [From, To); zero: unbounded.
	From, To time.Time
}

// IncidentFilter selects a page of incidents for listing, in Sort order.
type IncidentFilter struct {
	ListFilter
	OnlyOpen bool
	// Stage keeps the incidents waiting for that step of the process
	// (model.Incident.Progress); "": any.
	Stage    model.Progress
	Level    taxonomy.Level    // 0: any
	Category taxonomy.Category // "": any
	Source   string            // "": any
	Office   string            // "": any; the office it is assigned to
	// Overdue keeps the open incidents with a stage past its deadline at
	// Now (签收, 跟进回复, 调查核实, 答复反馈).
	Overdue bool
	Now     time.Time
	Sort    IncidentSort
	// After is the keyset position of the page: IncidentPage.Next of the
	// page before, "" for the first page. A position from another sort is
	// refused (ErrBadCursor).
	After string
	Limit int // 0: DefaultPageSize; at most MaxPageSize
}

// IncidentSort orders an incident list; ties by id, newest first.
type IncidentSort string

const (
	// SortSeverity: open before closed, most severe level first, newest
	// first: what needs attention on top (the default).
	SortSeverity IncidentSort = ""
	SortNewest   IncidentSort = "newest" // first seen, newest first
	SortActive   IncidentSort = "active" // latest post, newest first
)

// Page sizes of incident lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// ErrBadCursor reports an IncidentFilter.After that is not a position of
// the filter's sort.
var ErrBadCursor = errors.New("分页位置无效")

// IncidentPage is one page of an incident list.
type IncidentPage struct {
	Incidents []model.Incident
	Total     int    // incidents matching the filter, on every page
	Next      string // After for the next page; "" on the last page
}

// Store is the persistence contract. All methods are safe for concurrent use.
type Store interface {
	// SourceState returns the saved state, or a zero state carrying name.
	SourceState(ctx context.Context, name string) (SourceState, error)
	SaveSourceState(ctx context.Context, st SourceState) error
	// SourceStates returns the saved state of every source ever saved,
	// by name (what the console lists).
	SourceStates(ctx context.Context) ([]SourceState, error)

	// SavePost inserts or updates a post by canonical URL, fills p.ID,
	// p.ContentHash and p.TitleKey, and says what happened.
	SavePost(ctx context.Context, p *model.Post) (SaveResult, error)
	// PostByURL finds a post by canonical URL.
	PostByURL(ctx context.Context, url string) (model.Post, bool, error)
	// EngagementHistory returns a post's engagement observations, oldest
	// first (a row is kept whenever the counts change).
	EngagementHistory(ctx context.Context, postID int64) ([]EngagementSample, error)
	// HotPosts returns up to q.Limit hot threads of q.Source (see
	// HotQuery) due for a revisit, the longest-unfetched first.
	HotPosts(ctx context.Context, q HotQuery) ([]model.Post, error)
	// ItemFailure returns the failure record of an item, if any.
	ItemFailure(ctx context.Context, url string) (ItemFailure, bool, error)
	// SaveItemFailure inserts or replaces the failure record of f.URL.
	SaveItemFailure(ctx context.Context, f ItemFailure) error
	// DeleteItemFailure drops the failure record of an item (its page
	// was fetched); no record is no error.
	DeleteItemFailure(ctx context.Context, url string) error
	// ItemFailures returns up to limit failure records of a source, most
	// recent failure first (given-up items for the console).
	ItemFailures(ctx context.Context, source string, limit int) ([]ItemFailure, error)
	// UngradedPosts returns up to limit posts whose current content has no
	// grade yet, oldest first.
	UngradedPosts(ctx context.Context, limit int) ([]model.Post, error)
	// ClaimUngraded is the grading queue several instances take from: it
	// claims for c.Holder, until c.Now+c.TTL, up to c.Limit posts whose
	// current content has no grade yet and no live claim of anyone (none,
	// or lapsed at c.Now), oldest first, and returns them. Posts another
	// transaction is claiming are skipped (FOR UPDATE SKIP LOCKED), not
	// waited for. The claim ends with Tx.EndClaim in the transaction that
	// files the grade, or with ReleaseClaims.
	ClaimUngraded(ctx context.Context, c GradingClaim) ([]model.Post, error)
	// ReleaseClaims ends holder's claims on the posts ids (those it did
	// not file: shutdown, an error), so they are taken again at once
	// rather than when the claims lapse. Claims of others are left alone.
	ReleaseClaims(ctx context.Context, holder string, ids []int64) error
	// UnindexedPosts returns up to limit graded posts whose current
	// content has no search text (graded before search existed, or by a
	// path that does not index), oldest first: the grader's catch-up.
	UnindexedPosts(ctx context.Context, limit int) ([]model.Post, error)
	// Posts returns a page of every collected post matching f (posts.go),
	// each with its latest grade and incident, newest first.
	Posts(ctx context.Context, f PostFilter) (PostPage, error)

	// InTx runs fn in one transaction; fn's error rolls everything back.
	// When the connection breaks before COMMIT (a restarted or terminated
	// database backend), or the server aborts the transaction to break a
	// deadlock, the engine may run fn again in a new transaction: fn must
	// act only through tx and keep no side effects of a run it cannot
	// repeat.
	InTx(ctx context.Context, fn func(Tx) error) error
	// InRowTx is InTx without the whole-database write lock, for writes
	// ordered by row locks, unique constraints and grouping keys
	// (Tx.LockGrouping) alone: the grader's filing, on every instance at
	// once. Incident rows read in any transaction are locked until it ends
	// (Tx.IncidentByID), so staff steps and filings never overwrite each
	// other.
	InRowTx(ctx context.Context, fn func(Tx) error) error

	// Incidents returns a page of the incidents matching f, with their
	// total: keyset pagination, so any page costs about the first.
	Incidents(ctx context.Context, f IncidentFilter) (IncidentPage, error)
	IncidentDetail(ctx context.Context, number string) (IncidentDetail, error)
	// IncidentOfPost is Tx.IncidentOfPost on the readers: what a post was
	// filed into, read without taking the write lock.
	IncidentOfPost(ctx context.Context, postID int64) (model.Incident, bool, error)
	// OpenIncidents returns every incident not closed (what metrics export).
	OpenIncidents(ctx context.Context) ([]model.Incident, error)
	// CountPosts returns how many posts are stored and how many await grading.
	CountPosts(ctx context.Context) (total, ungraded int, err error)
	// GradedPosts pages through posts first seen at or after since, in id
	// order after afterID, each with its latest grade and incident number.
	GradedPosts(ctx context.Context, since time.Time, afterID int64, limit int) ([]GradedPost, error)
	// EngagementNorms returns, per source, the median engagement of its
	// posts first seen at or after since: what is normal for that source.
	EngagementNorms(ctx context.Context, since time.Time) (map[string]Engagement, error)
	// RuleFalsePositives returns the false-positive counts per rule, most first.
	RuleFalsePositives(ctx context.Context) ([]RuleFalsePositives, error)
	// Labels pages through the staff labels (labels.go) in post id order
	// after afterPostID, each with its post: what training learns from.
	Labels(ctx context.Context, afterPostID int64, limit int) ([]LabeledPost, error)

	// Figures (stats.go), counted by the database.

	// PostCounts counts the posts first seen in each interval of b by
	// their latest grade (ErrBadBuckets for intervals out of order).
	PostCounts(ctx context.Context, b Buckets) ([]PostCount, error)
	// SourceCounts counts the posts first seen in [from, to) by source.
	SourceCounts(ctx context.Context, from, to time.Time) ([]SourceCount, error)
	// PlaceCounts counts, for each of places, the relevant posts first
	// seen in [from, to) whose title or body names it (out[i] is places[i]'s).
	PlaceCounts(ctx context.Context, from, to time.Time, places []string) ([]int, error)
	// IncidentCounts counts the open incidents by level, and those with a
	// stage past its deadline at now; levels with none are left out.
	IncidentCounts(ctx context.Context, now time.Time) ([]IncidentCount, error)
	// TermCounts counts the relevant posts holding each word q asks for,
	// by interval, ordered by word and interval (intervals with none left
	// out). Words are those Tx.IndexPost stored for posts relevant when
	// indexed (PostTerms).
	TermCounts(ctx context.Context, q TermQuery) ([]TermCount, error)
	// HandlingCounts counts how the incidents first seen in [from, to)
	// were handled as at now, by office and level (HandlingCount).
	HandlingCounts(ctx context.Context, from, to, now time.Time) ([]HandlingCount, error)

	// Ping asks the database a trivial question: whether it answers (a
	// load balancer's readiness check, /-/ready).
	Ping(ctx context.Context) error

	Close() error
}

// GradingClaim is one take from the grading queue (Store.ClaimUngraded).
type GradingClaim struct {
	Holder string // who grades: the instance's id
	Limit  int
	Now    time.Time
	TTL    time.Duration // the claim lapses at Now+TTL
}

// Database is what each engine (store/sqlite, store/postgres) provides:
// the daemon's store and the console's accounts in one database.
type Database interface {
	Store
	AuthStore
	ReportStore
	ClusterStore
}

// Tx is the part of the store used inside one grading or workflow transaction.
type Tx interface {
	// Posts, grades and labels.

	// SavePost is Store.SavePost inside the transaction (a missed post a
	// handler enters is stored, graded and filed at once).
	SavePost(ctx context.Context, p *model.Post) (SaveResult, error)
	// LockGrouping takes, for the rest of the transaction, a lock on each
	// grouping key (a SimHash band, a name, a repost's hash or title key:
	// incident.GroupingKeys): two filings whose posts could join each other
	// share a key, so one waits for the other and then sees what it filed;
	// filings of unrelated posts do not wait at all. Engines with a single
	// writer need no such lock and do nothing.
	LockGrouping(ctx context.Context, keys []string) error
	// EndClaim ends holder's claim on a post (ClaimUngraded) in the
	// transaction that files its grade and reports whether the claim was
	// still holder's; false: it lapsed and another took the post, or filed
	// it already, and the caller files nothing (rolls back).
	EndClaim(ctx context.Context, postID int64, holder string) (bool, error)
	// SaveGrade records a grade and marks the post's current content graded.
	SaveGrade(ctx context.Context, g model.Grade) error
	// IndexPost stores (or replaces) the search text of a post: words are
	// the gse tokens of its title and body joined by spaces, segmented
	// from the content whose hash is contentHash. A post whose content
	// has changed since is indexed again (UnindexedPosts). When the
	// post's latest grade is relevant, its PostTerms are kept too, for
	// TermCounts (grading saves the grade first, in the same transaction).
	IndexPost(ctx context.Context, postID int64, contentHash, words string) error
	// SaveLabel records (or replaces) what staff decided about a post.
	SaveLabel(ctx context.Context, l Label) error

	// Incidents.

	// CreateIncident assigns inc.ID and inc.Number (YQ-<day>-NNNN, numbered
	// per day of FirstSeenAt in the local time zone) and inserts it.
	CreateIncident(ctx context.Context, inc *model.Incident) error
	UpdateIncident(ctx context.Context, inc model.Incident) error
	// IncidentByNumber, IncidentByID and IncidentOfPost read an incident
	// and lock its row until the transaction ends: whatever the
	// transaction writes back from it (a count, a stage, a status) is not
	// lost to a filing or a staff step committing meanwhile, and a
	// transaction waiting for the row reads it as they left it.
	IncidentByNumber(ctx context.Context, number string) (model.Incident, error)
	IncidentByID(ctx context.Context, id int64) (model.Incident, error)
	// IncidentOfPost returns the incident a post already belongs to.
	IncidentOfPost(ctx context.Context, postID int64) (model.Incident, bool, error)
	// FindRelatedIncident returns the newest open incident first seen at or
	// after since that holds a post with the same content hash or title key.
	FindRelatedIncident(ctx context.Context, p model.Post, since time.Time) (model.Incident, bool, error)
	AttachPost(ctx context.Context, incidentID, postID int64, reason string, at time.Time) error
	// MovePost moves a post of one incident into another (a handler's
	// merge or split), with the reason it is there now.
	MovePost(ctx context.Context, postID, toIncidentID int64, reason string, at time.Time) error
	// PostByID returns a stored post (ErrNotFound when there is none) and
	// locks its row until the transaction ends: a staff step on the post
	// waits for a filing of it (which holds the row from EndClaim) and
	// then sees where it was filed.
	PostByID(ctx context.Context, id int64) (model.Post, error)
	AppendEvent(ctx context.Context, e model.Event) error
	// IncidentPostIDs returns the ids of an incident's posts, oldest first.
	IncidentPostIDs(ctx context.Context, incidentID int64) ([]int64, error)
	// CountIncidentPosts counts an incident's posts first seen at or after since.
	CountIncidentPosts(ctx context.Context, incidentID int64, since time.Time) (int, error)
	// BurstStage returns how many burst raises an incident has had (0 when
	// none); SetBurstStage records it.
	BurstStage(ctx context.Context, incidentID int64) (int, error)
	SetBurstStage(ctx context.Context, incidentID int64, stage int) error
	// IncidentRules returns the rules that fired in the latest grades of an
	// incident's posts, sorted and distinct.
	IncidentRules(ctx context.Context, incidentID int64) ([]string, error)
	// AddFalsePositives adds delta (may be negative, floored at 0) to the
	// false-positive count of each rule.
	AddFalsePositives(ctx context.Context, rules []string, delta int, at time.Time) error

	// Grouping (grouping.go).

	// SaveFingerprint stores (or replaces) the fingerprint of a post.
	SaveFingerprint(ctx context.Context, f Fingerprint) error
	// FingerprintCandidates returns the fingerprints q names (see
	// CandidateQuery), with the incident of each, oldest post first, each
	// once; it reads only those posts, however many incidents are open.
	FingerprintCandidates(ctx context.Context, q CandidateQuery) ([]Fingerprint, error)
}
