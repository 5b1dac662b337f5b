// Package crawler owns fetching: it turns the sources of configs/sources.yaml
// (forum boards, message boards, feeds) into extracted items, politely
// (robots.txt honoured, one request at a time per host with a delay,
// conditional GET, Retry-After), and schedules crawls with backoff, keeping
// its schedule in the store so a restart resumes where it stopped.
//
// colly is used for transport and politeness only. Its pitfalls (see the
// shared ../shared/docs/libraries.md) are handled here: robots.txt is on,
// bodies over the limit are detected rather than silently truncated, each
// job gets its own Clone bound to the job's context, charsets are decoded
// by us per source, and deduplication lives in the store, not in colly's
// visited set.
package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// Item is one thread, message or article as extracted.
type Item struct {
	URL         string // canonical, see CanonicalURL
	Title       string
	Body        string // plain text
	Author      string
	PublishedAt time.Time // zero when the page gives none
	Replies     int
	Views       int
	// FullBodyChars is the body's length in characters when it was longer
	// than the source's max_body_chars and Body holds only its start; 0
	// when Body is whole.
	FullBodyChars int `json:",omitempty"`
	// Replaced counts U+FFFD in the item's title, author and body: broken
	// bytes of its page replaced rather than losing the page.
	Replaced int `json:",omitempty"`
}

// Known lets the crawler skip detail pages of threads it already has with
// unchanged reply counts (incremental crawling), lists the hot threads to
// revisit (store.HotQuery), and keeps a failure record per item, so a
// thread whose page keeps failing (deleted, moved behind a login) is given
// up after a few tries instead of being fetched at every crawl and counted
// against its source.
type Known interface {
	Known(ctx context.Context, url string) (replies int, found bool, err error)
	HotPosts(ctx context.Context, q store.HotQuery) ([]model.Post, error)
	ItemFailure(ctx context.Context, url string) (store.ItemFailure, bool, error)
	SaveItemFailure(ctx context.Context, f store.ItemFailure) error
	DeleteItemFailure(ctx context.Context, url string) error
}

// Options configure a Crawler; zero fields get sensible defaults.
type Options struct {
	UserAgent    string
	Timeout      time.Duration // per request, default 30s
	MaxBodyBytes int           // after decompression; default 5 MiB; larger pages fail with ErrTruncated
	Logger       *slog.Logger
	Registerer   prometheus.Registerer // crawl metrics; nil: not registered
	Transport    http.RoundTripper     // optional, for tests
	// Now is the clock for relative times ("3 天前") and Retry-After dates;
	// default time.Now.
	Now func() time.Time
}

var contactRe = regexp.MustCompile(`[^\s@()<>;]+@[^\s@()<>;]+\.[a-zA-Z]{2,}|https?://\S+|\d{3,4}-?\d{7,8}`)

// UserAgentHasContact reports whether ua carries a way to reach the
// operator: an e-mail address, a URL or a phone number.
func UserAgentHasContact(ua string) bool { return contactRe.MatchString(ua) }

// DefaultUserAgent names us honestly; it avoids Bot/Crawl/Spider, which
// Discuz answers with 403 on some pages.
const DefaultUserAgent = "yuqing/1.0 (medical-insurance public-opinion monitor)"

// Stats describe one crawl.
type Stats struct {
	ListPages   int  // list pages or feeds fetched
	Found       int  // distinct items on the list (capped at MaxItems)
	Fetched     int  // detail pages fetched
	Skipped     int  // known items with unchanged replies, or detail pages robots.txt forbids
	ParseErrors int  // items that could not be extracted (detail fetch or selector failed)
	Emitted     int  // items handed to emit
	Hot         int  // hot threads revisited (not on the sampled list pages)
	NotModified bool // list page 1 answered 304 (deeper pages may still be read)
	Deep        bool // list pages 2..N were due (deep_interval) and read
	Replaced    int  // broken byte sequences replaced with U+FFFD in pages kept
	Truncated   int  // items whose body was cut to max_body_chars
	GivenUp     int  // items skipped because their detail page kept failing
	// Postponed: detail pages the site asked (429/503, Retry-After) to
	// fetch later, each time one was answered or skipped so.
	Postponed int
	// Dropped are items past MaxItems on the pages read (list pages left
	// unread because of the cap are not counted, only noted in the log).
	Dropped int
	// CutShort: the time budget ran out; the items emitted are kept, the
	// list's validators are not advanced, the crawl is not a failure.
	CutShort bool
	// Fields says how often each configured selector or JSON path matched
	// (list and detail fields), so leftovers that match nothing show.
	Fields []FieldMatch
	// DetailErrors are the detail pages that failed (at most 20), with
	// their HTTP status: a run of 404s means the links resolve wrongly.
	DetailErrors []DetailError
}

