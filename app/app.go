// Package app wires the daemon together: configuration, store, crawler and
// scheduler, grader, incident service, metrics and console, all on one
// registry and one listener, with no package globals, so two instances can
// live in one process. Shutdown is ordered: stop fetching, let grading finish
// the post in hand, stop serving, close the store.
package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/yuqing-bureau/yuqing/alerting"
	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/reportsched"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/web"
)

// Options configure one daemon instance.
type Options struct {
	ConfigFile string
	Logger     *slog.Logger
	// Registry receives every metric; a new one is made when nil.
	Registry *prometheus.Registry
	// Listen overrides the configured listen address when set.
	Listen string
	// Reload delivers reload requests (SIGHUP in the binary).
	Reload <-chan struct{}
	// Ready is called with the bound address once the daemon serves.
	Ready func(addr string)
	// Demo prepares the demo's account once the store is open (RunDemo).
	Demo func(ctx context.Context, a *auth.Service) error
	Now  func() time.Time
}

// Version is the build's version, set by the binary.
var Version = "dev"

// Daemon is one running instance; Run blocks until its context ends.
type Daemon struct {
	opts  Options
	log   *slog.Logger
	reg   *prometheus.Registry
	cls   *classifier.Classifier
	sched *crawler.Scheduler
	node  *cluster.Node
	// reports builds and delivers the scheduled reports (reports.go).
	reports *reportsched.Scheduler
	cfg     atomic.Pointer[config.Config]
	sem     chan struct{} // one reload at a time
	// stopping is set when shutdown begins: /-/ready then refuses, so a
	// load balancer sends no new request to an instance going away.
	stopping atomic.Bool
	// shared is where instances agree that the console's reload reloads
	// them all; reloaded is the reload generation this one has followed.
	shared   store.ClusterStore
	reloaded atomic.Int64
	reload   struct {
		ok   prometheus.Gauge
		when prometheus.Gauge
		info *prometheus.GaugeVec
	}
}

// Run loads the configuration and runs the daemon until ctx is done.
func Run(ctx context.Context, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	start := time.Now()

	cfg, err := loadConfig(opts)
	if err != nil {
		return err
	}
	eng, err := classifier.Load(cfg.RulesFile, cfg.DictDir, log)
	if err != nil {
		return fmt.Errorf("加载研判规则: %w", err)
	}
	log.Info("研判规则已加载", "rules", cfg.RulesFile, "version", eng.Version(), "elapsed", time.Since(start).Round(time.Millisecond))

	ln, err := listen(cfg)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if cfg.Store.Driver == "sqlite" {
		// One instance per SQLite database: a second is refused here,
		// before it touches the file.
		release, err := cluster.Guard(cfg.Store.Path, cfg.File, addr)
		if err != nil {
			return err
		}
		defer release()
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("关闭数据库失败", "err", err)
		}
	}()

	d := newDaemon(opts, cfg, eng)
	reg := d.reg
	d.shared = st
	gen, err := st.ReloadGeneration(ctx)
	if err != nil {
		return err
	}
	d.reloaded.Store(gen)
	catalog := sourceCatalog(d.cfg.Load)

	node, err := d.newNode(cfg, st, addr)
	if err != nil {
		return err
	}
	pipe, err := newPipeline(pipelineOptions{Config: cfg, Catalog: catalog, Store: st, Classifier: d.cls,
		Logger: log, Registerer: reg, Node: node, Now: opts.Now})
	if err != nil {
		return err
	}
	d.sched = pipe.sched
	warnCalendar(cfg, log, opts.Now())
	d.sched.SetSources(cfg.Sources)
	stopNode, err := d.joinCluster(ctx, cfg)
	if err != nil {
		return err
	}
	defer stopNode()
	// Export stored source health (last success, breaker) of the sources
	// this instance holds before /metrics is served and before the first
	// crawl; Run does not prime.
	d.sched.Prime(ctx)
	if err := d.exportAlerts(cfg, st, catalog); err != nil {
		return err
	}
	if d.reports, err = d.newReports(st); err != nil {
		return err
	}
	d.reports.Prime(ctx) // the last reports' success, before /metrics is served
	authSvc := newAuth(st, cfg, log, opts.Now)
	if opts.Demo != nil {
		if err := opts.Demo(ctx, authSvc); err != nil {
			return err
		}
	}
	mux, err := d.handler(cfg, st, pipe.incidents, catalog, authSvc)
	if err != nil {
		return err
	}

	srv := newHTTPServer(cfg.Console, mux, log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(netutil.LimitListener(ln, cfg.Console.MaxConnections)) }()
	log.Info("服务已启动", "listen", addr, "console", cfg.ExternalURL, "sources", len(cfg.Sources),
		"startup", time.Since(start).Round(time.Millisecond))
	if opts.Ready != nil {
		opts.Ready(addr)
	}

	return d.serve(ctx, srv, serveErr, pipe.grader, authSvc, stopNode)
}

