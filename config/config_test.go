package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		"listen: nowhere\n":                                     "y.yaml:1: listen: 监听地址",
		"store:\n  driver: mysql\n":                             "y.yaml:2: store.driver: 未知存储类型",
		"store:\n  driver: postgres\n":                          "y.yaml:2: store.dsn: 使用 PostgreSQL 时须填写连接串",
		"store:\n  driver: postgres\n  dsn: host=db port=abc\n": "y.yaml:3: store.dsn: PostgreSQL 连接串无效",
		"levels:\n  5:\n    followup: 1h\n":                     "缺少等级 1",
		"levels:\n  1:\n    followup: 1h\n    ack: -1s\n":       "levels.1.ack: 签收时限不能为负",
		"time_zone: Mars/Olympus\n":                             "y.yaml:1: time_zone: 未知时区",
		"grader:\n  batchsize: 3\n":                             "y.yaml:2: batchsize: 未知字段",
		"grader:\n  budget: 10ms\n":                             "y.yaml:2: grader.budget: 单帖研判限时应在 100ms 到 1m 之间",
		"grader:\n  workers: -1\n":                              "y.yaml:2: grader.workers: 研判并行数",
		"sources_file: missing.yaml\n":                          "missing.yaml: 无法读取",
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
