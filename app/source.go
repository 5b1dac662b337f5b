package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/privacy"
)

// SourceProbeOptions configure `yuqing source probe`.
type SourceProbeOptions struct {
	// ConfigFile gives the crawler settings (User-Agent, timeout, size
	// limit) the probe fetches with, as the daemon would.
	ConfigFile string
	URL        string
	// Example is the address of one item's page, for a JSON list whose
	// items carry ids rather than addresses (crawler.DiscoverOptions).
	Example string
	Out     io.Writer
	Logger  *slog.Logger
	// Delay between requests to the site (default crawler.DefaultDelay);
	// Transport and Now are for tests.
	Delay     time.Duration
	Transport http.RoundTripper
	Now       func() time.Time
}

// SourceProbe probes one address and prints what it recognised, what it
// extracted and the block to paste into sources.yaml.
func SourceProbe(ctx context.Context, o SourceProbeOptions) error {
	cfg, err := config.Load(o.ConfigFile)
	if err != nil {
		return fmt.Errorf("加载配置（试探时使用其中的 User-Agent 等采集设置）: %w", err)
	}
	fmt.Fprintf(o.Out, "试探 %s（User-Agent: %s，遵守 robots.txt）……\n", o.URL, cfg.Crawler.UserAgent)
	d, err := crawler.Discover(ctx, o.URL, crawler.DiscoverOptions{Options: crawler.Options{
		UserAgent: cfg.Crawler.UserAgent, Timeout: cfg.Crawler.Timeout, MaxBodyBytes: cfg.Crawler.MaxBodyBytes,
		Logger: o.Logger, Transport: o.Transport, Now: o.Now}, Delay: o.Delay, Example: o.Example})
	if err != nil {
		return fmt.Errorf("试探失败（%s）: %w", crawler.ErrorKindName(crawler.ErrorKind(err)), err)
	}
	WriteDiscovery(o.Out, d, cfg.Location, cfg.SourcesFile)
	if !crawler.UserAgentHasContact(cfg.Crawler.UserAgent) {
		fmt.Fprintln(o.Out, "注意：crawler.user_agent 中没有联系方式，请写明单位（拼音或英文）和邮箱")
	}
	return nil
}

// WriteDiscovery prints a probe's result in Chinese; personal numbers in
// the extracted text are masked.
func WriteDiscovery(w io.Writer, d *crawler.Discovery, loc *time.Location, sourcesFile string) {
	method := "根据页面结构推断的选择器"
	switch d.Method {
	case crawler.KindRSS, crawler.KindAtom:
		method = "订阅（kind: " + d.Method + "）"
	case "selectors":
	default:
		method = "预设 " + d.Method
	}
	fmt.Fprintf(w, "\n类型：%s", d.Kind)
	if d.Software != "" {
		fmt.Fprintf(w, "，识别为 %s", d.Software)
	}
	fmt.Fprintf(w, "\n编码：%s\n建议：%s\n", d.Encoding, method)
	fmt.Fprintf(w, "\n列表中提取到 %d 条", d.PageSize)
	if len(d.Items) < d.PageSize {
		fmt.Fprintf(w, "（显示前 %d 条）", len(d.Items))
	}
	fmt.Fprintln(w, "：")
	for i, it := range d.Items {
		fmt.Fprintf(w, "  [%d] %s\n      %s", i+1, privacy.Mask(oneLine(it.Title)), it.URL)
		if !it.PublishedAt.IsZero() {
			fmt.Fprintf(w, "  %s", it.PublishedAt.In(loc).Format("2006-01-02 15:04"))
		}
		if it.Replies > 0 || it.Views > 0 {
			fmt.Fprintf(w, "  回复 %d 浏览 %d", it.Replies, it.Views)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\n按建议配置试抓第一条（含详情页）：")
	switch t := d.Trial; {
	case d.TrialErr != nil:
		fmt.Fprintf(w, "  试抓失败（%s）：%v\n", crawler.ErrorKindName(crawler.ErrorKind(d.TrialErr)), d.TrialErr)
	case t == nil:
		fmt.Fprintln(w, "  没有抓到条目")
	default:
		p := &crawlPrinter{out: w, loc: loc, bodyChars: 300}
		p.item(*t, "")
	}
	if len(d.Notes) > 0 {
		fmt.Fprintln(w, "\n说明：")
		for _, n := range d.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintf(w, "\n把下面这段加到 %s 的 sources: 下（名称、标题可改），然后运行 yuqing check 和 yuqing crawl -source 名称 -once：\n\n%s", sourcesFile, d.YAML)
}

// probeTimeout bounds one probe from the console (robots.txt, the page,
// perhaps a feed and a detail page, with politeness delays).
const probeTimeout = 90 * time.Second

// consoleProbe returns the console's source wizard: one probe at a time,
// time-bounded, with the daemon's crawler settings, and unable to reach
// this machine or link-local addresses (cloud metadata), so a console
// account cannot read local services through it.
func consoleProbe(cfg func() *config.Config, log *slog.Logger) func(ctx context.Context, rawURL, example string) (*crawler.Discovery, error) {
	busy := make(chan struct{}, 1)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = (&net.Dialer{Timeout: 15 * time.Second, Control: refuseLocal}).DialContext
	return func(ctx context.Context, rawURL, example string) (*crawler.Discovery, error) {
		select {
		case busy <- struct{}{}:
			defer func() { <-busy }()
		default:
			return nil, errors.New("另一个试探正在进行，请稍后再试")
		}
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		c := cfg().Crawler
		return crawler.Discover(ctx, rawURL, crawler.DiscoverOptions{Options: crawler.Options{
			UserAgent: c.UserAgent, Timeout: c.Timeout, MaxBodyBytes: c.MaxBodyBytes, Logger: log, Transport: tr}, Example: example})
	}
}

// errLocalAddress: the console's probe does not connect to this machine.
var errLocalAddress = errors.New("不能试探本机或链路本地地址")

// refuseLocal is a dialer Control refusing loopback, link-local,
// unspecified and multicast addresses (checked after name resolution, so
// a name pointing at 127.0.0.1 is refused too). Private networks stay
// reachable: government sites often live on one.
func refuseLocal(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errLocalAddress, address)
	}
	ip := ap.Addr().Unmap()
	if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("%w: %s", errLocalAddress, strings.TrimSpace(address))
	}
	return nil
}
