// Command amconfig derives the end-to-end test's Alertmanager configuration
// from the shipped configs/alertmanager/alertmanager.yml: the same routes,
// inhibition rules and templates, but every receiver delivers only to a
// loopback webhook (URL/<receiver name>) with send_resolved, and the timings
// are shortened so a test sees notifications within seconds. Testing the
// real routing tree is the point; the e-mail and WeCom settings are dropped.
// So are the time intervals (Ⅲ/Ⅳ notifications only in working time): the
// test runs at any hour and checks delivery, not the calendar, which the
// calendar package's route test evaluates with Alertmanager's own code.
// The webhooks to the daemon's WeCom forwarder (/alertmanager/...) are kept,
// pointed at the daemon under test with its token file, when -yuqing is
// given, and dropped otherwise.
//
// Usage: amconfig -in alertmanager.yml -out FILE -webhook http://127.0.0.1:PORT
// [-yuqing http://127.0.0.1:PORT -token-file FILE]
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Timings replace group_wait / group_interval / repeat_interval wherever the
// original sets them (and on the root route).
type Timings struct {
	GroupWait, GroupInterval, RepeatInterval string
}

// Forward is the daemon under test that the forwarder webhooks go to
// (URL "": they are dropped) and the token file they authenticate with.
type Forward struct {
	URL, TokenFile string
}

// forwardPath starts the path of the daemon's forwarder webhooks.
const forwardPath = "/alertmanager/"

func main() {
	in := flag.String("in", "configs/alertmanager/alertmanager.yml", "原始 Alertmanager 配置")
	out := flag.String("out", "", "生成的测试配置")
	hook := flag.String("webhook", "", "本机 webhook 接收端地址，如 http://127.0.0.1:9099")
	var t Timings
	var fwd Forward
	flag.StringVar(&fwd.URL, "yuqing", "", "被测 yuqing 守护进程地址，如 http://127.0.0.1:8080（保留转发到企业微信群机器人的 webhook）")
	flag.StringVar(&fwd.TokenFile, "token-file", "", "转发 webhook 使用的令牌文件（守护进程的 metrics.token_file）")
	flag.StringVar(&t.GroupWait, "group-wait", "1s", "group_wait")
	flag.StringVar(&t.GroupInterval, "group-interval", "5s", "group_interval")
	flag.StringVar(&t.RepeatInterval, "repeat-interval", "1h", "repeat_interval")
	flag.Parse()
	if err := run(*in, *out, *hook, t, fwd); err != nil {
		fmt.Fprintln(os.Stderr, "amconfig:", err)
		os.Exit(1)
	}
}

func run(in, out, hook string, t Timings, fwd Forward) error {
	if out == "" || hook == "" {
		return errors.New("请指定 -out 和 -webhook")
	}
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(filepath.Dir(in))
	if err != nil {
		return err
	}
	cfg, err := Rewrite(src, abs, hook, t, fwd)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, cfg, 0o644)
}

// checkLoopback refuses an address that is not http:// on loopback.
func checkLoopback(addr string) error {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("地址 %q 必须是 http:// 开头的地址", addr)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("地址 %q 必须指向本机回环地址", addr)
	}
	return nil
}

// Rewrite returns the test variant of the configuration src, whose relative
// template paths are relative to dir. hook, and fwd.URL when set, must be
// loopback http URLs.
func Rewrite(src []byte, dir, hook string, t Timings, fwd Forward) ([]byte, error) {
	if err := checkLoopback(hook); err != nil {
		return nil, err
	}
	if fwd.URL != "" {
		if err := checkLoopback(fwd.URL); err != nil {
			return nil, err
		}
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		return nil, err
	}
	// Notifier settings in global (SMTP, WeCom) are irrelevant once no
	// receiver uses them.
	if g, ok := cfg["global"].(map[string]any); ok {
		for k := range g {
			if k != "resolve_timeout" {
				delete(g, k)
			}
		}
	}
	if ts, ok := cfg["templates"].([]any); ok {
		for i, p := range ts {
			if s, ok := p.(string); ok && !filepath.IsAbs(s) {
				ts[i] = filepath.Join(dir, s)
			}
		}
	}
	rcvs, ok := cfg["receivers"].([]any)
	if !ok || len(rcvs) == 0 {
		return nil, errors.New("没有 receivers")
	}
	base := strings.TrimRight(hook, "/")
	for i, r := range rcvs {
		m, ok := r.(map[string]any)
		name, _ := m["name"].(string)
		if !ok || name == "" {
			return nil, fmt.Errorf("receivers[%d] 没有 name", i)
		}
		hooks := []any{map[string]any{"url": base + "/" + url.PathEscape(name), "send_resolved": true}}
		rcvs[i] = map[string]any{"name": name, "webhook_configs": append(hooks, forwarders(m, fwd)...)}
	}
	root, ok := cfg["route"].(map[string]any)
	if !ok {
		return nil, errors.New("没有 route")
	}
	root["group_wait"], root["group_interval"], root["repeat_interval"] = t.GroupWait, t.GroupInterval, t.RepeatInterval
	shorten(root, t)
	delete(cfg, "time_intervals")
	return yaml.Marshal(cfg)
}

// forwarders returns the receiver's webhooks to the daemon's forwarder,
// aimed at fwd with its token file; none when fwd.URL is empty.
func forwarders(rcv map[string]any, fwd Forward) []any {
	var out []any
	hooks, _ := rcv["webhook_configs"].([]any)
	for _, h := range hooks {
		m, _ := h.(map[string]any)
		s, _ := m["url"].(string)
		u, err := url.Parse(s)
		if fwd.URL == "" || err != nil || !strings.HasPrefix(u.Path, forwardPath) {
			continue
		}
		m["url"] = strings.TrimRight(fwd.URL, "/") + u.Path
		m["http_config"] = map[string]any{"authorization": map[string]any{"type": "Bearer", "credentials_file": fwd.TokenFile}}
		out = append(out, m)
	}
	return out
}

// shorten replaces the timings a route sets and drops its time intervals,
// in the whole subtree.
func shorten(route map[string]any, t Timings) {
	delete(route, "active_time_intervals")
	delete(route, "mute_time_intervals")
	for key, v := range map[string]string{"group_wait": t.GroupWait, "group_interval": t.GroupInterval, "repeat_interval": t.RepeatInterval} {
		if _, ok := route[key]; ok {
			route[key] = v
		}
	}
	children, _ := route["routes"].([]any)
	for _, c := range children {
		if m, ok := c.(map[string]any); ok {
			shorten(m, t)
		}
	}
}
