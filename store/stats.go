package store

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Figures: what the console's overview and the daily, weekly and monthly
// reports count (package report). Every count is made by the database
// (GROUP BY), never by loading posts: a month is a hundred thousand posts.
//
// A post counts on the interval in which it was first seen (collected),
// under its latest grade: relevant or not, and for a relevant post its
// category, level and sentiment. A sentiment of "" (graded without a
// model) counts as negative, as grading treats it.

// Buckets are consecutive intervals: interval i runs from b[i] (included)
// to b[i+1] (excluded). Days gives the calendar days of a zone.
type Buckets []time.Time

// MaxBuckets bounds the intervals one count covers (more than a year of days).
const MaxBuckets = 400

// ErrBadBuckets reports intervals that are not in ascending order, or too
// few or too many.
var ErrBadBuckets = errors.New("统计区间无效")

// Check reports whether b is at least one interval, at most MaxBuckets,
// ascending.
func (b Buckets) Check() error {
	if len(b) < 2 || len(b) > MaxBuckets+1 {
		return ErrBadBuckets
	}
	for i := 1; i < len(b); i++ {
		if !b[i-1].Before(b[i]) {
			return ErrBadBuckets
		}
	}
	return nil
}

// Len is the number of intervals.
func (b Buckets) Len() int { return max(len(b)-1, 0) }

// Days are n calendar days from the day of start, in start's zone: the
// bureau counts by its own days (config time_zone), whatever the zone of
// the server. Days are midnight to midnight, so a day around a daylight
// saving change is 23 or 25 hours long.
func Days(start time.Time, n int) Buckets {
	y, m, d := start.Date()
	b := make(Buckets, n+1)
	for i := range b {
		b[i] = time.Date(y, m, d+i, 0, 0, 0, 0, start.Location())
	}
	return b
}

// PostCount is how many posts first seen in one interval have one kind of
// latest grade.
type PostCount struct {
	Bucket   int  // index of the interval
	Graded   bool // false: not graded yet (Relevant false, the rest empty)
	Relevant bool
	// Category, Level and Sentiment are those of relevant posts; empty
	// for the others.
	Category  taxonomy.Category
	Level     taxonomy.Level
	Sentiment string
	Posts     int
}

// Negative reports whether c counts relevant posts of negative sentiment
// ("" counts as negative: graded without a model).
func (c PostCount) Negative() bool {
	return c.Relevant && (c.Sentiment == taxonomy.Negative || c.Sentiment == "")
}

// SourceCount is how many posts of one source were first seen in a span.
type SourceCount struct {
	Source   string
	Posts    int // every post collected
	Relevant int
	Negative int // relevant and negative
}

// StageCounts count open incidents with a stage past its deadline.
type StageCounts struct {
	Ack         int // 签收
	FollowUp    int // 跟进回复
	Investigate int // 调查核实
	Feedback    int // 答复反馈
	Any         int // incidents with at least one stage overdue
}

// IncidentCount is what is open at one level now.
type IncidentCount struct {
	Level     taxonomy.Level
	Open      int
	Suspected int // 疑似, awaiting a handler's confirmation
	Overdue   StageCounts
}

// TermQuery asks for the words of relevant posts by interval: the posts
// that hold each word, for the words held by at least MinPosts relevant
// posts of the last Recent intervals (the window a rise is looked for in;
// the intervals before it are the baseline).
type TermQuery struct {
	Buckets  Buckets
	Recent   int
	MinPosts int
}

// TermCount is how many relevant posts first seen in one interval hold a
// word of their search text.
type TermCount struct {
	Term   string
	Bucket int
	Posts  int
}

// MaxPostTerms bounds the words kept per post for TermCounts: the distinct
// words of two characters or more of its search text, title first.
const MaxPostTerms = 400

// PostTerms are the words of a search text (words joined by spaces) that
// TermCounts counts: each once, of two characters or more (a single
// character is a function word or a part of one), at most MaxPostTerms.
func PostTerms(words string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.Fields(words) {
		if utf8.RuneCountInString(w) < 2 || seen[w] {
			continue
		}
		seen[w] = true
		if out = append(out, w); len(out) == MaxPostTerms {
			break
		}
	}
	return out
}

// HandlingCount is how the incidents first seen in a span were handled by
// one office, as at a moment (now): what the reports' per-office handling
// statistics (科室处置) are made of. A stage "falls due" by now when its
// deadline is set and has passed, or it was met; it was met on time when
// done at or before its deadline.
type HandlingCount struct {
	Office    string         // "" for incidents not assigned
	Level     taxonomy.Level // the incidents' level
	Incidents int
	// AckDue incidents had their 签收 fall due by now, AckOnTime of them
	// signed for in time; FollowUpDue and FollowUpOnTime likewise for the
	// first follow-up (跟进回复).
	AckDue, AckOnTime           int
	FollowUpDue, FollowUpOnTime int
	// Overdue incidents had a stage (签收, 跟进回复, 调查核实, 答复反馈)
	// met after its deadline, or past it and not met, at now.
	Overdue int
	// Acked incidents were signed for by now, AckTime the sum of their
	// times from first seen to 签收; Closed and CloseTime likewise for
	// 办结 (closed now, and by now).
	Acked, Closed      int
	AckTime, CloseTime time.Duration
}
