package crawler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

func decodeSources(t *testing.T, y string) ([]Source, *yamlfile.Doc) {
	t.Helper()
	var f struct {
		Sources []Source `yaml:"sources"`
	}
	doc, err := yamlfile.Decode("sources.yaml", []byte(y), &f)
	if err != nil {
		t.Fatal(err)
	}
	return f.Sources, doc
}

func TestSourceYAMLDefaultsAndValidate(t *testing.T) {
	srcs, doc := decodeSources(t, `
sources:
  - name: luntan
    title: 本地论坛·民生热线
    url: https://bbs.example.cn/forum-2-1.html
    interval: 15m
    encoding: gb18030
    pages: 2
    list:
      item: tbody[id^=normalthread]
      link: a.xst
      replies: td.num a.xi2
      next: div.pg a.nxt
    detail:
      body: div#postlist div[id^=post] td[id^=postmessage]
  - name: ybj
    kind: rss
    url: https://ybj.example.gov.cn/rss.xml
    channel: news_report
`)
	for i := range srcs {
		srcs[i].ApplyDefaults()
		if err := srcs[i].Validate(doc, "sources[0]"); err != nil {
			t.Errorf("source %d: %v", i, err)
		}
	}
	s := srcs[0]
	if s.Interval != 15*time.Minute || s.Delay != DefaultDelay || s.Weight != 1 || s.MaxItems != DefaultMaxItems || s.Kind != KindHTML {
		t.Errorf("defaults not applied: %+v", s)
	}
	if s.MaxBodyChars != DefaultMaxBodyChars || s.CrawlBudget != DefaultCrawlBudget {
		t.Errorf("text and time limits: %d characters, budget %v", s.MaxBodyChars, s.CrawlBudget)
	}
	short := Source{Name: "x", URL: "https://a.example/", Interval: 2 * time.Minute}
	if short.ApplyDefaults(); short.CrawlBudget != 2*time.Minute {
		t.Errorf("budget of a 2m source = %v, want its interval", short.CrawlBudget)
	}
	if s.DeepInterval != DefaultDeepInterval || s.HotFactor != DefaultHotFactor {
		t.Errorf("sampling defaults: deep_interval %v, hot_factor %v", s.DeepInterval, s.HotFactor)
	}
	hourly := Source{Name: "x", URL: "https://a.example/", Interval: time.Hour}
	if hourly.ApplyDefaults(); hourly.DeepInterval != time.Hour {
		t.Errorf("deep_interval of an hourly source = %v, want its interval", hourly.DeepInterval)
	}
	if srcs[1].Title != "ybj" || srcs[1].Encoding != EncodingAuto || srcs[1].Pages != 1 {
		t.Errorf("defaults not applied: %+v", srcs[1])
	}
	if s.Channel != "" || srcs[1].Channel != "news_report" {
		t.Errorf("channels %q, %q; want none said and the configured one", s.Channel, srcs[1].Channel)
	}
	for preset, want := range map[string]string{PresetDiscuzX3: "discuz_forum", PresetLiuyan: "gov_message_board", PresetMailbox: "leader_board", PresetRSSHub: ""} {
		p := Source{Name: "p", Preset: preset, URL: "https://a.example/", Board: "2"}
		if p.ApplyDefaults(); p.Channel != want {
			t.Errorf("preset %s: channel %q, want %q", preset, p.Channel, want)
		}
		p = Source{Name: "p", Preset: preset, URL: "https://a.example/", Board: "2", Channel: "Weibo "}
		if p.ApplyDefaults(); p.Channel != "weibo" {
			t.Errorf("preset %s with channel Weibo: %q, want the operator's, folded", preset, p.Channel)
		}
	}
}

func TestSourceValidateReportsEveryProblemWithLine(t *testing.T) {
	srcs, doc := decodeSources(t, `
sources:
  - name: bad
    kind: forum
    url: bbs.example.cn/forum.php
    interval: 10s
    delay: 100ms
    encoding: gbk
    weight: -1
    pages: 3
    max_items: 5000
    time_layout: "yyyy-MM-dd"
    max_body_chars: 10
    crawl_budget: 2h
    list:
      item: "tbody[id^=normalthread"
    detail:
      body: "div:nth-child(x)"
    hot_factor: 0.5
    deep_interval: 48h
    channel: 微博
`)
	s := srcs[0]
	s.ApplyDefaults()
	err := s.Validate(doc, "sources[0]")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"sources.yaml:4: sources[0].kind: 类型只能是 html、rss、atom、json 或 search",
		"sources.yaml:5: sources[0].url: 地址应为 http(s)://",
		"sources.yaml:6: sources[0].interval: 抓取间隔至少 1m0s",
		"sources.yaml:7: sources[0].delay:",
		"sources.yaml:8: sources[0].encoding: 编码请写 gb18030",
		"sources.yaml:9: sources[0].weight:",
		"sources.yaml:11: sources[0].max_items:",
		"sources.yaml:12: sources[0].time_layout:",
		"sources.yaml:13: sources[0].max_body_chars: 每条帖子保存的正文字数上限应在 1000 到 5000000 之间",
		"sources.yaml:14: sources[0].crawl_budget: 单次抓取的时间预算应在 30s 到 1h0m0s 之间",
		"sources.yaml:16: sources[0].list.item: CSS 选择器",
		"sources.yaml:18: sources[0].detail.body: CSS 选择器",
		"sources[0].list.next: pages 大于 1 时必须设置下一页选择器",
		"sources.yaml:19: sources[0].hot_factor: 热帖倍数",
		"sources.yaml:20: sources[0].deep_interval: 第 2 页及以后列表页的抓取间隔应在 1m0s 到 24h0m0s 之间",
		"sources.yaml:21: sources[0].channel: 渠道类型 \"微博\" 不认识，可选：gov_message_board（政府留言板）",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	var ye *yamlfile.Error
	if !errors.As(err, &ye) {
		t.Errorf("errors are not *yamlfile.Error: %T", err)
	}
}

func TestSourceValidateRSSRejectsSelectors(t *testing.T) {
	s := Source{Name: "x", Kind: KindRSS, URL: "https://a.example/rss", List: ListSelectors{Item: "li"}}
	s.ApplyDefaults()
	if err := s.Validate(nil, "sources[0]"); err == nil || !strings.Contains(err.Error(), "rss 类型的数据源不使用 list 选择器") {
		t.Errorf("err = %v", err)
	}
	h := Source{Name: "y", URL: "https://a.example/"}
	h.ApplyDefaults()
	if err := h.Validate(nil, "sources[1]"); err == nil || !strings.Contains(err.Error(), "list.item") {
		t.Errorf("html without list.item: %v", err)
	}
}
