package crawler

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// Source kinds.
const (
	KindHTML = "html"
	KindRSS  = "rss"
)

// Encodings a source may declare.
const (
	EncodingAuto    = "auto"
	EncodingUTF8    = "utf-8"
	EncodingGB18030 = "gb18030"
)

// Defaults applied by ApplyDefaults.
const (
	DefaultInterval = 10 * time.Minute
	DefaultDelay    = 2 * time.Second
	DefaultPages    = 1
	DefaultMaxItems = 50
)

// Limits enforced by Validate: they keep a typo in sources.yaml from
// hammering a small forum.
const (
	minInterval = time.Minute
	minDelay    = 500 * time.Millisecond
	maxPages    = 20
	maxMaxItems = 500
)

// Source is one entry of configs/sources.yaml.
type Source struct {
	Name       string          `yaml:"name"`
	Title      string          `yaml:"title"`
	Kind       string          `yaml:"kind"`
	URL        string          `yaml:"url"`
	Interval   time.Duration   `yaml:"interval"`
	Delay      time.Duration   `yaml:"delay"`
	Encoding   string          `yaml:"encoding"`
	Weight     float64         `yaml:"weight"`
	Pages      int             `yaml:"pages"`
	MaxItems   int             `yaml:"max_items"`
	List       ListSelectors   `yaml:"list"`
	Detail     DetailSelectors `yaml:"detail"`
	TimeLayout string          `yaml:"time_layout"`
}

// ListSelectors are CSS selectors applied to a list page (html sources).
// Item selects one element per thread; the others are evaluated inside it,
// except Next, which is evaluated on the whole page.
type ListSelectors struct {
	Item    string `yaml:"item"`
	Link    string `yaml:"link"` // empty: the item itself, or its first a[href]
	Title   string `yaml:"title"`
	Time    string `yaml:"time"`
	Replies string `yaml:"replies"`
	Views   string `yaml:"views"`
	Author  string `yaml:"author"`
	Next    string `yaml:"next"`
}

// DetailSelectors are CSS selectors applied to a thread page. With an empty
// Body no detail page is fetched and items carry list data only.
type DetailSelectors struct {
	Body   string `yaml:"body"`
	Time   string `yaml:"time"`
	Author string `yaml:"author"`
	Title  string `yaml:"title"`
}

// ApplyDefaults fills zero fields with the documented defaults.
func (s *Source) ApplyDefaults() {
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	if s.Kind == "" {
		s.Kind = KindHTML
	}
	s.Encoding = strings.ToLower(strings.TrimSpace(s.Encoding))
	if s.Encoding == "" {
		s.Encoding = EncodingAuto
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Delay == 0 {
		s.Delay = DefaultDelay
	}
	if s.Weight == 0 {
		s.Weight = 1
	}
	if s.Pages == 0 {
		s.Pages = DefaultPages
	}
	if s.MaxItems == 0 {
		s.MaxItems = DefaultMaxItems
	}
	if s.Title == "" {
		s.Title = s.Name
	}
}

// Validate checks a source after ApplyDefaults; path locates it in doc
// (e.g. "sources[2]"). Name syntax and uniqueness are checked by the loader,
// which sees all sources. Every problem is reported, not just the first.
func (s *Source) Validate(doc *yamlfile.Doc, path string) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, doc.Errorf(path+"."+field, format, args...))
	}
	switch s.Kind {
	case KindHTML, KindRSS:
	default:
		add("kind", "类型只能是 html 或 rss，实际为 %q", s.Kind)
	}
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url", "地址应为 http(s):// 开头的完整网址，实际为 %q", s.URL)
	}
	if s.Interval < minInterval {
		add("interval", "抓取间隔至少 %s，实际为 %s", minInterval, s.Interval)
	}
	if s.Delay < minDelay {
		add("delay", "同一网站两次请求的间隔至少 %s（避免给对方网站造成压力），实际为 %s", minDelay, s.Delay)
	}
	switch s.Encoding {
	case EncodingAuto, EncodingUTF8, EncodingGB18030:
	case "gbk", "gb2312":
		add("encoding", "编码请写 gb18030（兼容 %s）", s.Encoding)
	default:
		add("encoding", "编码只能是 auto、utf-8 或 gb18030，实际为 %q", s.Encoding)
	}
	if s.Weight <= 0 || s.Weight > 10 {
		add("weight", "权重应在 0 到 10 之间（不含 0），实际为 %g", s.Weight)
	}
	if s.Pages < 1 || s.Pages > maxPages {
		add("pages", "列表页数应在 1 到 %d 之间，实际为 %d", maxPages, s.Pages)
	}
	if s.MaxItems < 1 || s.MaxItems > maxMaxItems {
		add("max_items", "每次抓取条数应在 1 到 %d 之间，实际为 %d", maxMaxItems, s.MaxItems)
	}
	if s.TimeLayout != "" {
		ref := time.Date(2026, 11, 23, 14, 5, 9, 0, shanghai)
		if _, err := time.ParseInLocation(s.TimeLayout, ref.Format(s.TimeLayout), shanghai); err != nil || !strings.ContainsAny(s.TimeLayout, "0123456789") {
			add("time_layout", "时间格式 %q 无效，应使用 Go 的参考时间写法，如 2006-01-02 15:04", s.TimeLayout)
		}
	}
	sel := func(field, v string) {
		if v == "" {
			return
		}
		if _, err := cascadia.ParseGroup(v); err != nil {
			add(field, "CSS 选择器 %q 无法解析: %v", v, err)
		}
	}
	switch s.Kind {
	default: // html, or a mistyped kind: still check the selectors
		if strings.TrimSpace(s.List.Item) == "" {
			add("list.item", "html 类型的数据源必须设置列表条目选择器 list.item")
		}
		sel("list.item", s.List.Item)
		sel("list.link", s.List.Link)
		sel("list.title", s.List.Title)
		sel("list.time", s.List.Time)
		sel("list.replies", s.List.Replies)
		sel("list.views", s.List.Views)
		sel("list.author", s.List.Author)
		sel("list.next", s.List.Next)
		sel("detail.body", s.Detail.Body)
		sel("detail.time", s.Detail.Time)
		sel("detail.author", s.Detail.Author)
		sel("detail.title", s.Detail.Title)
		if s.Pages > 1 && s.List.Next == "" {
			add("list.next", "pages 大于 1 时必须设置下一页选择器 list.next")
		}
	case KindRSS:
		if s.List != (ListSelectors{}) {
			add("list", "rss 类型的数据源不使用 list 选择器，请删除")
		}
		if s.Detail != (DetailSelectors{}) {
			add("detail", "rss 类型的数据源不使用 detail 选择器，请删除")
		}
	}
	return errors.Join(errs...)
}

// host returns the source's host (with port), the unit of politeness.
func (s *Source) host() (string, error) {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("数据源 %s 的地址 %q 无效", s.Name, s.URL)
	}
	return strings.ToLower(u.Host), nil
}
