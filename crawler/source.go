package crawler

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"gopkg.in/yaml.v3"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Source kinds.
const (
	KindHTML = "html" // list and detail pages read with CSS selectors
	KindRSS  = "rss"  // RSS or Atom feed
	KindAtom = "atom" // same as rss (gofeed reads both)
	KindJSON = "json" // list endpoint answering JSON; detail pages, if any, are HTML
	// KindSearch polls a search results page once per keyword: the URL
	// holds {keyword}, list selectors pick the results (see search.go).
	KindSearch = "search"
)

// Encodings a source may declare.
const (
	EncodingAuto    = "auto"
	EncodingUTF8    = "utf-8"
	EncodingGB18030 = "gb18030"
)

// Defaults applied by ApplyDefaults.
const (
	DefaultInterval    = 10 * time.Minute
	DefaultDelay       = 2 * time.Second
	DefaultPages       = 1
	DefaultMaxItems    = 50
	DefaultHotInterval = 30 * time.Minute
	DefaultHotMax      = 10
	DefaultHotFactor   = store.DefaultHotFactor
	// DefaultDeepInterval is how often list pages 2..N are read by
	// default (never more often than the source is crawled).
	DefaultDeepInterval    = 30 * time.Minute
	DefaultBreakerAfter    = 5
	DefaultBreakerCooldown = 30 * time.Minute
	DefaultMaxBodyChars    = 200_000
	// DefaultCrawlBudget caps the default per-crawl time budget, which is
	// otherwise the source's interval.
	DefaultCrawlBudget = 5 * time.Minute
)

// Limits enforced by Validate: they keep a typo in sources.yaml from
// hammering a small forum.
const (
	minInterval        = time.Minute
	minDelay           = 500 * time.Millisecond
	maxPages           = 20
	maxMaxItems        = 500
	maxHotMax          = 100
	maxHotFactor       = 100
	maxDeepInterval    = 24 * time.Hour
	maxBreakerAfter    = 100
	maxBreakerCooldown = 24 * time.Hour
	minMaxBodyChars    = 1_000
	maxMaxBodyChars    = 5_000_000
	minCrawlBudget     = 30 * time.Second
	maxCrawlBudget     = time.Hour
)

// PagePlaceholder in a source URL is replaced by the list page number
// (1, 2, ...), for boards and JSON endpoints paged by a query parameter.
const PagePlaceholder = "{page}"

// KeywordPlaceholder in a search source's URL is replaced by each keyword,
// query-escaped.
const KeywordPlaceholder = "{keyword}"

// maxKeywords bounds a search source's keyword list: one request per
// keyword per crawl.
const maxKeywords = 50

