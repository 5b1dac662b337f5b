// Package config loads the daemon's own settings (yuqing.yaml) and its
// source list (sources.yaml): strict YAML over defaults, validated at load,
// every problem reported with file, line and field. Rules and the
// dictionary belong to the classifier, which loads them itself; Check runs
// both so `yuqing check` sees exactly what the daemon would.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/reportsched"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Config is yuqing.yaml after loading: paths are absolute.
type Config struct {
	Listen      string                                `yaml:"listen"`
	ExternalURL string                                `yaml:"external_url"`
	TimeZone    string                                `yaml:"time_zone"`
	Store       StoreConfig                           `yaml:"store"`
	Cluster     ClusterConfig                         `yaml:"cluster"`
	SourcesFile string                                `yaml:"sources_file"`
	RulesFile   string                                `yaml:"rules_file"`
	DictDir     string                                `yaml:"dict_dir"`
	Crawler     CrawlerConfig                         `yaml:"crawler"`
	Grader      GraderConfig                          `yaml:"grader"`
	Levels      map[taxonomy.Level]incident.Deadlines `yaml:"levels"`
	// LegacyGroupWindow is the old top-level group_window, now
	// grouping.window: still accepted, with a warning.
	LegacyGroupWindow *time.Duration `yaml:"group_window"`
	Console           ConsoleConfig  `yaml:"console"`
	Metrics           MetricsConfig  `yaml:"metrics"`
	// Workflow: grouping beyond reposts, offices, the working-day calendar.
	Grouping     GroupingConfig `yaml:"grouping"`
	Offices      []string       `yaml:"offices"`
	CalendarFile string         `yaml:"calendar_file"`
	// Delivery names the WeCom robots and mailboxes that reports and
	// forwarded alerts go to.
	Delivery delivery.Config `yaml:"delivery"`
	// Reports are the 日报/周报/月报 built and delivered on schedule.
	Reports reportsched.Config `yaml:"reports"`
	// Places are the city's districts and counties (区县): the overview
	// counts the relevant posts that name each (places.go).
	Places []string `yaml:"places"`
	// ReportFont is the CJK font file the Word reports' chart images are
	// drawn in; "": the first found on the usual Debian paths
	// (chart.DefaultFontPaths).
	ReportFont string `yaml:"report_font"`
	// ReportWriter writes reports with ReportFont, loaded at load time
	// (its zero Font: found on the usual Debian paths at each DOCX).
	ReportWriter report.Writer `yaml:"-"`

	// Filled by Load.
	File     string             `yaml:"-"`
	Location *time.Location     `yaml:"-"`
	Sources  []crawler.Source   `yaml:"-"`
	Calendar *calendar.Calendar `yaml:"-"`
	// Warnings are things the file should change but that still load (an
	// old key); `check` prints them and the daemon logs them.
	Warnings []string `yaml:"-"`
}

// GroupingConfig tunes near-duplicate and same-event grouping and bursts.
type GroupingConfig struct {
	// Window bounds how far back a new post looks for an open incident it
	// reposts or rewrites.
	Window          time.Duration `yaml:"window"`
	SimHashDistance int           `yaml:"simhash_distance"`
	EventWindow     time.Duration `yaml:"event_window"`
	EventMinTerms   int           `yaml:"event_min_terms"`
	BurstWindow     time.Duration `yaml:"burst_window"`
	BurstPosts      int           `yaml:"burst_posts"`
}

// StoreConfig chooses the database.
type StoreConfig struct {
	Driver string `yaml:"driver"` // sqlite or postgres
	Path   string `yaml:"path"`   // sqlite: the database file
	// DSN is the PostgreSQL connection (postgres://user@host:port/db?...
	// or key=value); passwords belong in ~/.pgpass or PGPASSWORD.
	DSN string `yaml:"dsn"`
}

// ClusterConfig tunes how instances on one PostgreSQL database keep
// their heartbeats, the leadership and the source leases (package
// cluster); a single SQLite instance only writes its heartbeat.
type ClusterConfig struct {
	Heartbeat time.Duration `yaml:"heartbeat"`
	LeaseTTL  time.Duration `yaml:"lease_ttl"`
}

// CrawlerConfig holds the settings shared by all sources.
type CrawlerConfig struct {
	UserAgent    string        `yaml:"user_agent"`
	Timeout      time.Duration `yaml:"timeout"`
	MaxBodyBytes int           `yaml:"max_body_bytes"`
}

