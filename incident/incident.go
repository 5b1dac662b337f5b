// Package incident owns the life of a numbered incident: filing a graded
// post into a new or an existing incident, the deadlines that follow from its
// level, and the workflow steps staff record (签收, 跟进, 办结). Every change
// is written to the incident's append-only event log in the same transaction
// as the change itself.
package incident

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// SystemActor is the actor recorded for automatic steps.
const SystemActor = "系统"

// Deadlines are the time limits of one level. Ack and FollowUp count from
// first sight; InvestigateDays (调查核实) counts working days from
// registration, FeedbackDays (答复反馈) working days from the end of the
// investigation. A zero working-day count means the level has no such stage.
// The configuration's levels: section decodes into it as it is.
type Deadlines struct {
	Ack             time.Duration `yaml:"ack"` // 0: no separate acknowledgement stage
	FollowUp        time.Duration `yaml:"followup"`
	InvestigateDays int           `yaml:"investigate_days"`
	FeedbackDays    int           `yaml:"feedback_days"`
}

// Workdays counts working days; *calendar.Calendar is one.
type Workdays interface {
	AddWorkdays(t time.Time, n int) time.Time
}

// Policy is what the level configuration decides.
type Policy struct {
	Levels map[taxonomy.Level]Deadlines
	// GroupWindow bounds how far back a new post looks for an open incident
	// about the same thing (reposts and near-duplicates).
	GroupWindow time.Duration
	// Location is the zone deadlines are written in, in event notes.
	Location *time.Location
	// Calendar counts working days; nil: Monday to Friday in Location.
	Calendar Workdays
	// Offices a matter can be assigned to (分派).
	Offices []string
	// SimHashDistance is the largest Hamming distance between the SimHashes
	// of two posts that still makes them near-duplicates.
	SimHashDistance int
	// EventWindow bounds how far back a post looks for posts about the same
	// event; EventMinTerms is how many key terms they must share besides an
	// institution or place name.
	EventWindow   time.Duration
	EventMinTerms int
	// A burst of BurstPosts posts on one incident first seen within
	// BurstWindow raises its level by one (not above Ⅱ); BurstPosts*4
	// raises it once more.
	BurstWindow time.Duration
	BurstPosts  int
}

// DefaultOffices are the bureau offices incidents are assigned to.
var DefaultOffices = []string{"宣传科", "信访科", "基金监管科", "医药服务管理科", "待遇保障科", "办公室"}

// DefaultPolicy is the bureau's rule: Ⅳ/Ⅲ need a follow-up within 24 hours;
// Ⅱ/Ⅰ need an acknowledgement within 1 hour (emergency response) and a
// follow-up within 24 hours.
func DefaultPolicy() Policy {
	return Policy{
		Levels: map[taxonomy.Level]Deadlines{
			taxonomy.LevelI:   {Ack: time.Hour, FollowUp: 24 * time.Hour, InvestigateDays: 7, FeedbackDays: 3},
			taxonomy.LevelII:  {Ack: time.Hour, FollowUp: 24 * time.Hour, InvestigateDays: 7, FeedbackDays: 3},
			taxonomy.LevelIII: {FollowUp: 24 * time.Hour, InvestigateDays: 7, FeedbackDays: 3},
			taxonomy.LevelIV:  {FollowUp: 24 * time.Hour, InvestigateDays: 7, FeedbackDays: 3},
		},
		GroupWindow:     72 * time.Hour,
		Location:        time.Local,
		Offices:         slices.Clone(DefaultOffices),
		SimHashDistance: 3,
		EventWindow:     48 * time.Hour,
		EventMinTerms:   3,
		BurstWindow:     24 * time.Hour,
		BurstPosts:      5,
	}
}

// Service files posts and records workflow steps.
type Service struct {
	st       store.Store
	policy   Policy
	now      func() time.Time
	tokenize Tokenizer
}

// Policy returns the policy in force.
func (s *Service) Policy() Policy { return s.policy }