// newNode makes this instance's node in the cluster (package cluster).
func (d *Daemon) newNode(cfg *config.Config, st store.ClusterStore, addr string) (*cluster.Node, error) {
	dsn := ""
	if cfg.Store.Driver == "postgres" {
		dsn = cfg.Store.DSN
	}
	node, err := cluster.New(cluster.Options{Store: st, DSN: dsn, Listen: addr, Version: Version,
		Heartbeat: cfg.Cluster.Heartbeat, LeaseTTL: cfg.Cluster.LeaseTTL,
		Logger: d.log.With("component", "cluster"), Registerer: d.reg})
	if err != nil {
		return nil, err
	}
	d.node = node
	return node, nil
}

// joinCluster registers this instance and starts its heartbeats, leases
// and election; the scheduler crawls only the sources on the hosts whose
// leases it holds. It
// returns once the first heartbeat and lease round are done; stop gives
// leases and leadership back and waits (idempotent).
func (d *Daemon) joinCluster(ctx context.Context, cfg *config.Config) (stop func(), err error) {
	node := d.node
	node.SetSources(crawler.Hosts(cfg.Sources))
	node.SetBusy(d.sched.Crawling)
	d.sched.SetOwner(node)
	nodeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	started, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- node.Run(nodeCtx, started) }()
	select {
	case <-started:
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("登记实例: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}, nil
}

// loadConfig loads the configuration, with -listen over the file's, and
// logs what the file should change (an old key).
func loadConfig(opts Options) (*config.Config, error) {
	cfg, err := config.Load(opts.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("加载配置: %w", err)
	}
	if opts.Listen != "" {
		if cfg.ExternalURL == "http://"+cfg.Listen {
			cfg.ExternalURL = "http://" + opts.Listen
		}
		cfg.Listen = opts.Listen
	}
	for _, w := range cfg.Warnings {
		opts.Logger.Warn(w, "file", cfg.File)
	}
	return cfg, nil
}

// listen binds the console's address; a defaulted external URL then names
// the address actually bound (port 0 picks a free one).
func listen(cfg *config.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("监听 %s: %w", cfg.Listen, err)
	}
	if cfg.ExternalURL == "http://"+cfg.Listen {
		cfg.ExternalURL = "http://" + ln.Addr().String()
	}
	return ln, nil
}

// newDaemon holds cfg and eng in force and registers the process, build
// and reload metrics.
func newDaemon(opts Options, cfg *config.Config, eng *classifier.Engine) *Daemon {
	reg := opts.Registry
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promauto.With(reg).NewGaugeFunc(prometheus.GaugeOpts{Name: "yuqing_build_info", Help: "Build version.",
		ConstLabels: prometheus.Labels{"version": Version}}, func() float64 { return 1 })

	d := &Daemon{opts: opts, log: opts.Logger, reg: reg, cls: classifier.NewWithBudget(eng, cfg.Grader.Budget), sem: make(chan struct{}, 1)}
	d.cfg.Store(cfg)
	f := promauto.With(reg)
	d.reload.ok = f.NewGauge(prometheus.GaugeOpts{Name: "yuqing_rules_last_reload_success",
		Help: "1 if the last load of rules and sources succeeded."})
	d.reload.when = f.NewGauge(prometheus.GaugeOpts{Name: "yuqing_rules_last_reload_success_timestamp_seconds",
		Help: "Time of the last successful load of rules and sources."})
	d.reload.info = f.NewGaugeVec(prometheus.GaugeOpts{Name: "yuqing_rules_info",
		Help: "The rules version in use (1 for the current one)."}, []string{"version"})
	d.reload.ok.Set(1)
	d.reload.when.Set(float64(opts.Now().Unix()))
	d.reload.info.WithLabelValues(eng.Version()).Set(1)
	return d
}

