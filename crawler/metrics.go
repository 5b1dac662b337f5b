package crawler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/store"
)

// Run outcomes (label "outcome" of yuqing_crawl_runs_total).
const (
	OutcomeSuccess       = "success"
	OutcomeNotModified   = "not_modified"
	OutcomeError         = "error"
	OutcomeRetryLater    = "retry_later"
	OutcomeBlockedRobots = "blocked_robots"
)

// Item results (label "result" of yuqing_crawl_items_total).
const (
	ResultNew        = "new"
	ResultChanged    = "changed"
	ResultUnchanged  = "unchanged"
	ResultSkipped    = "skipped"
	ResultParseError = "parse_error"
	ResultGivenUp    = "given_up" // skipped: its detail page kept failing
	// ResultPostponed: the site asked (429/503) to fetch its page later.
	ResultPostponed = "postponed"
)

// Page kinds (label "kind" of yuqing_crawl_pages_total).
const (
	PageList   = "list"
	PageDetail = "detail"
	PageFeed   = "feed"
)

// metrics belong to one Crawler; every label value comes from the source
// list or the fixed sets above, so cardinality stays bounded.
type metrics struct {
	runs        *prometheus.CounterVec
	items       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	consecFails *prometheus.GaugeVec
	pages       *prometheus.CounterVec
	// itemsFound, layoutErrors and encodingErrors feed the source-health
	// alerts: a list page that used to yield items and now yields none, or
	// pages that no longer decode, mean the site changed under us.
	itemsFound     *prometheus.CounterVec
	layoutErrors   *prometheus.CounterVec
	encodingErrors *prometheus.CounterVec
	hot            *prometheus.CounterVec
	// replaced counts broken byte sequences replaced with U+FFFD in pages
	// that were kept; truncated, bodies cut to the source's max_body_chars;
	// givenUp, items whose detail page failed too often to try again soon;
	// cutShort, crawls stopped by their time budget.
	replaced  *prometheus.CounterVec
	truncated *prometheus.CounterVec
	givenUp   *prometheus.CounterVec
	cutShort  *prometheus.CounterVec
	dropped   *prometheus.CounterVec
	// State gauges, set from the stored source state (also at start).
	breaker     *prometheus.GaugeVec
	lastItems   *prometheus.GaugeVec
	lastNewItem *prometheus.GaugeVec
	newItemGap  *prometheus.GaugeVec
	sourceError *prometheus.GaugeVec
	collectors  []prometheus.Collector
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	// Most series are per source.
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"source"})
	}
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"source"})
	}
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yuqing_crawl_runs_total",
			Help: "Crawls of a source by outcome (success, not_modified, error, retry_later, blocked_robots).",
		}, []string{"source", "outcome"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yuqing_crawl_items_total",
			Help: "Items seen by crawls, by result (new, changed, unchanged, skipped, parse_error, given_up).",
		}, []string{"source", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yuqing_crawl_duration_seconds",
			Help:    "Wall time of one crawl of a source, politeness delays included.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600},
		}, []string{"source"}),
		lastSuccess: gauge("yuqing_source_last_success_timestamp_seconds",
			"Unix time of the last successful (or not-modified) crawl of a source."),
		consecFails: gauge("yuqing_source_consecutive_failures",
			"Failed crawls of a source since its last success."),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yuqing_crawl_pages_total",
			Help: "Pages fetched, by kind (list, detail, feed).",
		}, []string{"source", "kind"}),
		itemsFound: counter("yuqing_crawl_list_items_found_total",
			"Items found on list pages or feeds, summed over crawls (new or not)."),
		layoutErrors: counter("yuqing_crawl_layout_errors_total",
			"Crawls whose list page yielded no items although the page was fetched (layout changed?)."),
		encodingErrors: counter("yuqing_crawl_encoding_errors_total",
			"Pages rejected because they did not decode to valid text in the configured encoding."),
		hot: counter("yuqing_crawl_hot_revisits_total",
			"Revisits of threads whose reply count is still growing."),
		replaced: counter("yuqing_crawl_replaced_chars_total",
			"Characters replaced with U+FFFD (one per run of broken bytes) in pages that were otherwise decoded and kept."),
		truncated: counter("yuqing_crawl_bodies_truncated_total",
			"Items whose body was longer than the source's max_body_chars and was cut to it."),
		givenUp: counter("yuqing_crawl_items_given_up_total",
			"Items given up after their detail page failed repeatedly (or answered 404/410); retried once a day."),
		cutShort: counter("yuqing_crawl_cut_short_total",
			"Crawls stopped by their time budget (crawl_budget) before all items were fetched."),
		dropped: counter("yuqing_crawl_items_dropped_total",
			"Items on the sampled list pages or feed beyond the source's max_items, left unprocessed by that crawl."),
		breaker: gauge("yuqing_source_breaker_open",
			"1 while a source's circuit breaker is open (no requests until a half-open probe succeeds)."),
		lastItems: gauge("yuqing_source_last_items",
			"Items found on the list pages or feed by the last successful crawl that read them."),
		lastNewItem: gauge("yuqing_source_last_new_item_timestamp_seconds",
			"Unix time of the last crawl of a source that stored a post never seen before."),
		newItemGap: gauge("yuqing_source_new_item_gap_seconds",
			"Usual (smoothed) time between crawls of a source that found new posts; 0 while unknown."),
		sourceError: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "yuqing_source_error",
			Help: "Present while the last crawl of a source failed: consecutive failures, labelled with the kind of the last error (layout, encoding, http, retry_later, robots, truncated, off_host, network, store).",
		}, []string{"source", "kind"}),
	}
	m.collectors = []prometheus.Collector{m.runs, m.items, m.duration, m.lastSuccess, m.consecFails, m.pages,
		m.itemsFound, m.layoutErrors, m.encodingErrors, m.hot, m.replaced, m.truncated, m.givenUp, m.cutShort, m.dropped, m.breaker, m.lastItems, m.lastNewItem,
		m.newItemGap, m.sourceError}
	if reg != nil {
		for _, c := range m.collectors {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// forget drops every series of a source that left the configuration, so
// alerts on a removed source stop instead of firing on stale values.
func (m *metrics) forget(source string) {
	l := prometheus.Labels{"source": source}
	m.runs.DeletePartialMatch(l)
	m.items.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.lastSuccess.DeletePartialMatch(l)
	m.consecFails.DeletePartialMatch(l)
	m.pages.DeletePartialMatch(l)
	m.itemsFound.DeletePartialMatch(l)
	m.layoutErrors.DeletePartialMatch(l)
	m.encodingErrors.DeletePartialMatch(l)
	m.hot.DeletePartialMatch(l)
	m.replaced.DeletePartialMatch(l)
	m.truncated.DeletePartialMatch(l)
	m.givenUp.DeletePartialMatch(l)
	m.cutShort.DeletePartialMatch(l)
	m.dropped.DeletePartialMatch(l)
	m.breaker.DeletePartialMatch(l)
	m.lastItems.DeletePartialMatch(l)
	m.lastNewItem.DeletePartialMatch(l)
	m.newItemGap.DeletePartialMatch(l)
	m.sourceError.DeletePartialMatch(l)
}

// exportState sets the state gauges of one source from its stored state.
func (m *metrics) exportState(st store.SourceState) {
	name := st.Name
	if !st.LastSuccessAt.IsZero() {
		m.lastSuccess.WithLabelValues(name).Set(unixSeconds(st.LastSuccessAt))
	}
	m.consecFails.WithLabelValues(name).Set(float64(st.ConsecutiveFailures))
	open := 0.0
	if !st.BreakerOpenUntil.IsZero() {
		open = 1
	}
	m.breaker.WithLabelValues(name).Set(open)
	m.lastItems.WithLabelValues(name).Set(float64(st.LastItems))
	if !st.LastNewItemAt.IsZero() {
		m.lastNewItem.WithLabelValues(name).Set(unixSeconds(st.LastNewItemAt))
	}
	m.newItemGap.WithLabelValues(name).Set(st.NewItemGap.Seconds())
	m.sourceError.DeletePartialMatch(prometheus.Labels{"source": name})
	if st.LastErrorKind != "" && st.LastError != "" {
		m.sourceError.WithLabelValues(name, st.LastErrorKind).Set(float64(st.ConsecutiveFailures))
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
