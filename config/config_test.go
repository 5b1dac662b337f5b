package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/crawler"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadShipped(t *testing.T) {
	c, err := Load(filepath.Join("..", "configs", "yuqing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.ExternalURL != "http://127.0.0.1:8080" || c.Location.String() != "Asia/Shanghai" {
		t.Errorf("loaded %+v", c)
	}
	p := c.Policy()
	if p.Levels[2].Ack != time.Hour || p.Levels[4].Ack != 0 || p.Levels[4].FollowUp != 24*time.Hour {
		t.Errorf("policy %+v", p.Levels)
	}
	if c.Crawler.UserAgent != shippedUserAgent || !crawler.UserAgentHasContact(c.Crawler.UserAgent) {
		t.Errorf("shipped User-Agent %q is not the example check gives, or has no contact", c.Crawler.UserAgent)
	}
	if !filepath.IsAbs(c.RulesFile) || !filepath.IsAbs(c.Store.Path) {
		t.Errorf("paths not resolved: %s %s", c.RulesFile, c.Store.Path)
	}
}

func TestMinimalFileGetsDefaults(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	c, err := Load(write(t, dir, "y.yaml", "listen: 127.0.0.1:9999\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExternalURL != "http://127.0.0.1:9999" || c.Store.Path != filepath.Join(dir, "data", "yuqing.db") ||
		len(c.Levels) != 4 || c.Grader.Batch != 200 || c.Grader.Budget != 2*time.Second || c.Grader.Workers != 0 {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestLoadErrorsNameFileLineAndField(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	cases := map[string]string{
		"listen: nowhere\n":                                       "y.yaml:1: listen: 监听地址",
		"store:\n  driver: mysql\n":                               "y.yaml:2: store.driver: 未知存储类型",
		"store:\n  driver: postgres\n":                            "y.yaml:2: store.dsn: 使用 PostgreSQL 时须填写连接串",
		"store:\n  driver: postgres\n  dsn: host=db port=abc\n":   "y.yaml:3: store.dsn: PostgreSQL 连接串无效",
		"levels:\n  5:\n    followup: 1h\n":                       "缺少等级 1",
		"levels:\n  1:\n    followup: 1h\n    ack: -1s\n":         "levels.1.ack: 签收时限不能为负",
		"time_zone: Mars/Olympus\n":                               "y.yaml:1: time_zone: 未知时区",
		"grader:\n  batchsize: 3\n":                               "y.yaml:2: batchsize: 未知字段",
		"grader:\n  budget: 10ms\n":                               "y.yaml:2: grader.budget: 单帖研判限时应在 100 毫秒到 1 分钟之间",
		"cluster:\n  heartbeat: 10ms\n":                           "y.yaml:2: cluster.heartbeat: 心跳间隔应在 100 毫秒到 1 分钟之间",
		"cluster:\n  heartbeat: 5s\n  lease_ttl: 6s\n":            "y.yaml:3: cluster.lease_ttl: 租约时长应不少于心跳间隔（cluster.heartbeat）的两倍",
		"grader:\n  workers: -1\n":                                "y.yaml:2: grader.workers: 研判并行数",
		"sources_file: missing.yaml\n":                            "missing.yaml: 无法读取",
		"listen: 127.0.0.1:99999\n":                               "y.yaml:1: listen: 监听地址应为 主机:端口",
		"listen: my host:8080\n":                                  "y.yaml:1: listen: 监听地址应为 主机:端口",
		"listen: 127.0.0.1:http\n":                                "y.yaml:1: listen: 监听地址应为 主机:端口",
		"crawler:\n  max_body_bytes: 1e14\n":                      "y.yaml:2: crawler.max_body_bytes: 页面大小上限应在",
		"crawler:\n  timeout: 240h\n":                             "y.yaml:2: crawler.timeout: 单次请求超时应大于 0、不超过 10分钟",
		"grader:\n  batch: 100000000\n":                           "y.yaml:2: grader.batch: 每批研判条数应在 1 到 10000 之间",
		"grader:\n  interval: 9000h\n":                            "y.yaml:2: grader.interval",
		"crawler:\n  user_agent: \"yuqing/1.0 (市医保局; a@b.cn)\"\n": "y.yaml:2: crawler.user_agent: User-Agent 只能用英文字母、数字和常见符号（HTTP 请求头不能含中文），第 13 个字符 '市' 不行",
		"sources_file: /dev/zero\n":                               "/dev/zero: 文件超过 16 MiB",
	}
	for in, want := range cases {
		_, err := Load(write(t, dir, "y.yaml", in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want containing %q", in, err, want)
		}
	}
}

func TestSourcesDuplicateNames(t *testing.T) {
	_, err := ParseSources("s.yaml", []byte(`sources:
  - name: a
    title: 甲
    kind: rss
    url: http://127.0.0.1:1/feed
  - name: a
    title: 乙
    kind: rss
    url: http://127.0.0.1:1/feed2
`))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:6: sources[1].name: 名称 \"a\" 与 sources[0] 重复") {
		t.Errorf("duplicate names: %v", err)
	}
}

// "manual" names the posts handlers enter by hand (补录漏报).
func TestSourceNameManualReserved(t *testing.T) {
	_, err := ParseSources("s.yaml", []byte("sources:\n  - name: manual\n    kind: rss\n    url: http://127.0.0.1:1/feed\n"))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:2: sources[0].name: 名称 \"manual\" 留给控制台人工补录的帖子") {
		t.Errorf("source named manual: %v", err)
	}
}

func TestListenAddressesAccepted(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", ":8080", "[::1]:9000", "localhost:80", "console.example.org:443"} {
		if err := checkListen(addr); err != nil {
			t.Errorf("checkListen(%q) = %v", addr, err)
		}
	}
}

// An emptied sources file would stop all crawling and make the source
// alerts resolve; only an explicit empty list is accepted.
func TestSourcesEmptyOnlyWhenWrittenSo(t *testing.T) {
	for _, in := range []string{"", "# 全部注释掉了\n", "sources:\n", "sources: ~\n"} {
		_, err := ParseSources("s.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "s.yaml") || !strings.Contains(err.Error(), "sources: []") {
			t.Errorf("ParseSources(%q) = %v, want the empty-list error", in, err)
		}
	}
	got, err := ParseSources("s.yaml", []byte("sources: []\n"))
	if err != nil || len(got) != 0 {
		t.Errorf("explicit empty list: %v, %v", got, err)
	}
}

// FuzzParseSources: any bytes as sources.yaml give sources or an error that
// names the file, never a panic.
func FuzzParseSources(f *testing.F) {
	for _, seed := range []string{"sources: []\n", "", "sources:\n  - name: a\n    kind: rss\n    url: http://127.0.0.1:1/f\n",
		"sources: [{name: b, preset: discuz-x3, url: 'http://127.0.0.1:1/forum.php?mod=forumdisplay&fid=2'}]\n",
		"sources: &a [*a]\n", "sources:\n  - {name: c, kind: html, list: {item: '[[['}}\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := ParseSources("s.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "s.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, s := range src {
			if s.Name == "" || s.URL == "" {
				t.Fatalf("accepted a source without name or URL: %+v", s)
			}
		}
	})
}

// The examples in the comments of the shipped sources.yaml are what new
// operators copy: uncommented, they must load.
func TestShippedSourceExamplesLoad(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "sources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("sources:\n")
	in := false
	for line := range strings.SplitSeq(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "#  - name:"):
			in = true
		case !strings.HasPrefix(line, "#   ") && !strings.HasPrefix(line, "#  "):
			in = false
		}
		if in {
			b.WriteString(strings.TrimPrefix(line, "#") + "\n")
		}
	}
	src, err := ParseSources("sources.yaml（注释中的示例）", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(src) < 2 || src[0].Preset != "discuz-x3" || src[0].MaxItems != 60 {
		t.Errorf("examples = %+v", src)
	}
}
