package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/reportsched"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Check loads everything the daemon would load at start and reports what
// it found, judging the holiday calendar as of now. It returns the first
// layer of errors, each naming file and line.
func Check(configFile string, out io.Writer, now time.Time) error {
	cfg, err := config.Load(configFile)
	if err != nil {
		return err
	}
	eng, err := classifier.Load(cfg.RulesFile, cfg.DictDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	var running string
	if cfg.Store.Driver == "sqlite" {
		if running, err = checkRunning(cfg); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "配置检查通过：%s\n", cfg.File)
	fmt.Fprintf(out, "  数据源 %d 个（%s）\n", len(cfg.Sources), cfg.SourcesFile)
	for _, s := range cfg.Sources {
		fmt.Fprintf(out, "    - %s（%s，%s，每 %s）\n", s.Name, s.Title, s.Kind, s.Interval)
		for _, n := range s.Notes() {
			fmt.Fprintf(out, "      %s\n", n)
		}
	}
	fmt.Fprintf(out, "  研判规则 %s，版本 %s\n", cfg.RulesFile, eng.Version())
	where := cfg.Store.Path
	if cfg.Store.Driver == "postgres" {
		where = postgres.DescribeDSN(cfg.Store.DSN)
	}
	fmt.Fprintf(out, "  数据库 %s（%s）\n", where, cfg.Store.Driver)
	if running != "" {
		fmt.Fprintln(out, running)
	}
	fmt.Fprintf(out, "  监听 %s，控制台地址 %s\n", cfg.Listen, cfg.ExternalURL)
	switch m := cfg.Metrics; {
	case m.Open && !loopbackListen(cfg.Listen):
		fmt.Fprintf(out, "  注意：服务监听本机以外的地址，而 /metrics 不需令牌（metrics.open: true），其中的事件标题和摘要任何人都能读取；"+
			"请去掉 metrics.open，改用令牌，或只经带认证的反向代理访问\n")
	case m.Open:
		fmt.Fprintf(out, "  监控指标 /metrics 不需令牌（metrics.open: true，只监听本机）\n")
	case m.Token == "":
		fmt.Fprintf(out, "  监控指标 /metrics 需令牌，守护进程首次启动时生成令牌文件 %s\n", m.TokenFile)
	default:
		fmt.Fprintf(out, "  监控指标 /metrics 需令牌（%s）\n", m.TokenFile)
	}
	fmt.Fprintf(out, "  User-Agent %s\n", cfg.Crawler.UserAgent)
	if len(cfg.Sources) > 0 && !crawler.UserAgentHasContact(cfg.Crawler.UserAgent) {
		fmt.Fprintf(out, "  注意：User-Agent 中没有联系方式（邮箱、网址或电话），对方网站无法联系到我们，"+
			"容易被当作恶意爬虫封禁；请在 crawler.user_agent 中写明单位和联系方式\n")
	}
	checkHandling(cfg, out, now)
	checkDelivery(cfg.Delivery, out)
	checkReports(cfg.Reports, out)
	fmt.Fprintln(out, reportFontLine(chart.FindFont(cfg.ReportFont)))
	for _, w := range cfg.Warnings {
		fmt.Fprintf(out, "  注意：%s\n", w)
	}
	return nil
}

// checkRunning judges the daemon already running on the SQLite database
// of cfg, if any. Checking the configuration it runs with before reloading
// it is the usual step and passes (a line to print); another
// configuration on that database would be a second instance, which SQLite
// cannot serve: the check fails, as the daemon would be refused.
func checkRunning(cfg *config.Config) (string, error) {
	err := cluster.CheckGuard(cfg.Store.Path)
	held, ok := errors.AsType[*cluster.HeldError](err)
	if !ok {
		if err != nil {
			return fmt.Sprintf("  注意：无法查看数据库的实例锁（%v），未能确认是否已有守护进程在运行", err), nil
		}
		return "", nil
	}
	h := held.Holder
	switch same, known := h.Loads(cfg.File); {
	case same:
		return fmt.Sprintf("  运行中的实例（主机 %s 上的进程 %d，监听 %s）用的正是这份配置：重新加载（systemctl reload yuqing 或 kill -HUP %d）后即按检查过的配置运行"+
			"（监听地址 listen、数据库 store 和 external_url 须重启才生效）", h.Host, h.PID, h.Listen, h.PID), nil
	case known:
		return "", held.For(cfg.File)
	default:
		return fmt.Sprintf("  注意：运行中的实例由旧版本启动，没有记下所用的配置文件，无法判断是否就是这份配置；"+
			"是这份配置时，修改后让它重新加载即可（systemctl reload yuqing），不要再启动一个。不是时：%v", held), nil
	}
}

// reportFontLine says which font the Word reports' charts are drawn in,
// or that there is none: Word reports then fail until one is installed.
func reportFontLine(f *chart.Font, err error) string {
	if err != nil {
		return fmt.Sprintf("  注意：Word 报告（docx）的图表需要中文字体，%v；在此之前只能生成 html、xlsx 报告", err)
	}
	return fmt.Sprintf("  报告图表字体 %s（%s）", f.Name, f.Path)
}

// ClassifyOptions configure `yuqing classify`.
type ClassifyOptions struct {
	RulesFile string
	DictDir   string // "": the dict directory beside the rules file
	In        io.Reader
	Out       io.Writer
	Err       io.Writer
}

// Classify grades JSON lines; it returns the number of malformed lines.
func Classify(ctx context.Context, o ClassifyOptions) (int, error) {
	eng, err := loadEngine(o.RulesFile, o.DictDir)
	if err != nil {
		return 0, err
	}
	return classifier.Classify(ctx, eng, o.In, o.Out, o.Err)
}

// EvalOptions configure `yuqing eval`.
type EvalOptions struct {
	RulesFile string
	DictDir   string
	DataFiles []string
	JSON      bool
	Out       io.Writer
	// CV > 0 makes EvalCV cross-validate the learned model in CV folds;
	// L2 overrides the model's regularisation (0: learn.DefaultL2).
	CV int
	L2 float64
	// TrainOnlyFiles are labelled files every fold's model also trains
	// on, left out of every figure (EvalCV only).
	TrainOnlyFiles []string
}

// EvalResult is one evaluated data set ("合计" for all files together).
type EvalResult struct {
	Name   string            `json:"name"`
	Report classifier.Report `json:"report"`
}

// Eval grades labeled JSON lines and reports how the rules do on each file
// and, with several files, on all of them together.
func Eval(o EvalOptions) ([]EvalResult, error) {
	if len(o.DataFiles) == 0 {
		return nil, fmt.Errorf("请用 -data 指定至少一个标注数据文件")
	}
	eng, err := loadEngine(o.RulesFile, o.DictDir)
	if err != nil {
		return nil, err
	}
	var all []classifier.Labeled
	var out []EvalResult
	for _, f := range o.DataFiles {
		items, err := readLabeled(f)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		out = append(out, EvalResult{Name: f, Report: classifier.Evaluate(eng, items)})
	}
	if len(o.DataFiles) > 1 {
		out = append(out, EvalResult{Name: "合计", Report: classifier.Evaluate(eng, all)})
	}
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		doc := map[string]any{"rules_version": eng.Version(), "results": out}
		if eng.HasModel() {
			doc["warning"] = inSampleWarning
		}
		return out, enc.Encode(doc)
	}
	fmt.Fprintf(o.Out, "规则 %s（版本 %s）\n", o.RulesFile, eng.Version())
	if eng.HasModel() {
		fmt.Fprintln(o.Out, inSampleWarning)
	}
	for _, r := range out {
		fmt.Fprintf(o.Out, "\n===== %s（%d 条）=====\n", r.Name, r.Report.N)
		if _, err := r.Report.WriteTo(o.Out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// inSampleWarning: the shipped model was trained on the shared labelled
// files, so grading those same files with it flatters the figures.
const inSampleWarning = "注意：规则文件启用了学习模型（options.model）。模型若是用这些标注数据训练的（内置模型即是），" +
	"下面的数字就是样本内结果，偏高，不能说明没见过的帖子；折外效果请用 yuqing eval -cv 5 查看"

func readLabeled(file string) ([]classifier.Labeled, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("读取标注数据: %w", err)
	}
	defer f.Close()
	items, err := classifier.ReadLabeled(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return items, nil
}

func loadEngine(rulesFile, dictDir string) (*classifier.Engine, error) {
	return classifier.Load(rulesFile, defaultDict(rulesFile, dictDir), slog.New(slog.DiscardHandler))
}

// loadRules loads the rules without their model: what training and
// cross-validation see (classifier.LoadRules).
func loadRules(rulesFile, dictDir string) (*classifier.Engine, error) {
	return classifier.LoadRules(rulesFile, defaultDict(rulesFile, dictDir), slog.New(slog.DiscardHandler))
}

func defaultDict(rulesFile, dictDir string) string {
	if dictDir == "" {
		return filepath.Join(filepath.Dir(rulesFile), "dict")
	}
	return dictDir
}

// RuleTestOptions configure `yuqing rules test`.
type RuleTestOptions struct {
	// RulesFile, when set, overrides the rules each test file names
	// (rule_files, default the rules.yaml beside the test file).
	RulesFile string
	DictDir   string
	Files     []string
	Out       io.Writer
}

// RuleTests runs rule unit-test files and returns how many cases failed.
// Like `promtool test rules`, each file is run against the rules it names
// unless o.RulesFile overrides them; the rules grade alone, without the
// model they may name (classifier.RunRuleTestFiles says why).
func RuleTests(o RuleTestOptions) (int, error) {
	if len(o.Files) == 0 {
		return 0, fmt.Errorf("请指定至少一个规则测试文件")
	}
	if o.RulesFile == "" {
		return classifier.RunRuleTestFiles(o.Files, o.DictDir, o.Out)
	}
	eng, err := loadRules(o.RulesFile, o.DictDir)
	if err != nil {
		return 0, err
	}
	failed := 0
	for _, f := range o.Files {
		n, err := classifier.RunRuleTests(eng, f, o.Out)
		if err != nil {
			return failed, err
		}
		failed += n
	}
	return failed, nil
}

// loopbackListen reports whether addr (host:port) listens on loopback only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// checkHandling prints the handling settings `yuqing check` validated: the
// offices, the working-day stages, whether the holiday calendar covers
// this year and the next Horizon, and whether that span reaches into a year
// whose holidays are still provisional.
func checkHandling(cfg *config.Config, out io.Writer, now time.Time) {
	fmt.Fprintf(out, "  承办科室：%s\n", strings.Join(cfg.Offices, "、"))
	l := cfg.Levels[taxonomy.LevelIV]
	fmt.Fprintf(out, "  调查核实 %d 个工作日、答复反馈 %d 个工作日（Ⅳ级）", l.InvestigateDays, l.FeedbackDays)
	switch {
	case cfg.CalendarFile == "":
		fmt.Fprintln(out, "；未配置工作日历，只按周末推算")
	case !cfg.Calendar.Covers(now):
		fmt.Fprintf(out, "；警告：工作日历 %s 未覆盖今年，节假日只按周末推算，请更新\n", cfg.CalendarFile)
	case !cfg.Calendar.CoversHorizon(now):
		fmt.Fprintf(out, "；警告：工作日历 %s 未覆盖今后 60 天（到 %s），其后的节假日和调休只按周末推算，"+
			"请按国务院办公厅公布的放假安排补充下一年\n", cfg.CalendarFile, now.Add(calendar.Horizon).In(cfg.Location).Format("2006年1月2日"))
	default:
		fmt.Fprintf(out, "；工作日历 %s\n", cfg.CalendarFile)
	}
	if years := cfg.Calendar.ProvisionalAhead(now); len(years) > 0 {
		fmt.Fprintf(out, "  警告：工作日历 %s 中 %s 年的节假日是按《全国年节及纪念日放假办法》推算的，"+
			"尚未按国务院办公厅公布的放假安排（含调休）核对，请核对后从 provisional 中删去该年\n", cfg.CalendarFile, joinYears(years))
	}
}

// checkDelivery lists the receivers, enabled or not.
func checkDelivery(c delivery.Config, out io.Writer) {
	if len(c.Receivers) == 0 {
		fmt.Fprintln(out, "  发送渠道：未配置（日报、周报和转发的告警无处可发）")
		return
	}
	fmt.Fprintf(out, "  发送渠道 %d 个：\n", len(c.Receivers))
	for _, r := range c.Receivers {
		state := "已启用"
		if !r.Enabled {
			state = "未启用，不发送"
		}
		fmt.Fprintf(out, "    - %s（%s，%s）\n", r.Name, r.Describe(), state)
	}
}

// checkReports lists the scheduled reports.
func checkReports(c reportsched.Config, out io.Writer) {
	if len(c.Schedules) == 0 {
		fmt.Fprintln(out, "  计划报告：未配置（可在控制台“报告”页手工生成）")
		return
	}
	fmt.Fprintf(out, "  计划报告 %d 种：\n", len(c.Schedules))
	for _, s := range c.Schedules {
		fmt.Fprintf(out, "    - %s\n", s.Describe())
	}
}

// joinYears writes years as 2027、2028.
func joinYears(years []int) string {
	s := make([]string, len(years))
	for i, y := range years {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, "、")
}