// warnCalendar logs when the holiday calendar runs out (deadlines counted
// in working days past its end count weekends only) and when the coming
// Horizon reaches into a year whose holidays are still provisional.
func warnCalendar(cfg *config.Config, log *slog.Logger, now time.Time) {
	if cfg.Calendar == nil {
		return
	}
	switch {
	case !cfg.Calendar.Covers(now):
		log.Warn("工作日历未覆盖今年，按工作日计算的时限只按周末推算，请更新", "file", cfg.CalendarFile)
	case !cfg.Calendar.CoversHorizon(now):
		log.Warn("工作日历未覆盖今后 60 天，其后的节假日和调休只按周末推算，请补充下一年的放假安排", "file", cfg.CalendarFile)
	}
	if years := cfg.Calendar.ProvisionalAhead(now); len(years) > 0 {
		log.Warn("工作日历中今后 60 天涉及年份的节假日是按《全国年节及纪念日放假办法》推算的，"+
			"尚未按国务院办公厅公布的放假安排（含调休）核对，请核对后从 provisional 中删去该年",
			"file", cfg.CalendarFile, "years", joinYears(years))
	}
}

// exportAlerts registers the incident series the alerting rules read and
// the workflow stage counts.
func (d *Daemon) exportAlerts(cfg *config.Config, st store.Store, catalog sourceCatalog) error {
	log := d.log.With("component", "alerting")
	// The incident and false-positive series describe the whole database:
	// only the leader exports them, so each alert comes from one instance.
	leaderOnly := cluster.LeaderOnly(d.reg, d.node)
	if _, err := alerting.NewExporter(leaderOnly, st, alerting.Options{ConsoleURL: cfg.ExternalURL,
		SourceTitle: catalog.Title, Logger: log, Now: d.opts.Now}); err != nil {
		return err
	}
	if _, err := alerting.NewFalsePositiveExporter(leaderOnly, st, log); err != nil {
		return err
	}
	// The Chinese names of sources and rules, for the alerts on series that
	// carry only a source name or a rule id (read at every scrape: reloads show).
	_, err := alerting.NewCatalogExporter(d.reg, alerting.Catalog{
		Sources: func() []alerting.Named {
			var out []alerting.Named
			for _, s := range catalog().Sources {
				out = append(out, alerting.Named{Key: s.Name, Name: catalog.Title(s.Name)})
			}
			return out
		},
		Rules: func() []alerting.Named {
			var out []alerting.Named
			for _, r := range d.cls.Engine().RuleNames() {
				out = append(out, alerting.Named{Key: r.ID, Name: r.Name})
			}
			return out
		},
	})
	return err
}

