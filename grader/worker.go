// Package grader runs the grading stage: it claims posts the store holds as
// not yet graded from the grading queue (store.Store.ClaimUngraded), grades
// them with the current rules and files the relevant ones into incidents,
// each post in one transaction with its grade and the end of its claim.
// Every instance on one database runs a Worker: a post is claimed by one,
// and filed only while the claim is still its own, so it is graded once.
// A crash or a database error leaves the post ungraded, so it is retried
// (by any instance once the claim lapses), never lost.
package grader

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Grader grades one post; *classifier.Classifier is one, and its hot swap
// means each post is graded by one consistent rule set.
type Grader interface {
	Grade(p classifier.Post) classifier.Result
}

// Options configure a Worker.
type Options struct {
	Store      store.Store
	Grader     Grader
	Incidents  *incident.Service
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// DatabaseRegisterer takes the series that describe the whole
	// database rather than this worker's own work (the grading backlog):
	// in a cluster the leader's alone (cluster.LeaderOnly), so that an
	// alert on them comes once. nil: Registerer.
	DatabaseRegisterer prometheus.Registerer
	// Holder is who this worker claims posts as (the instance's id,
	// cluster.Node.ID); "" means a name of its own, made up at New.
	// Workers on one database must have different holders.
	Holder string
	// ClaimTTL is how long a claim on a batch lasts; the posts of a
	// worker that died return to the queue after it. It must exceed the
	// time a batch takes (a lapsed claim another worker took is not
	// filed twice, but its grading was wasted). 0: DefaultClaimTTL.
	ClaimTTL time.Duration
	// CatchUp, when set, says whether this worker runs the search-index
	// catch-up (IndexBatch) now: in a cluster the leader alone does, so
	// that instances do not index the same posts side by side. nil: always.
	CatchUp func() bool
	// Source says how a source's posts are graded and filed; nil: weight
	// 1, and its neutral or positive 一般 posts kept as 舆情信息.
	Source   func(name string) SourceGrading
	Interval time.Duration // idle poll interval
	Batch    int
	// Workers is how many posts are graded at once; 0 means GOMAXPROCS.
	// Filing stays one post at a time, in post id order, whatever it is.
	Workers int
	Now     func() time.Time
	// SearchText is a post's search text (classifier.Engine.SearchText),
	// stored with its grade so that the post list can search it; nil:
	// posts are not indexed. Grading asks the Grader for it (Post.Search),
	// which takes it from the tokens it cuts anyway; this function serves
	// the catch-up of posts graded before (IndexBatch).
	SearchText func(title, body string) string
}

// SourceGrading is what grading needs to know of a source.
type SourceGrading struct {
	Weight float64 // 0 means 1
	// Channel is the kind of channel (taxonomy.Channels), "" if not said.
	Channel string
	// AllIncidents files every relevant post as an incident, questions
	// and praise too: a channel the bureau answers (its own 留言板).
	AllIncidents bool
}

// Worker is the grading loop.
type Worker struct {
	opts Options
	kick chan struct{}

	// The norms cache is read and refreshed only by the goroutine that
	// runs ProcessBatch, before the batch is handed to the graders, so it
	// needs no lock; the graders get each post's norm with the post.
	norms   map[string]store.Engagement
	normsAt time.Time

	graded   *prometheus.CounterVec
	filed    *prometheus.CounterVec
	errs     prometheus.Counter
	lost     prometheus.Counter
	cutShort prometheus.Counter
	backlog  prometheus.Gauge
	seconds  prometheus.Histogram
}

// Defaults of Options, also the configuration's (config.Default).
const (
	DefaultInterval = 2 * time.Second
	DefaultBatch    = 200
	DefaultClaimTTL = 5 * time.Minute
)