// Errors a crawl can return (wrapped; test with errors.Is / errors.As).
var (
	ErrBlockedByRobots = errors.New("robots.txt 禁止抓取")
	ErrTruncated       = errors.New("页面超过大小上限")
	ErrOffHost         = errors.New("链接不在数据源自己的网站上")
	ErrLayout          = errors.New("页面结构与选择器不符")
	ErrBudget          = errors.New("抓取超出单次时间预算")
)

// RetryAfterError is returned when the site answers 429 or 503: the
// scheduler must not come back before Wait (0: the site gave no time).
type RetryAfterError struct {
	URL    string
	Status int
	Wait   time.Duration
}

func (e *RetryAfterError) Error() string {
	if e.Wait > 0 {
		return fmt.Sprintf("网站要求稍后再试（HTTP %d，%s），%s 后重试", e.Status, e.URL, e.Wait)
	}
	return fmt.Sprintf("网站要求稍后再试（HTTP %d，%s）", e.Status, e.URL)
}

// HTTPError is any other unexpected status.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s 返回 HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Crawler fetches sources. It is safe for concurrent use; requests to one
// host are serialised with that host's delay across all concurrent crawls.
type Crawler struct {
	opts Options
	log  *slog.Logger
	m    *metrics

	mu    sync.Mutex
	hosts map[string]*hostCollector
}

// hostCollector is the per-host base collector that job collectors are
// cloned from: clones share its backend (one LimitRule for this host, so
// politeness holds across concurrent jobs) and its robots.txt cache.
type hostCollector struct {
	base    *colly.Collector
	delay   time.Duration
	created time.Time
	stale   bool // robots.txt blocked the last list fetch: re-read it next time

	// colly reads robots.txt outside its limiter on a host's first request;
	// first requests wait here until one of them has loaded it, so
	// concurrent jobs do not fetch it in parallel. warmMu is a one-slot
	// channel rather than a sync.Mutex so that waiting on it is durable
	// blocking for testing/synctest.
	warmMu chan struct{}
	warm   atomic.Bool
}

// robotsTTL bounds how long a robots.txt stays cached (colly caches it for
// the collector's life, so the base collector is rebuilt).
const robotsTTL = 6 * time.Hour

// Defaults of Options, also the configuration's (config.Default).
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBodyBytes = 5 << 20
)

// New returns a Crawler and registers its metrics on opts.Registerer.
func New(opts Options) (*Crawler, error) {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if !UserAgentHasContact(opts.UserAgent) {
		opts.Logger.Warn("User-Agent 中没有联系方式（邮箱、网址或电话），对方网站无法联系到我们，请在 crawler.user_agent 中写明", "user_agent", opts.UserAgent)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("注册抓取指标失败: %w", err)
	}
	return &Crawler{opts: opts, log: opts.Logger, m: m, hosts: map[string]*hostCollector{}}, nil
}

