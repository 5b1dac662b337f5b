package store

import (
	"cmp"
	"slices"
	"time"
)

// HotQuery selects a source's hot threads (Store.HotPosts).
//
// A thread's velocity is how fast its replies and its views grew between
// its last two observations that changed them (per hour), both at or after
// Since. The source's norm is the median velocity of its threads that grew
// in that window. A thread is hot when its reply or view velocity is at
// least Factor times the norm; while fewer than MinNormThreads threads
// grew, the norm says nothing yet and any reply growth is hot (views rise
// on every thread that is read, so they count only against a norm). A
// thread whose last fetch saw no change has cooled down and is not hot.
type HotQuery struct {
	Source string
	Since  time.Time
	// FetchedBefore: only threads last fetched at or before it (due for
	// a revisit) are returned; the norm is taken over all of them.
	FetchedBefore time.Time
	Factor        float64 // <= 0: DefaultHotFactor
	Limit         int     // <= 0: 20
}

// DefaultHotFactor is how many times the source's norm velocity makes a
// thread hot when HotQuery.Factor is not set.
const DefaultHotFactor = 3

// MinNormThreads is how many threads of a source must have grown in the
// window before their median velocity is taken as the source's norm.
const MinNormThreads = 5

// Observed is what HotPosts reads of one thread: its last fetch and its
// last two engagement rows (Last the newer).
type Observed struct {
	PostID     int64
	FetchedAt  time.Time
	Last, Prev EngagementSample
}

// minVelocitySpan keeps two rows written in the same instant from making
// an infinite velocity.
const minVelocitySpan = time.Minute

// velocity returns how fast replies and views grew from Prev to Last, per
// hour (negative when they fell: deleted replies).
func (o Observed) velocity() (replies, views float64) {
	h := max(o.Last.At.Sub(o.Prev.At), minVelocitySpan).Hours()
	return float64(o.Last.Replies-o.Prev.Replies) / h, float64(o.Last.Views-o.Prev.Views) / h
}

// PickHot applies q's rule (see HotQuery) to the observed threads of one
// source and returns the ids of the hot ones that are due, the
// longest-unfetched first, at most q.Limit. Both engines share it.
func PickHot(obs []Observed, q HotQuery) []int64 {
	if q.Factor <= 0 {
		q.Factor = DefaultHotFactor
	}
	var rs, vs []float64
	for _, o := range obs {
		r, v := o.velocity()
		if r > 0 {
			rs = append(rs, r)
		}
		if v > 0 {
			vs = append(vs, v)
		}
	}
	// 0: no norm yet (replies: any growth; views: never).
	normR, normV := normOf(rs), normOf(vs)
	var hot []Observed
	for _, o := range obs {
		if o.FetchedAt.After(q.FetchedBefore) || o.Last.At.Before(o.FetchedAt) {
			continue // not due yet, or its last fetch saw no change
		}
		r, v := o.velocity()
		if (r > 0 && r >= q.Factor*normR) || (normV > 0 && v >= q.Factor*normV) {
			hot = append(hot, o)
		}
	}
	slices.SortFunc(hot, func(a, b Observed) int {
		return cmp.Or(a.FetchedAt.Compare(b.FetchedAt), cmp.Compare(a.PostID, b.PostID))
	})
	ids := make([]int64, 0, min(len(hot), max(q.Limit, 0)))
	for _, o := range hot {
		if q.Limit > 0 && len(ids) >= q.Limit {
			break
		}
		ids = append(ids, o.PostID)
	}
	return ids
}

// normOf is the median of the growing threads' velocities, or 0 while too
// few threads grew for a median to say what is usual.
func normOf(xs []float64) float64 {
	if len(xs) < MinNormThreads {
		return 0
	}
	return Median(xs)
}

// Median is the median of xs (sorted in place), 0 for none: a source's
// typical engagement and its threads' usual growth are both medians.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}