// New creates a Worker and registers its metrics.
func New(opts Options) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Holder == "" {
		opts.Holder = "grader-" + rand.Text()
	}
	if opts.ClaimTTL <= 0 {
		opts.ClaimTTL = DefaultClaimTTL
	}
	if opts.DatabaseRegisterer == nil {
		opts.DatabaseRegisterer = opts.Registerer
	}
	f := promauto.With(opts.Registerer)
	w := &Worker{
		opts: opts,
		kick: make(chan struct{}, 1),
		graded: f.NewCounterVec(prometheus.CounterOpts{Name: "yuqing_posts_graded_total",
			Help: "Posts graded, by category and level (category \"\" and level 0: not relevant)."},
			[]string{"category", "level"}),
		filed: f.NewCounterVec(prometheus.CounterOpts{Name: "yuqing_incident_filings_total",
			Help: "Relevant posts filed, by outcome: created a new incident, joined an open one, raised its level, or kept as information (舆情信息, no incident)."},
			[]string{"outcome"}),
		errs: f.NewCounter(prometheus.CounterOpts{Name: "yuqing_grading_errors_total",
			Help: "Posts whose grade could not be stored; they stay queued and are retried."}),
		lost: f.NewCounter(prometheus.CounterOpts{Name: "yuqing_grading_claims_lost_total",
			Help: "Posts graded but not filed because their claim had lapsed and another instance took them (a batch took longer than its claim lasts)."}),
		cutShort: f.NewCounter(prometheus.CounterOpts{Name: "yuqing_grading_cut_short_total",
			Help: "Posts whose grading ran out of its time budget and was made from the first part of the body."}),
		backlog: promauto.With(opts.DatabaseRegisterer).NewGauge(prometheus.GaugeOpts{Name: "yuqing_grading_backlog",
			Help: "Posts waiting to be graded."}),
		seconds: f.NewHistogram(prometheus.HistogramOpts{Name: "yuqing_grade_duration_seconds",
			Help:    "Time to grade one post, segmentation included.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 9)}), // up to 3.3 s: the budget shows
	}
	for _, o := range []string{"created", "joined", "raised", "information"} {
		w.filed.WithLabelValues(o)
	}
	return w
}

// Kick asks the worker to look for new posts now rather than at the next tick.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run grades until ctx is done. The post in hand when ctx ends is finished
// (its transaction commits) before Run returns.
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		for {
			n, err := w.ProcessBatch(ctx)
			if err != nil && ctx.Err() == nil {
				w.opts.Logger.Error("研判批次失败，稍后重试", "err", err)
			}
			if n < w.opts.Batch || err != nil || ctx.Err() != nil {
				break
			}
		}
		// Grading comes first; between its batches the posts graded
		// before search existed are indexed, a batch at a time.
		if w.opts.CatchUp != nil && !w.opts.CatchUp() {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			case <-w.kick:
			}
			continue
		}
		n, err := w.IndexBatch(ctx)
		if err != nil && ctx.Err() == nil {
			w.opts.Logger.Error("补建检索索引失败，稍后重试", "err", err)
		}
		if n == w.opts.Batch && err == nil && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-w.kick:
		}
	}
}