// New returns a Service; now is the clock (time.Now in production).
// tokenize splits post text into words for grouping: the classifier's
// segmentation in the daemon, so grouping sees the words grading sees;
// nil uses BigramTokens.
func New(st store.Store, policy Policy, now func() time.Time, tokenize Tokenizer) *Service {
	if now == nil {
		now = time.Now
	}
	if policy.Location == nil {
		policy.Location = time.Local
	}
	if policy.Calendar == nil {
		policy.Calendar = calendar.Default(policy.Location)
	}
	if policy.EventMinTerms <= 0 {
		policy.EventMinTerms = 1
	}
	return &Service{st: st, policy: policy, now: now, tokenize: tokenize}
}

// Outcome says what filing a post did.
type Outcome struct {
	Incident model.Incident
	Created  bool // a new incident was opened
	Joined   bool // the post joined an existing incident
	Raised   bool // the incident's level went up
}

// File records the grade of p and, when the post is relevant, files it into
// an incident, all inside tx. It is called once per graded post version.
// A post joins an open incident when it is a repost (same content hash or
// title key), a near-duplicate (SimHash) or about the same event (shared
// institution or place and key terms); otherwise it opens a new one.
func (s *Service) File(ctx context.Context, tx store.Tx, p model.Post, g model.Grade) (Outcome, error) {
	return s.FileWords(ctx, tx, p, g, nil)
}

// maxLookups bounds how often filing looks for a related incident again
// when the one it found was closed before its row could be locked.
const maxLookups = 4

// FileWords is File with the post's words from grading (see
// FingerprintWords); nil w means split the text here.
//
// Filing needs no whole-database lock: it locks the grouping keys of the
// post (groupingKeys) before it reads anything, so a filing of a post it
// could join, or that could join it, has committed before the candidates
// are read or waits until this one commits; the incident it joins is
// locked by its row.
func (s *Service) FileWords(ctx context.Context, tx store.Tx, p model.Post, g model.Grade, w *model.Words) (Outcome, error) {
	if !files(g) {
		return Outcome{}, tx.SaveGrade(ctx, g)
	}
	fp := s.FingerprintWords(p, w)
	if area := AreaEntity(p.Title, p.Body, g.Category); area != "" {
		fp.Entities = append(fp.Entities, area)
	}
	fp.Keys = IndexKeys(fp)
	q := s.candidateQuery(fp)
	if err := tx.LockGrouping(ctx, groupingKeys(p, fp, q)); err != nil {
		return Outcome{}, err
	}
	if err := tx.SaveGrade(ctx, g); err != nil {
		return Outcome{}, err
	}
	now := s.now()
	if p.FirstSeenAt.IsZero() {
		p.FirstSeenAt = now
	}
	fp.FirstSeenAt = p.FirstSeenAt
	inc, found, err := tx.IncidentOfPost(ctx, p.ID)
	if err != nil {
		return Outcome{}, err
	}
	if found {
		// A changed post that already belongs to an incident can only raise it.
		if err := tx.SaveFingerprint(ctx, fp); err != nil {
			return Outcome{}, err
		}
		out := Outcome{Incident: inc}
		out.Raised, err = s.raise(ctx, tx, &out.Incident, g.Level, now, p.ID, "帖子内容更新后重新研判")
		if err == nil && out.Raised {
			err = tx.UpdateIncident(ctx, out.Incident)
		}
		return out, err
	}
	for range maxLookups {
		m, found, err := s.related(ctx, tx, p, fp, q, now)
		if err != nil {
			return Outcome{}, err
		}
		if !found {
			break
		}
		inc, err := tx.IncidentByID(ctx, m.incidentID) // locked from here on
		if err != nil {
			return Outcome{}, err
		}
		if !inc.Open() {
			// Closed by staff after the candidates were read: the next
			// lookup reads it closed and passes it by.
			continue
		}
		if err := tx.SaveFingerprint(ctx, fp); err != nil {
			return Outcome{}, err
		}
		return s.join(ctx, tx, p, g, inc, m.reason, now)
	}
	if err := tx.SaveFingerprint(ctx, fp); err != nil {
		return Outcome{}, err
	}
	return s.open(ctx, tx, p, g, now)
}

