package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// What staff decide about an incident becomes a label on each of its
// posts (store.Label), so that `yuqing train -store` learns the bureau's
// own corrections: 误报, 升级/降级, a category change, a 疑似 confirmed,
// a post the system missed entered by hand.

// Refusals of the labelling actions.
var (
	ErrBadCategory    = &Refusal{Msg: "请选择类别"}
	ErrSameCategory   = &Refusal{Msg: "类别未变化"}
	ErrNotSuspected   = &Refusal{Msg: "事件不是疑似，无需确认"}
	ErrMissedEmpty    = &Refusal{Msg: "请粘贴帖子正文，或填写系统已采集帖子的网址"}
	ErrMissedNotFound = &Refusal{Msg: "系统没有采集过这个网址，请同时粘贴帖子正文"}
	// ErrAlreadyFiled is matched by the refusal naming the incident.
	ErrAlreadyFiled = &Refusal{Msg: "该帖子已在事件中"}
	ErrBadSentiment = &Refusal{Msg: "情感只能是负面、中性或正面"}
)

// ManualSource is the source key of a post a handler entered by hand
// without a source the crawler knows.
const ManualSource = "manual"

// labelPosts records the incident's verdict as the label of each of its
// posts: not relevant for 误报, else the incident's category and level.
func labelPosts(ctx context.Context, tx store.Tx, inc model.Incident, relevant bool, origin, actor, note string, now time.Time) error {
	ids, err := tx.IncidentPostIDs(ctx, inc.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		l := store.Label{PostID: id, Relevant: relevant, Origin: origin, Actor: actor, Note: note, At: now}
		if relevant {
			l.Category, l.Level = inc.Category, inc.Level
		}
		if err := tx.SaveLabel(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// applyConfirm is 确认疑似: a handler checked a 疑似 incident and agrees
// with its level; it is no longer suspected, and its posts are labelled so.
func applyConfirm(ctx context.Context, _ *Service, c Change) (string, error) {
	inc := c.Incident
	if !inc.Suspected {
		return "", ErrNotSuspected
	}
	inc.Suspected = false
	if err := labelPosts(ctx, c.Tx, *inc, true, store.LabelConfirmed, c.Actor, c.Input.Note, c.Now); err != nil {
		return "", err
	}
	return joinNote("确认为"+inc.Level.Label(), c.Input.Note), nil
}

// applyCategory is 更正类别: a handler's correction of the category, with
// its reason.
func applyCategory(ctx context.Context, _ *Service, c Change) (string, error) {
	inc, reason := c.Incident, c.Input.Note
	if inc.Category == c.Input.Category {
		return "", ErrSameCategory
	}
	was := inc.Category
	inc.Category = c.Input.Category
	if err := labelPosts(ctx, c.Tx, *inc, true, store.LabelCategory, c.Actor, reason, c.Now); err != nil {
		return "", err
	}
	return fmt.Sprintf("类别由%s改为%s（%s）", was.Name(), c.Input.Category.Name(), reason), nil
}

// Missed is a post the system missed, as a handler enters it (补录漏报).
type Missed struct {
	// URL of the post: when the crawler has it, the stored post is used
	// (Title and Body may be empty); otherwise it is kept with the text.
	URL    string
	Source string // source key; "" for ManualSource
	Title  string
	Body   string
	// The handler's verdict.
	Category  taxonomy.Category
	Level     taxonomy.Level
	Sentiment string // "" when not judged
	Note      string
}

// FileMissed stores a post the system missed with the handler's verdict
// as its grade and label, and files it at once: it opens an incident, or
// joins the open one it belongs to, as a crawled post would.
func (s *Service) FileMissed(ctx context.Context, actor string, m Missed) (model.Incident, error) {
	actor = strings.TrimSpace(actor)
	m.URL, m.Title, m.Body = strings.TrimSpace(m.URL), strings.TrimSpace(m.Title), strings.TrimSpace(m.Body)
	switch {
	case actor == "":
		return model.Incident{}, ErrEmptyActor
	case !m.Level.Valid():
		return model.Incident{}, ErrBadLevel
	case !m.Category.Valid():
		return model.Incident{}, ErrBadCategory
	case m.Sentiment != "" && taxonomy.SentimentName(m.Sentiment) == m.Sentiment:
		return model.Incident{}, ErrBadSentiment
	case m.URL == "" && m.Body == "":
		return model.Incident{}, ErrMissedEmpty
	}
	var out Outcome
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		p, err := s.missedPost(ctx, tx, m)
		if err != nil {
			return err
		}
		now := s.now()
		note := joinNote("人工补录漏报："+m.Level.Label()+" · "+m.Category.Name(), m.Note)
		g := model.Grade{PostID: p.ID, RulesVersion: taxonomy.DecidedByStaff, Relevant: true, Category: m.Category,
			Level: m.Level, Sentiment: m.Sentiment, DecidedBy: taxonomy.DecidedByStaff, GradedAt: now,
			Reasons: []string{note + "（" + actor + "）"}}
		if out, err = s.File(ctx, tx, p, g); err != nil {
			return err
		}
		if err := tx.SaveLabel(ctx, store.Label{PostID: p.ID, Relevant: true, Category: m.Category, Level: m.Level,
			Sentiment: m.Sentiment, Origin: store.LabelMissed, Actor: actor, Note: m.Note, At: now}); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, model.Event{IncidentID: out.Incident.ID, At: now, Kind: model.EventMissedFiled,
			Actor: actor, Note: note, PostID: p.ID})
	})
	if err != nil {
		return model.Incident{}, fmt.Errorf("补录漏报: %w", err)
	}
	return out.Incident, nil
}

// missedPost finds or stores the post of m inside tx.
func (s *Service) missedPost(ctx context.Context, tx store.Tx, m Missed) (model.Post, error) {
	if m.URL != "" && m.Body == "" {
		// Only a stored post can be named by its address alone.
		return s.storedMissed(ctx, tx, m.URL)
	}
	p := model.Post{Source: m.Source, URL: m.URL, Title: m.Title, Body: m.Body, FetchedAt: s.now()}
	if p.Source == "" {
		p.Source = ManualSource
	}
	if p.URL == "" {
		sum := sha256.Sum256([]byte(p.Title + "\x00" + p.Body))
		p.URL = "manual:" + hex.EncodeToString(sum[:12])
	}
	if _, err := tx.SavePost(ctx, &p); err != nil {
		return p, err
	}
	return p, notFiled(ctx, tx, p)
}

func (s *Service) storedMissed(ctx context.Context, tx store.Tx, url string) (model.Post, error) {
	p, found, err := s.st.PostByURL(ctx, url)
	if err != nil {
		return p, err
	}
	if !found {
		return p, ErrMissedNotFound
	}
	return p, notFiled(ctx, tx, p)
}

// notFiled refuses a post that already belongs to an incident, naming it.
func notFiled(ctx context.Context, tx store.Tx, p model.Post) error {
	inc, found, err := tx.IncidentOfPost(ctx, p.ID)
	if err != nil {
		return err
	}
	if found {
		return &Refusal{Msg: ErrAlreadyFiled.Msg + " " + inc.Number, Incident: inc.Number, kind: ErrAlreadyFiled}
	}
	return nil
}
