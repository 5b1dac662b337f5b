// Package alerting turns open incidents into Prometheus metrics that the
// rules in configs/prometheus/ alert on: one info series per open incident
// (number, level, category, source, masked title, console link) and one
// deadline series per pending stage, and counts of overdue stages by stage
// and level. Series exist only while an incident is open, which bounds
// cardinality to the open incidents. CatalogExporter adds the Chinese names
// of sources and rules that alert text shows instead of their keys.
package alerting

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// IncidentSource is the part of the store the exporter reads at scrape time.
type IncidentSource interface {
	OpenIncidents(ctx context.Context) ([]model.Incident, error)
	// IncidentDetail gives an incident's first post for the excerpt label.
	IncidentDetail(ctx context.Context, number string) (store.IncidentDetail, error)
}

// Options configure an Exporter.
type Options struct {
	// ConsoleURL is the console's external base URL, for the link label.
	ConsoleURL string
	// SourceTitle maps a source name to the title shown to staff; may be nil.
	SourceTitle func(name string) string
	// Timeout bounds one scrape's store query.
	Timeout time.Duration
	Logger  *slog.Logger
	// Now is the clock overdue stages are judged by; nil is time.Now.
	Now func() time.Time
}

// Exporter is a prometheus.Collector reading open incidents at scrape time,
// so what Prometheus sees is always what the store holds.
type Exporter struct {
	src  IncidentSource
	opts Options

	info, deadline, overdue, open, scrapeErr *prometheus.Desc

	mu   sync.Mutex
	last []model.Incident // last good read, served while the store fails
	ok   bool

	excerpts excerpts // masked first-post excerpt per open incident
}

// NewExporter creates the exporter and registers it on reg.
func NewExporter(reg prometheus.Registerer, src IncidentSource, opts Options) (*Exporter, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Exporter{
		src:  src,
		opts: opts,
		info: prometheus.NewDesc("yuqing_incident_info",
			"One series per open incident; labels carry what an alert must show.",
			[]string{"number", "level", "level_name", "category", "category_name", "source", "title", "link", "excerpt"}, nil),
		deadline: prometheus.NewDesc("yuqing_incident_deadline_timestamp_seconds",
			"Deadline of a pending stage of an open incident (ack: emergency acknowledgement, followup: first follow-up reply, investigate: investigation in working days, feedback: reply to the public in working days).",
			[]string{"number", "stage"}, nil),
		overdue: prometheus.NewDesc("yuqing_incident_stages_overdue",
			"Open incidents whose stage (ack, followup, investigate, feedback) is past its deadline and not met, by level.",
			[]string{"stage", "level"}, nil),
		open: prometheus.NewDesc("yuqing_incidents_open",
			"Open incidents by level and category.", []string{"level", "category"}, nil),
		scrapeErr: prometheus.NewDesc("yuqing_incident_scrape_error",
			"1 if reading open incidents from the store failed during this scrape (the last good read is served).", nil, nil),
	}
	if err := reg.Register(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	ch <- e.info
	ch <- e.deadline
	ch <- e.overdue
	ch <- e.open
	ch <- e.scrapeErr
}

// Collect implements prometheus.Collector.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.Timeout)
	defer cancel()
	incs, err := e.src.OpenIncidents(ctx)
	e.mu.Lock()
	if err != nil {
		// Serving the last good snapshot keeps alerts from resolving and
		// firing again because of one failed read.
		incs = e.last
		e.opts.Logger.Error("读取未办结事件失败，沿用上一次的事件指标", "err", err)
	} else {
		e.last, e.ok = incs, true
	}
	ok := e.ok
	e.mu.Unlock()
	failed := 0.0
	if err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(e.scrapeErr, prometheus.GaugeValue, failed)
	if !ok {
		return // nothing good read yet: no counts rather than false zeros
	}
	counts := map[[2]string]int{}
	for _, l := range taxonomy.Levels {
		for _, c := range taxonomy.Categories {
			counts[[2]string{strconv.Itoa(int(l)), string(c)}] = 0
		}
	}
	// Overdue stages are counted from the same read as the deadlines, so
	// they agree, and a failed read serves the last good one for both.
	overdue := map[[2]string]int{}
	for _, st := range incident.StageKeys() {
		for _, l := range taxonomy.Levels {
			overdue[[2]string{st, strconv.Itoa(int(l))}] = 0
		}
	}
	now := e.opts.Now()
	e.excerpts.prune(incs)
	for _, inc := range incs {
		level := strconv.Itoa(int(inc.Level))
		counts[[2]string{level, string(inc.Category)}]++
		// The info series waits while the excerpt cannot be read, so its
		// label set never changes once exported (see excerpts).
		excerpt, ready, err := e.excerpts.get(ctx, e.src, inc)
		switch {
		case !ready:
			e.opts.Logger.Error("读取事件首帖摘要失败，该事件的信息指标留待下次采集", "incident", inc.Number, "err", err)
		case err != nil:
			e.opts.Logger.Error("多次读取事件首帖摘要失败，该事件的告警不带摘要", "incident", inc.Number, "err", err)
		}
		if ready {
			ch <- prometheus.MustNewConstMetric(e.info, prometheus.GaugeValue, 1,
				inc.Number, level, levelName(inc), string(inc.Category), inc.Category.Name(),
				e.sourceTitle(inc.Source), LabelTitle(inc.Title), IncidentURL(e.opts.ConsoleURL, inc.Number), excerpt)
		}
		for _, st := range incident.Stages(inc) {
			if inc.Open() && st.Done.IsZero() {
				ch <- prometheus.MustNewConstMetric(e.deadline, prometheus.GaugeValue,
					float64(st.Due.Unix()), inc.Number, st.Key)
			}
		}
		for _, st := range incident.Overdue(inc, now) {
			overdue[[2]string{st.Key, level}]++
		}
	}
	for k, n := range overdue {
		ch <- prometheus.MustNewConstMetric(e.overdue, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(e.open, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

func (e *Exporter) sourceTitle(name string) string {
	if e.opts.SourceTitle != nil {
		if t := e.opts.SourceTitle(name); t != "" {
			return t
		}
	}
	return name
}

// LabelTitle is an incident title as it may leave the store in an alert:
// plain text with personal data masked (privacy.MaskMore: numbers, names,
// addresses, e-mail, WeChat/QQ ids), then cut to at most 60 characters
// ("…" included), never inside a number.
func LabelTitle(title string) string {
	return privacy.Label(title, 59)
}

// IncidentURL is the console page of an incident.
func IncidentURL(base, number string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + "/incidents/" + number
}

// levelName is the level_name label: the level's name, marked 疑似 while
// a handler has not confirmed or changed the level rules and model
// disagreed on (the alert then reads "Ⅱ级重大（疑似）舆情").
func levelName(inc model.Incident) string {
	if inc.Suspected {
		return inc.Level.Name() + "（疑似）"
	}
	return inc.Level.Name()
}