// Source is one entry of configs/sources.yaml.
type Source struct {
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	// Preset names a known site layout (see Presets); with it, URL is the
	// site's base address and Board the board (版块) id. Fields set
	// explicitly override the preset's.
	Preset     string          `yaml:"preset"`
	Board      string          `yaml:"board"`
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
	JSON       JSONFields      `yaml:"json"`
	TimeLayout string          `yaml:"time_layout"`
	// Keywords are searched one by one by a search source ({keyword} in URL).
	Keywords []string `yaml:"keywords"`
	// HotInterval is how often a hot thread is refetched even when it is
	// on no list page read this crawl; at most HotMax such threads per
	// crawl (-1: no hot revisits). A thread is hot when its replies or
	// views grew, between its last two observations, at HotFactor times
	// the source's median velocity or more (store.HotQuery).
	HotInterval time.Duration `yaml:"hot_interval"`
	HotMax      int           `yaml:"hot_max"`
	HotFactor   float64       `yaml:"hot_factor"`
	// DeepInterval is how often list pages 2..N are read; page 1 is read
	// (conditionally) at every crawl. Between deep samples a deeper page
	// is read only when the page before it held nothing already stored
	// (the list moved by a whole page). Default: DefaultDeepInterval, and
	// never more often than Interval.
	DeepInterval time.Duration `yaml:"deep_interval"`
	// The circuit breaker opens after BreakerAfter consecutive failed
	// crawls: no request for BreakerCooldown (doubling per failed probe),
	// then a single probe of the first list page.
	BreakerAfter    int           `yaml:"breaker_after"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// MaxBodyChars is how much of a post's body is kept; a longer body is
	// cut at a character boundary and the post records its full length.
	MaxBodyChars int `yaml:"max_body_chars"`
	// CrawlBudget bounds one crawl's wall time (politeness delays
	// included): when it runs out the crawl stops, keeps what it stored and
	// is reported as cut short, so a slow site delays only itself.
	// Default: the interval, at most DefaultCrawlBudget.
	CrawlBudget time.Duration `yaml:"crawl_budget"`
	// AllIncidents files every relevant post of the source as an incident,
	// a plain question or praise too (labelling guide section 5): for a
	// channel the bureau answers, such as its own 留言板. Otherwise a
	// neutral or positive 一般 post is kept as 舆情信息.
	AllIncidents bool `yaml:"all_incidents"`
	// Channel is what kind of channel the source is (taxonomy.Channels:
	// a government 留言板, a forum, news, short-video comments …). The
	// learned model reads it: the same words mean a complaint in a letter
	// and a report in the news. A preset sets it; "" means not said.
	Channel string `yaml:"channel"`

	expanded bool // the preset has been applied (ApplyDefaults is idempotent)
	// fromPreset names the fields ("json.author", "detail.time") whose value
	// came from the preset, so a crawl can say which of them matched nothing.
	fromPreset map[string]bool
	// tally counts field matches during one crawl (set per job; nil outside).
	tally *fieldTally
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
	// Body is a summary shown in the list (a search result's snippet); a
	// detail page's body replaces it.
	Body string `yaml:"body"`
	Next string `yaml:"next"`
}

// DetailSelectors are CSS selectors applied to a thread or article page.
// With an empty Body no detail page is fetched and items carry list data
// only (a feed still fetches the pages of items that look like summaries,
// see looksLikeSummary). Body DetailAuto extracts the main text with
// readability and the time from the article's own metadata; DetailNone
// never fetches a detail page. In YAML `detail: auto` and `detail: none`
// are short for `detail: {body: auto}` and `detail: {body: none}`. Replies
// and Views, when set, let hot-thread revisits see the counts grow.
type DetailSelectors struct {
	Body    string `yaml:"body"`
	Time    string `yaml:"time"`
	Author  string `yaml:"author"`
	Title   string `yaml:"title"`
	Replies string `yaml:"replies"`
	Views   string `yaml:"views"`
}

// Reserved values of DetailSelectors.Body (no HTML element is named so).
const (
	DetailAuto = "auto"
	DetailNone = "none"
)

// detailKeys are the keys a detail mapping may have (the yaml tags above).
var detailKeys = []string{"body", "time", "author", "title", "replies", "views"}

// UnmarshalYAML accepts the scalars auto and none as well as the selector
// mapping. Unknown keys stay errors: a custom unmarshaler would otherwise
// lose the loader's strict decoding.
func (d *DetailSelectors) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch v := strings.ToLower(strings.TrimSpace(n.Value)); v {
		case DetailAuto, DetailNone:
			*d = DetailSelectors{Body: v}
			return nil
		case "", "~", "null":
			return nil
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: detail 只能是 auto、none 或选择器映射（body、time 等），实际为 %q", n.Line, n.Value)}}
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !slices.Contains(detailKeys, k.Value) {
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: field %s not found in type crawler.DetailSelectors", k.Line, k.Value)}}
			}
		}
	}
	type plain DetailSelectors // the same fields without this method
	return n.Decode((*plain)(d))
}

// fetchesDetail reports whether every item's detail page is fetched.
func (d DetailSelectors) fetchesDetail() bool { return d.Body != "" && d.Body != DetailNone }

// JSONFields map a JSON list endpoint onto items (json sources). Paths are
// dot-separated keys and array indexes ("data.list", "result.0.rows");
// "a|b" tries a, then b (presets name the spellings back ends use); Items
// empty means the response itself is the array. Link is a path to a URL, or
// a template with {path} placeholders, resolved like a link on the list
// URL's page: "detail.html?id={id}" against the API's directory,
// "/detail.html?id={id}" against the site root (see README 接入新的数据源).
type JSONFields struct {
	Items   string `yaml:"items"`
	Link    string `yaml:"link"`
	Title   string `yaml:"title"`
	Time    string `yaml:"time"`
	Replies string `yaml:"replies"`
	Views   string `yaml:"views"`
	Author  string `yaml:"author"`
	Body    string `yaml:"body"`
}

// ApplyDefaults expands the preset, if any, and fills zero fields with the
// documented defaults. It may be called more than once.
func (s *Source) ApplyDefaults() {
	s.Preset = strings.ToLower(strings.TrimSpace(s.Preset))
	s.Board = strings.TrimSpace(s.Board)
	if s.Preset != "" && !s.expanded {
		if p, ok := presets[s.Preset]; ok {
			p.apply(s)
		}
	}
	s.expanded = true
	s.Kind = cmp.Or(strings.ToLower(strings.TrimSpace(s.Kind)), KindHTML)
	s.Encoding = cmp.Or(strings.ToLower(strings.TrimSpace(s.Encoding)), EncodingAuto)
	s.Interval = cmp.Or(s.Interval, DefaultInterval)
	s.Delay = cmp.Or(s.Delay, DefaultDelay)
	s.Weight = cmp.Or(s.Weight, 1)
	s.Pages = cmp.Or(s.Pages, DefaultPages)
	s.MaxItems = cmp.Or(s.MaxItems, DefaultMaxItems)
	s.Title = cmp.Or(s.Title, s.Name)
	s.Channel = strings.ToLower(strings.TrimSpace(s.Channel))
	s.HotInterval = cmp.Or(s.HotInterval, DefaultHotInterval)
	s.HotMax = cmp.Or(s.HotMax, DefaultHotMax)
	s.HotFactor = cmp.Or(s.HotFactor, DefaultHotFactor)
	s.DeepInterval = cmp.Or(s.DeepInterval, max(s.Interval, DefaultDeepInterval))
	s.BreakerAfter = cmp.Or(s.BreakerAfter, DefaultBreakerAfter)
	s.BreakerCooldown = cmp.Or(s.BreakerCooldown, DefaultBreakerCooldown)
	s.MaxBodyChars = cmp.Or(s.MaxBodyChars, DefaultMaxBodyChars)
	s.CrawlBudget = cmp.Or(s.CrawlBudget, min(s.Interval, DefaultCrawlBudget))
}

// Validate checks a source after ApplyDefaults; path locates it in doc
// (e.g. "sources[2]"). Name syntax and uniqueness are checked by the loader,
// which sees all sources. Every problem is reported, not just the first.
func (s *Source) Validate(doc *yamlfile.Doc, path string) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, doc.Errorf(path+"."+field, format, args...))
	}
	s.validateSite(add)
	s.validateLimits(add)
	if s.Channel != "" && taxonomy.ChannelName(s.Channel) == "" {
		keys := make([]string, len(taxonomy.Channels))
		for i, c := range taxonomy.Channels {
			keys[i] = c.Key + "（" + c.Name + "）"
		}
		add("channel", "渠道类型 %q 不认识，可选：%s", s.Channel, strings.Join(keys, "、"))
	}
	if len(s.Keywords) > 0 && s.Kind != KindSearch {
		add("keywords", "只有 search 类型的数据源使用关键词 keywords，请删除")
	}
	switch s.Kind {
	default: // html or search, or a mistyped kind: still check the selectors
		s.validateList(add)
		s.validateDetail(add)
		if s.Kind == KindSearch {
			s.validateSearch(add)
		}
	case KindJSON:
		if s.List != (ListSelectors{}) {
			add("list", "json 类型的数据源不使用 list 选择器（列表字段写在 json 下），请删除")
		}
		s.validateJSON(add)
		s.validateDetail(add)
	case KindRSS, KindAtom:
		if s.List != (ListSelectors{}) {
			add("list", "rss 类型的数据源不使用 list 选择器，请删除")
		}
		s.validateDetail(add)
		if s.JSON != (JSONFields{}) {
			add("json", "rss 类型的数据源不使用 json 字段映射，请删除")
		}
	}
	return errors.Join(errs...)
}

// fieldError reports a problem with one field of a source (path relative
// to the source, message in Chinese).
type fieldError func(field, format string, args ...any)

// validateSite checks what says which site and how to read it: preset,
// kind, address, encoding, time layout.
func (s *Source) validateSite(add fieldError) {
	if s.Preset != "" {
		p, ok := presets[s.Preset]
		switch {
		case !ok:
			add("preset", "未知的预设 %q，可选：%s", s.Preset, strings.Join(PresetNames(), "、"))
		case p.needBoard && s.Board == "" && p.looksLikeBase(s.URL):
			add("board", "预设 %s 需要设置 board（版块编号），或把 url 写成版块列表页的完整地址", s.Preset)
		}
	}
	switch s.Kind {
	case KindHTML, KindRSS, KindAtom, KindJSON, KindSearch:
	default:
		add("kind", "类型只能是 html、rss、atom、json 或 search，实际为 %q", s.Kind)
	}
	if s.Preset == PresetRSSHub && s.Board != "" {
		if r := strings.Trim(s.Board, "/"); r == "" || strings.ContainsAny(r, "?#") {
			add("board", "预设 rsshub 的 board 写 RSSHub 路由，如 weibo/user/1195230310，不含 ? 和 #，实际为 %q", s.Board)
		}
	}
	if u, err := url.Parse(s.pageURL(1)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url", "地址应为 http(s):// 开头的完整网址，实际为 %q", s.URL)
	}
	switch s.Encoding {
	case EncodingAuto, EncodingUTF8, EncodingGB18030:
	case "gbk", "gb2312":
		add("encoding", "编码请写 gb18030（兼容 %s）", s.Encoding)
	default:
		add("encoding", "编码只能是 auto、utf-8 或 gb18030，实际为 %q", s.Encoding)
	}
	if s.TimeLayout != "" {
		ref := time.Date(2026, 11, 23, 14, 5, 9, 0, shanghai)
		if _, err := time.ParseInLocation(s.TimeLayout, ref.Format(s.TimeLayout), shanghai); err != nil || !strings.ContainsAny(s.TimeLayout, "0123456789") {
			add("time_layout", "时间格式 %q 无效，应使用 Go 的参考时间写法，如 2006-01-02 15:04", s.TimeLayout)
		}
	}
}

// validateLimits checks the schedule, politeness and size settings against
// their bounds.
func (s *Source) validateLimits(add fieldError) {
	if s.Interval < minInterval {
		add("interval", "抓取间隔至少 %s，实际为 %s", minInterval, s.Interval)
	}
	if s.Delay < minDelay {
		add("delay", "同一网站两次请求的间隔至少 %s（避免给对方网站造成压力），实际为 %s", minDelay, s.Delay)
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
	if s.HotInterval < minInterval {
		add("hot_interval", "热帖回访间隔至少 %s，实际为 %s", minInterval, s.HotInterval)
	}
	if s.HotMax < -1 || s.HotMax > maxHotMax {
		add("hot_max", "每次回访热帖数应在 1 到 %d 之间（-1 表示不回访），实际为 %d", maxHotMax, s.HotMax)
	}
	if s.HotFactor < 1 || s.HotFactor > maxHotFactor {
		add("hot_factor", "热帖倍数（增速达到该来源平常增速的几倍算热帖）应在 1 到 %d 之间，实际为 %g", maxHotFactor, s.HotFactor)
	}
	if s.DeepInterval < minInterval || s.DeepInterval > maxDeepInterval {
		add("deep_interval", "第 2 页及以后列表页的抓取间隔应在 %s 到 %s 之间，实际为 %s", minInterval, maxDeepInterval, s.DeepInterval)
	}
	if s.BreakerAfter < 1 || s.BreakerAfter > maxBreakerAfter {
		add("breaker_after", "熔断阈值（连续失败次数）应在 1 到 %d 之间，实际为 %d", maxBreakerAfter, s.BreakerAfter)
	}
	if s.BreakerCooldown < minInterval || s.BreakerCooldown > maxBreakerCooldown {
		add("breaker_cooldown", "熔断冷却时间应在 %s 到 %s 之间，实际为 %s", minInterval, maxBreakerCooldown, s.BreakerCooldown)
	}
	if s.MaxBodyChars < minMaxBodyChars || s.MaxBodyChars > maxMaxBodyChars {
		add("max_body_chars", "每条帖子保存的正文字数上限应在 %d 到 %d 之间，实际为 %d", minMaxBodyChars, maxMaxBodyChars, s.MaxBodyChars)
	}
	if s.CrawlBudget < minCrawlBudget || s.CrawlBudget > maxCrawlBudget {
		add("crawl_budget", "单次抓取的时间预算应在 %s 到 %s 之间，实际为 %s", minCrawlBudget, maxCrawlBudget, s.CrawlBudget)
	}
}

// checkSelector reports a CSS selector cascadia cannot parse.
func checkSelector(add fieldError, field, v string) {
	if v == "" {
		return
	}
	if _, err := cascadia.ParseGroup(v); err != nil {
		add(field, "CSS 选择器 %q 无法解析: %v", v, err)
	}
}

// validateList checks an html (or search) source's list selectors.
func (s *Source) validateList(add fieldError) {
	if strings.TrimSpace(s.List.Item) == "" {
		add("list.item", "html 类型的数据源必须设置列表条目选择器 list.item")
	}
	l := s.List
	for _, f := range [...]struct{ field, v string }{{"list.item", l.Item}, {"list.link", l.Link}, {"list.title", l.Title},
		{"list.time", l.Time}, {"list.replies", l.Replies}, {"list.views", l.Views}, {"list.author", l.Author},
		{"list.body", l.Body}, {"list.next", l.Next}} {
		checkSelector(add, f.field, f.v)
	}
	if s.Kind != KindSearch && s.Pages > 1 && s.List.Next == "" && !strings.Contains(s.URL, PagePlaceholder) {
		add("list.next", "pages 大于 1 时必须设置下一页选择器 list.next，或在 url 中用 {page} 表示页码")
	}
	if s.JSON != (JSONFields{}) {
		add("json", "html 类型的数据源不使用 json 字段映射，请删除")
	}
}

// validateDetail checks the detail page settings: auto, none or selectors
// with a body.
func (s *Source) validateDetail(add fieldError) {
	d := s.Detail
	if d.Body != DetailAuto && d.Body != DetailNone {
		checkSelector(add, "detail.body", d.Body)
	}
	for _, f := range [...]struct{ field, v string }{{"detail.time", d.Time}, {"detail.author", d.Author},
		{"detail.title", d.Title}, {"detail.replies", d.Replies}, {"detail.views", d.Views}} {
		checkSelector(add, f.field, f.v)
	}
	switch {
	case d.Body == "" && d != (DetailSelectors{}):
		add("detail.body", "设置了详情页选择器但缺少正文选择器 detail.body（可写 auto 自动提取正文；不抓详情页时请删除整个 detail）")
	case d.Body == DetailNone && d != (DetailSelectors{Body: DetailNone}):
		add("detail", "detail 为 none（不抓详情页）时不能再设置其他详情页选择器")
	}
}

// validateJSON checks a json source's field paths and link template.
func (s *Source) validateJSON(add fieldError) {
	jsonPath := func(field, v string) {
		if v != "" && !validJSONPath(v) {
			add(field, "JSON 路径 %q 无效，应为用点分隔的字段名或下标，如 data.list", v)
		}
	}
	j := s.JSON
	for _, f := range [...]struct{ field, v string }{{"json.items", j.Items}, {"json.title", j.Title}, {"json.time", j.Time},
		{"json.replies", j.Replies}, {"json.views", j.Views}, {"json.author", j.Author}, {"json.body", j.Body}} {
		jsonPath(f.field, f.v)
	}
	switch {
	case j.Link == "" && s.Preset == PresetLiuyan:
		add("json.link", "预设 liuyan 还需要帖子链接 json.link：在浏览器里打开一条留言，把地址中的编号换成 {id}，"+
			"如 /lyb/detail.html?id={id}（以 / 开头表示从网站根目录算起）")
	case j.Link == "":
		add("json.link", "json 类型的数据源必须设置帖子链接 json.link（字段路径，或如 /detail.html?id={id} 的模板）")
	case strings.Contains(j.Link, "{"):
		for _, ph := range linkPlaceholders(j.Link) {
			jsonPath("json.link", ph)
		}
	default:
		jsonPath("json.link", j.Link)
	}
	if j.Title == "" && s.Detail.Title == "" && s.Detail.Body != DetailAuto {
		add("json.title", "json 类型的数据源必须设置标题字段 json.title（或详情页选择器 detail.title，或 detail: auto 取文章标题）")
	}
	if s.Pages > 1 && !strings.Contains(s.URL, PagePlaceholder) {
		add("pages", "json 类型的数据源翻页需要在 url 中用 {page} 表示页码")
	}
}

// pageURL returns the URL of list page n (1-based) when the URL carries
// {page}; otherwise the URL itself.
func (s *Source) pageURL(n int) string {
	u := strings.ReplaceAll(s.URL, PagePlaceholder, strconv.Itoa(n))
	if s.Kind == KindSearch && len(s.Keywords) > 0 {
		u = s.keywordURL(s.Keywords[0])
	}
	return u
}

// deepDue reports whether list pages 2..N are due at now, given when they
// were last read.
func (s *Source) deepDue(last, now time.Time) bool {
	return s.Pages > 1 && (last.IsZero() || now.Sub(last) >= s.DeepInterval || now.Before(last))
}

// hotEnabled reports whether threads of this source can be revisited:
// there must be a detail page to fetch.
func (s *Source) hotEnabled() bool {
	return s.HotMax > 0 && s.Detail.fetchesDetail() && (s.Kind == KindHTML || s.Kind == KindJSON)
}

// Host returns the source's host (with port, lower-cased), the unit of
// politeness: one crawl and one request at a time per host, with the
// delay between requests. Several instances lease hosts, not sources, for
// the same reason (package cluster).
func (s *Source) Host() (string, error) {
	u, err := url.Parse(s.pageURL(1))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("数据源 %s 的地址 %q 无效", s.Name, s.URL)
	}
	return strings.ToLower(u.Host), nil
}

// Hosts maps each source's name to its Host (the name itself when its URL
// is invalid, which validation refuses).
func Hosts(srcs []Source) map[string]string {
	out := make(map[string]string, len(srcs))
	for i := range srcs {
		h, err := srcs[i].Host()
		if err != nil {
			h = srcs[i].Name
		}
		out[srcs[i].Name] = h
	}
	return out
}
