package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTrustedProxies(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	c, err := Load(write(t, dir, "y.yaml", "listen: 127.0.0.1:9999\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Console.TrustedProxies) != 0 || c.Console.Proxies() != nil {
		t.Errorf("default trusted proxies %q, want none", c.Console.TrustedProxies)
	}
	c, err = Load(write(t, dir, "y.yaml", "console:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 127.0.0.1\n    - 10.1.2.3/16\n    - \"::1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}
	if got := c.Console.Proxies(); !slices.Equal(got, want) {
		t.Errorf("Proxies() = %v, want %v", got, want)
	}
	_, err = Load(write(t, dir, "y.yaml", "console:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - nginx.internal\n"))
	if err == nil || !strings.Contains(err.Error(), "y.yaml:4: console.trusted_proxies[1]: 可信代理应为网段") {
		t.Errorf("bad entry: %v", err)
	}
}

func TestConsoleServerLimits(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	c, err := Load(write(t, dir, "y.yaml", "listen: 127.0.0.1:9999\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Console.ReadTimeout <= 0 || c.Console.WriteTimeout <= 0 || c.Console.ConnIdleTimeout <= 0 || c.Console.MaxConnections <= 0 {
		t.Errorf("defaults leave a limit off: %+v", c.Console)
	}
	c, err = Load(write(t, dir, "y.yaml", "console:\n  read_timeout: 5s\n  max_connections: 64\n"))
	if err != nil || c.Console.ReadTimeout != 5*time.Second || c.Console.MaxConnections != 64 {
		t.Errorf("set limits: %+v, %v", c.Console, err)
	}
	for text, want := range map[string]string{
		"console:\n  read_timeout: 0s\n":         "y.yaml:2: console.read_timeout: 超时应大于 0",
		"console:\n  write_timeout: -1s\n":       "console.write_timeout: 超时应大于 0",
		"console:\n  conn_idle_timeout: 2h\n":    "console.conn_idle_timeout: 超时应大于 0、不超过 1 小时",
		"console:\n  max_connections: 0\n":       "console.max_connections: 最大连接数应在 8 到 100000 之间",
		"console:\n  max_connections: 1000000\n": "实际为 1000000",
	} {
		if _, err := Load(write(t, dir, "y.yaml", text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want error containing %q, got %v", text, want, err)
		}
	}
}