// ProcessBatch claims up to one batch of ungraded posts, grades them and
// returns how many it stored. It stops early, without error, when ctx is
// done; the claims on the posts it did not file are given back.
//
// Grading runs on Options.Workers goroutines; filing runs here, one post
// at a time in the order the posts were taken (post id order), so that
// incident numbers and joins do not depend on which grade finished first.
// A post waits for the grades of the posts before it, which the time
// budget of the Grader bounds. When ctx ends, the post being filed is
// finished and the rest stay queued, graded or not.
// ProcessBatch is not for concurrent use: Run calls it from one goroutine.
func (w *Worker) ProcessBatch(ctx context.Context) (int, error) {
	posts, err := w.opts.Store.ClaimUngraded(ctx, store.GradingClaim{Holder: w.opts.Holder, Limit: w.opts.Batch,
		Now: w.opts.Now(), TTL: w.opts.ClaimTTL})
	if err != nil {
		return 0, err
	}
	jobs := make([]gradeJob, len(posts))
	for i, p := range posts {
		jobs[i] = gradeJob{in: ClassifierPost(p, w.source(p.Source), w.norm(ctx, p.Source)), done: make(chan struct{})}
	}
	stop := make(chan struct{}) // no more grading: filing has stopped
	// Grading runs at most 2×Workers posts ahead of filing, so a slow
	// filing step does not pile up the results (and words) of a batch.
	ahead := make(chan struct{}, 2*w.opts.Workers)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(w.opts.Workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				j := &jobs[i]
				start := time.Now()
				j.in.Search = w.opts.SearchText != nil
				j.res = w.opts.Grader.Grade(j.in)
				w.seconds.Observe(time.Since(start).Seconds())
				j.search = j.res.SearchText
				close(j.done)
			}
		})
	}
	go func() { // hand out the posts in order until filing stops
		defer close(next)
		for i := range jobs {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	defer wg.Wait() // a grade in progress ends within its budget
	defer close(stop)

	done := 0
	var errs []error
	var back []int64 // the claims to give back: posts not filed
	for i, p := range posts {
		if ctx.Err() == nil {
			select {
			case <-jobs[i].done:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			back = append(back, p.ID)
			continue
		}
		err := w.file(context.WithoutCancel(ctx), p, jobs[i].res, jobs[i].search)
		jobs[i].res, jobs[i].search = classifier.Result{}, ""
		<-ahead
		switch {
		case errors.Is(err, errClaimLost):
			w.lost.Inc()
			w.opts.Logger.Warn("帖子的研判认领已失效（认领过期由其他实例接手，或帖子在研判期间更新），本次研判结果不予登记，帖子重新排队", "post", p.ID, "source", p.Source)
		case err != nil:
			w.errs.Inc()
			errs = append(errs, err)
			back = append(back, p.ID)
		default:
			done++
		}
	}
	wctx := context.WithoutCancel(ctx)
	if err := w.opts.Store.ReleaseClaims(wctx, w.opts.Holder, back); err != nil {
		errs = append(errs, err) // they return to the queue when the claims lapse
	}
	if _, backlog, err := w.opts.Store.CountPosts(wctx); err == nil {
		w.backlog.Set(float64(backlog))
	}
	return done, errors.Join(errs...)
}

// errClaimLost: the post's claim lapsed and another worker took it, or
// filed it already, or a crawl saved a new version meanwhile (SavePost
// ends the claim); this worker's grade is not filed.
var errClaimLost = errors.New("研判认领已失效")

// gradeJob is one post of a batch: what the grader sees, and its result,
// ready when done is closed.
type gradeJob struct {
	in     classifier.Post
	res    classifier.Result
	search string // the search text, when Options.SearchText is set
	done   chan struct{}
}

// file stores p's grade and search text and files it into an incident,
// in one transaction.
func (w *Worker) file(ctx context.Context, p model.Post, res classifier.Result, search string) error {
	g := ToGrade(p.ID, res, w.opts.Now(), w.source(p.Source).AllIncidents)
	var out incident.Outcome
	// No whole-database lock: a grade that files nothing writes only its
	// post's rows, and filing locks only the grouping keys and incident
	// it touches, so instances file beside each other.
	err := w.opts.Store.InRowTx(ctx, func(tx store.Tx) error {
		// The claim ends first: a lapsed one another worker took rolls
		// the whole filing back, so the post is graded and filed once.
		if ok, err := tx.EndClaim(ctx, p.ID, w.opts.Holder); err != nil || !ok {
			return cmp.Or(err, errClaimLost)
		}
		var err error
		out, err = w.opts.Incidents.FileWords(ctx, tx, p, g, res.Words) // grading's segmentation, so filing need not redo it
		if err != nil || w.opts.SearchText == nil {
			return err
		}
		return tx.IndexPost(ctx, p.ID, p.ContentHash, search)
	})
	if errors.Is(err, errClaimLost) {
		return err
	}
	if err != nil {
		return fmt.Errorf("帖子 %d（%s）: %w", p.ID, p.URL, err)
	}
	w.graded.WithLabelValues(string(g.Category), strconv.Itoa(int(g.Level))).Inc()
	log := w.opts.Logger.With("post", p.ID, "source", p.Source)
	if res.CutShort {
		w.cutShort.Inc()
		log.Warn("帖子过长，研判超时，仅依据正文前一部分定级", "reason", res.Reasons[0], "url", p.URL)
	}
	switch {
	case g.Information:
		w.filed.WithLabelValues("information").Inc()
		log.Info("列入舆情信息（中性或正面的一般信息，不登记事件）", "category", g.Category.Name(),
			"sentiment", taxonomy.SentimentName(g.Sentiment), "title", privacy.Mask(incident.Title(p)))
	case out.Created:
		w.filed.WithLabelValues("created").Inc()
		log.Info("登记新事件", "incident", out.Incident.Number, "level", out.Incident.Level.Label(),
			"category", out.Incident.Category.Name(), "title", privacy.Mask(out.Incident.Title))
	case out.Joined:
		w.filed.WithLabelValues("joined").Inc()
		log.Info("帖子并入已有事件", "incident", out.Incident.Number)
	}
	if out.Raised {
		w.filed.WithLabelValues("raised").Inc()
		log.Warn("事件等级上升", "incident", out.Incident.Number, "level", out.Incident.Level.Label())
	}
	return nil
}

// IndexBatch stores the search text of up to one batch of graded posts
// that have none for their current content (graded before search existed,
// or by a path that does not index, such as a post staff entered) and
// returns how many it indexed: the catch-up that makes every post
// searchable. Without Options.SearchText it does nothing.
func (w *Worker) IndexBatch(ctx context.Context) (int, error) {
	if w.opts.SearchText == nil {
		return 0, nil
	}
	posts, err := w.opts.Store.UnindexedPosts(ctx, w.opts.Batch)
	if err != nil || len(posts) == 0 {
		return 0, err
	}
	texts := make([]string, len(posts))
	for i, p := range posts {
		if ctx.Err() != nil {
			return 0, nil
		}
		texts[i] = w.opts.SearchText(p.Title, p.Body)
	}
	wctx := context.WithoutCancel(ctx)
	err = w.opts.Store.InTx(wctx, func(tx store.Tx) error {
		for i, p := range posts {
			if err := tx.IndexPost(wctx, p.ID, p.ContentHash, texts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	w.opts.Logger.Info("已为研判过的帖子补建检索索引", "posts", len(posts))
	return len(posts), nil
}

// NormWindow is how far back a source's posts count towards what is normal
// engagement for it.
const NormWindow = 30 * 24 * time.Hour

// normRefresh bounds how stale the cached norms may get.
const normRefresh = 10 * time.Minute

// norm returns the typical engagement of source, refreshing the cache when
// it is old. A failed refresh keeps the old norms: grading does not stop.
func (w *Worker) norm(ctx context.Context, source string) store.Engagement {
	if w.opts.Now().Sub(w.normsAt) > normRefresh || w.norms == nil {
		norms, err := w.opts.Store.EngagementNorms(ctx, w.opts.Now().Add(-NormWindow))
		if err != nil {
			w.opts.Logger.Warn("统计数据源互动量失败，沿用上次结果", "err", err)
		} else {
			w.norms = norms
		}
		w.normsAt = w.opts.Now()
	}
	return w.norms[source]
}

// ClassifierPost is what the classifier sees of a stored post: its text and
// engagement, the source's weight and channel and what engagement is
// normal there.
func ClassifierPost(p model.Post, src SourceGrading, norm store.Engagement) classifier.Post {
	weight := src.Weight
	if weight <= 0 {
		weight = 1
	}
	cp := classifier.Post{
		Title: p.Title, Body: p.Body, Source: p.Source, SourceWeight: weight, Channel: src.Channel,
		Replies: p.Replies, Views: p.Views, Reposts: p.Reposts, PublishedAt: p.PublishedAt,
	}
	// A median over a handful of posts says little about what is normal for
	// a source; below MinNormPosts the rules' absolute floors apply alone.
	if norm.Posts >= MinNormPosts {
		cp.TypicalReplies, cp.TypicalViews, cp.TypicalReposts = norm.Replies, norm.Views, norm.Reposts
	}
	return cp
}

// MinNormPosts is how many recent posts a source needs before its median
// engagement counts as its typical engagement.
const MinNormPosts = 20

// ToGrade is a classifier result's grade of post postID at at, as the
// store keeps it. A post the classifier calls 舆情信息 (Information) is
// kept as such unless allIncidents: its source files every relevant post.
func ToGrade(postID int64, r classifier.Result, at time.Time, allIncidents bool) model.Grade {
	g := r.Grade
	g.PostID, g.GradedAt = postID, at
	if !r.Relevant {
		g.Category, g.Level, g.Review = "", 0, false
	}
	g.Information = g.Relevant && !allIncidents && r.Information
	g.Matches = append(make([]model.Match, 0, len(r.Matches)), r.Matches...) // the grade owns its copy
	return g
}

// source returns how a source's posts are graded.
func (w *Worker) source(name string) SourceGrading {
	if w.opts.Source == nil {
		return SourceGrading{Weight: 1}
	}
	return w.opts.Source(name)
}
