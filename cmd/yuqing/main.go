// Command yuqing is the medical-insurance public-opinion monitor: one binary
// with subcommands. main only parses flags and hands over to package app.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/yuqing-bureau/yuqing/app"
	"github.com/yuqing-bureau/yuqing/report"
)

const usage = `yuqing —— 医保舆情监测与跟进处置系统

用法：
  yuqing run -config configs/yuqing.yaml        运行守护进程（采集、研判、事件、告警指标、控制台）
  yuqing demo [-listen 127.0.0.1:8080] [-data data/demo]
                                                 运行演示：守护进程 + 本机内置示例论坛，无需联网
  yuqing check -config configs/yuqing.yaml      检查全部配置（主配置、数据源、规则、词典）后退出
  yuqing status -config configs/yuqing.yaml     列出运行中的实例、主实例和各网站（及其数据源）由哪个实例采集（网站租约）
  yuqing user add -config F -name NAME -role viewer|handler|operator|admin [-display 姓名] [-password-stdin]
                                                 新建控制台账号（不加 -password-stdin 时生成随机初始密码并显示）
  yuqing user passwd -config F -name NAME [-password-stdin]
                                                 修改密码（该账号的所有登录随即失效）
  yuqing user office -config F NAME 科室          设置账号所在科室（yuqing.yaml 的 offices 之一；"" 清除），
                                                 事件列表的“我的科室”据此列出分派给该科室的事件
  yuqing token add -config F -user NAME [-name 用途] [-ttl 720h]
                                                 为账号创建 API 令牌（只显示一次），接口见 docs/api.md
  yuqing send -config F -to NAME [-subject 主题] [-text 正文] [-file PATH ...]
                                                 向 yuqing.yaml 中 delivery.receivers 的一个接收方（企业微信群机器人或邮件）
                                                 发送一条消息（默认为测试消息），用于核对机器人 key、邮件服务器和收件人
  yuqing source probe [-config configs/yuqing.yaml] [-example URL] URL
                                                 添加数据源向导：试探一个网址（论坛版块、留言板、新闻列表、订阅或 JSON 接口），
                                                 识别网站类型和编码，显示提取结果，并给出可直接粘贴到 sources.yaml 的配置
  yuqing crawl -config configs/yuqing.yaml -source NAME -once [-store]
                                                 抓取一个数据源并显示提取结果（编写新数据源时用）；
                                                 不加 -store 不写数据库、不立案；多实例（PostgreSQL）时
                                                 -store 只在没有实例采集该网站时抓取，否则说明由哪个实例采集
  yuqing classify -rules configs/rules.yaml [-dict DIR]
                                                 从标准输入读 JSON 行，逐行输出研判结果
  yuqing rules test [-rules F] configs/rules_test.yaml ...
                                                 运行规则单元测试，失败时显示差异并返回 1；
                                                 每个测试文件用其 rule_files 写明的规则（-rules 可覆盖）
  yuqing rules suggest [-rules configs/rules.yaml] [-data FILE.jsonl ...] [-config configs/yuqing.yaml] [-since 720h] [-top 10]
                                                 列出规则与学习模型意见不一的帖子（标注数据或数据库中的近期帖子），
                                                 以及模型权重高而规则尚未包含的词，并给出可粘贴到 rules.yaml 的规则片段
  yuqing replay -config configs/yuqing.yaml -rules NEW.yaml [-since 2026-11-01|72h] [-json]
                                                 用候选规则重新研判已存帖子，列出会变化的帖子和事件（只读）
  yuqing eval -rules configs/rules.yaml -data FILE.jsonl [-data ...] [-json] [-cv 5 [-train-only FILE.jsonl ...]]
                                                 在标注数据上评估规则：准确率、召回率、混淆矩阵、最严重的漏判；
                                                 -cv K 另做 K 折交叉验证，列出学习模型单独及与规则合并研判的折外效果（总体、每个文件、每个平台）；
                                                 -train-only 的文件每折都用来训练，不计入任何指标
  yuqing train -rules configs/rules.yaml -data FILE.jsonl [-data ...] [-store -config yuqing.yaml] -out configs/model/yuqing.model.gz
                                                 用标注数据训练学习模型（相关性、类别、严重程度、情感），
                                                 文件记录训练数据的 SHA-256 和本命令行，相同数据得到相同文件
  yuqing calendar alertmanager [-calendar configs/calendar.yaml] [-config configs/alertmanager/alertmanager.yml] [-write | -check]
                                                 把工作日历（平时工作日、节假日、调休上班日、工作时间）写成 Alertmanager 的
                                                 time_intervals：Ⅲ/Ⅳ级事件告警只在工作时间通知。默认显示生成内容；
                                                 -write 更新配置文件中的生成段，-check 检查生成段是否与日历一致
  yuqing report -config F -kind daily|weekly|monthly|incident [-date 2026-12-07] [-incident YQ-…] -format docx|xlsx|html -out FILE
                                                 生成日报、周报（周一至周日）、月报或事件专报（只读数据库）：
                                                 -date 为时段内任一天，不给时为最近一个已结束的时段；专报用 -incident 指定事件
  yuqing version                                 显示版本

运行中可发送 SIGHUP 或 POST /-/reload 重新加载规则、词典和数据源。
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand: what `yuqing NAME` runs. The usage text at
// the top lists them for people; this table is what run dispatches on.
type command struct {
	names []string
	run   func(e env, args []string) int
}

var commands = []command{
	{[]string{"run"}, runDaemon},
	{[]string{"demo"}, runDemo},
	{[]string{"check"}, runCheck},
	{[]string{"status"}, runStatus},
	{[]string{"user"}, func(e env, args []string) int { return userCommand(e, "user", args) }},
	{[]string{"token"}, func(e env, args []string) int { return userCommand(e, "token", args) }},
	{[]string{"source"}, sourceCommand},
	{[]string{"send"}, runSend},
	{[]string{"crawl"}, runCrawl},
	{[]string{"classify"}, runClassify},
	{[]string{"rules"}, runRules},
	{[]string{"replay"}, runReplay},
	{[]string{"eval"}, runEval},
	{[]string{"train"}, runTrain},
	{[]string{"calendar"}, calendarCommand},
	{[]string{"report"}, runReport},
	{[]string{"version", "-version", "--version"}, func(e env, _ []string) int {
		fmt.Fprintln(e.stdout, "yuqing", version())
		return 0
	}},
	{[]string{"help", "-h", "-help", "--help"}, func(e env, _ []string) int {
		fmt.Fprint(e.stdout, usage)
		return 0
	}},
}

// env is what a command reads and writes.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logger         *slog.Logger
	now            func() time.Time
}

// flags is a flag set for command name that reports errors on stderr.
func (e env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	for _, c := range commands {
		if slices.Contains(c.names, args[0]) {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "未知子命令 %q\n\n%s", args[0], usage)
	return 2
}

// runDaemon runs the daemon until SIGINT/SIGTERM (SIGHUP reloads).
func runDaemon(e env, args []string) int {
	fs := e.flags("run")
	configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件")
	listen := fs.String("listen", "", "控制台监听地址，覆盖配置文件中的 listen")
	if fs.Parse(args) != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exit(e.stderr, app.Run(ctx, app.Options{ConfigFile: *configFile, Listen: *listen, Logger: e.logger, Reload: hangups()}))
}

// runDemo runs the daemon on the demo data with the sample forum.
func runDemo(e env, args []string) int {
	fs := e.flags("demo")
	listen := fs.String("listen", "127.0.0.1:8080", "控制台监听地址")
	data := fs.String("data", "data/demo", "演示数据目录（配置与数据库）")
	forum := fs.String("forum", "127.0.0.1:8081", "内置示例论坛监听地址（仅限本机；端口被占用时改用空闲端口）")
	if fs.Parse(args) != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := app.DemoOptions{DataDir: *data, ForumListen: *forum, Out: e.stdout, Options: app.Options{
		Logger: e.logger, Listen: *listen, Reload: hangups(),
		Ready: func(addr string) {
			fmt.Fprintf(e.stdout, "\n演示已启动：控制台 http://%s/ ，监控指标 http://%s/metrics\n按 Ctrl+C 停止。\n\n", addr, addr)
		}}}
	return exit(e.stderr, app.RunDemo(ctx, opts))
}

// runCheck loads and validates the whole configuration.
func runCheck(e env, args []string) int {
	fs := e.flags("check")
	configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件")
	if fs.Parse(args) != nil {
		return 2
	}
	if err := app.Check(*configFile, e.stdout, e.now()); err != nil {
		fmt.Fprintf(e.stderr, "配置检查未通过：\n%v\n", err)
		return 1
	}
	return 0
}

// runStatus lists the instances, the leader and the source leases.
func runStatus(e env, args []string) int {
	fs := e.flags("status")
	configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件")
	if fs.Parse(args) != nil {
		return 2
	}
	return exit(e.stderr, app.Status(context.Background(), *configFile, e.stdout, e.now()))
}

// runSend sends one message to a configured receiver.
func runSend(e env, args []string) int {
	fs := e.flags("send")
	o := app.SendOptions{Out: e.stdout}
	fs.StringVar(&o.ConfigFile, "config", "configs/yuqing.yaml", "主配置文件")
	fs.StringVar(&o.To, "to", "", "接收方名称（yuqing.yaml 中 delivery.receivers 的 name）")
	fs.StringVar(&o.Subject, "subject", "医保舆情监测系统发送测试", "主题（邮件标题，企业微信消息的粗体首行）")
	fs.StringVar(&o.Text, "text", "这是一条测试消息：收到即说明发送渠道配置正确，无需回复。", "正文")
	var files multiFlag
	fs.Var(&files, "file", "附件（可重复）")
	if fs.Parse(args) != nil {
		return 2
	}
	if o.To == "" {
		fmt.Fprintln(e.stderr, "请用 -to 指定接收方名称")
		return 2
	}
	o.Files = files
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exit(e.stderr, app.Send(ctx, o))
}

// runCrawl crawls one source and prints what it extracted.
func runCrawl(e env, args []string) int {
	fs := e.flags("crawl")
	configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件")
	source := fs.String("source", "", "数据源名称（sources.yaml 中的 name）")
	once := fs.Bool("once", false, "只抓取一次后退出（否则按数据源的间隔反复抓取，Ctrl+C 停止）")
	save := fs.Bool("store", false, "保存到数据库并研判立案（默认只显示，不写任何数据）")
	if fs.Parse(args) != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exit(e.stderr, app.Crawl(ctx, app.CrawlOptions{ConfigFile: *configFile, Source: *source,
		Once: *once, Store: *save, Out: e.stdout, Logger: e.logger}))
}

// runClassify grades JSON lines from stdin.
func runClassify(e env, args []string) int {
	fs := e.flags("classify")
	rules := fs.String("rules", "configs/rules.yaml", "规则文件")
	dict := fs.String("dict", "", "领域词典目录（默认为规则文件旁的 dict/）")
	if fs.Parse(args) != nil {
		return 2
	}
	bad, err := app.Classify(context.Background(), app.ClassifyOptions{RulesFile: *rules, DictDir: *dict,
		In: e.stdin, Out: e.stdout, Err: e.stderr})
	return exitFailed(e.stderr, bad, err)
}

// runRules runs rule tests (`rules test`) or suggestions (`rules suggest`).
func runRules(e env, args []string) int {
	if len(args) > 0 && args[0] == "suggest" {
		return rulesSuggest(e, args[1:])
	}
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintf(e.stderr, "用法：yuqing rules test [-rules F] [-dict DIR] FILE...\n或：yuqing rules suggest [-rules F] [-data FILE.jsonl ...] [-config F] [-since 720h] [-top N]\n")
		return 2
	}
	fs := e.flags("rules test")
	rules := fs.String("rules", "", "规则文件（指定时覆盖测试文件 rule_files 写明的规则；默认用测试文件写明的，未写明时用测试文件旁的 rules.yaml）")
	dict := fs.String("dict", "", "领域词典目录（默认为规则文件旁的 dict/）")
	if fs.Parse(args[1:]) != nil {
		return 2
	}
	failed, err := app.RuleTests(app.RuleTestOptions{RulesFile: *rules, DictDir: *dict, Files: fs.Args(), Out: e.stdout})
	return exitFailed(e.stderr, failed, err)
}

// runReplay regrades stored posts with candidate rules (read-only).
func runReplay(e env, args []string) int {
	fs := e.flags("replay")
	configFile := fs.String("config", "configs/yuqing.yaml", "守护进程的主配置文件（数据库位置、数据源）")
	rules := fs.String("rules", "", "候选规则文件")
	dict := fs.String("dict", "", "领域词典目录（默认为规则文件旁的 dict/）")
	since := fs.String("since", "720h", "只回放此后首次发现的帖子：日期（2026-11-01）、时间（RFC 3339）或时长（72h 表示最近 72 小时）")
	asJSON := fs.Bool("json", false, "输出 JSON")
	if fs.Parse(args) != nil {
		return 2
	}
	if *rules == "" {
		fmt.Fprintln(e.stderr, "请用 -rules 指定候选规则文件")
		return 2
	}
	t, err := parseSince(*since, time.Now())
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return 2
	}
	_, err = app.Replay(context.Background(), app.ReplayOptions{ConfigFile: *configFile, RulesFile: *rules,
		DictDir: *dict, Since: t, JSON: *asJSON, Out: e.stdout})
	return exit(e.stderr, err)
}

// runReport builds one report into a file.
func runReport(e env, args []string) int {
	fs := e.flags("report")
	configFile := fs.String("config", "configs/yuqing.yaml", "守护进程的主配置文件（数据库位置、时区、数据源、科室）")
	kind := fs.String("kind", "", "报告类型：daily（日报）、weekly（周报）、monthly（月报）、incident（事件专报）")
	date := fs.String("date", "", "时段内任一天（2026-12-07）；不给时为最近一个已结束的时段")
	number := fs.String("incident", "", "专报的事件编号（YQ-20261207-0001）")
	format := fs.String("format", "", "文件格式：docx、xlsx 或 html")
	out := fs.String("out", "", "输出文件")
	if fs.Parse(args) != nil {
		return 2
	}
	k, err := report.ParseKind(*kind)
	if err == nil && *out == "" {
		err = errors.New("请用 -out 指定输出文件")
	}
	var f report.Format
	if err == nil {
		f, err = report.ParseFormat(*format)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return 2
	}
	return exit(e.stderr, app.Report(context.Background(), app.ReportOptions{ConfigFile: *configFile, Kind: k, Date: *date,
		Incident: *number, Format: f, OutFile: *out, Now: e.now(), Out: e.stdout}))
}

// runEval scores the rules (and with -cv the model) on labelled data.
func runEval(e env, args []string) int {
	fs := e.flags("eval")
	rules, dict, data := labeledFlags(fs, "规则文件", "标注数据文件（JSON 行），可重复")
	asJSON := fs.Bool("json", false, "输出 JSON")
	cv := fs.Int("cv", 0, "大于 0 时做 K 折交叉验证：学习模型的折外效果与规则并列（如 -cv 5）")
	l2 := fs.Float64("l2", 0, "交叉验证时模型的 L2 正则强度（0 为默认值）")
	var trainOnly multiFlag
	fs.Var(&trainOnly, "train-only", "交叉验证时每折都拿来训练、但不参与评估的标注数据文件（如按标注指南编写的训练语料），可重复")
	if fs.Parse(args) != nil {
		return 2
	}
	if len(trainOnly) > 0 && *cv == 0 {
		fmt.Fprintln(e.stderr, "-train-only 只用于交叉验证，请同时给出 -cv")
		return 2
	}
	o := app.EvalOptions{RulesFile: *rules, DictDir: *dict, DataFiles: append(*data, fs.Args()...), JSON: *asJSON, Out: e.stdout, CV: *cv, L2: *l2,
		TrainOnlyFiles: trainOnly}
	var err error
	if *cv != 0 {
		_, err = app.EvalCV(o)
	} else {
		_, err = app.Eval(o)
	}
	return exit(e.stderr, err)
}

// runTrain trains the learned model.
func runTrain(e env, args []string) int {
	fs := e.flags("train")
	rules, dict, data := labeledFlags(fs, "规则文件（提供分词词典和规则命中特征）", "标注数据文件（JSON 行，含 sentiment），可重复")
	out := fs.String("out", "configs/model/yuqing.model.gz", "输出的模型文件")
	l2 := fs.Float64("l2", 0, "L2 正则强度（0 为默认值）")
	fromStore := fs.Bool("store", false, "同时用数据库中的人工标注（误报、升级/降级、类别更正、确认、补录漏报）训练")
	cfgFile := fs.String("config", "configs/yuqing.yaml", "配置文件（-store 时从其数据库读取人工标注）")
	if fs.Parse(args) != nil {
		return 2
	}
	o := app.TrainOptions{RulesFile: *rules, DictDir: *dict, DataFiles: append(*data, fs.Args()...), OutFile: *out,
		L2: *l2, Command: commandLine("train", args), Out: e.stdout}
	if *fromStore {
		o.StoreConfig = *cfgFile
	}
	_, err := app.Train(o)
	return exit(e.stderr, err)
}

// exitFailed is exit for a command that counts what failed (bad input
// lines, failing rule tests): 1 when any did.
func exitFailed(stderr io.Writer, failed int, err error) int {
	if err != nil || failed == 0 {
		return exit(stderr, err)
	}
	return 1
}

func exit(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	if errors.As(err, new(app.ReportedError)) {
		return 1
	}
	fmt.Fprintf(stderr, "错误：%v\n", err)
	return 1
}

// commandLine is the command as typed, for a model file to record: the
// program as "yuqing", arguments quoted only where a shell needs it.
func commandLine(cmd string, args []string) string {
	parts := []string{"yuqing", cmd}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// labeledFlags declares the -rules, -dict and repeatable -data flags of
// the commands that read labelled data.
func labeledFlags(fs *flag.FlagSet, rulesHelp, dataHelp string) (rules, dict *string, data *multiFlag) {
	rules = fs.String("rules", "configs/rules.yaml", rulesHelp)
	dict = fs.String("dict", "", "领域词典目录（默认为规则文件旁的 dict/）")
	data = &multiFlag{}
	fs.Var(data, "data", dataHelp)
	return rules, dict, data
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseSince reads a date, an RFC 3339 time or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("无法识别的 -since %q：请写日期（2026-11-01）、时间（2026-11-01T08:00:00+08:00）或时长（72h）", s)
}

// hangups turns SIGHUP into reload requests.
func hangups() <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		for range sig {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}

func version() string {
	if app.Version != "dev" {
		return app.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}

// userCommand runs `yuqing user add|passwd|office` and `yuqing token add`.
func userCommand(e env, cmd string, args []string) int {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	fs := e.flags(cmd + " " + sub)
	o := app.UserOptions{Out: e.stdout}
	fs.StringVar(&o.ConfigFile, "config", "configs/yuqing.yaml", "主配置文件（数据库位置）")
	fromStdin := false
	switch cmd + " " + sub {
	case "user add", "user passwd":
		fs.StringVar(&o.Name, "name", "", "用户名（小写字母、数字、点、- 或 _）")
		fs.BoolVar(&fromStdin, "password-stdin", false, "从标准输入第一行读取密码（否则生成随机密码并显示）")
		if sub == "add" {
			fs.StringVar(&o.Role, "role", "", "角色：viewer（查看）、handler（经办）、operator（运维）、admin（管理员）")
			fs.StringVar(&o.Display, "display", "", "姓名（显示在处置记录中）")
		}
	case "user office":
		// yuqing user office [-config F] NAME OFFICE
		if fs.Parse(args) != nil {
			return 2
		}
		if fs.NArg() != 2 {
			fmt.Fprintln(e.stderr, "用法：yuqing user office [-config F] 用户名 科室（科室为 \"\" 时清除）")
			return 2
		}
		o.Name, o.Office = fs.Arg(0), fs.Arg(1)
		return exit(e.stderr, app.UserOffice(context.Background(), o))
	case "token add":
		fs.StringVar(&o.Name, "user", "", "令牌所属账号，接口调用按该账号的角色授权")
		fs.StringVar(&o.TokenName, "name", "", "用途说明")
		fs.DurationVar(&o.TokenTTL, "ttl", 0, "有效期，如 720h；0 表示不过期")
	default:
		fmt.Fprintf(e.stderr, "用法：yuqing user add|passwd|office ... 或 yuqing token add ...\n\n%s", usage)
		return 2
	}
	if fs.Parse(args) != nil {
		return 2
	}
	if o.Name == "" || (sub == "add" && cmd == "user" && o.Role == "") {
		fmt.Fprintln(e.stderr, "请用 -name（token 用 -user）指定账号；新建账号还须用 -role 指定角色")
		return 2
	}
	if fromStdin {
		o.PasswordFrom = e.stdin
	}
	ctx := context.Background()
	switch cmd + " " + sub {
	case "user add":
		return exit(e.stderr, app.UserAdd(ctx, o))
	case "user passwd":
		return exit(e.stderr, app.UserPasswd(ctx, o))
	default:
		return exit(e.stderr, app.TokenAdd(ctx, o))
	}
}

// sourceCommand runs `yuqing source probe`.
func sourceCommand(e env, args []string) int {
	if len(args) == 0 || args[0] != "probe" {
		fmt.Fprintln(e.stderr, "用法：yuqing source probe [-config configs/yuqing.yaml] [-example 一条留言的网址] URL")
		return 2
	}
	fs := e.flags("source probe")
	configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件（使用其中的 User-Agent、超时等采集设置）")
	example := fs.String("example", "", "JSON 列表接口只给编号时：浏览器里任意一条留言的网址，据此写出 json.link")
	if fs.Parse(args[1:]) != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "请给出一个要试探的网址，如：yuqing source probe https://bbs.example.cn/forum.php?mod=forumdisplay&fid=2")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exit(e.stderr, app.SourceProbe(ctx, app.SourceProbeOptions{ConfigFile: *configFile, URL: fs.Arg(0), Example: *example, Out: e.stdout, Logger: e.logger}))
}

// rulesSuggest runs `yuqing rules suggest`.
func rulesSuggest(e env, args []string) int {
	fs := e.flags("rules suggest")
	rules := fs.String("rules", "", "规则文件（须在 options.model 中写明模型；默认为 -config 的规则文件，或 configs/rules.yaml）")
	dict := fs.String("dict", "", "领域词典目录（默认为规则文件旁的 dict/）")
	data := &multiFlag{}
	fs.Var(data, "data", "标注数据文件（JSON 行），可重复：列出规则与模型意见不一的帖子及谁对")
	configFile := fs.String("config", "", "守护进程的主配置文件：另列出数据库中近期帖子里由模型参与定级或标为疑似的（只读）")
	since := fs.String("since", "720h", "与 -config 同用：只看此后首次发现的帖子，日期（2026-11-01）、时间（RFC 3339）或时长（720h 表示最近 30 天）")
	top := fs.Int("top", 10, "每个类别、每个严重程度列出的词数")
	if fs.Parse(args) != nil {
		return 2
	}
	if *top <= 0 || *top > 200 {
		fmt.Fprintln(e.stderr, "-top 必须是 1 到 200 之间的整数")
		return 2
	}
	t, err := parseSince(*since, time.Now())
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return 2
	}
	_, err = app.RulesSuggest(context.Background(), app.SuggestOptions{RulesFile: *rules, DictDir: *dict,
		DataFiles: append(*data, fs.Args()...), ConfigFile: *configFile, Since: t, Top: *top, Out: e.stdout})
	return exit(e.stderr, err)
}

// calendarCommand runs `yuqing calendar alertmanager`.
func calendarCommand(e env, args []string) int {
	if len(args) == 0 || args[0] != "alertmanager" {
		fmt.Fprintln(e.stderr, "用法：yuqing calendar alertmanager [-calendar configs/calendar.yaml] [-config configs/alertmanager/alertmanager.yml] [-write | -check]")
		return 2
	}
	fs := e.flags("calendar alertmanager")
	o := app.CalendarAlertmanagerOptions{Out: e.stdout}
	fs.StringVar(&o.CalendarFile, "calendar", "configs/calendar.yaml", "工作日历")
	fs.StringVar(&o.ConfigFile, "config", "configs/alertmanager/alertmanager.yml", "Alertmanager 配置文件（-write、-check 时使用）")
	fs.BoolVar(&o.Write, "write", false, "更新配置文件中的生成段（否则只显示生成内容）")
	fs.BoolVar(&o.Check, "check", false, "检查配置文件中的生成段是否与工作日历一致，不一致时返回 1")
	if fs.Parse(args[1:]) != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "多余的参数：%v\n", fs.Args())
		return 2
	}
	return exit(e.stderr, app.CalendarAlertmanager(o))
}
