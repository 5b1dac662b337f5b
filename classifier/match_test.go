package classifier

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestRegexPrefiltersKeepMatches checks that the shortcuts of regex terms
// (first-rune filter, needed-rune scan, bounded window) find exactly what
// running each anchored regexp on the whole rest of the text at every token
// start finds, for the shipped rules' regex terms, and for them listed
// three times over (past the 64 regexps the start and need masks cover).
func TestRegexPrefiltersKeepMatches(t *testing.T) {
	e := shipped(t)
	if len(e.match.regexps) < 3 {
		t.Fatalf("shipped rules have only %d regex terms", len(e.match.regexps))
	}
	terms := slices.Clone(e.rules.terms)
	for range 2 {
		for _, id := range e.match.regexps {
			terms = append(terms, e.rules.terms[id])
		}
	}
	many := newMatcher(terms)
	if len(many.regexps) <= 64 {
		t.Fatalf("only %d regex terms", len(many.regexps))
	}
	texts := []string{
		"全向阳镇的群众都交了，7.5万居民受影响，十几个村民和三十多名职工去问过，很多老人说报不了。",
		"我们村几十户人家的新农合都没交上，所有住院病人每天多收十元，共计1000余人，一大批退休职工。",
		"全市医保系统瘫痪，有人出售参保人信息几万条，不少患者和许多地方都说再三反映无果，凡是参保人都要交。",
		"今年住院两次，许多地方的政策不一样，全县的村都在说，广大的患者，上万人，200名，一二三四五六。",
		"城乡居民医保报销比例低，参保缴费的群众和新生儿参保都受影响，全市医保结算中断。",
	}
	for _, m := range []*matcher{e.match, many} {
		for _, text := range texts {
			n := e.fold.normalize(text)
			toks, inner, _ := e.tokens(n.s, nil, nil, time.Time{})
			var sc scratch
			fh := m.match(n, toks, inner, &sc)
			// Regex terms start at token starts and at domain words' inner
			// boundaries.
			var starts []int
			for _, tk := range toks {
				starts = append(starts, tk[0])
				for len(inner) > 0 && inner[0] < tk[1] {
					starts = append(starts, inner[0])
					inner = inner[1:]
				}
			}
			for i, id := range m.regexps {
				var got, want [][2]int
				for _, hi := range fh.of(id) {
					got = append(got, [2]int{fh.hits[hi].start, fh.hits[hi].end})
				}
				slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
				full := m.reAt[i]
				next := 0
				for _, pos := range starts {
					if pos < next {
						continue
					}
					if loc := full.FindStringIndex(n.s[pos:]); loc != nil && loc[1] > 0 && !splitsDigitRun(n.s, pos, pos+loc[1]) {
						want = append(want, [2]int{pos, pos + loc[1]})
						next = pos + loc[1]
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s on %q: got %v, want %v", m.terms[id].text, text, got, want)
				}
			}
		}
	}
}

func TestRegexFirstRunes(t *testing.T) {
	for _, c := range []struct {
		re, want string // want "" = unknown (nil)
	}{
		{`骗保|套现`, "骗套"},
		{`[一二]*[十百]+名`, "一二十百"}, // a leading optional part
		{`(很多)?的?人`, "很的人"},
		{`a*`, ""}, // may match the empty string
		{`.名`, ""},
	} {
		got := firstRunes(regexp.MustCompile(c.re))
		if c.want == "" {
			if got != nil {
				t.Errorf("firstRunes(%s) should be unknown", c.re)
			}
			continue
		}
		if got == nil {
			t.Errorf("firstRunes(%s) = unknown, want %s", c.re, c.want)
			continue
		}
		n := 0
		for i := range got {
			for b := got[i]; b != 0; b &= b - 1 {
				n++
			}
		}
		for _, r := range c.want {
			if !got.has(r) {
				t.Errorf("firstRunes(%s) lacks %c", c.re, r)
			}
		}
		if n != len([]rune(c.want)) {
			t.Errorf("firstRunes(%s) has %d runes, want %d (%s)", c.re, n, len([]rune(c.want)), c.want)
		}
	}
}

func TestRegexSpanAndNeededRunes(t *testing.T) {
	for _, c := range []struct {
		re   string
		max  int
		need string // runes that must be in the needed set ("" = nil)
	}{
		{`[0-9]+名`, maxRegexBytes, "名"},
		{`(所有|全体)(住院)?(病人|患者)`, 18, "病患"},
		// A character class counts utf8.UTFMax bytes; (镇|乡) becomes [乡镇].
		{`全[^，。]{1,4}(镇|乡)`, 3 + 4*4 + 4, "镇乡"},
		{`骗保`, 6, ""}, // a plain literal: the first-rune filter is enough
		{`a|b`, 4, ""},
	} {
		re := regexp.MustCompile(c.re)
		if got := maxBytes(re); got != c.max {
			t.Errorf("maxBytes(%s) = %d, want %d", c.re, got, c.max)
		}
		need := neededRunes(re)
		if c.need == "" {
			if need != nil {
				t.Errorf("neededRunes(%s) should be nil", c.re)
			}
			continue
		}
		if need == nil {
			t.Errorf("neededRunes(%s) = nil", c.re)
			continue
		}
		for _, r := range c.need {
			if !need.has(r) {
				t.Errorf("neededRunes(%s) lacks %c", c.re, r)
			}
		}
	}
}

// TestNumberTermsMatchWholeNumbers checks that a term made of digits, or
// beginning or ending with them, never matches inside a longer digit run,
// whatever kind of term it is (plain, loose, *…*, =whole, /regex/): the
// hotline 12345 is not in the phone number 13812345678.
func TestNumberTermsMatchWholeNumbers(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte(`options: {loose_min_runes: 4}
rules:
  - {id: hotline, any: ["12345"], weight: 1}
  - {id: anywhere, any: ["*12393*"], weight: 1}
  - {id: whole, any: ["=120"], weight: 1}
  - {id: pattern, any: ["/96[0-9]{3}/"], weight: 1}
  - {id: prefixed, any: ["热线12345"], weight: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(rules, smallDict, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		body string
		want []string // rules that must fire; every other rule must not
	}{
		{"我的电话13812345678，请回电", nil},
		{"座机0731-12345678", nil},
		{"订单号2024123930001", nil},
		{"手机号139961234567", nil},
		{"车费1200元", nil},
		{"拨打热线123456", nil},
		{"12345热线一直占线", []string{"hotline"}},
		{"打了12345也没用", []string{"hotline"}},
		{"拨打１２３４５反映", []string{"hotline"}}, // full-width digits fold to ASCII
		{"打12393医保热线", []string{"anywhere"}},
		{"叫了120救护车", []string{"whole"}},
		{"银行客服96588说", []string{"pattern"}},
		{"拨打热线12345反映", []string{"hotline", "prefixed"}},
	}
	for _, c := range cases {
		r := e.Grade(Post{Body: c.body})
		got := rulesOf(r)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: rules %v, want %v (matches %v)", c.body, got, want, r.Matches)
		}
	}
}

// TestPrefixNFANeverRejectsAMatch runs every shipped regex term, anchored,
// at every rune of the bench post and the labelled posts (when present):
// wherever it matches, its prefixNFA must let the place through. It also
// checks that the filter does its job on the number patterns that make
// most regex calls.
func TestPrefixNFANeverRejectsAMatch(t *testing.T) {
	e := shipped(t)
	body, err := os.ReadFile("testdata/bench_post.txt")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{string(body), "七十八岁的老人，四万多块，2026年1月8日，3个月，十几个村民，200名职工，下周一起去"}
	if _, err := os.Stat(filepath.Join(devDataDir, forumFile)); err == nil {
		for _, it := range devData(t, forumFile, realFile) {
			texts = append(texts, it.Post.Title, it.Post.Body)
		}
	}
	m := e.match
	var cur, next []uint32
	tried, rejected := 0, 0
	for i, re := range m.reAt {
		p := m.prefix[i]
		if p == nil {
			continue
		}
		for _, text := range texts {
			s := e.fold.normalize(text).s
			for pos := range s {
				var ok bool
				ok, cur, next = p.mayMatch(s[pos:], cur, next)
				tried++
				if !ok {
					rejected++
				}
				if loc := re.FindStringIndex(s[pos:]); loc != nil && loc[1] > 0 && !ok {
					t.Fatalf("%s matches %q but its prefix filter rejects it", re, s[pos:pos+loc[1]])
				}
			}
		}
	}
	if tried == 0 || rejected < tried*9/10 {
		t.Errorf("the prefix filters reject %d of %d places", rejected, tried)
	}
}

// TestPrefixNFA checks the filter on patterns of every kind of
// instruction: it lets through what may match and rejects by the first
// runes what cannot. A pattern whose first runes are unknown gets none.
func TestPrefixNFA(t *testing.T) {
	for _, c := range []struct {
		re         string
		pass, fail []string
	}{
		// A text that ends before the filter could tell passes.
		{`[0-9]{2,}(人|人次|名)`, []string{"20人", "123名", "99", "4"}, []string{"4月", "2x"}},
		{`([一二两三四五六七八九几数上]百|[1-9][0-9]{2,})[多余]?万`, []string{"四百万", "七百", "100万", "12"}, []string{"四万多", "七十八", "12万"}},
		{`(周[一二三四五六日天]|明天|[0-9]+号)(上午)?[^。]{0,8}一起去`, []string{"周一", "明天", "8号", "12"}, []string{"下次", "8日", "周末", "明年"}},
		{`a\b.c`, []string{"abc", "a c"}, []string{"a\nc", "abd"}}, // \b taken as satisfied
		{`(?s)a.c|d`, []string{"a\nc", "d", "dz"}, []string{"abd", "c"}},
		{`a[^\n]b|c`, []string{"axb", "c", "cz", "ab"}, []string{"a\nb", "axc"}},
		{`x(y|$)`, []string{"x", "xy", "xz"}, []string{"y"}},                    // $ taken as satisfied
		{`a(?i:k)c`, []string{"akc", "aKc", "a\u212ac"}, []string{"axc", "ac"}}, // K's fold orbit: k, K, Kelvin sign
	} {
		re := regexp.MustCompile(c.re)
		p := newPrefixNFA(re, firstRunes(re))
		if p == nil {
			t.Fatalf("%s: no filter", c.re)
		}
		for _, s := range c.pass {
			if ok, _, _ := p.mayMatch(s, nil, nil); !ok {
				t.Errorf("%s rejects %q", c.re, s)
			}
		}
		for _, s := range c.fail {
			if ok, _, _ := p.mayMatch(s, nil, nil); ok {
				t.Errorf("%s lets %q through", c.re, s)
			}
		}
	}
	if re := regexp.MustCompile(`(?i)ab`); newPrefixNFA(re, firstRunes(re)) != nil {
		t.Error("a filter for a pattern whose first runes are unknown")
	}
}
