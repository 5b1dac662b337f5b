package model

import (
	"time"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Post is one forum thread, message or article as fetched.
type Post struct {
	ID          int64
	Source      string // source name from sources.yaml
	URL         string // canonical URL, unique
	Title       string
	Body        string
	Author      string
	PublishedAt time.Time // zero when the page gives none
	FetchedAt   time.Time // last fetch
	FirstSeenAt time.Time // first fetch; set by the store
	Replies     int
	Views       int
	Reposts     int
	ContentHash string // see ContentHash; filled by SavePost when empty
	TitleKey    string // see TitleKey; filled by SavePost when empty
	// FullBodyChars is the body's length in characters when the crawler
	// cut it to its source's max_body_chars (Body holds the start only);
	// 0 when Body is whole.
	FullBodyChars int
}

// BodyTruncated reports whether Body holds only the start of the post.
func (p Post) BodyTruncated() bool { return p.FullBodyChars > 0 }

// Match is one rule term found in a post, with byte offsets into the field.
type Match struct {
	Rule  string `json:"rule"`
	Term  string `json:"term"`
	Field string `json:"field"` // "title" or "body"
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Grade is the classifier's verdict on one post under one rules version.
type Grade struct {
	PostID       int64
	RulesVersion string
	Relevant     bool
	Category     taxonomy.Category
	Level        taxonomy.Level
	Score        float64
	Matches      []Match
	Reasons      []string // human-readable explanation, one line per contribution
	GradedAt     time.Time
	// Sentiment is negative, neutral or positive (taxonomy); "" when the
	// grade had no model to judge it (treated as negative).
	Sentiment string
	// DecidedBy says which part decided: "rules", "model", "rules+model"
	// or "staff" (a post a handler entered by hand).
	DecidedBy string
	// Review: rules and model disagreed on whether the post is Ⅰ/Ⅱ; it was
	// filed at least Ⅱ as 疑似, for a handler to confirm or downgrade.
	Review bool
	// Information: a relevant post kept as 舆情信息 (neutral or positive,
	// only 一般): listed and counted, but filed into no incident.
	Information bool
}

// Words are the tokens of a post's title and body, each the original text
// of one token. Grading segments a post and keeps them so that filing it
// into an incident does not segment the text a second time.
type Words struct {
	Title, Body []string
}

// Verdict is the part of a grade a person or a rule change is judged on:
// relevance, and for a relevant post its category and level.
type Verdict struct {
	Relevant bool              `json:"relevant"`
	Category taxonomy.Category `json:"category,omitempty"`
	Level    taxonomy.Level    `json:"level,omitempty"`
}

// Verdict is g's verdict (no category or level when not relevant).
func (g Grade) Verdict() Verdict {
	if !g.Relevant {
		return Verdict{}
	}
	return Verdict{Relevant: true, Category: g.Category, Level: g.Level}
}

// Text is the verdict in Chinese: 无关, or Ⅲ级 较大·医保报销.
func (v Verdict) Text() string {
	if !v.Relevant {
		return "无关"
	}
	return v.Level.Label() + "·" + v.Category.Name()
}
