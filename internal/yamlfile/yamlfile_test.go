package yamlfile

import (
	"strings"
	"testing"
	"time"
)

type inner struct {
	Name  string        `yaml:"name"`
	Every time.Duration `yaml:"every"`
}

type outer struct {
	Listen string  `yaml:"listen"`
	Items  []inner `yaml:"items"`
}

func TestDecodeKeepsDefaultsAndLocatesFields(t *testing.T) {
	v := outer{Listen: "127.0.0.1:1"}
	doc, err := Decode("a.yaml", []byte("items:\n  - name: x\n    every: 5m\n  - name: y\n"), &v)
	if err != nil {
		t.Fatal(err)
	}
	if v.Listen != "127.0.0.1:1" || v.Items[0].Every != 5*time.Minute {
		t.Fatalf("decoded %+v", v)
	}
	if got := doc.Line("items[1].name"); got != 4 {
		t.Errorf("items[1].name on line %d, want 4", got)
	}
	if got := doc.Line("items[1].every"); got != 4 {
		t.Errorf("missing field should point at its parent item (line 4), got %d", got)
	}
	err = doc.Errorf("items[0].every", "太短")
	if err.Error() != "a.yaml:3: items[0].every: 太短" {
		t.Errorf("got %q", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"listen: a\nlisen: b\n", "a.yaml:2: lisen: 未知字段"},
		{"items:\n  - name: [1]\n", "a.yaml:2: 值的类型不对（写的是列表"},
		{"items:\n  - every: soon\n", "a.yaml:2:"},
		{"listen: a\nlisten: b\n", "a.yaml:2: listen: 键重复"},
		{"listen: [\n", "a.yaml:1: YAML 语法错误"},
		{"listen: a\n---\nlisten: b\n", "只能包含一个"},
	}
	for _, c := range cases {
		var v outer
		_, err := Decode("a.yaml", []byte(c.in), &v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%q) = %v, want containing %q", c.in, err, c.want)
		}
	}
}