// groupingKeys are the keys filing p locks (store.Tx.LockGrouping): those
// it is indexed under, those its lookup reads, and its repost keys. A post
// can only join another's incident through a key the other is indexed
// under and this one reads (or a shared content hash or title key), so
// two filings that could group always share a key.
func groupingKeys(p model.Post, fp store.Fingerprint, q store.CandidateQuery) []string {
	hash := p.ContentHash
	if hash == "" {
		hash = model.ContentHash(p.Title, p.Body)
	}
	keys := append([]string{"h:" + hash}, fp.Keys...)
	if tk := cmp.Or(p.TitleKey, model.TitleKey(p.Title)); tk != "" {
		keys = append(keys, "t:"+tk)
	}
	keys = append(keys, q.Bands...)
	return append(keys, q.Names...)
}

// join attaches p to the related incident m found, which rises to p's
// level if that is higher (疑似 when a review grade takes it to Ⅱ) and by
// a burst of posts.
func (s *Service) join(ctx context.Context, tx store.Tx, p model.Post, g model.Grade, inc model.Incident, reason string, now time.Time) (Outcome, error) {
	if err := tx.AttachPost(ctx, inc.ID, p.ID, reason, now); err != nil {
		return Outcome{}, err
	}
	inc.PostCount++
	if p.FirstSeenAt.After(inc.LastPostAt) {
		inc.LastPostAt = p.FirstSeenAt
	}
	inc.UpdatedAt = now
	if err := tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: now, Kind: model.EventPostJoined,
		Actor: SystemActor, Note: fmt.Sprintf("来自「%s」的帖子并入本事件：%s", p.Source, reason), PostID: p.ID}); err != nil {
		return Outcome{}, err
	}
	out := Outcome{Incident: inc, Joined: true}
	wasMajor := inc.Level.IsMajor()
	var err error
	if out.Raised, err = s.raise(ctx, tx, &out.Incident, g.Level, now, p.ID, "相关帖子等级更高"); err != nil {
		return out, err
	}
	if out.Raised && g.Review && !wasMajor {
		out.Incident.Suspected = true // raised to Ⅱ by a 疑似 grade
	}
	burst, err := s.burst(ctx, tx, &out.Incident, now, p.ID)
	if err != nil {
		return out, err
	}
	out.Raised = out.Raised || burst
	return out, tx.UpdateIncident(ctx, out.Incident)
}

// open files p as a new incident with its deadlines and the creation
// event that states them.
func (s *Service) open(ctx context.Context, tx store.Tx, p model.Post, g model.Grade, now time.Time) (Outcome, error) {
	first := p.FirstSeenAt
	inc := model.Incident{
		Title:       Title(p),
		Category:    g.Category,
		Level:       g.Level,
		Status:      model.StatusOpen,
		Source:      p.Source,
		FirstSeenAt: first,
		LastPostAt:  first,
		PostCount:   1,
		UpdatedAt:   now,
		Suspected:   g.Review,
	}
	s.setDeadlines(&inc, first)
	if err := tx.CreateIncident(ctx, &inc); err != nil {
		return Outcome{}, err
	}
	if err := tx.AttachPost(ctx, inc.ID, p.ID, "首发帖子", now); err != nil {
		return Outcome{}, err
	}
	note := fmt.Sprintf("自动登记：%s · %s，跟进回复时限 %s", inc.Level.Label(),
		inc.Category.Name(), s.formatTime(inc.FollowUpDueAt))
	if !inc.AckDueAt.IsZero() {
		note += fmt.Sprintf("；重大舆情须在 %s 前签收并启动应急响应（宣传科、信访科）", s.formatTime(inc.AckDueAt))
	}
	if !inc.InvestigateDueAt.IsZero() {
		note += fmt.Sprintf("；调查核实时限 %s", s.formatTime(inc.InvestigateDueAt))
	}
	if inc.Suspected {
		note += "；规则与模型对是否达到Ⅱ级以上意见不一，标记为疑似，按Ⅱ级处置，待人工确认或降级"
	}
	if err := tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: now, Kind: model.EventCreated,
		Actor: SystemActor, Note: note, PostID: p.ID}); err != nil {
		return Outcome{}, err
	}
	return Outcome{Incident: inc, Created: true}, nil
}

