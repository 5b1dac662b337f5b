package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/web"
)

// CrawlOptions configure `yuqing crawl`.
type CrawlOptions struct {
	ConfigFile string
	Source     string // name in sources.yaml
	// Once crawls a single time; otherwise the source is crawled on its
	// interval until ctx ends.
	Once bool
	// Store saves what was fetched in the configured database (with the
	// source's schedule state, as the daemon would) and grades it, filing
	// incidents; on PostgreSQL only while no instance crawls the source's
	// host (see Crawl). Without it nothing is written anywhere.
	Store bool
	// BodyChars is how much of each body is printed (default 200 characters).
	BodyChars int
	Out       io.Writer
	Logger    *slog.Logger
	Now       func() time.Time
}

// Crawl fetches one source and prints what it extracted, for operators
// writing or checking a source definition. It returns an error when the
// crawl failed (after printing what was extracted before the failure).
//
// With Store on PostgreSQL the crawl takes its host's lease for its
// duration (cluster.Borrow), as an instance would: it is refused while an
// instance crawls the host, and no instance crawls it meanwhile, so one
// crawler per host holds. A trial crawl (no Store) takes no lease: it
// writes nothing and is how a source is written before any daemon knows
// it; it makes the requests an operator checking the page in a browser
// would, with the source's delay between them.
func Crawl(ctx context.Context, o CrawlOptions) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BodyChars <= 0 {
		o.BodyChars = 200
	}
	cfg, err := config.Load(o.ConfigFile)
	if err != nil {
		return fmt.Errorf("加载配置: %w", err)
	}
	var src *crawler.Source
	var names []string
	for i := range cfg.Sources {
		names = append(names, cfg.Sources[i].Name)
		if cfg.Sources[i].Name == o.Source {
			src = &cfg.Sources[i]
		}
	}
	if src == nil {
		if len(names) == 0 {
			return fmt.Errorf("%s 中还没有数据源，请先按 README“接入新的数据源”添加", cfg.SourcesFile)
		}
		if o.Source == "" {
			return fmt.Errorf("请用 -source 指定数据源，可选：%s", strings.Join(names, "、"))
		}
		return fmt.Errorf("%s 中没有名为 %q 的数据源，可选：%s", cfg.SourcesFile, o.Source, strings.Join(names, "、"))
	}
	cr, err := crawler.New(crawler.Options{UserAgent: cfg.Crawler.UserAgent, Timeout: cfg.Crawler.Timeout,
		MaxBodyBytes: cfg.Crawler.MaxBodyBytes, Logger: o.Logger, Now: o.Now})
	if err != nil {
		return err
	}
	p := &crawlPrinter{out: o.Out, loc: cfg.Location, bodyChars: o.BodyChars}
	fmt.Fprintf(o.Out, "数据源 %s（%s）：%s %s\n", src.Name, src.Title, src.Kind, src.URL)
	if !o.Store {
		fmt.Fprintln(o.Out, "（试抓：不读写数据库、不立案；加 -store 才保存并研判）")
	}

	var once func(ctx context.Context) error
	if o.Store {
		var closeStore func() error
		once, closeStore, err = storingCrawl(ctx, cfg, *src, p, o)
		if err != nil {
			return err
		}
		defer closeStore()
	} else {
		once = func(ctx context.Context) error {
			p.reset()
			// No store: every detail page is fetched and nothing is
			// conditional, so the operator sees everything the source yields.
			_, stats, err := cr.Crawl(ctx, *src, store.SourceState{Name: src.Name}, nil,
				func(_ context.Context, it crawler.Item) error { p.item(it, ""); return nil })
			p.summary(stats, err)
			return err
		}
	}
	for {
		err := once(ctx)
		if o.Once || ctx.Err() != nil {
			if ctx.Err() != nil || err == nil {
				return nil
			}
			return ReportedError{err} // the summary has shown it
		}
		fmt.Fprintf(o.Out, "\n%s 后再次抓取（Ctrl+C 停止）……\n", src.Interval)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(src.Interval):
		}
	}
}