// maxGradeWorkers bounds grader.workers: past the cores, more graders only
// hold more posts in memory.
const maxGradeWorkers = 64

// GraderConfig tunes the grading loop.
type GraderConfig struct {
	Interval time.Duration `yaml:"interval"`
	Batch    int           `yaml:"batch"`
	// Workers grade in parallel (0: one per CPU core); filing stays in
	// post order.
	Workers int `yaml:"workers"`
	// Budget is the time one post may take to grade; a longer post is
	// graded on the part read by then (classifier.GradeWithin).
	Budget time.Duration `yaml:"budget"`
}

// ConsoleConfig secures the web console.
type ConsoleConfig struct {
	// SecureCookie forces the Secure flag on the session cookie; it is set
	// anyway when the request came over TLS or external_url is https.
	SecureCookie bool `yaml:"secure_cookie"`
	// SessionLifetime is the longest a login lasts; IdleTimeout ends it
	// earlier after inactivity.
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	IdleTimeout     time.Duration `yaml:"idle_timeout"`
	// TrustedProxies are the reverse proxies (CIDRs, or single addresses)
	// whose X-Forwarded-For header gives the client address; empty (the
	// default): the peer address is the client's.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// The HTTP server's limits (console, API and /metrics share it), so
	// slow or idle clients cannot hold connections and memory forever:
	// ReadTimeout bounds reading one request with its body, WriteTimeout
	// writing its response, ConnIdleTimeout a keep-alive connection
	// waiting for its next request; MaxConnections caps open connections
	// (more wait in the kernel's queue until one closes).
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ConnIdleTimeout time.Duration `yaml:"conn_idle_timeout"`
	MaxConnections  int           `yaml:"max_connections"`
}

// MetricsConfig protects /metrics. Its series carry incident titles and
// excerpts (personal data masked, but still citizens' complaints), so it
// needs a bearer token unless the operator opens it explicitly.
type MetricsConfig struct {
	// TokenFile holds the bearer token Prometheus must send (its scrape
	// config reads the same file with authorization.credentials_file).
	// Empty: DefaultTokenFile in the data directory, which the daemon
	// creates at first start (see EnsureToken).
	TokenFile string `yaml:"token_file"`
	// Open serves /metrics without a token (a loopback-only daemon, the
	// demo); never the default.
	Open bool `yaml:"open"`
	// Token is the file's content, read by Load ("" while a generated
	// file does not exist yet).
	Token string `yaml:"-"`
	// Generated is set when TokenFile is the default one, which the daemon
	// creates when missing.
	Generated bool `yaml:"-"`
}

// DefaultTokenFile is the name of the generated /metrics token file in the
// data directory.
const DefaultTokenFile = "metrics.token"

// minMetricsToken is the shortest token accepted: a guessable one is no
// protection.
const minMetricsToken = 16

// shippedUserAgent is the example configs/yuqing.yaml gives: the bureau in
// pinyin and English, and a contact.
const shippedUserAgent = "yuqing/1.0 (Yiliao Baozhang Ju, medical security bureau public-opinion monitor; +mailto:yuqing@example.gov.cn)"

// Upper bounds of settings: a value past them is a typo (1e14 for a body
// limit) that would let one page exhaust memory or stall a loop for days.
const (
	maxBodyBytes      = 256 << 20
	maxCrawlTimeout   = 10 * time.Minute
	maxGraderInterval = time.Hour
	maxGraderBatch    = 10000
)

// checkListen accepts host:port where port is 0-65535 (0: any free port,
// which tests use) and host is empty
// (every interface), an IP address or a host name: net.SplitHostPort alone
// lets "127.0.0.1:99999" and "my host:80" through to fail at start-up.
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("端口 %q 应为 0 到 65535 的数字", port)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !hostName.MatchString(host) {
		return fmt.Errorf("主机 %q 既不是 IP 地址也不是合法主机名", host)
	}
	return nil
}

