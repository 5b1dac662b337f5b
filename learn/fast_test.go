package learn

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// referencePredict is the plain computation Predict must equal: feature
// names as strings, looked up by name in the vocabulary, text features
// weighted 1/√n, each class summed row by row over the features in
// ascending order.
func referencePredict(m *Model, ex *Example) (vector, Prediction) {
	at := map[string]int32{}
	for i, n := range m.vocab.names {
		at[n] = int32(i)
	}
	var x vector
	text := 0
	for _, n := range m.opts.Features.names(ex) {
		i, ok := at[n]
		if !ok {
			continue
		}
		x.idx = append(x.idx, i)
		if !strings.HasPrefix(n, prefixRule) {
			text++
		}
	}
	for _, i := range x.idx {
		v := 1.0
		if !strings.HasPrefix(m.vocab.names[i], prefixRule) {
			v = 1 / math.Sqrt(float64(text))
		}
		x.val = append(x.val, v)
	}
	if m.opts.Features.Numeric {
		for j, f := range numeric(ex) {
			x.idx = append(x.idx, int32(len(m.vocab.names)+j))
			x.val = append(x.val, f)
		}
	}
	dim := m.dim()
	var d []Dist
	for _, h := range m.heads {
		z := make([]float64, len(h.classes))
		for c := range z {
			z[c] = float64(h.b[c])
			for j, i := range x.idx {
				z[c] += float64(float64(h.w[c*dim+int(i)]) * x.val[j])
			}
		}
		softmax(z)
		dist := make(Dist, len(z))
		for c, p := range z {
			dist[c] = Prob{Class: h.classes[c], P: p}
		}
		d = append(d, dist)
	}
	return x, Prediction{Relevance: d[0], Category: d[1], Severity: d[2], Sentiment: d[3]}
}

// referenceExplain scores every feature, sorts them all by strength and
// keeps the first n.
func referenceExplain(m *Model, x vector, headName, class string, n int) []Contribution {
	hi := slices.IndexFunc(m.heads, func(h head) bool { return h.name == headName })
	h := m.heads[hi]
	c := slices.Index(h.classes, class)
	dim := m.dim()
	var all []Contribution
	for j, i := range x.idx {
		var mean float64
		for k := range h.classes {
			mean += float64(h.w[k*dim+int(i)])
		}
		w := float64(h.w[c*dim+int(i)]) - mean/float64(len(h.classes))
		if w == 0 || x.val[j] == 0 {
			continue
		}
		all = append(all, Contribution{Feature: m.featureName(int(i)), Value: x.val[j], Weight: w, Score: w * x.val[j]})
	}
	slices.SortFunc(all, func(a, b Contribution) int {
		if c := cmp.Compare(math.Abs(b.Score), math.Abs(a.Score)); c != 0 {
			return c
		}
		return cmp.Compare(a.Feature, b.Feature)
	})
	if n >= 0 && n < len(all) {
		all = all[:n]
	}
	return all
}

// TestPredictMatchesReference: the fast path (numbered bigrams, prebuilt
// tables, one pass over all heads, selected explanations) gives exactly
// the reference's probabilities and contributions.
func TestPredictMatchesReference(t *testing.T) {
	train := synthetic(150, 1)
	// Single-character, mixed and longer words too, so every kind of name
	// is in the vocabulary.
	for i, toks := range [][]string{{"医", "保", "卡", "APP", "医保卡", "ＡＢ"}, {"医", "药", "12345", "医保局", "保a"}} {
		train = append(train, Example{ID: fmt.Sprint("extra", i), Tokens: toks, Text: strings.Join(toks, ""),
			Relevant: true, Category: "system", Level: 4, Sentiment: Neutral})
	}
	opts := DefaultOptions()
	opts.Features.MinDF = 1
	m, err := Train(train, opts)
	if err != nil {
		t.Fatal(err)
	}
	posts := synthetic(20, 42)
	posts = append(posts,
		Example{Tokens: []string{" 医保 ", "APP", "报销", "１２３４５", "13812345678", "ÉCOLE", "　天气　"},
			Text: "医保APP报销不了，天气很好。参保、挂号、药店！", Rules: []string{"rule:death", " rule:group ", "rule:unknown"},
			Replies: 12, Views: 3400, Reposts: 5},
		Example{Tokens: []string{"医", " 保", "卡 ", "app", "医保卡", "ａｂ", "保A", "药"}, Text: "医保卡药"},
		Example{Text: "没有任何分词的帖子：系统政策感谢愤怒请问"},
		Example{Tokens: []string{"，", ""}, Text: "a b c"},
		Example{})
	for i := range posts {
		ex := &posts[i]
		x, want := referencePredict(m, ex)
		in := m.Input(ex)
		if got := in.Predict(); !slices.Equal(got.Relevance, want.Relevance) || !slices.Equal(got.Category, want.Category) ||
			!slices.Equal(got.Severity, want.Severity) || !slices.Equal(got.Sentiment, want.Sentiment) {
			t.Errorf("post %d %q: Predict\n%+v\nreference\n%+v", i, ex.Text, got, want)
		}
		for _, h := range headSpecs {
			for _, class := range h.classes {
				for _, n := range []int{-1, 0, 1, 3, 40} {
					got, err := in.Explain(h.name, class, n)
					if err != nil {
						t.Fatal(err)
					}
					if want := referenceExplain(m, x, h.name, class, n); !slices.Equal(got, want) {
						t.Errorf("post %d %s/%s n=%d: Explain\n%+v\nreference\n%+v", i, h.name, class, n, got, want)
					}
				}
			}
		}
	}
}

// TestTrimSpace holds trimSpace to strings.TrimSpace for every rune alone,
// before and after Han text and ASCII, and on invalid UTF-8.
func TestTrimSpace(t *testing.T) {
	check := func(s string) {
		if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
			t.Fatalf("trimSpace(%q) = %q, want %q", s, got, want)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		c := string(r)
		check(c)
		check(c + "医保" + c)
		check("a" + c)
		check(c + "\u3000" + c)
	}
	for _, s := range []string{"", "\xff", "\xe3\x80", "\x80\x80\u3000", "医\xc2", "\u3000\xe3", " \u00a0医保\u2029\t", "ab\xe2\x80"} {
		check(s)
	}
}

// TestIsPunct checks that every rune isPunct accepts is, as appendToken
// assumes, no letter, no digit and its own lower case, and not Han.
func TestIsPunct(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !isPunct(r) {
			continue
		}
		n++
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.ToLower(r) != r || isHan(r) || r < utf8.RuneSelf {
			t.Errorf("isPunct(%q) but it is not plain punctuation", r)
		}
	}
	for _, r := range "，。、；：？！“”‘’（）《》【】…—" {
		if !isPunct(r) {
			t.Errorf("isPunct(%q) = false", r)
		}
	}
	if n == 0 {
		t.Fatal("isPunct accepts nothing")
	}
}