// storingCrawl returns a crawl that stores like the daemon (schedule state
// included) and then grades the stored posts, filing incidents.
func storingCrawl(ctx context.Context, cfg *config.Config, src crawler.Source, p *crawlPrinter, o CrawlOptions) (func(context.Context) error, func() error, error) {
	unguard, err := guardSQLite(cfg) // first: a refusal need not wait for the rules to load
	if err != nil {
		return nil, nil, err
	}
	eng, err := classifier.Load(cfg.RulesFile, cfg.DictDir, o.Logger)
	if err != nil {
		unguard()
		return nil, nil, fmt.Errorf("加载研判规则: %w", err)
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		unguard()
		return nil, nil, err
	}
	closeAll := func() error {
		defer unguard()
		return st.Close()
	}
	// The backlog graded after the crawl may hold other sources' posts:
	// each is weighed as its own source, as the daemon would.
	pipe, err := newPipeline(pipelineOptions{Config: cfg, Catalog: func() *config.Config { return cfg }, Store: st,
		Classifier: classifier.NewWithBudget(eng, cfg.Grader.Budget), Logger: o.Logger, Now: o.Now})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	sched := pipe.sched
	sched.SetSources([]crawler.Source{src})
	var mu sync.Mutex
	var urls []string
	sched.Observe(func(_ string, it crawler.Item, res store.SaveResult) {
		mu.Lock()
		urls = append(urls, it.URL)
		mu.Unlock()
		p.item(it, saveResultName(res))
	})
	return func(ctx context.Context) error {
		p.reset()
		mu.Lock()
		urls = urls[:0]
		mu.Unlock()
		crawlCtx, release := ctx, func() {}
		if cfg.Store.Driver == "postgres" {
			var err error
			if crawlCtx, release, err = borrowHost(ctx, cfg, st, src, o); err != nil {
				return err
			}
		}
		crawlErr := sched.CrawlNow(crawlCtx, src.Name)
		if crawlErr != nil && ctx.Err() == nil && crawlCtx.Err() != nil {
			crawlErr = context.Cause(crawlCtx) // the lease was lost
		}
		release()
		states, _ := sched.States(context.WithoutCancel(ctx))
		p.summaryStored(crawlErr)
		if len(states) == 1 && states[0].BreakerOpen(o.Now()) {
			fmt.Fprintf(o.Out, "熔断已打开：%s 前守护进程不会再请求该数据源\n", states[0].BreakerOpenUntil.In(cfg.Location).Format("2006-01-02 15:04"))
		}
		bg := context.WithoutCancel(ctx)
		graded, err := gradeBacklog(bg, pipe.grader, cfg.Grader.Batch)
		if err != nil {
			return errors.Join(crawlErr, fmt.Errorf("研判: %w", err))
		}
		fmt.Fprintf(o.Out, "研判 %d 条\n", graded)
		mu.Lock()
		seen := append([]string(nil), urls...)
		mu.Unlock()
		return errors.Join(crawlErr, printFiled(bg, st, seen, o.Out))
	}, closeAll, nil
}

// guardSQLite holds the SQLite database's instance lock for a stored
// crawl: the daemon on that database crawls every source itself, and a
// second crawler beside it would visit the site twice; held for the whole
// run, so no daemon starts beside it either. Other engines need none.
func guardSQLite(cfg *config.Config) (func(), error) {
	if cfg.Store.Driver != "sqlite" {
		return func() {}, nil
	}
	unguard, err := cluster.Guard(cfg.Store.Path, cfg.File, "yuqing crawl -store")
	if held, ok := errors.AsType[*cluster.HeldError](err); ok {
		return nil, fmt.Errorf("守护进程（%s）正在使用数据库 %s，并按计划采集各数据源；yuqing crawl -store 不另行抓取，"+
			"以免两处同时访问对方网站。只想查看提取结果时去掉 -store 试抓（不写数据库）", held.Holder, held.DB)
	}
	return unguard, err
}

// gradeBacklog grades what is waiting (this crawl's posts and any
// backlog), batch by batch, and returns how many it graded.
func gradeBacklog(ctx context.Context, w *grader.Worker, batch int) (int, error) {
	graded := 0
	for {
		n, err := w.ProcessBatch(ctx)
		graded += n
		if err != nil || n < batch {
			return graded, err
		}
	}
}

// printFiled prints, for each crawled URL whose post was filed, the
// incident it is in.
func printFiled(ctx context.Context, st store.Store, urls []string, out io.Writer) error {
	for _, u := range urls {
		post, ok, err := st.PostByURL(ctx, u)
		if err != nil || !ok {
			continue
		}
		in, filed, err := st.IncidentOfPost(ctx, post.ID)
		if err != nil {
			return err
		}
		if filed {
			fmt.Fprintf(out, "  %s → 事件 %s（%s，%s）\n", privacy.Truncate(privacy.Mask(post.Title), 40), in.Number,
				in.Level.Label(), in.Category.Name())
		}
	}
	return nil
}