var hostName = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$`)

// readToken reads and checks a token file.
func readToken(path string) (string, error) {
	tok, err := yamlfile.ReadSecret(path)
	if err != nil && !errors.Is(err, yamlfile.ErrNotOneLine) {
		return "", fmt.Errorf("无法读取监控指标令牌文件: %w", err)
	}
	if err != nil || len(tok) < minMetricsToken || len(tok) > 1024 || strings.ContainsAny(tok, " \t") {
		return "", fmt.Errorf("%s: 令牌应为一行、%d 到 1024 个字符（可用 openssl rand -hex 32 生成）", path, minMetricsToken)
	}
	return tok, nil
}

// EnsureToken creates the generated token file when it is missing: 32
// random bytes in hex, mode 0600, created exclusively (a file that appeared
// meanwhile is read instead, never overwritten). It reports whether it
// created the file. Nothing to do when /metrics is open, the token is read
// already, or the file is the operator's own.
func (m *MetricsConfig) EnsureToken() (created bool, err error) {
	if m.Open || m.Token != "" || !m.Generated {
		return false, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return false, fmt.Errorf("生成监控指标令牌: %w", err)
	}
	f, err := os.OpenFile(m.TokenFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		m.Token, err = readToken(m.TokenFile)
		return false, err
	}
	if err != nil {
		return false, fmt.Errorf("创建监控指标令牌文件: %w", err)
	}
	tok := hex.EncodeToString(b)
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		os.Remove(m.TokenFile)
		return false, fmt.Errorf("写入监控指标令牌文件 %s: %w", m.TokenFile, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(m.TokenFile)
		return false, fmt.Errorf("写入监控指标令牌文件 %s: %w", m.TokenFile, err)
	}
	m.Token = tok
	return true, nil
}

// dataDir is where the daemon keeps what it generates: beside the SQLite
// database; with PostgreSQL, systemd's StateDirectory ($STATE_DIRECTORY)
// when set, else the configuration's directory.
func (c *Config) dataDir() string {
	if c.Store.Driver == "sqlite" && c.Store.Path != "" {
		return filepath.Dir(c.Store.Path)
	}
	if d, _, _ := strings.Cut(os.Getenv("STATE_DIRECTORY"), ":"); d != "" {
		return d
	}
	return filepath.Dir(c.File)
}

// parseProxy reads one trusted_proxies entry: a CIDR or a single address.
func parseProxy(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Proxies returns TrustedProxies parsed (entries that do not parse, which
// validation refuses, are left out).
func (c ConsoleConfig) Proxies() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range c.TrustedProxies {
		if p, err := parseProxy(s); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// Default returns the built-in defaults that a file is decoded over.
func Default() Config {
	p := incident.DefaultPolicy()
	return Config{
		Listen:      "127.0.0.1:8080",
		TimeZone:    "Asia/Shanghai",
		Store:       StoreConfig{Driver: "sqlite", Path: "data/yuqing.db"},
		Cluster:     ClusterConfig{Heartbeat: cluster.DefaultHeartbeat, LeaseTTL: cluster.DefaultLeaseTTL},
		SourcesFile: "sources.yaml",
		RulesFile:   "rules.yaml",
		DictDir:     "dict",
		Crawler: CrawlerConfig{
			UserAgent:    crawler.DefaultUserAgent,
			Timeout:      crawler.DefaultTimeout,
			MaxBodyBytes: crawler.DefaultMaxBodyBytes,
		},
		Grader: GraderConfig{Interval: grader.DefaultInterval, Batch: grader.DefaultBatch, Budget: classifier.DefaultBudget},
		Levels: p.Levels,
		Console: ConsoleConfig{SessionLifetime: 12 * time.Hour, IdleTimeout: 2 * time.Hour,
			ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute, ConnIdleTimeout: time.Minute, MaxConnections: 512},
		Grouping: GroupingConfig{Window: p.GroupWindow, SimHashDistance: p.SimHashDistance, EventWindow: p.EventWindow,
			EventMinTerms: p.EventMinTerms, BurstWindow: p.BurstWindow, BurstPosts: p.BurstPosts},
		Offices:  slices.Clone(p.Offices),
		Delivery: delivery.Default(),
		Reports:  reportsched.Default(),
	}
}

// Load reads yuqing.yaml at path and the sources file it names. Relative
// paths inside are resolved against the directory of path.
func Load(path string) (*Config, error) {
	c := Default()
	c.Levels = nil // a file that names levels replaces them whole; filled below when absent
	doc, err := yamlfile.ReadFile(path, &c)
	if err != nil {
		return nil, err
	}
	if c.Levels == nil {
		c.Levels = Default().Levels
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.File = abs
	dir := filepath.Dir(abs)
	for _, p := range []*string{&c.SourcesFile, &c.RulesFile, &c.DictDir, &c.Store.Path, &c.CalendarFile, &c.Metrics.TokenFile, &c.ReportFont} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	c.Delivery.ResolvePaths(dir)
	if err := c.validate(doc); err != nil {
		return nil, err
	}
	c.Sources, err = LoadSources(c.SourcesFile)
	if err != nil {
		return nil, err
	}
	if c.CalendarFile != "" {
		if c.Calendar, err = calendar.Load(c.CalendarFile, c.Location); err != nil {
			return nil, err
		}
	} else {
		c.Calendar = calendar.Default(c.Location)
	}
	return &c, nil
}

func (c *Config) validate(doc *yamlfile.Doc) error {
	var errs []error
	if err := checkListen(c.Listen); err != nil {
		errs = append(errs, doc.Errorf("listen", "监听地址应为 主机:端口，如 127.0.0.1:8080（%v）", err))
	}
	if c.ExternalURL == "" {
		c.ExternalURL = "http://" + c.Listen
	} else if u, err := url.Parse(c.ExternalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, doc.Errorf("external_url", "控制台外部地址应为 http(s)://主机[:端口]，实际为 %q", c.ExternalURL))
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		errs = append(errs, doc.Errorf("time_zone", "未知时区 %q", c.TimeZone))
	}
	c.Location = loc
	switch c.Store.Driver {
	case "sqlite":
		if c.Store.Path == "" {
			errs = append(errs, doc.Errorf("store.path", "SQLite 数据库文件路径不能为空"))
		}
	case "postgres":
		if c.Store.DSN == "" {
			errs = append(errs, doc.Errorf("store.dsn", "使用 PostgreSQL 时须填写连接串，如 postgres://yuqing@127.0.0.1:5432/yuqing"))
		} else if err := postgres.CheckDSN(c.Store.DSN); err != nil {
			errs = append(errs, doc.Errorf("store.dsn", "%v", err))
		}
	default:
		errs = append(errs, doc.Errorf("store.driver", "未知存储类型 %q，可选 sqlite、postgres", c.Store.Driver))
	}
	if c.Cluster.Heartbeat < 100*time.Millisecond || c.Cluster.Heartbeat > time.Minute {
		errs = append(errs, doc.Errorf("cluster.heartbeat", "心跳间隔应在 100 毫秒到 1 分钟之间"))
	} else if c.Cluster.LeaseTTL < 2*c.Cluster.Heartbeat || c.Cluster.LeaseTTL > 10*time.Minute {
		errs = append(errs, doc.Errorf("cluster.lease_ttl", "租约时长应不少于心跳间隔（cluster.heartbeat）的两倍、不超过 10 分钟"))
	}
	if c.SourcesFile == "" {
		errs = append(errs, doc.Errorf("sources_file", "数据源文件路径不能为空"))
	}
	if c.RulesFile == "" {
		errs = append(errs, doc.Errorf("rules_file", "规则文件路径不能为空"))
	}
	errs = append(errs, c.Crawler.validate(doc)...)
	errs = append(errs, c.Grader.validate(doc)...)
	errs = append(errs, c.validateLevels(doc)...)
	errs = append(errs, c.Console.validate(doc)...)
	if c.LegacyGroupWindow != nil {
		c.Grouping.Window = *c.LegacyGroupWindow
		c.Warnings = append(c.Warnings, "group_window 已移到 grouping.window，请在配置文件中改用 grouping.window（旧写法仍然有效）")
	}
	if c.Grouping.Window <= 0 {
		errs = append(errs, doc.Errorf("grouping.window", "事件归并时间窗必须大于 0"))
	}
	errs = append(errs, c.validateMetrics(doc)...)
	errs = append(errs, c.validateHandling(doc)...)
	errs = append(errs, c.Delivery.Validate(doc)...)
	errs = append(errs, c.Reports.Validate(doc, &c.Delivery)...)
	errs = append(errs, c.validatePlaces(doc)...)
	if c.ReportFont != "" {
		font, err := chart.LoadFont(c.ReportFont)
		if err != nil {
			errs = append(errs, doc.Errorf("report_font", "报告图表字体不可用：%v", err))
		}
		c.ReportWriter.Font = font
	}
	return errors.Join(errs...)
}

// validateLevels checks the deadlines of every level, all four present.
func (c *Config) validateLevels(doc *yamlfile.Doc) []error {
	var errs []error
	for l, lv := range c.Levels {
		path := "levels." + strconv.Itoa(int(l))
		if !l.Valid() {
			errs = append(errs, doc.Errorf(path, "等级只能是 1（特别重大）到 4（一般）"))
			continue
		}
		if lv.FollowUp <= 0 {
			errs = append(errs, doc.Errorf(path+".followup", "%s 的跟进回复时限必须大于 0", l.Label()))
		}
		if lv.Ack < 0 {
			errs = append(errs, doc.Errorf(path+".ack", "签收时限不能为负"))
		}
		if lv.InvestigateDays < 0 {
			errs = append(errs, doc.Errorf(path+".investigate_days", "调查核实时限（工作日）不能为负"))
		}
		if lv.FeedbackDays < 0 {
			errs = append(errs, doc.Errorf(path+".feedback_days", "答复反馈时限（工作日）不能为负"))
		}
	}
	for _, l := range taxonomy.Levels {
		if _, ok := c.Levels[l]; !ok {
			errs = append(errs, doc.Errorf("levels", "缺少等级 %d（%s）的时限", l, l.Label()))
		}
	}
	return errs
}

// validate checks the console's session and connection settings.
func (c *ConsoleConfig) validate(doc *yamlfile.Doc) []error {
	var errs []error
	if c.SessionLifetime < time.Minute {
		errs = append(errs, doc.Errorf("console.session_lifetime", "登录有效期至少 1 分钟"))
	}
	if c.IdleTimeout < time.Minute {
		errs = append(errs, doc.Errorf("console.idle_timeout", "登录空闲超时至少 1 分钟"))
	}
	for _, t := range []struct {
		d    time.Duration
		path string
	}{{c.ReadTimeout, "read_timeout"}, {c.WriteTimeout, "write_timeout"}, {c.ConnIdleTimeout, "conn_idle_timeout"}} {
		if t.d <= 0 || t.d > time.Hour {
			errs = append(errs, doc.Errorf("console."+t.path, "超时应大于 0、不超过 1 小时，实际为 %s", t.d))
		}
	}
	if n := c.MaxConnections; n < 8 || n > 100000 {
		errs = append(errs, doc.Errorf("console.max_connections", "最大连接数应在 8 到 100000 之间，实际为 %d", n))
	}
	for i, p := range c.TrustedProxies {
		if _, err := parseProxy(p); err != nil {
			errs = append(errs, doc.Errorf(fmt.Sprintf("console.trusted_proxies[%d]", i),
				"可信代理应为网段（如 10.0.0.0/8）或单个地址，实际为 %q", p))
		}
	}
	return errs
}

func (c *Config) validateMetrics(doc *yamlfile.Doc) []error {
	m := &c.Metrics
	switch {
	case m.Open && m.TokenFile != "":
		return []error{doc.Errorf("metrics.open", "metrics.open 为 true 时 /metrics 不需令牌，不能同时设置 token_file")}
	case m.Open:
		return nil
	case m.TokenFile == "":
		m.TokenFile, m.Generated = filepath.Join(c.dataDir(), DefaultTokenFile), true
		if _, err := os.Stat(m.TokenFile); errors.Is(err, fs.ErrNotExist) {
			return nil // the daemon creates it at first start
		}
	}
	var err error
	if m.Token, err = readToken(m.TokenFile); err != nil {
		return []error{doc.Errorf("metrics.token_file", "%v", err)}
	}
	return nil
}

// validate checks the crawler settings against their bounds.
func (c *CrawlerConfig) validate(doc *yamlfile.Doc) []error {
	var errs []error
	if c.UserAgent == "" {
		errs = append(errs, doc.Errorf("crawler.user_agent", "User-Agent 不能为空（应写明单位和联系方式）"))
	} else if i := strings.IndexFunc(c.UserAgent, func(r rune) bool { return r < 0x20 || r > 0x7e }); i >= 0 {
		// Header values are ASCII: Chinese would go out as raw UTF-8 bytes
		// that servers mangle or refuse.
		errs = append(errs, doc.Errorf("crawler.user_agent",
			"User-Agent 只能用英文字母、数字和常见符号（HTTP 请求头不能含中文），第 %d 个字符 %q 不行；单位名称请用拼音或英文，如 %q",
			utf8.RuneCountInString(c.UserAgent[:i])+1, []rune(c.UserAgent[i:])[0], shippedUserAgent))
	}
	if c.Timeout <= 0 || c.Timeout > maxCrawlTimeout {
		errs = append(errs, doc.Errorf("crawler.timeout", "单次请求超时应大于 0、不超过 %s", taxonomy.Duration(maxCrawlTimeout)))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > maxBodyBytes {
		errs = append(errs, doc.Errorf("crawler.max_body_bytes", "页面大小上限应在 1024 字节到 %d MiB 之间（实际 %d）；过大的上限会让一个恶意页面耗尽内存",
			maxBodyBytes>>20, c.MaxBodyBytes))
	}
	return errs
}

// validate checks the grader settings against their bounds.
func (c *GraderConfig) validate(doc *yamlfile.Doc) []error {
	var errs []error
	if c.Interval <= 0 || c.Interval > maxGraderInterval {
		errs = append(errs, doc.Errorf("grader.interval", "研判间隔应大于 0、不超过 %s", taxonomy.Duration(maxGraderInterval)))
	}
	if c.Batch <= 0 || c.Batch > maxGraderBatch {
		errs = append(errs, doc.Errorf("grader.batch", "每批研判条数应在 1 到 %d 之间", maxGraderBatch))
	}
	if c.Workers < 0 || c.Workers > maxGradeWorkers {
		errs = append(errs, doc.Errorf("grader.workers", "研判并行数应在 0（按 CPU 核数）到 %d 之间", maxGradeWorkers))
	}
	if c.Budget < 100*time.Millisecond || c.Budget > time.Minute {
		errs = append(errs, doc.Errorf("grader.budget", "单帖研判限时应在 100 毫秒到 1 分钟之间"))
	}
	return errs
}

// Policy returns the incident policy these settings describe.
func (c *Config) Policy() incident.Policy {
	g := c.Grouping
	p := incident.Policy{Levels: maps.Clone(c.Levels), GroupWindow: c.Grouping.Window, Location: c.Location,
		Offices: slices.Clone(c.Offices), SimHashDistance: g.SimHashDistance, EventWindow: g.EventWindow,
		EventMinTerms: g.EventMinTerms, BurstWindow: g.BurstWindow, BurstPosts: g.BurstPosts}
	if c.Calendar != nil {
		p.Calendar = c.Calendar
	}
	return p
}

var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// sourcesFile is the shape of sources.yaml.
type sourcesFile struct {
	Sources []crawler.Source `yaml:"sources"`
}

// LoadSources reads and validates a sources file.
func LoadSources(path string) ([]crawler.Source, error) {
	data, err := yamlfile.Read(path)
	if err != nil {
		return nil, err
	}
	return ParseSources(path, data)
}

// ParseSources decodes and validates sources.yaml content named file.
func ParseSources(file string, data []byte) ([]crawler.Source, error) {
	var f sourcesFile
	doc, err := yamlfile.Decode(file, data, &f)
	if err != nil {
		return nil, err
	}
	var errs []error
	seen := map[string]int{}
	for i := range f.Sources {
		s := &f.Sources[i]
		path := fmt.Sprintf("sources[%d]", i)
		s.ApplyDefaults()
		if !sourceName.MatchString(s.Name) {
			errs = append(errs, doc.Errorf(path+".name", "名称 %q 只能用小写字母、数字、- 和 _", s.Name))
		} else if s.Name == incident.ManualSource {
			errs = append(errs, doc.Errorf(path+".name", "名称 %q 留给控制台人工补录的帖子，请换一个", s.Name))
		} else if j, dup := seen[s.Name]; dup {
			errs = append(errs, doc.Errorf(path+".name", "名称 %q 与 sources[%d] 重复", s.Name, j))
		}
		seen[s.Name] = i
		if err := s.Validate(doc, path); err != nil {
			errs = append(errs, err)
		}
	}
	if len(f.Sources) == 0 && !doc.Written("sources") {
		// An emptied file would stop all crawling and make the source series
		// vanish, so source alerts resolve instead of firing.
		errs = append(errs, doc.Errorf("sources", "没有配置任何数据源，系统将什么也不采集；如确实暂不采集，请明确写 sources: []"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f.Sources, nil
}
