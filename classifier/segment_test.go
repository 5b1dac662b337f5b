package classifier

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-ego/gse"
)

// gseWithWords builds what the overlay stands in for: a gse segmenter of
// its own with the domain words added to its dictionary (ReAddToken for
// words gse knows, AddToken for new ones, then one CalcToken). Dict.Value,
// not Dict.Find, tells a known word: Find also reports a mere prefix of
// longer words, and ReAddToken on one deletes those words from the trie
// (the engine's old segmenter did that: adding 王爱 lost 王爱民).
func gseWithWords(t *testing.T, words []dictWord) *gse.Segmenter {
	t.Helper()
	seg := &gse.Segmenter{NotLoadHMM: true, SkipLog: true}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		add := seg.AddToken
		if _, _, err := seg.Dict.Value([]byte(w.text)); err == nil {
			add = seg.ReAddToken
		}
		if err := add(w.text, w.freq, w.pos); err != nil {
			t.Fatalf("%s: %v", w.text, err)
		}
	}
	seg.CalcToken()
	return seg
}

// segTexts are the texts the overlay is compared on: every labelled post of
// ../shared/data when present, the golden classify inputs, the benchmark
// post, and cases written for the overlay's edges.
func segTexts(t *testing.T) []string {
	t.Helper()
	texts := []string{
		"异地就医备案后在惊异地看病，门诊共济和门诊统筹都不懂",
		"医保卡刷不了，职工医保和城乡居民医保怎么转？DRG/DIP付费改革、drg分组",
		"挂床住院被查，医保电子凭证、医保码都能用吗？Ｘ光片 CT 3D 打印",
		"保安在兽医站说：医保医保医保医保医保医保医保医保医保",
		"",
		"a",
		"，。！",
		"王爱民说drg付费了，，，医保。城乡居民基本医疗保险门诊统筹待遇结算管理办法出台",
	}
	for _, name := range []string{"forum_posts_dev.jsonl", "real_messages_dev.jsonl"} {
		f, err := os.Open(filepath.Join(devDataDir, name))
		if os.IsNotExist(err) {
			t.Logf("%s 不在，只用仓库内的文本", name)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		items, err := ReadLabeled(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			texts = append(texts, it.Post.Title, it.Post.Body)
		}
	}
	in, err := os.ReadFile("testdata/classify_in.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(in)) {
		var p struct{ Title, Body string }
		if json.Unmarshal([]byte(line), &p) == nil { // the file has broken lines on purpose
			texts = append(texts, p.Title, p.Body)
		}
	}
	bench, err := os.ReadFile("testdata/bench_post.txt")
	if err != nil {
		t.Fatal(err)
	}
	return append(texts, string(bench))
}

// TestOverlayCutsLikeGseWithDomainWords holds the overlay to the cut gse
// itself makes once the domain words are in its dictionary, token for
// token: with the shipped dictionary, and with one written to move
// boundaries (very high frequencies, a word listed twice, ASCII in mixed
// case, words gse already knows, a word that is only the start of gse
// words, one that starts an earlier domain word, punctuation, a word
// longer than any of gse's).
func TestOverlayCutsLikeGseWithDomainWords(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a second gse dictionary (~2 s, 130 MB)")
	}
	stress := t.TempDir()
	err := os.WriteFile(filepath.Join(stress, "stress.txt"), []byte(strings.Join([]string{
		"异地 100000", "医保 50", "门诊共济 5", "惊异", "DRG付费 3000", "医保电子凭证 1",
		"医保 900", "就医购药 80000 v", "保安在 2", "x光片 400", "3d打印 20",
		"王爱 50", "drg 30", "， 900", "城乡居民基本医疗保险门诊统筹待遇结算管理办法 10",
	}, "\n")), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	texts := segTexts(t)
	for name, dir := range map[string]string{"shipped": shippedDict, "stress": stress} {
		t.Run(name, func(t *testing.T) {
			e, err := Load(shippedRules, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			words, err := readDicts(dir, e.rules.opts.DictFreq, e.fold, discard{})
			if err != nil {
				t.Fatal(err)
			}
			ref := gseWithWords(t, words)
			var buf [][2]int
			differ := 0
			for _, text := range texts {
				s := e.fold.normalize(text).s
				buf, _ = e.seg.spans(s, buf, nil)
				var want [][2]int
				for _, sg := range ref.Segment([]byte(s)) {
					want = append(want, [2]int{sg.Start(), sg.End()})
				}
				if !slices.Equal(buf, want) {
					differ++
					if differ <= 5 {
						t.Errorf("切分与 gse 不同:\n 文本 %q\n 叠加 %s\n gse  %s", s, showCut(s, buf), showCut(s, want))
					}
				}
			}
			if differ > 0 {
				t.Errorf("%d/%d 段文本切分不同", differ, len(texts))
			}
			t.Logf("%d 段文本切分一致", len(texts))
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// loadWithDict loads rules with a domain dictionary of its own holding dict.
func loadWithDict(t *testing.T, rules, dict string) *Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "d.txt"), []byte(dict), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(rules, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func showCut(s string, spans [][2]int) string {
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = s[sp[0]:sp[1]]
	}
	return strings.Join(parts, "|")
}

// TestDictReloadLeavesBaseDictionaryAlone checks the point of the overlay:
// engines with different domain dictionaries share one gse dictionary and
// cut differently.
func TestDictReloadLeavesBaseDictionaryAlone(t *testing.T) {
	const text = "我们去青梧康宁大药房买药"
	without := loadWithDict(t, shippedRules, "# 空\n")
	with := loadWithDict(t, shippedRules, "青梧康宁大药房 200 nt\n")
	if without.seg.base != with.seg.base {
		t.Fatal("两个引擎各自加载了 gse 词典")
	}
	cut := func(e *Engine) string {
		toks, _ := e.seg.spans(text, nil, nil)
		return showCut(text, toks)
	}
	if got := cut(with); !strings.Contains(got, "|青梧康宁大药房|") {
		t.Errorf("加入领域词后: %s", got)
	}
	if got := cut(without); strings.Contains(got, "青梧康宁大药房") {
		t.Errorf("未加领域词的引擎也认得它: %s", got)
	}
}

// TestDomainWordsKeepInnerBoundaries checks that adding a compound to the
// domain dictionary keeps it whole for the cut but does not hide its parts
// from rules: 报销 still matches inside 医保报销 (where gse alone cuts
// 医保|报销), while a single character inside one of those parts (保 in
// 医保) still never does.
func TestDomainWordsKeepInnerBoundaries(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte(`options:
  relevance_threshold: 1
  loose_min_runes: 0
  default_category: policy
rules:
  - id: reimb
    any: [报销]
    weight: 1
    category: reimbursement
  - id: filing
    any: [备案]
    category: treatment
  - id: guard
    any: [保]
    weight: 5
  - id: speaker
    near:
      - a: [我们]
        b: ["=居民"]
        within: 3
    weight: 0.1
  - id: resident
    any: [居民]
    weight: 0.1
  - id: adjacent
    near:
      - a: [医保*]
        b: [太慢]
        within: 0
    weight: 0.1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	with := loadWithDict(t, rules, "医保报销 300 n\n异地就医备案 300 n\n居民医保 300 n\n")
	without := loadWithDict(t, rules, "# 空\n")
	for _, text := range []string{"医保报销太慢了", "我办了异地就医备案"} {
		toks, inner := with.seg.spans(text, nil, nil)
		cut := showCut(text, toks)
		if !strings.HasPrefix(cut, "医保报销|") && !strings.HasSuffix(cut, "|异地就医备案") {
			t.Fatalf("%s: 领域词没有切成一个词: %s", text, cut)
		}
		if len(inner) == 0 {
			t.Errorf("%s: 领域词没有内部边界", text)
		}
		for _, e := range []*Engine{with, without} {
			r := e.Grade(Post{Body: text})
			got := rulesOf(r)
			if slices.Contains(got, "guard") {
				t.Errorf("%s: 单字「保」命中了词内部: %v", text, r.Matches)
			}
			want := "reimb"
			if strings.Contains(text, "备案") {
				want = "filing"
			}
			if !slices.Contains(got, want) {
				t.Errorf("%s: 规则 %s 没有命中（%v），切分 %s", text, want, got, cut)
			}
		}
	}
	// The inner boundaries do not change what proximity counts: the
	// domain word is still one token, so 医保(报销)|太慢 are adjacent.
	r := with.Grade(Post{Body: "医保报销太慢了"})
	for _, m := range r.Matches {
		if m.Rule == "reimb" && (m.Start != len("医保") || m.End != len("医保报销")) {
			t.Errorf("报销 matched at %d-%d", m.Start, m.End)
		}
	}
	if !slices.Contains(rulesOf(r), "adjacent") {
		t.Errorf("医保报销|太慢 should be within 0 tokens: %v", r.Reasons)
	}
	// "=居民" is a whole token only; a plain 居民 also matches inside 居民医保.
	for text, want := range map[string]bool{"我们是居民医保参保人": false, "我们居民都没法报": true} {
		r := with.Grade(Post{Body: text})
		if got := slices.Contains(rulesOf(r), "speaker"); got != want {
			t.Errorf("%s: speaker fired %v, want %v (%v)", text, got, want, r.Matches)
		}
		if !slices.Contains(rulesOf(r), "resident") {
			t.Errorf("%s: 居民 should match: %v", text, r.Matches)
		}
	}
}

// TestSplitUnitsIsGse holds splitUnits to gse's SplitTextToWords, unit for
// unit, on the texts the overlay is tested on, raw and folded, and on
// edges: mixed case, runs at either end, Latin-1 and Greek letters (two
// bytes, part of runs), full-width and other-script digits, invalid UTF-8.
func TestSplitUnitsIsGse(t *testing.T) {
	e := shipped(t)
	texts := append(segTexts(t),
		"ABC医保DRG", "x", "Ｘ光片", "Ünïcödé café ΑΒΓ δ", "١٢٣ ①② ²³ 12,345.6",
		"\xff\xfe医保\x80abc\xc3", "医\xe4\xbd保", "  \t\n", "a医b保c", "AbC1-2_3")
	for _, text := range texts {
		for _, s := range []string{text, e.fold.normalize(text).s} {
			want := e.seg.base.seg.SplitTextToWords([]byte(s))
			got := splitUnits(nil, []byte(s))
			if !slices.EqualFunc(got, want, func(a, b gse.Text) bool { return string(a) == string(b) }) {
				t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
			}
		}
	}
}