// borrowHost takes the lease of src's host for one stored crawl beside
// running instances (cluster.Borrow). When an instance holds it, it
// prints why the crawl is refused, who crawls the source and when next,
// and returns the error (printed too when the lease could not be read).
func borrowHost(ctx context.Context, cfg *config.Config, st store.Database, src crawler.Source, o CrawlOptions) (context.Context, func(), error) {
	host, err := src.Host()
	if err != nil {
		return nil, nil, err
	}
	lctx, release, err := cluster.Borrow(ctx, st, host, cfg.Cluster.LeaseTTL)
	var held *cluster.LeaseHeldError
	switch {
	case err == nil:
		return lctx, release, nil
	case !errors.As(err, &held):
		fmt.Fprintf(o.Out, "未抓取：认领网站 %s 的租约失败：%v\n", host, err)
		return nil, nil, err
	}
	who := "已失联的实例 " + held.Lease.Holder + "（租约到期后由其他实例接手）"
	switch in := held.Instance; {
	case in != nil:
		who = fmt.Sprintf("实例 %s（主机 %s，监听 %s）", in.ID, in.Host, in.Listen)
	case held.Lease.Holder == "":
		who = "正在认领租约的实例"
	case cluster.Borrowed(held.Lease.Holder):
		who = "另一个 yuqing crawl -store（" + held.Lease.Holder + "）"
	}
	next := "按数据源的抓取间隔"
	if state, err := st.SourceState(ctx, src.Name); err == nil && state.NextCheckAt.After(o.Now()) {
		next = "下次约在 " + state.NextCheckAt.In(cfg.Location).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(o.Out, "未抓取：数据源 %s 所在的网站 %s 正由%s采集，该数据源照常按计划抓取（%s）。\n"+
		"多实例运行时，同一网站的数据源只由持有该网站租约的一个实例访问，yuqing crawl -store 不另行抓取，以免两处同时访问对方网站；"+
		"只想查看提取结果时去掉 -store 试抓（不写数据库）。\n", src.Name, host, who, next)
	return nil, nil, fmt.Errorf("数据源 %s: %w", src.Name, err)
}

func saveResultName(r store.SaveResult) string {
	switch r {
	case store.Created:
		return "新帖"
	case store.Changed:
		return "内容有变化"
	case store.Unchanged:
		return "无变化"
	}
	return ""
}

// crawlPrinter prints extracted items; personal numbers are masked.
type crawlPrinter struct {
	mu        sync.Mutex
	out       io.Writer
	loc       *time.Location
	bodyChars int
	n         int
}

func (p *crawlPrinter) reset() { p.mu.Lock(); p.n = 0; p.mu.Unlock() }

func (p *crawlPrinter) item(it crawler.Item, result string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	w := p.out
	tag := ""
	if result != "" {
		tag = "【" + result + "】"
	}
	fmt.Fprintf(w, "\n[%d]%s 标题：%s\n", p.n, tag, privacy.Mask(oneLine(it.Title)))
	fmt.Fprintf(w, "    链接：%s\n", it.URL)
	when := "（未提取到）"
	if !it.PublishedAt.IsZero() {
		when = it.PublishedAt.In(p.loc).Format("2006-01-02 15:04")
	}
	author := it.Author
	if author == "" {
		author = "（未提取到）"
	}
	fmt.Fprintf(w, "    作者：%s  发布时间：%s  回复：%d  浏览：%d\n", privacy.Mask(oneLine(author)), when, it.Replies, it.Views)
	// Whitespace is collapsed before masking: a number broken over two lines
	// ("138 1234\n5678") is only whole, and masked, once on one line.
	body := privacy.Mask(oneLine(it.Body))
	switch {
	case body == "":
		fmt.Fprintln(w, "    正文：（无，未抓取详情页或未匹配到正文）")
	case it.FullBodyChars > 0:
		fmt.Fprintf(w, "    正文（原文 %d 字，超过上限，只保存开头部分）：%s\n", it.FullBodyChars, privacy.Truncate(body, p.bodyChars))
	default:
		n := len([]rune(body))
		fmt.Fprintf(w, "    正文（共 %d 字）：%s\n", n, privacy.Truncate(body, p.bodyChars))
	}
	if it.Replaced > 0 {
		fmt.Fprintf(w, "    注意：含 %d 处无法解码的字符（已替换为 �）\n", it.Replaced)
	}
}

func (p *crawlPrinter) summary(st crawler.Stats, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.out)
	if st.NotModified {
		fmt.Fprintln(p.out, "列表第 1 页未变化（HTTP 304），其余列表页照常读取")
	}
	fmt.Fprintf(p.out, "列表页 %d 页，发现 %d 条，抓取详情页 %d 个，热帖回访 %d 个，跳过 %d 条，提取失败 %d 条，输出 %d 条\n",
		st.ListPages, st.Found, st.Fetched, st.Hot, st.Skipped, st.ParseErrors, st.Emitted)
	if st.Dropped > 0 {
		fmt.Fprintf(p.out, "超出每次条数上限 max_items 的帖子 %d 条本轮未处理（请调大 max_items 或减少 pages）\n", st.Dropped)
	}
	if st.GivenUp > 0 || st.Truncated > 0 || st.Replaced > 0 {
		fmt.Fprintf(p.out, "已放弃（详情页多次失败）%d 条，正文超长截断 %d 条，无法解码的字节 %d 处\n", st.GivenUp, st.Truncated, st.Replaced)
	}
	if st.Postponed > 0 {
		fmt.Fprintf(p.out, "网站要求稍后再抓（HTTP 429/503）的详情页 %d 次，已按 Retry-After 推迟，其余照常抓取\n", st.Postponed)
	}
	if st.CutShort {
		fmt.Fprintln(p.out, "用完单次抓取时间预算（crawl_budget），提前结束；其余帖子下次继续")
	}
	p.fields(st.Fields)
	p.detailErrors(st.DetailErrors)
	p.result(err)
}

