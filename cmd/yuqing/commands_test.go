package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// layout copies the shipped configs into a temporary directory.
func layout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "configs"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckAcceptsShippedConfig(t *testing.T) {
	dir := layout(t)
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", filepath.Join(dir, "yuqing.yaml")}, nil, &out, &errb); code != 0 {
		t.Fatalf("check exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "配置检查通过") || !strings.Contains(out.String(), "版本") {
		t.Errorf("check output: %s", out.String())
	}
}

func TestCheckRejectsBrokenFiles(t *testing.T) {
	cases := []struct {
		name, file string
		edit       func(string) string
		want       *regexp.Regexp
	}{
		{"unknown field in rules", "rules.yaml", func(s string) string {
			return strings.Replace(s, "options:\n", "options:\n  relevance_treshold: 2\n", 1)
		}, regexp.MustCompile(`rules\.yaml:\d+: .*relevance_treshold.*未知字段`)},
		{"yaml syntax in rules", "rules.yaml", func(s string) string { return s + "\n  - [unclosed\n" },
			regexp.MustCompile(`rules\.yaml:\d+: .*YAML 语法错误`)},
		{"bad level deadline", "yuqing.yaml", func(s string) string {
			return strings.Replace(s, "    followup: 24h", "    followup: 0s", 1)
		}, regexp.MustCompile(`yuqing\.yaml:\d+: levels\.1\.followup: .*跟进回复时限必须大于 0`)},
		{"bad source", "sources.yaml", func(s string) string {
			return strings.Replace(s, "sources: []", "sources:\n  - name: Bad Name\n    kind: html\n    url: ftp://x\n", 1)
		}, regexp.MustCompile(`sources\.yaml:\d+: sources\[0\]\.name: `)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := layout(t)
			path := filepath.Join(dir, c.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			edited := c.edit(string(b))
			if edited == string(b) {
				t.Fatal("the edit did not apply; update the test to the shipped file")
			}
			if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run([]string{"check", "-config", filepath.Join(dir, "yuqing.yaml")}, nil, &out, &errb)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !c.want.MatchString(errb.String()) {
				t.Errorf("stderr does not match %s:\n%s", c.want, errb.String())
			}
		})
	}
}

func TestClassifyContract(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","title":"康福医院组织老人挂床住院骗取医保基金，被电视台曝光","body":"村里几十个老人被拉去住院","replies":3}`,
		`not json`,
		`{"id":7,"body":"今年养老金涨了多少？晒一下"}`,
		`{"id":"no-text"}`,
		`{"id":"c","title":"医保电子凭证扫码一直失败","body":"在药店扫码提示网络异常","unknown":"ignored"}`,
	}, "\n") + "\n"
	var out, errb bytes.Buffer
	code := run([]string{"classify", "-rules", filepath.Join("..", "..", "configs", "rules.yaml")}, strings.NewReader(in), &out, &errb)
	if code != 1 {
		t.Errorf("exit %d with bad lines, want 1", code)
	}
	for _, line := range []string{"第 2 行", "第 4 行"} {
		if !strings.Contains(errb.String(), line) {
			t.Errorf("stderr does not report %s:\n%s", line, errb.String())
		}
	}
	type match struct {
		Rule, Term, Field string
		Start, End        int
	}
	type result struct {
		ID       any     `json:"id"`
		Relevant bool    `json:"relevant"`
		Category string  `json:"category"`
		Level    int     `json:"level"`
		Score    float64 `json:"score"`
		Matches  []match `json:"matches"`
	}
	var got []result
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var r result
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("%d output lines, want 3 (one per good input, in order)", len(got))
	}
	if got[0].ID != "a" || !got[0].Relevant || got[0].Category != "institution" || got[0].Level > 2 || len(got[0].Matches) == 0 {
		t.Errorf("fraud exposure graded %+v", got[0])
	}
	if got[1].ID != float64(7) || got[1].Relevant || got[1].Level != 0 || got[1].Category != "" || got[1].Matches == nil {
		t.Errorf("pension post graded %+v", got[1])
	}
	if got[2].ID != "c" || got[2].Category != "system" || got[2].Level != 4 {
		t.Errorf("e-voucher post graded %+v", got[2])
	}
	title := "康福医院组织老人挂床住院骗取医保基金，被电视台曝光"
	// A term is the keyword as written in the rules (wildcards included);
	// the offsets point at the text it matched.
	for _, m := range got[0].Matches {
		if m.Field != "title" || strings.HasPrefix(m.Term, "/") || strings.HasPrefix(m.Term, "@") {
			continue
		}
		if kw := strings.Trim(m.Term, "*"); !strings.Contains(title[m.Start:m.End], kw) {
			t.Errorf("match %+v does not point at its term in the title (%q)", m, title[m.Start:m.End])
		}
	}
}

func TestEvalCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "labeled.jsonl")
	lines := `{"id":"x1","title":"医保电子凭证扫码一直失败","body":"在药店扫码提示网络异常","relevant":true,"category":"system","level":4}
{"id":"x2","title":"今年养老金涨了多少","body":"企业退休的晒一下","relevant":false,"category":"","level":0}
{"id":"x3","title":"小区保安招聘","body":"包吃住","relevant":false,"category":"","level":0}
`
	if err := os.WriteFile(data, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "-rules", rules, "-data", data, "-json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("eval exit %d: %s", code, errb.String())
	}
	var got struct {
		RulesVersion string `json:"rules_version"`
		Results      []struct {
			Name   string         `json:"name"`
			Report map[string]any `json:"report"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval -json output: %v\n%s", err, out.String())
	}
	if got.RulesVersion == "" || len(got.Results) != 1 || got.Results[0].Name != data || len(got.Results[0].Report) == 0 {
		t.Errorf("eval -json = %+v", got)
	}
	out.Reset()
	if code := run([]string{"eval", "-rules", rules, "-data", data}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "相关性") {
		t.Errorf("eval text exit %d:\n%s", code, out.String())
	}
	if code := run([]string{"eval", "-rules", rules, "-data", filepath.Join(t.TempDir(), "missing.jsonl")}, nil, &out, &errb); code != 1 {
		t.Errorf("eval on a missing file exit %d", code)
	}
}

func TestRulesTestCommand(t *testing.T) {
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	var out, errb bytes.Buffer
	if code := run([]string{"rules", "test", "-rules", rules, filepath.Join("..", "..", "configs", "rules_test.yaml")}, nil, &out, &errb); code != 0 {
		t.Fatalf("shipped rule tests exit %d:\n%s\n%s", code, out.String(), errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad_test.yaml")
	os.WriteFile(bad, []byte(`- name: 养老金不是医保
  title: 今年养老金涨了多少
  body: 企业退休的晒一下
  expect:
    relevant: true
    category: policy
`), 0o644)
	out.Reset()
	if code := run([]string{"rules", "test", "-rules", rules, bad}, nil, &out, &errb); code != 1 {
		t.Errorf("failing rule test exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "养老金不是医保") {
		t.Errorf("failure output does not name the case:\n%s", out.String())
	}
}
