package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/store"
)

// sourceCatalog answers, by source name, what grading, alerts and the
// console need to know of a source, from the configuration in force (a
// reload swaps it, so the catalog is a function, not a snapshot).
type sourceCatalog func() *config.Config

func (c sourceCatalog) source(name string) (crawler.Source, bool) {
	for _, s := range c().Sources {
		if s.Name == name {
			return s, true
		}
	}
	return crawler.Source{}, false
}

// Title is the source's title for staff; "" for a source no longer
// configured.
func (c sourceCatalog) Title(name string) string {
	if name == incident.ManualSource {
		return "人工补录" // a post a handler entered by hand (补录漏报)
	}
	s, _ := c.source(name)
	return s.Title
}

// Grading is how a source's posts are graded and filed; a source no longer
// configured (its posts stored before it was removed) weighs 1.
func (c sourceCatalog) Grading(name string) grader.SourceGrading {
	if s, ok := c.source(name); ok {
		return grader.SourceGrading{Weight: s.Weight, Channel: s.Channel, AllIncidents: s.AllIncidents}
	}
	return grader.SourceGrading{Weight: 1}
}

// pipeline is crawl → store → grade → file, assembled in one place for
// `run` (and the demo, which runs the daemon) and `crawl -store`.
type pipeline struct {
	incidents *incident.Service
	grader    *grader.Worker
	sched     *crawler.Scheduler
}

type pipelineOptions struct {
	Config     *config.Config // crawler, grader and filing settings
	Catalog    sourceCatalog
	Store      store.Store
	Classifier *classifier.Classifier
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics (a one-off crawl)
	// Node, when set, is this instance in the cluster: it grades from
	// the queue as the node's id; the grading backlog (a whole-database
	// series) and the search-index catch-up are the leader's.
	Node *cluster.Node
	Now  func() time.Time
}

func newPipeline(o pipelineOptions) (*pipeline, error) {
	cfg, cls := o.Config, o.Classifier
	// Grouping sees the words grading sees.
	inc := incident.New(o.Store, cfg.Policy(), o.Now, func(text string) []string { return segmentWords(cls, text) })
	gopts := grader.Options{Store: o.Store, Grader: cls, Incidents: inc, Logger: o.Logger.With("component", "grader"),
		Registerer: o.Registerer, Source: o.Catalog.Grading, Interval: cfg.Grader.Interval, Batch: cfg.Grader.Batch,
		Workers: cfg.Grader.Workers, Now: o.Now,
		SearchText: func(title, body string) string { return cls.Engine().SearchText(title, body) }}
	if o.Node != nil {
		gopts.Holder, gopts.CatchUp = o.Node.ID(), o.Node.IsLeader
		if o.Registerer != nil {
			gopts.DatabaseRegisterer = cluster.LeaderOnly(o.Registerer, o.Node)
		}
	}
	worker := grader.New(gopts)
	cr, err := crawler.New(crawler.Options{UserAgent: cfg.Crawler.UserAgent, Timeout: cfg.Crawler.Timeout,
		MaxBodyBytes: cfg.Crawler.MaxBodyBytes, Logger: o.Logger.With("component", "crawler"), Registerer: o.Registerer, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("创建采集器: %w", err)
	}
	sched := crawler.NewScheduler(cr, o.Store, o.Logger.With("component", "scheduler"), o.Now)
	return &pipeline{incidents: inc, grader: worker, sched: sched}, nil
}

// segmentWords splits text as cls's current engine does into the
// tokens' texts: the same words the classifier hands incident filing in
// Result.Words.
func segmentWords(cls *classifier.Classifier, text string) []string {
	toks := cls.Engine().Segment(text)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}