// fields prints how often each selector or JSON path matched, flagging the
// ones that matched nothing (most often a preset's guess to delete or fix).
func (p *crawlPrinter) fields(fs []crawler.FieldMatch) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintln(p.out, "字段匹配情况（匹配数/尝试数）：")
	var unmatched []string
	for _, f := range fs {
		from := ""
		if f.Preset {
			from = "（预设）"
		}
		mark := ""
		if f.Unmatched() {
			mark = "  ← 没有匹配到任何内容"
			unmatched = append(unmatched, f.Field)
		}
		fmt.Fprintf(p.out, "  %s%s %d/%d%s\n", f.Field, from, f.Matched, f.Tried, mark)
	}
	if len(unmatched) > 0 {
		fmt.Fprintf(p.out, "提示：%s 没有匹配到任何内容：本站若有这些信息，请在 sources.yaml 中按本站的写法改写；"+
			"没有就不必理会（未匹配的字段不影响其余内容的抓取）\n", strings.Join(unmatched, "、"))
	}
}

// detailErrors lists the detail pages that failed; a run of 404s usually
// means json.link resolves against the wrong directory.
func (p *crawlPrinter) detailErrors(des []crawler.DetailError) {
	if len(des) == 0 {
		return
	}
	n404 := 0
	fmt.Fprintf(p.out, "详情页提取失败 %d 个：\n", len(des))
	for _, de := range des {
		if de.Status != 0 {
			fmt.Fprintf(p.out, "  HTTP %d  %s\n", de.Status, de.URL)
		} else {
			fmt.Fprintf(p.out, "  %s（%s）\n", de.URL, privacy.Truncate(de.Err, 120))
		}
		if de.Status == http.StatusNotFound || de.Status == http.StatusGone {
			n404++
		}
	}
	if n404 > 0 {
		fmt.Fprintln(p.out, "提示：详情页返回 404 时，多半是链接拼错了目录：json.link 不以 / 开头时相对于列表接口所在目录解析，"+
			"以 / 开头时从网站根目录算起（如 /detail.html?id={id}）；请对照浏览器中一条留言的地址")
	}
}

func (p *crawlPrinter) summaryStored(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "\n已保存 %d 条（已有且回复数未变的帖子不重复抓取）\n", p.n)
	p.result(err)
}

func (p *crawlPrinter) result(err error) {
	if err != nil {
		kind := crawler.ErrorKind(err)
		fmt.Fprintf(p.out, "抓取失败（%s）：%s\n", crawler.ErrorKindName(kind), err)
		return
	}
	fmt.Fprintln(p.out, "抓取成功")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// webSources lists the configured sources for the console's source-health
// page (follows reloads).
func (d *Daemon) webSources() []web.SourceInfo {
	cfg := d.cfg.Load()
	out := make([]web.SourceInfo, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		out = append(out, web.SourceInfo{Name: s.Name, Title: s.Title, Kind: s.Kind, URL: s.URL, Channel: s.Channel, Interval: s.Interval})
	}
	return out
}

// ReportedError is a failure a command has already shown in its output:
// the caller only sets the exit status, rather than print it again.
type ReportedError struct{ Err error }

func (e ReportedError) Error() string { return e.Err.Error() }
func (e ReportedError) Unwrap() error { return e.Err }