// files reports whether a grade files its post into an incident: a
// relevant post of a valid level that is not 舆情信息.
func files(g model.Grade) bool {
	return g.Relevant && g.Level.Valid() && !g.Information
}

// related finds the open incident p belongs to: a repost by content hash or
// title key first (the store's index), then a near-duplicate by SimHash,
// then a post about the same event, among the candidates the fingerprint
// index gives (candidates).
func (s *Service) related(ctx context.Context, tx store.Tx, p model.Post, fp store.Fingerprint, q store.CandidateQuery, now time.Time) (match, bool, error) {
	inc, found, err := tx.FindRelatedIncident(ctx, p, now.Add(-s.policy.GroupWindow))
	if err != nil || found {
		return match{inc.ID, relatedReason(inc, p)}, found, err
	}
	cands, err := s.candidates(ctx, tx, q, now)
	if err != nil {
		return match{}, false, err
	}
	near := cands[:0:0]
	for _, c := range cands {
		if !c.FirstSeenAt.Before(now.Add(-s.policy.GroupWindow)) {
			near = append(near, c)
		}
	}
	if m, ok := s.nearDuplicate(fp, near); ok {
		return m, true, nil
	}
	if s.policy.EventWindow > 0 {
		if m, ok := s.sameEvent(fp, cands); ok {
			return m, true, nil
		}
	}
	return match{}, false, nil
}

// candidatesSince is how far back the posts lie that a post filed at now
// can join.
func (s *Service) candidatesSince(now time.Time) time.Time {
	return now.Add(-max(s.policy.GroupWindow, s.policy.EventWindow))
}

// candidates returns the fingerprints of the open incidents' posts that
// q's post can match, oldest first.
func (s *Service) candidates(ctx context.Context, tx store.Tx, q store.CandidateQuery, now time.Time) ([]store.Fingerprint, error) {
	if q.Empty() {
		return nil, nil // no SimHash, no name: nothing can match
	}
	q.Since = s.candidatesSince(now)
	return tx.FingerprintCandidates(ctx, q)
}

// burst raises inc one level when the posts it gathered within the burst
// window reach the threshold, and once more at four times it: a burst of
// many posts on one event within a day raises the event's level. A burst
// alone never makes an incident 特别重大.
//
// Each stage raises at most once in an incident's life (the stage is kept in
// the store): the count of a sliding window keeps touching the threshold
// under steady traffic, and a level staff lowered after a burst must not be
// raised back by the next post of the same burst. A stage reached while the
// incident is already at Ⅱ or above is recorded without a raise.
func (s *Service) burst(ctx context.Context, tx store.Tx, inc *model.Incident, now time.Time, postID int64) (bool, error) {
	if s.policy.BurstPosts <= 0 || s.policy.BurstWindow <= 0 || !inc.Open() {
		return false, nil
	}
	n, err := tx.CountIncidentPosts(ctx, inc.ID, now.Add(-s.policy.BurstWindow))
	if err != nil {
		return false, err
	}
	target := 0
	switch {
	case n >= 4*s.policy.BurstPosts:
		target = 2
	case n >= s.policy.BurstPosts:
		target = 1
	}
	if target == 0 {
		return false, nil
	}
	stage, err := tx.BurstStage(ctx, inc.ID)
	if err != nil || target <= stage {
		return false, err
	}
	if err := tx.SetBurstStage(ctx, inc.ID, target); err != nil {
		return false, err
	}
	level := max(inc.Level-taxonomy.Level(target-stage), taxonomy.LevelII)
	if level >= inc.Level {
		return false, nil
	}
	why := fmt.Sprintf("%s内相关帖子达 %d 条，%s", humanWindow(s.policy.BurstWindow), n, burstMark)
	return true, s.changeLevel(ctx, tx, inc, level, now, SystemActor, postID, why)
}

// burstMark ends the reason of a burst raise; migration 00005_burst.sql
// finds the raises logged before burst stages were stored by it.
const burstMark = "舆情聚集"