// handler is the daemon's HTTP surface: the console, /metrics and the
// Alertmanager-to-WeCom webhook (behind the metrics token unless opened),
// health and readiness, and reload.
func (d *Daemon) handler(cfg *config.Config, st store.Store, inc *incident.Service, catalog sourceCatalog, authSvc *auth.Service) (http.Handler, error) {
	log, reg, opts := d.log, d.reg, d.opts
	console, err := web.New(web.Options{Store: st, Workflow: inc, Classifier: d.cls, Logger: log.With("component", "web"),
		Now: opts.Now, Location: cfg.Location, SourceTitle: catalog.Title, Sources: d.webSources, Reload: d.ReloadAll,
		Posts: st, SourceGrading: catalog.Grading, Places: func() []string { return d.cfg.Load().Places },
		Auth: authSvc, SecureCookie: cfg.Console.SecureCookie, ExternalURL: cfg.ExternalURL,
		TrustedProxies: cfg.Console.Proxies(), ProbeSource: consoleProbe(d.cfg.Load, log.With("component", "probe")),
		Reports: d.reports.Archive(), ReceiverTitle: func(name string) string { return d.cfg.Load().Delivery.TitleOf(name) }})
	if err != nil {
		return nil, err
	}

	// /metrics and the alert webhook are for the monitoring stack
	// (Prometheus, Alertmanager): one token for both.
	monitoring := func(h http.Handler) http.Handler { return h }
	if !cfg.Metrics.Open {
		created, err := cfg.Metrics.EnsureToken()
		if err != nil {
			return nil, err
		}
		if created {
			log.Warn("已生成 /metrics 访问令牌（只提示这一次）：Prometheus 抓取时须携带此令牌，"+
				"在抓取配置中用 authorization.credentials_file 指向此文件（或其副本，须 Prometheus 可读）",
				"token_file", cfg.Metrics.TokenFile)
		}
		monitoring = func(h http.Handler) http.Handler { return requireToken(cfg.Metrics.Token, h) }
	}
	render, err := alerting.NewRenderer()
	if err != nil {
		return nil, err
	}
	forward := &alertForwarder{render: render, client: &http.Client{}, log: log.With("component", "delivery"),
		delivery: func() *delivery.Config { return &d.cfg.Load().Delivery }}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", monitoring(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true})))
	mux.Handle("POST /alertmanager/wecom/{receiver}", monitoring(forward))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "OK") })
	mux.Handle("GET /-/ready", d.ready(st))
	mux.Handle("POST /-/reload", console.Protect(auth.RoleOperator, http.HandlerFunc(d.handleReload)))
	mux.Handle("/", console.Handler())

	return mux, nil
}

// readyTimeout bounds the database's answer to a readiness check: a load
// balancer's check gives up after a few seconds.
const readyTimeout = 2 * time.Second

// ready is /-/ready, a load balancer's health check: 200 while the
// instance serves and its database answers, 503 otherwise (the database
// is down or unreachable from here, or the instance is stopping). Any
// ready instance serves any console request: sessions, login limits and
// the audit log are in the database. /-/healthy only says the process
// answers.
func (d *Daemon) ready(st store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.stopping.Load() {
			http.Error(w, "正在停止", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "数据库无应答", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "OK")
	})
}

// serve runs crawling and grading until ctx is done or the server fails,
// reloading on opts.Reload, then stops in order: crawling first, then the
// grading in hand is finished, then the instance leaves the cluster
// (leases and leadership given back), then the server.
func (d *Daemon) serve(ctx context.Context, srv *http.Server, serveErr <-chan error, worker *grader.Worker, authSvc *auth.Service, leave func()) error {
	log, opts := d.log, d.opts
	crawlCtx, stopCrawl := context.WithCancel(context.WithoutCancel(ctx))
	gradeCtx, stopGrade := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCrawl()
	defer stopGrade()
	var crawling, grading sync.WaitGroup
	crawling.Go(func() {
		if err := d.sched.Run(crawlCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("采集调度退出", "err", err)
		}
	})
	// Reports stop with crawling (a delivery cut short is due again at
	// the next start) and are the leader's: each run is claimed once in
	// the database anyway, the leader spares the others building it.
	crawling.Go(func() {
		d.node.Lead(crawlCtx, func(ctx context.Context) {
			if err := d.reports.Run(ctx); err != nil {
				log.Error("报告调度退出", "err", err)
			}
		})
	})
	// Every instance grades: ungraded posts are a queue each claims
	// batches from (grader), so no post is graded or filed twice.
	grading.Go(func() {
		if err := worker.Run(gradeCtx); err != nil {
			log.Error("研判退出", "err", err)
		}
	})
	grading.Go(func() { d.node.Lead(gradeCtx, func(ctx context.Context) { sweepSessions(ctx, authSvc, log) }) })
	crawling.Go(func() { d.followReloads(crawlCtx, d.cfg.Load().Cluster.Heartbeat) })

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-serveErr:
			runErr = fmt.Errorf("HTTP 服务异常退出: %w", err)
			break loop
		case <-opts.Reload:
			d.Reload()
		}
	}

	log.Info("正在停止：先停采集和报告发送，再完成手头的研判，交还数据源租约，最后关闭服务")
	d.stopping.Store(true)
	stopCrawl()
	crawling.Wait()
	stopGrade()
	grading.Wait()
	leave()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && runErr == nil {
		runErr = fmt.Errorf("关闭 HTTP 服务: %w", err)
	}
	log.Info("已停止")
	return runErr
}