// hostBase returns (creating or refreshing) the base collector for host.
func (c *Crawler) hostBase(host string, delay time.Duration) (*hostCollector, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hc := c.hosts[host]
	if hc != nil && !hc.stale && c.opts.Now().Sub(hc.created) < robotsTTL && delay <= hc.delay {
		return hc, nil
	}
	if hc != nil && hc.delay > delay {
		delay = hc.delay // several sources on one host: the longest delay wins
	}
	base := colly.NewCollector()
	// Set after NewCollector: COLLY_* environment variables must not
	// switch robots.txt off or change limits behind our back.
	base.UserAgent = c.opts.UserAgent
	base.IgnoreRobotsTxt = false
	base.AllowURLRevisit = true // dedup lives in the store
	// The transport below is the one size limit, on the decoded bytes;
	// colly's own would count compressed bytes and then inflate freely.
	base.MaxBodySize = 0
	base.ParseHTTPErrorResponse = true // every status reaches OnResponse; we judge it
	base.DetectCharset = false
	base.CacheDir = ""
	base.Async = false
	base.MaxDepth = 0
	base.MaxRequests = 0
	hostname := host
	if h, _, err := splitHostPort(host); err == nil {
		hostname = h
	}
	base.AllowedDomains = []string{hostname}
	// AllowedDomains ignores the port; this filter (also applied to
	// redirects) pins requests to the exact host.
	base.URLFilters = []*regexp.Regexp{regexp.MustCompile(`(?i)^https?://` + regexp.QuoteMeta(host) + `(?:[/?#]|$)`)}
	base.SetRequestTimeout(c.opts.Timeout)
	next := http.DefaultTransport
	if c.opts.Transport != nil {
		next = c.opts.Transport
	}
	base.WithTransport(&boundedTransport{next: next, maxBytes: int64(c.opts.MaxBodyBytes), log: c.log})
	if err := base.Limit(&colly.LimitRule{
		DomainRegexp: `^` + regexp.QuoteMeta(host) + `$`,
		Parallelism:  1,
		Delay:        delay,
	}); err != nil {
		return nil, fmt.Errorf("设置 %s 的访问频率限制失败: %w", host, err)
	}
	hc = &hostCollector{base: base, delay: delay, created: c.opts.Now(), warmMu: make(chan struct{}, 1)}
	c.hosts[host] = hc
	return hc, nil
}

func (c *Crawler) markRobotsStale(host string) {
	c.mu.Lock()
	if hc := c.hosts[host]; hc != nil {
		hc.stale = true
	}
	c.mu.Unlock()
}

func splitHostPort(host string) (string, string, error) {
	u := url.URL{Host: host}
	if u.Hostname() == "" {
		return "", "", errors.New("empty host")
	}
	return u.Hostname(), u.Port(), nil
}

// page is one fetched response, body undecoded.
type page struct {
	url         string
	finalURL    *url.URL
	status      int
	header      http.Header // as received (Content-Type with its charset)
	body        []byte
	tooLarge    bool
	notModified bool
}

// job is one crawl of one source with its own collector clone.
type job struct {
	c    *Crawler
	src  Source
	host string
	hc   *hostCollector
	coll *colly.Collector
	cur  *page

	replaced, truncated int // counted into Stats by run
	tally               *fieldTally
	// throttled counts detail pages answered 429/503 in this crawl; the
	// second one stops it (see postpone).
	throttled int
}

func (c *Crawler) newJob(ctx context.Context, src Source) (*job, error) {
	host, err := src.Host()
	if err != nil {
		return nil, err
	}
	hc, err := c.hostBase(host, src.Delay)
	if err != nil {
		return nil, err
	}
	coll := hc.base.Clone()
	coll.Context = ctx // StdlibContext: cancels in-flight requests of this job only
	j := &job{c: c, src: src, host: host, hc: hc, coll: coll, tally: &fieldTally{}}
	j.src.tally = j.tally
	coll.OnResponseHeaders(func(r *colly.Response) {
		p := j.cur
		p.status = r.StatusCode
		p.header = r.Headers.Clone()
		p.finalURL = r.Request.URL
		// colly would decode by the header charset; we decode ourselves
		// (decodeBody) so a source's encoding setting and our mojibake
		// checks apply. Headers is the live response header map.
		if ct := r.Headers.Get("Content-Type"); strings.Contains(strings.ToLower(ct), "charset") {
			r.Headers.Set("Content-Type", withoutCharset(ct))
		}
		if n, err := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64); err == nil && n > int64(c.opts.MaxBodyBytes) {
			p.tooLarge = true
			r.Request.Abort()
		}
	})
	coll.OnResponse(func(r *colly.Response) {
		j.cur.body = r.Body
		j.cur.finalURL = r.Request.URL
	})
	return j, nil
}

