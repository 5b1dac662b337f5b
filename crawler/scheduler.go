package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// SchedulerStore is the part of the store the scheduler needs.
type SchedulerStore interface {
	SourceState(ctx context.Context, name string) (store.SourceState, error)
	SaveSourceState(ctx context.Context, st store.SourceState) error
	SavePost(ctx context.Context, p *model.Post) (store.SaveResult, error)
	PostByURL(ctx context.Context, url string) (model.Post, bool, error)
	HotPosts(ctx context.Context, q store.HotQuery) ([]model.Post, error)
	ItemFailure(ctx context.Context, url string) (store.ItemFailure, bool, error)
	SaveItemFailure(ctx context.Context, f store.ItemFailure) error
	DeleteItemFailure(ctx context.Context, url string) error
}

// Owner says which sources this instance crawls (package cluster's host
// leases: every source of a host or none, so that the per-host limits
// below hold across instances); a scheduler without one crawls every
// source.
type Owner interface {
	Holds(source string) bool
}

// Scheduling limits.
const (
	defaultConcurrency = 4
	maxBackoff         = 6 * time.Hour
	saveTimeout        = 30 * time.Second
	maxErrorLen        = 500
)

// Scheduler runs Crawl for every source on its interval. Its memory
// (next_check_at, failures, validators) is written to the store after every
// crawl, so a restart resumes: sources not yet due stay quiet, an
// interrupted crawl is simply due again and, being incremental, refetches
// only what is missing.
type Scheduler struct {
	c   *Crawler
	st  SchedulerStore
	log *slog.Logger
	now func() time.Time

	concurrency int
	poll        time.Duration // upper bound on sleeping between due checks

	sources atomic.Pointer[[]Source]
	wake    chan struct{}
	// observe, when set, sees every item stored (yuqing crawl -store).
	observe func(source string, it Item, res store.SaveResult)

	owner Owner

	mu      sync.Mutex
	states  map[string]store.SourceState // cache of the stored state
	locks   map[string]chan struct{}     // one crawl per source at a time
	holding map[string]bool              // sources owner gave us, as last seen
}

// NewScheduler returns a scheduler; now is its clock (nil: time.Now).
func NewScheduler(c *Crawler, st SchedulerStore, logger *slog.Logger, now func() time.Time) *Scheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	s := &Scheduler{
		c: c, st: st, log: logger, now: now,
		concurrency: defaultConcurrency,
		poll:        time.Second,
		wake:        make(chan struct{}, 1),
		states:      map[string]store.SourceState{},
		locks:       map[string]chan struct{}{},
		holding:     map[string]bool{},
	}
	empty := []Source{}
	s.sources.Store(&empty)
	return s
}

// SetSources swaps the source list atomically (config reload). Sources new
// to the scheduler are due at once unless the store says otherwise; removed
// ones lose their metric series. A crawl in flight finishes with its old
// definition.
func (s *Scheduler) SetSources(srcs []Source) {
	next := make([]Source, len(srcs))
	copy(next, srcs)
	for i := range next {
		next[i].ApplyDefaults()
	}
	keep := map[string]bool{}
	for _, src := range next {
		keep[src.Name] = true
	}
	old := s.sources.Swap(&next)
	s.mu.Lock()
	for _, src := range *old {
		if !keep[src.Name] {
			delete(s.states, src.Name)
			s.c.m.forget(src.Name)
		}
	}
	s.mu.Unlock()
	s.signal()
}

// SetOwner makes the scheduler crawl, and export the health of, only the
// sources o says this instance holds. Call it before Prime and Run.
func (s *Scheduler) SetOwner(o Owner) { s.owner = o }

// Crawling reports whether a crawl of the source is in flight.
func (s *Scheduler) Crawling(name string) bool {
	return len(s.lockChan(name)) > 0
}

