package classifier

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Load must reject a broken rules file before loading gse, naming the file,
// the line and the problem.
func TestLoadErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", "rules:\n  - id: a\n    any: [医保]\n    wieght: 1\n", []string{"rules.yaml:4", "wieght", "未知字段"}},
		{"bad level", "rules:\n  - id: a\n    any: [医保]\n    level: {raise_to: 7}\n", []string{"rules.yaml:4", "rules[0].level.raise_to", "等级必须是 1 到 4"}},
		{"unknown group", "rules:\n  - id: a\n    weight: 1\n    any: [\"@nope\"]\n", []string{"rules.yaml:4", "不存在的词组 \"nope\""}},
		{"bad regex", "rules:\n  - id: a\n    weight: 1\n    any: [\"/(/\"]\n", []string{"rules.yaml:4", "正则表达式"}},
		{"bad category", "rules:\n  - id: a\n    any: [医保]\n    category: money\n", []string{"rules.yaml:4", "未知类别 \"money\""}},
		{"duplicate id", "rules:\n  - id: a\n    any: [医保]\n    weight: 1\n  - id: a\n    any: [医保]\n    weight: 1\n", []string{"rules.yaml:5", "重复"}},
		{"no condition", "rules:\n  - id: a\n    weight: 1\n", []string{"rules.yaml:2", "没有任何条件"}},
		{"no effect", "rules:\n  - id: a\n    any: [医保]\n", []string{"rules.yaml:2", "不起任何作用"}},
		{"group cycle", "groups:\n  a: [\"@b\"]\n  b: [\"@a\"]\nrules:\n  - id: x\n    weight: 1\n    any: [\"@a\"]\n", []string{"循环引用"}},
		{"syntax", "rules: [\n", []string{"rules.yaml:", "YAML 语法错误"}},
		{"threshold", "options:\n  relevance_threshold: 0\nrules:\n  - id: a\n    any: [医保]\n    weight: 1\n", []string{"rules.yaml:2", "相关性阈值"}},
		{"star inside", "rules:\n  - id: a\n    weight: 1\n    any: [医*保]\n", []string{"rules.yaml:4", "特殊字符"}},
		{"whole with star", "rules:\n  - id: a\n    weight: 1\n    any: [\"=医保*\"]\n", []string{"rules.yaml:4", "「=词」表示整个词"}},
	}
	// A rule whose only term is rejected gets that error, not also "no condition".
	noCascade := map[string]bool{"star inside": true, "whole with star": true}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "rules.yaml")
			if err := os.WriteFile(file, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file, "", nil)
			if err == nil {
				t.Fatal("Load succeeded on a broken file")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if noCascade[c.name] && strings.Contains(err.Error(), "没有任何条件") {
				t.Errorf("error %q adds a cascading \"no condition\"", err)
			}
		})
	}
}

func TestLoadDictErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("rules:\n  - id: a\n    any: [医保]\n    weight: 1\n"), 0o644)
	dict := filepath.Join(dir, "dict")
	os.Mkdir(dict, 0o755)
	os.WriteFile(filepath.Join(dict, "a.txt"), []byte("# 注释\n医保局 100 n\n异地就医 abc\n"), 0o644)
	_, err := Load(rules, dict, nil)
	if err == nil || !strings.Contains(err.Error(), "a.txt:3") || !strings.Contains(err.Error(), "词频") {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(rules, filepath.Join(dir, "missing"), nil); err == nil || !strings.Contains(err.Error(), "词典目录") {
		t.Errorf("missing dict dir: err = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml"), "", nil); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing rules file: err = %v", err)
	}
}

func TestVersionChangesWithRulesAndDict(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	dict := filepath.Join(dir, "dict")
	os.Mkdir(dict, 0o755)
	write := func(r, d string) string {
		os.WriteFile(rules, []byte(r), 0o644)
		os.WriteFile(filepath.Join(dict, "a.txt"), []byte(d), 0o644)
		data, _ := os.ReadFile(rules)
		f := defaultRulesFile()
		h := newVersionHash(data)
		if _, err := readDicts(dict, f.Options.DictFreq, newFoldTable(true), h); err != nil {
			t.Fatal(err)
		}
		return versionOf(h)
	}
	base := "rules:\n  - id: a\n    any: [医保]\n    weight: 1\n"
	v1 := write(base, "医保局\n")
	v2 := write(base+"# 注释\n", "医保局\n")
	v3 := write(base, "医保局\n异地就医\n")
	if v1 == v2 || v1 == v3 || len(v1) != 16 {
		t.Errorf("versions %s %s %s", v1, v2, v3)
	}
	if write(base, "医保局\n") != v1 {
		t.Error("version is not deterministic")
	}
}