func withoutCharset(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "application/octet-stream"
	}
	delete(params, "charset")
	return mime.FormatMediaType(mt, params)
}

const (
	acceptHTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
	acceptFeed = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.8"
	acceptJSON = "application/json,text/javascript;q=0.9,*/*;q=0.8"
)

// get fetches u. Only 2xx pages come back without error; 304 comes back
// with notModified set when conditional headers were sent.
func (j *job) get(ctx context.Context, u, accept string, extra http.Header) (*page, error) {
	hdr := http.Header{}
	hdr.Set("User-Agent", j.c.opts.UserAgent)
	hdr.Set("Accept", accept)
	hdr.Set("Accept-Language", "zh-CN,zh;q=0.9")
	for k, vs := range extra {
		for _, v := range vs {
			hdr.Add(k, v)
		}
	}
	j.cur = &page{url: u}
	if !j.hc.warm.Load() {
		j.hc.warmMu <- struct{}{}
		if j.hc.warm.Load() {
			<-j.hc.warmMu
		} else {
			defer func() { <-j.hc.warmMu }()
		}
	}
	err := j.coll.Request(http.MethodGet, u, nil, nil, hdr)
	if err == nil || !errors.Is(err, ctx.Err()) {
		j.hc.warm.Store(true)
	}
	p := j.cur
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		switch {
		case errors.Is(err, colly.ErrRobotsTxtBlocked):
			return nil, fmt.Errorf("%w: %s", ErrBlockedByRobots, u)
		case p.tooLarge, errors.Is(err, ErrTruncated):
			return nil, fmt.Errorf("%w（%d 字节），%s 未被存储", ErrTruncated, j.c.opts.MaxBodyBytes, u)
		case errors.Is(err, ErrEncoding):
			return nil, fmt.Errorf("%s: %w", u, err)
		case errors.Is(err, colly.ErrForbiddenDomain), errors.Is(err, colly.ErrNoURLFiltersMatch):
			return nil, fmt.Errorf("%w: %s（含重定向）", ErrOffHost, u)
		}
		return nil, fmt.Errorf("请求 %s 失败: %w", u, err)
	}
	switch {
	case p.status == http.StatusNotModified && len(extra) > 0:
		p.notModified = true
		return p, nil
	case p.status == http.StatusTooManyRequests || p.status == http.StatusServiceUnavailable:
		return nil, &RetryAfterError{URL: u, Status: p.status, Wait: retryAfter(p.header.Get("Retry-After"), j.c.opts.Now())}
	case p.status < 200 || p.status > 299:
		return nil, &HTTPError{URL: u, Status: p.status}
	}
	if p.finalURL == nil {
		p.finalURL, _ = url.Parse(u)
	}
	return p, nil
}

// retryAfter reads delta-seconds or an HTTP date; capped at a day so a
// broken header cannot park a source forever.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// Crawl fetches one source once: list page(s) -> items -> detail pages of
// new or changed items -> revisits of hot threads (when known is set),
// calling emit for every extracted item as soon as
// it is extracted (so a kill mid-crawl loses nothing already fetched). If
// emit fails, Crawl stops and returns the error. state carries the list
// page's ETag/Last-Modified; the returned copy holds the new ones, and on
// any error, or when a detail page failed, the old ones, so the next crawl
// does not get a 304 for a list it has not fully processed.
func (c *Crawler) Crawl(ctx context.Context, src Source, state store.SourceState, known Known, emit func(context.Context, Item) error) (store.SourceState, Stats, error) {
	return c.run(ctx, src, state, func(j *job) (store.SourceState, Stats, error) {
		emit := j.bounded(emit)
		switch src.Kind {
		case KindRSS, KindAtom:
			return j.crawlFeed(ctx, state, known, emit)
		case KindHTML, KindJSON, "":
			return j.crawlList(ctx, state, known, emit)
		case KindSearch:
			return j.crawlSearch(ctx, state, emit)
		}
		return state, Stats{}, fmt.Errorf("数据源 %s 的类型 %q 未知", src.Name, src.Kind)
	})
}