// holds reports whether this instance crawls the source now. When that
// changes the cached state goes (the other instance crawled meanwhile:
// the store has the newer state), and with a lost source its health
// series too: its new holder exports them.
func (s *Scheduler) holds(name string) bool {
	if s.owner == nil {
		return true
	}
	h := s.owner.Holds(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holding[name] != h {
		delete(s.states, name)
		if h {
			s.holding[name] = true
		} else {
			delete(s.holding, name)
			s.c.m.forget(name)
		}
	}
	return h
}

func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run crawls due sources, at most a few at once and at most one per host
// (requests to a host are serialised anyway, so a slow host's sources
// would only hold slots that other hosts' sources could use), until ctx is
// done. On cancellation in-flight crawls stop after the item being stored,
// and Run returns nil once they have. Call Prime first when metrics are
// served before Run starts.
func (s *Scheduler) Run(ctx context.Context) error {
	sem := make(chan struct{}, s.concurrency)
	var (
		wg      sync.WaitGroup
		hostsMu sync.Mutex
		hosts   = map[string]bool{} // hosts with a crawl in flight
	)
	claimHost := func(h string) bool {
		hostsMu.Lock()
		defer hostsMu.Unlock()
		if hosts[h] {
			return false
		}
		hosts[h] = true
		return true
	}
	releaseHost := func(h string) { hostsMu.Lock(); delete(hosts, h); hostsMu.Unlock() }
	defer wg.Wait()
	for {
		wait := s.poll
		for _, src := range *s.sources.Load() {
			if ctx.Err() != nil {
				return nil
			}
			if !s.holds(src.Name) {
				continue // another instance crawls it
			}
			st, err := s.state(ctx, src.Name)
			if err != nil {
				s.log.Error("读取数据源状态失败", "source", src.Name, "err", err)
				continue
			}
			now := s.now()
			if st.NextCheckAt.After(now) {
				wait = min(wait, st.NextCheckAt.Sub(now))
				continue
			}
			if !s.tryLock(src.Name) {
				continue // already crawling (CrawlNow, or still running)
			}
			if s.owner != nil && !s.owner.Holds(src.Name) {
				// Asked again now that it is marked busy: a lease given
				// back meanwhile is not crawled (see cluster.Node.SetBusy).
				s.unlock(src.Name)
				continue
			}
			host, _ := src.Host()
			if !claimHost(host) {
				s.unlock(src.Name) // its host is busy; a finishing crawl wakes us
				continue
			}
			select {
			case sem <- struct{}{}:
			default:
				releaseHost(host)
				s.unlock(src.Name) // all slots busy; a finishing crawl wakes us
				continue
			}
			wg.Add(1)
			go func(src Source) {
				defer wg.Done()
				defer func() { <-sem; releaseHost(host); s.unlock(src.Name); s.signal() }()
				if err := s.crawl(ctx, src); err != nil && ctx.Err() == nil {
					s.log.Warn("抓取失败", "source", src.Name, "err", err)
				}
			}(src)
		}
		t := time.NewTimer(max(wait, 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Observe registers fn to be called with every item a crawl stores and what
// the store did with it. Call it before Run or CrawlNow.
func (s *Scheduler) Observe(fn func(source string, it Item, res store.SaveResult)) {
	s.observe = fn
}

// Prime loads the stored state of every configured source and exports
// what it says (last success, failures, breaker, items) before anything is
// crawled, so a restarted daemon does not look as if its sources had never
// succeeded. Call it before serving metrics and before Run (Run itself
// loads each source's state only as it reaches it); errors are logged and
// the state is read again when Run or CrawlNow needs it.
func (s *Scheduler) Prime(ctx context.Context) {
	for _, src := range *s.sources.Load() {
		if _, err := s.state(ctx, src.Name); err != nil && ctx.Err() == nil {
			s.log.Error("读取数据源状态失败", "source", src.Name, "err", err)
		}
	}
}

// States returns the current state of every configured source, in
// configuration order (for the console and `yuqing crawl`).
func (s *Scheduler) States(ctx context.Context) ([]store.SourceState, error) {
	var out []store.SourceState
	for _, src := range *s.sources.Load() {
		st, err := s.state(ctx, src.Name)
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	return out, nil
}

// CrawlNow crawls the named source once, now, whatever its schedule, and
// records the result like a scheduled crawl. It waits for a crawl of the
// same source already in flight.
func (s *Scheduler) CrawlNow(ctx context.Context, name string) error {
	var src *Source
	for _, x := range *s.sources.Load() {
		if x.Name == name {
			src = &x
			break
		}
	}
	if src == nil {
		return fmt.Errorf("没有名为 %q 的数据源", name)
	}
	if err := s.lock(ctx, name); err != nil {
		return err
	}
	defer s.unlock(name)
	return s.crawl(ctx, *src)
}

func (s *Scheduler) lockChan(name string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.locks[name]
	if !ok {
		l = make(chan struct{}, 1)
		s.locks[name] = l
	}
	return l
}

func (s *Scheduler) tryLock(name string) bool {
	select {
	case s.lockChan(name) <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *Scheduler) lock(ctx context.Context, name string) error {
	select {
	case s.lockChan(name) <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Scheduler) unlock(name string) { <-s.lockChan(name) }

// state returns the cached state, loading it from the store on first use
// (and exporting what it says about the source's health). A source
// another instance crawls is read from the store each time, neither
// cached nor exported.
func (s *Scheduler) state(ctx context.Context, name string) (store.SourceState, error) {
	if !s.holds(name) {
		st, err := s.st.SourceState(ctx, name)
		if err != nil {
			return st, fmt.Errorf("读取数据源 %s 的状态: %w", name, err)
		}
		st.Name = name
		return st, nil
	}
	s.mu.Lock()
	st, ok := s.states[name]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.st.SourceState(ctx, name)
	if err != nil {
		return st, fmt.Errorf("读取数据源 %s 的状态: %w", name, err)
	}
	st.Name = name
	s.setState(st)
	return st, nil
}

func (s *Scheduler) setState(st store.SourceState) {
	held := s.holds(st.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !held {
		// The lease went while this crawl ran: the store has the state,
		// and the source's new holder exports it.
		delete(s.states, st.Name)
		s.c.m.forget(st.Name)
		return
	}
	if !s.configured(st.Name) {
		// The source was removed while this crawl ran: SetSources already
		// dropped its series, and the crawl's own metrics recreated some.
		// Exporting now would bring back a source-down or silent alert for
		// a source nobody crawls any more.
		s.c.m.forget(st.Name)
		return
	}
	s.states[st.Name] = st
	s.c.m.exportState(st)
}

// configured reports whether name is in the current source list.
func (s *Scheduler) configured(name string) bool {
	for _, src := range *s.sources.Load() {
		if src.Name == name {
			return true
		}
	}
	return false
}

// backoff grows the wait after consecutive failures: the interval, doubled
// per further failure, capped at maxBackoff (or the interval, if longer).
func backoff(interval time.Duration, failures int) time.Duration {
	d := interval
	limit := max(maxBackoff, interval)
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// breakerCooldown is how long the breaker stays open after the given
// number of consecutive failures: the source's cooldown, doubled for every
// failed probe after the breaker first opened, capped at a day.
func breakerCooldown(src Source, failures int) time.Duration {
	d := src.BreakerCooldown
	for i := src.BreakerAfter; i < failures && d < maxBreakerCooldown; i++ {
		d *= 2
	}
	return min(d, maxBreakerCooldown)
}

// newItemGapWeight smooths the usual time between crawls that find new
// posts: each new gap counts for a quarter.
const newItemGapWeight = 4

// storeKnown answers the crawler's questions about stored posts, lists
// their hot threads and keeps their failure records.
type storeKnown struct{ SchedulerStore }

func (k storeKnown) Known(ctx context.Context, url string) (int, bool, error) {
	p, ok, err := k.PostByURL(ctx, url)
	return p.Replies, ok, err
}

// crawl runs one crawl of src and records it. The caller holds src's lock.
//
// Circuit breaker: after src.BreakerAfter consecutive failed crawls the
// breaker opens and the source is not requested for a cooldown. The first
// crawl after it is a half-open probe (the first list page only); if the
// probe fails the breaker opens again for twice as long, if it succeeds the
// breaker closes and the full crawl follows at once.
func (s *Scheduler) crawl(ctx context.Context, src Source) error {
	st, err := s.state(ctx, src.Name)
	if err != nil {
		return err
	}
	var created atomic.Int32
	var (
		next     store.SourceState
		stats    Stats
		crawlErr error
		probed   bool
	)
	if !st.BreakerOpenUntil.IsZero() {
		// Half-open: one request decides whether the source is back.
		probed = true
		var pstats Stats
		pstats, crawlErr = s.c.Probe(ctx, src, st)
		next = st
		if crawlErr == nil {
			s.log.Info("数据源恢复，熔断关闭", "source", src.Name, "probe_items", pstats.Found)
			st.BreakerOpenUntil = time.Time{}
			s.c.m.breaker.WithLabelValues(src.Name).Set(0)
		}
	}
	if crawlErr == nil {
		next, stats, crawlErr = s.c.Crawl(ctx, src, st, storeKnown{s.st}, s.storeItem(src, &created))
	}
	if ctx.Err() != nil && crawlErr != nil {
		// Interrupted, not failed: leave the schedule as it was, so the
		// source is due again at restart.
		return crawlErr
	}
	next = nextState(src, st, next, stats, crawlErr, int(created.Load()), s.now())
	if !next.BreakerOpenUntil.IsZero() && !probed {
		s.log.Warn("数据源连续失败，熔断打开", "source", src.Name, "failures", next.ConsecutiveFailures, "until", next.BreakerOpenUntil)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	// Cached even if saving fails, so the schedule advances in memory and a
	// broken store does not turn into a tight crawl loop.
	s.setState(next)
	if err := s.st.SaveSourceState(sctx, next); err != nil {
		return errors.Join(crawlErr, fmt.Errorf("保存数据源 %s 的状态: %w", src.Name, err))
	}
	s.log.Info("抓取完成", "source", src.Name, "list_pages", stats.ListPages, "found", stats.Found,
		"fetched", stats.Fetched, "skipped", stats.Skipped, "hot", stats.Hot, "deep", stats.Deep, "parse_errors", stats.ParseErrors,
		"given_up", stats.GivenUp, "postponed", stats.Postponed, "truncated", stats.Truncated, "replaced", stats.Replaced, "cut_short", stats.CutShort,
		"not_modified", stats.NotModified, "probe", probed, "next_check_at", next.NextCheckAt, "err", crawlErr)
	return crawlErr
}

// storeItem is a crawl's emit: it saves an item as a post, tells the
// observer and counts it; created counts the posts new to the store.
func (s *Scheduler) storeItem(src Source, created *atomic.Int32) func(context.Context, Item) error {
	return func(ctx context.Context, it Item) error {
		p := &model.Post{
			Source: src.Name, URL: it.URL, Title: it.Title, Body: it.Body, Author: it.Author,
			PublishedAt: it.PublishedAt, FetchedAt: s.now(), Replies: it.Replies, Views: it.Views,
			FullBodyChars: it.FullBodyChars,
		}
		// An item being stored when shutdown begins is still stored.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		defer cancel()
		res, err := s.st.SavePost(sctx, p)
		if err != nil {
			return err
		}
		if s.observe != nil {
			s.observe(src.Name, it, res)
		}
		switch res {
		case store.Created:
			created.Add(1)
			s.c.m.items.WithLabelValues(src.Name, ResultNew).Inc()
		case store.Changed:
			s.c.m.items.WithLabelValues(src.Name, ResultChanged).Inc()
		case store.Unchanged:
			s.c.m.items.WithLabelValues(src.Name, ResultUnchanged).Inc()
		}
		return nil
	}
}

// nextState is a source's schedule after a crawl that ended at now, from
// its state before (st) and the state the crawl left (next): success
// resets the failures and the breaker and keeps the interval; a store
// error is ours, not the site's, and is retried soon without counting; a
// failure backs off (at least the site's Retry-After) and, after
// breaker_after in a row, opens the breaker. created is how many posts the
// crawl stored new (for the gap between new items). No I/O.
func nextState(src Source, st, next store.SourceState, stats Stats, crawlErr error, created int, now time.Time) store.SourceState {
	next.Name = src.Name
	next.LastCheckAt = now
	next.LastErrorKind = ErrorKind(crawlErr)
	if created > 0 {
		if !st.LastNewItemAt.IsZero() && now.After(st.LastNewItemAt) {
			gap := now.Sub(st.LastNewItemAt)
			if st.NewItemGap <= 0 {
				next.NewItemGap = gap
			} else {
				next.NewItemGap = (st.NewItemGap*(newItemGapWeight-1) + gap) / newItemGapWeight
			}
		}
		next.LastNewItemAt = now
	}
	var ra *RetryAfterError
	switch {
	case crawlErr == nil:
		next.LastSuccessAt = now
		next.ConsecutiveFailures = 0
		next.LastError = ""
		next.BreakerOpenUntil = time.Time{}
		next.NextCheckAt = now.Add(src.Interval)
		if !stats.NotModified {
			next.LastItems = stats.Found
		}
	case next.LastErrorKind == ErrorKindStore:
		next.LastError = privacy.Truncate(crawlErr.Error(), maxErrorLen)
		next.NextCheckAt = now.Add(min(src.Interval, time.Minute))
	default:
		next.ConsecutiveFailures = st.ConsecutiveFailures + 1
		next.LastError = privacy.Truncate(crawlErr.Error(), maxErrorLen)
		wait := backoff(src.Interval, next.ConsecutiveFailures)
		if errors.As(crawlErr, &ra) {
			wait = max(ra.Wait, wait)
		}
		// LastItems stays: it is what the list yielded when it last worked,
		// which tells a JSON list or feed now empty from one always empty.
		if next.ConsecutiveFailures >= src.BreakerAfter {
			wait = max(wait, breakerCooldown(src, next.ConsecutiveFailures))
			next.BreakerOpenUntil = now.Add(wait)
		}
		next.NextCheckAt = now.Add(wait)
	}
	return next
}
