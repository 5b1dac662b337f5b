package store

import (
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Where a label came from: the staff decision it records (Label.Origin).
const (
	LabelFalsePositive = "false_positive" // 误报: not a 医保 matter
	LabelLevel         = "level"          // 升级/降级
	LabelCategory      = "category"       // 类别更正
	LabelConfirmed     = "confirmed"      // 疑似 confirmed as graded
	LabelReopened      = "reopened"       // a 误报 undone
	LabelMissed        = "missed"         // 补录漏报: a post the system missed
)

// Label is what staff decided about one post: the grade it should have
// had. Every correction a handler makes becomes one, so the model can be
// retrained on the bureau's own decisions (yuqing train -store). A post
// keeps only its latest label.
type Label struct {
	PostID   int64
	Relevant bool
	Category taxonomy.Category // "" when not relevant
	Level    taxonomy.Level    // 0 when not relevant
	// Sentiment is "" when staff did not judge it (training then learns
	// no sentiment from the post).
	Sentiment string
	Origin    string // LabelFalsePositive, ...
	Actor     string
	Note      string
	At        time.Time
}

// LabeledPost is a post with its staff label.
type LabeledPost struct {
	Post  model.Post
	Label Label
}
