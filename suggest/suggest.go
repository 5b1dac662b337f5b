// Package suggest finds what the learned model knows that the operators'
// rules do not: posts the rules and the model grade differently (labelled
// files, with who was right, or the store's recent posts) and the model's
// heaviest terms no rule contains, as rules ready to paste into
// rules.yaml. `yuqing rules suggest` and the console's /rules/suggest both
// call it, so they show the same thing.
package suggest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

func modelVerdict(m classifier.ModelVerdict) model.Verdict {
	if !m.Relevant {
		return model.Verdict{}
	}
	return model.Verdict{Relevant: true, Category: m.Category, Level: m.Level}
}

// Aspects on which rules and model can differ.
const (
	AspectRelevance = "relevance"
	AspectCategory  = "category"
	AspectBand      = "band"
)

// AspectName is the Chinese name of an aspect.
func AspectName(a string) string {
	switch a {
	case AspectRelevance:
		return "相关性"
	case AspectCategory:
		return "类别"
	case AspectBand:
		return "严重程度"
	}
	return a
}

// differ lists the aspects on which a and b differ: relevance; when both
// are relevant, category and severity band (the model knows bands, not Ⅰ
// from Ⅱ).
func differ(a, b model.Verdict) []string {
	if a.Relevant != b.Relevant {
		return []string{AspectRelevance}
	}
	var out []string
	if a.Relevant && a.Category != b.Category {
		out = append(out, AspectCategory)
	}
	if a.Relevant && learn.Band(a.Level) != learn.Band(b.Level) {
		out = append(out, AspectBand)
	}
	return out
}

// agrees reports whether v matches the label on aspect a.
func agrees(v, label model.Verdict, a string) bool {
	switch a {
	case AspectRelevance:
		return v.Relevant == label.Relevant
	case AspectCategory:
		return label.Relevant && v.Category == label.Category
	default:
		return label.Relevant && learn.Band(v.Level) == learn.Band(label.Level)
	}
}

// Who was right on a labelled disagreement.
const (
	RightRules   = "rules"
	RightModel   = "model"
	RightNeither = "neither"
	RightSplit   = "split" // each right on some aspect
)

// RightName is the Chinese of a Right value.
func RightName(r string) string {
	switch r {
	case RightRules:
		return "规则对"
	case RightModel:
		return "模型对"
	case RightNeither:
		return "都不对"
	case RightSplit:
		return "各对一部分"
	}
	return r
}

// LabelledCase is a labelled post the rules and the model grade
// differently.
type LabelledCase struct {
	ID        string        `json:"id"`
	Excerpt   string        `json:"excerpt"` // title or start of body, personal data masked
	Label     model.Verdict `json:"label"`
	Rules     model.Verdict `json:"rules"`
	Model     model.Verdict `json:"model"`
	PRelevant float64       `json:"p_relevant"` // the model's relevance probability
	Aspects   []string      `json:"aspects"`
	Right     string        `json:"right"`
}

// LabelledReport is every disagreement over labelled posts, in file order,
// with how often each side was right.
type LabelledReport struct {
	Posts int            `json:"posts"`
	Cases []LabelledCase `json:"cases"`
	Right map[string]int `json:"right"` // by Right value
}

// Labelled compares the rules and the model on labelled posts.
func Labelled(eng *classifier.Engine, items []classifier.Labeled) (LabelledReport, error) {
	rep := LabelledReport{Posts: len(items), Right: map[string]int{}}
	for _, it := range items {
		c, err := eng.Compare(it.Post)
		if err != nil {
			return rep, err
		}
		rv, mv := c.Rules.Verdict(), modelVerdict(c.Model)
		aspects := differ(rv, mv)
		if len(aspects) == 0 {
			continue
		}
		label := model.Verdict{Relevant: it.Relevant, Category: it.Category, Level: it.Level}
		rulesRight, modelRight := 0, 0
		for _, a := range aspects {
			if agrees(rv, label, a) {
				rulesRight++
			}
			if agrees(mv, label, a) {
				modelRight++
			}
		}
		right := RightSplit
		switch {
		case rulesRight == len(aspects):
			right = RightRules
		case modelRight == len(aspects):
			right = RightModel
		case rulesRight == 0 && modelRight == 0:
			right = RightNeither
		}
		rep.Right[right]++
		rep.Cases = append(rep.Cases, LabelledCase{ID: it.ID, Excerpt: excerpt(it.Post.Title, it.Post.Body),
			Label: label, Rules: rv, Model: mv, PRelevant: c.Model.PRelevant, Aspects: aspects, Right: right})
	}
	return rep, nil
}

// excerpt is what a list shows of a post: its title, or the start of its
// body, markup dropped, personal data masked, then cut (never inside a
// number).
func excerpt(title, body string) string {
	const n = 40
	s := title
	if s == "" {
		s = body
	}
	return privacy.Truncate(privacy.Mask(privacy.Plain(privacy.Precut(s, n))), n)
}

// Posts is what the stored-post comparison reads from the store.
type Posts interface {
	GradedPosts(ctx context.Context, since time.Time, afterID int64, limit int) ([]store.GradedPost, error)
	EngagementNorms(ctx context.Context, since time.Time) (map[string]store.Engagement, error)
}