func humanWindow(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d小时", int(d/time.Hour))
	}
	return d.String()
}

// setDeadlines sets the deadlines of inc's level counted from start (ack,
// follow-up) and from registration (investigation), leaving met ones alone.
func (s *Service) setDeadlines(inc *model.Incident, start time.Time) {
	d := s.policy.Levels[inc.Level]
	inc.AckDueAt = time.Time{}
	if d.Ack > 0 && inc.AckedAt.IsZero() {
		inc.AckDueAt = start.Add(d.Ack)
	}
	if inc.FollowedUpAt.IsZero() {
		inc.FollowUpDueAt = start.Add(d.FollowUp)
	}
	if inc.InvestigatedAt.IsZero() {
		inc.InvestigateDueAt = time.Time{}
		if d.InvestigateDays > 0 {
			inc.InvestigateDueAt = s.policy.Calendar.AddWorkdays(inc.FirstSeenAt, d.InvestigateDays)
		}
	}
	if !inc.InvestigatedAt.IsZero() && inc.RepliedAt.IsZero() {
		s.setFeedbackDue(inc, inc.InvestigatedAt)
	}
}

// setFeedbackDue starts the feedback stage at from.
func (s *Service) setFeedbackDue(inc *model.Incident, from time.Time) {
	inc.FeedbackDueAt = time.Time{}
	if n := s.policy.Levels[inc.Level].FeedbackDays; n > 0 {
		inc.FeedbackDueAt = s.policy.Calendar.AddWorkdays(from, n)
	}
}

// raise moves inc to a more severe level (a smaller number) and logs it.
func (s *Service) raise(ctx context.Context, tx store.Tx, inc *model.Incident, level taxonomy.Level, now time.Time, postID int64, why string) (bool, error) {
	if level >= inc.Level || !inc.Open() {
		return false, nil
	}
	return true, s.changeLevel(ctx, tx, inc, level, now, SystemActor, postID, why)
}

// changeLevel sets inc's level and logs the change. Deadlines of the new
// level run from now, but a raise never makes a running deadline later.
func (s *Service) changeLevel(ctx context.Context, tx store.Tx, inc *model.Incident, level taxonomy.Level, now time.Time, actor string, postID int64, why string) error {
	old := *inc
	inc.Level = level
	s.setDeadlines(inc, now)
	if level < old.Level {
		for _, p := range []struct{ was, is *time.Time }{
			{&old.FollowUpDueAt, &inc.FollowUpDueAt}, {&old.AckDueAt, &inc.AckDueAt},
			{&old.InvestigateDueAt, &inc.InvestigateDueAt}, {&old.FeedbackDueAt, &inc.FeedbackDueAt},
		} {
			if !p.was.IsZero() && p.was.Before(*p.is) {
				*p.is = *p.was
			}
		}
	} else if inc.FollowedUpAt.IsZero() {
		inc.FollowUpDueAt = old.FollowUpDueAt // lowering keeps the running follow-up clock
	}
	inc.UpdatedAt = now
	verb := "升为"
	if level > old.Level {
		verb = "降为"
	}
	return tx.AppendEvent(ctx, model.Event{IncidentID: inc.ID, At: now, Kind: model.EventLevelChanged,
		Actor: actor, PostID: postID,
		Note: fmt.Sprintf("等级由%s%s%s（%s）", old.Level.Label(), verb, level.Label(), why)})
}

func relatedReason(inc model.Incident, p model.Post) string {
	return fmt.Sprintf("与事件 %s 的帖子内容或标题相同（转帖）", inc.Number)
}

// Title derives an incident title from its first post: the post title, or
// the start of the body when the post has none (微博-style posts).
func Title(p model.Post) string {
	t := strings.TrimSpace(p.Title)
	if t == "" {
		t = strings.Join(strings.Fields(p.Body), " ")
	}
	// At most 60 runes with the "…"; never cut inside a personal number.
	return privacy.Truncate(t, 59)
}

func (s *Service) formatTime(t time.Time) string {
	return t.In(s.policy.Location).Format("2006-01-02 15:04")
}