// Reload re-reads the configuration, sources, rules and dictionary, builds
// everything new and only then swaps it in. On any error the running rules
// and sources stay as they were.
func (d *Daemon) Reload() error {
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	start := time.Now()
	err := d.reloadOnce()
	if err != nil {
		d.reload.ok.Set(0)
		d.log.Error("重新加载失败，继续使用原有规则和数据源", "err", err)
		return err
	}
	d.reload.ok.Set(1)
	d.reload.when.Set(float64(d.opts.Now().Unix()))
	d.log.Info("重新加载成功", "version", d.cls.Engine().Version(), "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// ReloadAll is the console's reload (its button and POST /-/reload):
// this instance reloads and, when that succeeds, moves the reload
// generation on so that every other instance on the database follows
// within a heartbeat (followReloads). Behind a load balancer the
// operator does not choose the instance; SIGHUP reloads only the one it
// is sent to.
func (d *Daemon) ReloadAll() error {
	if err := d.Reload(); err != nil {
		return err
	}
	gen, err := d.shared.RequestReload(context.Background())
	if err != nil {
		d.log.Error("本实例已重新加载，但未能通知其他实例", "err", err)
		return nil
	}
	d.follow(gen)
	return nil
}

// follow records that this instance has reloaded as of gen; it reports
// whether gen was new to it.
func (d *Daemon) follow(gen int64) bool {
	for {
		cur := d.reloaded.Load()
		if gen <= cur {
			return false
		}
		if d.reloaded.CompareAndSwap(cur, gen) {
			return true
		}
	}
}

// followReloads reloads this instance whenever another has moved the
// reload generation on, looking every interval, until ctx ends.
func (d *Daemon) followReloads(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		gen, err := d.shared.ReloadGeneration(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("读取重新加载代次失败", "err", err)
			}
			continue
		}
		if d.follow(gen) {
			d.log.Info("另一实例已按操作员要求重新加载，本实例跟随", "generation", gen)
			_ = d.Reload() // logged and exported by Reload
		}
	}
}

func (d *Daemon) reloadOnce() error {
	old := d.cfg.Load()
	cfg, err := config.Load(old.File)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		d.log.Warn(w, "file", cfg.File)
	}
	// Listener, store, time zone and deadlines need a restart; they keep
	// their running values.
	cfg.Listen, cfg.Store, cfg.ExternalURL = old.Listen, old.Store, old.ExternalURL
	eng, err := classifier.Load(cfg.RulesFile, cfg.DictDir, d.log)
	if err != nil {
		return err
	}
	prev := d.cls.Swap(eng)
	if prev.Version() != eng.Version() {
		d.reload.info.Reset()
		d.reload.info.WithLabelValues(eng.Version()).Set(1)
	}
	d.cfg.Store(cfg)
	// The node first: the scheduler asks it about a source's new host as
	// soon as it has the source.
	d.node.SetSources(crawler.Hosts(cfg.Sources))
	d.sched.SetSources(cfg.Sources)
	d.reports.Wake() // the schedules, receivers and calendar in force now
	return nil
}

func (d *Daemon) handleReload(w http.ResponseWriter, _ *http.Request) {
	if err := d.ReloadAll(); err != nil {
		http.Error(w, "重新加载失败: "+err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, "重新加载成功，规则版本", d.cls.Engine().Version())
}

// newHTTPServer returns the server for the console, API and /metrics with
// every phase of a connection bounded: a client that sends slowly, reads
// slowly or idles on a keep-alive connection is cut off (the connection
// cap is applied to the listener by the caller).
func newHTTPServer(c config.ConsoleConfig, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: min(10*time.Second, c.ReadTimeout), ReadTimeout: c.ReadTimeout,
		WriteTimeout: c.WriteTimeout, IdleTimeout: c.ConnIdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// requireToken lets through only requests that carry token as a bearer
// token (Prometheus: authorization.credentials_file); an empty token lets
// nothing through.
func requireToken(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="yuqing metrics"`)
			http.Error(w, "需要监控指标令牌（见 yuqing.yaml 的 metrics 一节）", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