// StoredCase is a stored post on which the model had a say: its grade
// records that the model decided part of it (decided_by is not rules) or
// marked it 疑似. Rules and Model are what the current rules and model say
// of it each alone; Final, DecidedBy and Review are its stored grade.
type StoredCase struct {
	PostID    int64         `json:"post_id"`
	Source    string        `json:"source"`
	Incident  string        `json:"incident,omitempty"`
	FirstSeen time.Time     `json:"first_seen"`
	Excerpt   string        `json:"excerpt"` // personal data masked
	Rules     model.Verdict `json:"rules"`
	Model     model.Verdict `json:"model"`
	PRelevant float64       `json:"p_relevant"`
	Final     model.Verdict `json:"final"`
	DecidedBy string        `json:"decided_by"`
	Review    bool          `json:"review"`
}

// modelHadSay reports whether a stored grade was decided in part by the
// model or marked 疑似. Grades made without a model (decided_by empty)
// and posts staff entered by hand are the rules' or the staff's.
func modelHadSay(g model.Grade) bool {
	return g.Review || g.DecidedBy == classifier.DecidedByModel || g.DecidedBy == classifier.DecidedByBoth
}

// StoredQuery selects stored posts to compare.
type StoredQuery struct {
	Since time.Time // posts first seen at or after
	Now   time.Time // for engagement norms; zero: time.Now()
	// Offset and Limit page the cases, newest first; Limit 0: all.
	Offset, Limit int
	// MaxScan bounds the work: only the newest MaxScan posts the model
	// had a say on since Since are listed (0: all of them).
	MaxScan int
	// Source says how each source's posts are graded (nil: weight 1, no
	// channel, for all).
	Source func(name string) grader.SourceGrading
}

// StoredPage is one page of stored cases, newest first.
type StoredPage struct {
	Cases   []StoredCase `json:"cases"`
	More    bool         `json:"more"`    // cases beyond this page exist
	Scanned int          `json:"scanned"` // graded posts read
	Total   int          `json:"total"`   // posts the model had a say on (at most MaxScan)
	Capped  bool         `json:"capped"`  // older ones were left out (MaxScan)
}

// readPage is how many posts one store read returns.
const readPage = 500

// Stored lists, newest first, the store's posts whose grade the model had a
// say in (read-only), each with what the current rules and model say of
// it alone; only the page asked for is graded again.
func Stored(ctx context.Context, posts Posts, eng *classifier.Engine, q StoredQuery) (StoredPage, error) {
	var page StoredPage
	if !eng.HasModel() {
		return page, classifier.ErrNoModel
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	norms, err := posts.EngagementNorms(ctx, now.Add(-grader.NormWindow))
	if err != nil {
		return page, fmt.Errorf("统计数据源互动量: %w", err)
	}
	kept, err := newestGraded(ctx, posts, q.Since, q.MaxScan, &page)
	if err != nil {
		return page, err
	}
	page.Total = len(kept)
	slices.Reverse(kept) // newest first
	if q.Offset >= len(kept) {
		return page, nil
	}
	kept = kept[q.Offset:]
	if q.Limit > 0 && len(kept) > q.Limit {
		kept, page.More = kept[:q.Limit], true
	}
	for _, gp := range kept {
		src := grader.SourceGrading{Weight: 1}
		if q.Source != nil {
			src = q.Source(gp.Post.Source)
		}
		c, err := eng.Compare(grader.ClassifierPost(gp.Post, src, norms[gp.Post.Source]))
		if err != nil {
			return page, err
		}
		g := gp.Grade
		final := g.Verdict()
		page.Cases = append(page.Cases, StoredCase{PostID: gp.Post.ID, Source: gp.Post.Source, Incident: gp.Incident,
			FirstSeen: gp.Post.FirstSeenAt, Excerpt: excerpt(gp.Post.Title, gp.Post.Body),
			Rules: c.Rules.Verdict(), Model: modelVerdict(c.Model), PRelevant: c.Model.PRelevant,
			Final: final, DecidedBy: g.DecidedBy, Review: g.Review})
	}
	return page, ctx.Err()
}

// newestGraded reads the graded posts first seen at or after since and
// returns the newest limit (all when limit is 0) of those the model had a
// say on, oldest first, counting what it read in page.Scanned and setting
// page.Capped when older ones were left out. Memory stays near 2·limit
// posts however many the window holds.
func newestGraded(ctx context.Context, posts Posts, since time.Time, limit int, page *StoredPage) ([]store.GradedPost, error) {
	var kept []store.GradedPost
	var after int64
	for {
		ps, err := posts.GradedPosts(ctx, since, after, readPage)
		if err != nil {
			return nil, fmt.Errorf("读取帖子: %w", err)
		}
		if len(ps) == 0 {
			break
		}
		after = ps[len(ps)-1].Post.ID
		for _, gp := range ps {
			if gp.Graded {
				page.Scanned++
				if modelHadSay(gp.Grade) {
					kept = append(kept, gp)
				}
			}
		}
		if limit > 0 && len(kept) > 2*limit {
			kept, page.Capped = slices.Delete(kept, 0, len(kept)-limit), true
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if limit > 0 && len(kept) > limit {
		kept, page.Capped = slices.Delete(kept, 0, len(kept)-limit), true
	}
	return kept, nil
}

// Terms is the model's strongest terms no rule contains, per category and
// severity band, and the same as rules to paste into rules.yaml.
type Terms struct {
	Groups []classifier.ClassTerms `json:"groups"`
	YAML   string                  `json:"yaml"`
}

// ModelTerms returns up to n terms per category and band with the rules
// snippet.
func ModelTerms(eng *classifier.Engine, n int) (Terms, error) {
	groups, err := eng.ModelTerms(n)
	if err != nil {
		return Terms{}, err
	}
	y, err := eng.SuggestedRules(groups)
	if err != nil {
		return Terms{}, err
	}
	return Terms{Groups: groups, YAML: y}, nil
}
