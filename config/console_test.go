package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
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
