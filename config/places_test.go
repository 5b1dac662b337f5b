package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPlaces(t *testing.T) {
	shipped, err := Load(filepath.Join("..", "configs", "yuqing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped.Places) != 0 {
		t.Errorf("the shipped file names districts: %q", shipped.Places)
	}
	dir := t.TempDir()
	write(t, dir, "sources.yaml", "sources: []\n")
	c, err := Load(write(t, dir, "y.yaml", "places: [鹤城区, \" 中方县 \", 洪江市]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"鹤城区", "中方县", "洪江市"}; !slices.Equal(c.Places, want) {
		t.Errorf("places %q, want %q (trimmed)", c.Places, want)
	}
	for text, want := range map[string]string{
		"places: [鹤城区, 鹤城区]\n":  `区县 "鹤城区" 重复`,
		"places: [鹤城区, \"\"]\n": "区县名称不能为空",
		"places: [城]\n":         "places[0]: 区县名称应为 2 到 20 个字",
		"places: [一二三四五六七八九十一二三四五六七八九十一区]\n": "places[0]",
	} {
		if _, err := Load(write(t, dir, "y.yaml", text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", text, err, want)
		}
	}
}