// Probe is the circuit breaker's half-open request: the first list page
// only (conditional on state's validators), extracted but not emitted. It
// succeeds when the page can be fetched, decoded and still yields items.
func (c *Crawler) Probe(ctx context.Context, src Source, state store.SourceState) (Stats, error) {
	_, stats, err := c.run(ctx, src, state, func(j *job) (store.SourceState, Stats, error) {
		probe := src
		probe.Pages, probe.MaxItems = 1, maxMaxItems
		probe.URL = src.pageURL(1)
		j.src = probe
		var stats Stats
		if src.Kind == KindRSS || src.Kind == KindAtom {
			j.src.Detail = DetailSelectors{Body: DetailNone} // the feed alone
			st, stats, err := j.crawlFeed(ctx, state, nil, func(context.Context, Item) error { return nil })
			stats.Emitted = 0
			return st, stats, err
		}
		if src.Kind == KindSearch {
			probe.Keywords = src.Keywords[:min(1, len(src.Keywords))]
			j.src = probe
			st, stats, err := j.crawlSearch(ctx, state, func(context.Context, Item) error { return nil })
			stats.Emitted = 0
			return st, stats, err
		}
		items, st, err := j.sampleList(ctx, state, nil, &stats)
		stats.Found = len(items)
		return st, stats, err
	})
	return stats, err
}

// maxLineChars bounds titles and author names: one line of text, not a body.
const maxLineChars = 1000

// bounded wraps emit so that every item leaves the crawler within the
// source's text limits (the body cut at max_body_chars, its full length
// recorded) and with its replaced characters counted.
func (j *job) bounded(emit func(context.Context, Item) error) func(context.Context, Item) error {
	return func(ctx context.Context, it Item) error {
		if body, chars, whole := cutRunes(it.Body, j.src.MaxBodyChars); !whole {
			it.Body, it.FullBodyChars = body, chars
			j.truncated++
			j.c.m.truncated.WithLabelValues(j.src.Name).Inc()
			j.c.log.Info("正文超过字数上限，只保存开头部分", "source", j.src.Name, "url", it.URL, "chars", chars, "kept", j.src.MaxBodyChars)
		}
		it.Title, _, _ = cutRunes(it.Title, maxLineChars)
		it.Author, _, _ = cutRunes(it.Author, maxLineChars)
		it.Replaced = strings.Count(it.Title, "\ufffd") + strings.Count(it.Author, "\ufffd") + strings.Count(it.Body, "\ufffd")
		return emit(ctx, it)
	}
}

// errBudget is the cause of a crawl's context ending at its time budget.
var errBudget = errors.New("crawl budget spent")

// budgetSpent reports whether ctx ended because the crawl's time budget
// ran out (not because the daemon is stopping).
func budgetSpent(ctx context.Context) bool { return errors.Is(context.Cause(ctx), errBudget) }

