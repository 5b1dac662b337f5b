package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/configs"
	"github.com/yuqing-bureau/yuqing/demo"
)

// DemoOptions configure `yuqing demo`.
type DemoOptions struct {
	Options
	// DataDir receives the demo's configuration and database.
	DataDir string
	// ForumListen is where the built-in sample forum listens (loopback).
	ForumListen string
	// Out receives the demo account's user name and password.
	Out io.Writer
}

// listenForum listens on addr, or on a free port of its host when that
// port is taken (a second demo beside the first): the preferred port keeps
// the forum's post URLs, and so the demo database, the same across runs.
func listenForum(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	host, _, serr := net.SplitHostPort(addr)
	if serr != nil {
		return nil, fmt.Errorf("示例论坛监听 %s: %w", addr, err)
	}
	ln, ferr := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if ferr != nil {
		return nil, fmt.Errorf("示例论坛监听 %s: %w", addr, err)
	}
	return ln, nil
}

// RunDemo lays out a working configuration in DataDir (the shipped rules and
// dictionary, a source list pointing at the built-in sample forum), serves
// the sample forum on loopback and runs the daemon on that configuration.
// Files an operator may have edited (yuqing.yaml, rules.yaml, dict/) are
// written only when missing; sources.yaml is regenerated every time.
func RunDemo(ctx context.Context, opts DemoOptions) error {
	if opts.DataDir == "" {
		return errors.New("请用 -data 指定演示数据目录")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ln, err := listenForum(opts.ForumListen)
	if err != nil {
		return err
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return fmt.Errorf("示例论坛只能监听本机回环地址，实际为 %s", ln.Addr())
	}
	forum := demo.NewForum(opts.Now, opts.Now())
	srv := &http.Server{Handler: forum.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown below
	defer func() {
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	forumURL := "http://" + ln.Addr().String()

	cfgDir := filepath.Join(opts.DataDir, "configs")
	if err := writeDemoConfig(cfgDir, forumURL, opts.Listen); err != nil {
		return err
	}
	opts.Options.ConfigFile = filepath.Join(cfgDir, "yuqing.yaml")
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	opts.Options.Demo = demoAccount(opts.Out)
	opts.Logger.Info("演示模式：内置示例论坛已启动", "forum", forumURL, "config", opts.Options.ConfigFile)
	return Run(ctx, opts.Options)
}

func writeDemoConfig(dir, forumURL, listen string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("创建演示配置目录: %w", err)
	}
	// Copy the shipped files an operator may then edit.
	err := fs.WalkDir(configs.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == "." || path == "yuqing.yaml" || path == "sources.yaml" {
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o750)
		}
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		data, err := configs.FS.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o640)
	})
	if err != nil {
		return fmt.Errorf("写入演示配置: %w", err)
	}
	main := filepath.Join(dir, "yuqing.yaml")
	if _, err := os.Stat(main); errors.Is(err, fs.ErrNotExist) {
		data, err := configs.FS.ReadFile("yuqing.yaml")
		if err != nil {
			return err
		}
		text := strings.Replace(string(data), "path: ../data/yuqing.db", "path: ../yuqing.db", 1)
		text = strings.Replace(text, "listen: 127.0.0.1:8080", "listen: "+listen, 1)
		text = strings.Replace(text, "\nplaces: []\n", "\nplaces: ["+strings.Join(demo.Places, ", ")+"] # 演示：岚川市的区县\n", 1)
		// The shipped schedules stay, so the demo's 报告 page fills on its
		// own; its receivers are the shipped placeholders, all disabled.
		text = strings.Replace(text, "\nreports:\n", "\n# 演示：上面的接收方都未启用，计划报告照常生成、保存在控制台“报告”页，不发送。\nreports:\n", 1)
		if loopbackListen(listen) {
			// The demo's /metrics opens in a browser; on loopback only.
			text = strings.Replace(text, "  open: false\n", "  open: true # 演示：只监听本机，/metrics 不需令牌\n", 1)
		}
		if err := os.WriteFile(main, []byte(text), 0o640); err != nil {
			return fmt.Errorf("写入演示配置: %w", err)
		}
	}
	header := "# 由 `yuqing demo` 自动生成：指向内置示例论坛（每次启动重写）。\n"
	if err := os.WriteFile(filepath.Join(dir, "sources.yaml"), append([]byte(header), demo.SourcesYAML(forumURL)...), 0o640); err != nil {
		return fmt.Errorf("写入演示数据源: %w", err)
	}
	return nil
}
