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
	"syscall"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/yuqing-bureau/yuqing/app"
)

const usage = `yuqing —— 医保舆情监测与跟进处置系统

用法：
  yuqing run -config configs/yuqing.yaml        运行守护进程（采集、研判、事件、告警指标、控制台）
  yuqing demo [-listen 127.0.0.1:8080] [-data data/demo]
                                                 运行演示：守护进程 + 本机内置示例论坛，无需联网
  yuqing check -config configs/yuqing.yaml      检查全部配置（主配置、数据源、规则、词典）后退出
  yuqing classify -rules configs/rules.yaml [-dict DIR]
                                                 从标准输入读 JSON 行，逐行输出研判结果
  yuqing version                                 显示版本

运行中可发送 SIGHUP 或 POST /-/reload 重新加载规则、词典和数据源。
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch cmd {
	case "run":
		configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件")
		if fs.Parse(args) != nil {
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return exit(stderr, app.Run(ctx, app.Options{ConfigFile: *configFile, Logger: logger, Reload: hangups()}))
	case "demo":
		listen := fs.String("listen", "127.0.0.1:8080", "控制台监听地址")
		data := fs.String("data", "data/demo", "演示数据目录（配置与数据库）")
		forum := fs.String("forum", "127.0.0.1:8081", "内置示例论坛监听地址（仅限本机）")
		if fs.Parse(args) != nil {
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		opts := app.DemoOptions{DataDir: *data, ForumListen: *forum, Options: app.Options{
			Logger: logger, Listen: *listen, Reload: hangups(),
			Ready: func(addr string) {
				fmt.Fprintf(stdout, "\n演示已启动：控制台 http://%s/incidents ，监控指标 http://%s/metrics\n按 Ctrl+C 停止。\n\n", addr, addr)
			}}}
		return exit(stderr, app.RunDemo(ctx, opts))
	case "check":
		configFile := fs.String("config", "configs/yuqing.yaml", "主配置文件")
		if fs.Parse(args) != nil {
			return 2
		}
		if err := app.Check(*configFile, stdout); err != nil {
			fmt.Fprintf(stderr, "配置检查未通过：\n%v\n", err)
			return 1
		}
		return 0
	case "classify":
		rules := fs.String("rules", "configs/rules.yaml", "规则文件")
		dict := fs.String("dict", "", "领域词典目录（默认为规则文件旁的 dict/）")
		if fs.Parse(args) != nil {
			return 2
		}
		bad, err := app.Classify(context.Background(), app.ClassifyOptions{RulesFile: *rules, DictDir: *dict,
			In: stdin, Out: stdout, Err: stderr})
		if err != nil {
			return exit(stderr, err)
		}
		if bad > 0 {
			return 1
		}
		return 0
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "yuqing", version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "未知子命令 %q\n\n%s", cmd, usage)
		return 2
	}
}

func exit(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintf(stderr, "错误：%v\n", err)
	return 1
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