// run wraps one job with its time budget, metrics and error bookkeeping.
// A crawl whose budget runs out after its list was read is cut short, not
// failed: what it emitted stands, and the old validators are returned so
// the next crawl reads the list again and fetches what is left.
func (c *Crawler) run(ctx context.Context, src Source, state store.SourceState, fn func(*job) (store.SourceState, Stats, error)) (store.SourceState, Stats, error) {
	start := time.Now()
	var (
		st    store.SourceState
		stats Stats
		err   error
	)
	budget := src.CrawlBudget
	if budget <= 0 {
		budget = DefaultCrawlBudget
	}
	bctx, cancel := context.WithTimeoutCause(ctx, budget, errBudget)
	defer cancel()
	j, err := c.newJob(bctx, src)
	if err == nil {
		st, stats, err = fn(j)
		stats.Replaced, stats.Truncated = j.replaced, j.truncated
		stats.Fields = j.tally.report()
	}
	if err != nil && ctx.Err() == nil && budgetSpent(bctx) && errors.Is(err, context.DeadlineExceeded) {
		switch {
		case stats.ListPages > 0 || stats.NotModified:
			stats.CutShort, err = true, nil
			st = state
			c.m.cutShort.WithLabelValues(src.Name).Inc()
			c.log.Warn("抓取用完时间预算，提前结束；已保存的帖子保留，其余下次继续", "source", src.Name,
				"budget", budget, "emitted", stats.Emitted, "found", stats.Found)
		default:
			err = fmt.Errorf("%w（%s），列表页未能读完", ErrBudget, budget)
		}
	}
	if err != nil {
		st = state
		if j != nil && errors.Is(err, ErrBlockedByRobots) && stats.ListPages == 0 {
			c.markRobotsStale(j.host)
		}
	}
	if ctx.Err() == nil || err == nil {
		c.m.runs.WithLabelValues(src.Name, outcomeOf(stats, err)).Inc()
		c.m.duration.WithLabelValues(src.Name).Observe(time.Since(start).Seconds())
		if stats.ListPages > 0 {
			c.m.itemsFound.WithLabelValues(src.Name).Add(float64(stats.Found))
		}
		if ErrorKind(err) == ErrorKindLayout {
			c.m.layoutErrors.WithLabelValues(src.Name).Inc()
		}
	}
	if err != nil {
		return st, stats, fmt.Errorf("抓取 %s（%s）: %w", src.Name, src.Title, err)
	}
	return st, stats, nil
}

// Error kinds recorded in store.SourceState.LastErrorKind.
const (
	ErrorKindLayout     = "layout"
	ErrorKindEncoding   = "encoding"
	ErrorKindHTTP       = "http"
	ErrorKindRetryLater = "retry_later"
	ErrorKindRobots     = "robots"
	ErrorKindTruncated  = "truncated"
	ErrorKindOffHost    = "off_host"
	ErrorKindStore      = "store"
	ErrorKindNetwork    = "network"
	ErrorKindBudget     = "budget"
)

// ErrorKind classifies a crawl error for the console and metrics; "" for nil.
func ErrorKind(err error) string {
	var (
		ra *RetryAfterError
		he *HTTPError
		ee *emitError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ee):
		return ErrorKindStore
	case errors.As(err, &ra):
		return ErrorKindRetryLater
	case errors.Is(err, ErrBlockedByRobots):
		return ErrorKindRobots
	case errors.Is(err, ErrLayout):
		return ErrorKindLayout
	case errors.Is(err, ErrEncoding):
		return ErrorKindEncoding
	case errors.Is(err, ErrTruncated):
		return ErrorKindTruncated
	case errors.Is(err, ErrOffHost):
		return ErrorKindOffHost
	case errors.Is(err, ErrBudget):
		return ErrorKindBudget
	case errors.As(err, &he):
		return ErrorKindHTTP
	}
	return ErrorKindNetwork
}

// outcomeOf maps a crawl result onto the fixed outcome label set.
func outcomeOf(stats Stats, err error) string {
	var ra *RetryAfterError
	switch {
	case err == nil && stats.NotModified:
		return OutcomeNotModified
	case err == nil:
		return OutcomeSuccess
	case errors.As(err, &ra):
		return OutcomeRetryLater
	case errors.Is(err, ErrBlockedByRobots):
		return OutcomeBlockedRobots
	}
	return OutcomeError
}

func conditional(state store.SourceState) http.Header {
	h := http.Header{}
	if state.ETag != "" {
		h.Set("If-None-Match", state.ETag)
	}
	if state.LastModified != "" {
		h.Set("If-Modified-Since", state.LastModified)
	}
	return h
}

func (j *job) countItem(result string) {
	j.c.m.items.WithLabelValues(j.src.Name, result).Inc()
}
