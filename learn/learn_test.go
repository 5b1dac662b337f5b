package learn

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// catWords, sevRules and sentWords are the planted signals of the
// synthetic set: one word per category, one rule per band, one word per
// sentiment.
var (
	catWords  = map[taxonomy.Category]string{"enrollment": "参保", "treatment": "挂号", "reimbursement": "报销", "institution": "药店", "policy": "政策", "system": "系统"}
	sevRules  = map[string]string{Major: "rule:death", Elevated: "rule:group", Ordinary: "rule:single"}
	sentWords = map[string]string{Negative: "愤怒", Neutral: "请问", Positive: "感谢"}
	fillers   = []string{"今天", "我们", "一个", "这个", "时候", "看看", "还是", "已经", "事情", "大家", "附近", "早上"}
	levels    = map[string]taxonomy.Level{Major: 2, Elevated: 3, Ordinary: 4}
)

// synthetic returns n examples, separable by the planted signals, with
// noise words; seed varies the noise.
func synthetic(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	cats := taxonomy.Categories
	bands := []string{Major, Elevated, Ordinary}
	sents := []string{Negative, Neutral, Positive}
	out := make([]Example, n)
	for i := range out {
		// Labels drawn independently, so no signal stands in for another.
		ex := Example{ID: fmt.Sprintf("s%04d-%d", i, seed), Relevant: rng.IntN(3) != 0, Sentiment: sents[rng.IntN(3)]}
		toks := []string{sentWords[ex.Sentiment]}
		for j := 0; j < 6; j++ {
			toks = append(toks, fillers[rng.IntN(len(fillers))])
		}
		if ex.Relevant {
			ex.Category = cats[rng.IntN(len(cats))]
			band := bands[rng.IntN(len(bands))]
			ex.Level = levels[band]
			toks = append(toks, "医保", catWords[ex.Category])
			ex.Rules = []string{sevRules[band]}
		} else {
			toks = append(toks, "天气")
		}
		rng.Shuffle(len(toks), func(a, b int) { toks[a], toks[b] = toks[b], toks[a] })
		ex.Tokens = toks
		ex.Text = strings.Join(toks, "，")
		ex.Replies, ex.Views = rng.IntN(50), rng.IntN(5000)
		out[i] = ex
	}
	return out
}

func train(t testing.TB, exs []Example) *Model {
	t.Helper()
	m, err := Train(exs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	m.Meta = Meta{Command: "yuqing train -data synthetic.jsonl", DataSHA256: strings.Repeat("ab", 32), Rows: len(exs)}
	return m
}

func encode(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTrainDeterministic: the same examples give byte-identical files.
func TestTrainDeterministic(t *testing.T) {
	exs := synthetic(120, 1)
	a, b := encode(t, train(t, exs)), encode(t, train(t, slices.Clone(exs)))
	if !bytes.Equal(a, b) {
		t.Fatalf("two trainings on the same data differ (%d vs %d bytes)", len(a), len(b))
	}
	if c := encode(t, train(t, synthetic(120, 2))); bytes.Equal(a, c) {
		t.Fatal("different data gave the same file")
	}
}

// TestLearnsSeparable: every head predicts unseen examples of a separable
// set correctly.
func TestLearnsSeparable(t *testing.T) {
	m := train(t, synthetic(150, 1))
	for _, ex := range synthetic(60, 99) {
		p := m.Predict(&ex)
		if got := p.Relevance.Of(Relevant) >= 0.5; got != ex.Relevant {
			t.Errorf("%s relevance: got P=%.2f, want relevant=%v", ex.ID, p.Relevance.Of(Relevant), ex.Relevant)
		}
		if s := p.Sentiment.Top().Class; s != ex.Sentiment {
			t.Errorf("%s sentiment %s, want %s", ex.ID, s, ex.Sentiment)
		}
		if !ex.Relevant {
			continue
		}
		if c := p.Category.Top().Class; c != string(ex.Category) {
			t.Errorf("%s category %s, want %s", ex.ID, c, ex.Category)
		}
		if b := p.Severity.Top().Class; b != Band(ex.Level) {
			t.Errorf("%s severity %s, want %s", ex.ID, b, Band(ex.Level))
		}
	}
}

// TestExplainNamesTheDrivingFeatures: the planted word and rule are the
// strongest positive contributions to the classes they decide.
func TestExplainNamesTheDrivingFeatures(t *testing.T) {
	m := train(t, synthetic(150, 1))
	test := synthetic(60, 5)
	ex := test[slices.IndexFunc(test, func(e Example) bool { return e.Relevant })]
	for _, c := range []struct{ head, class, want string }{
		// A planted word is both a token (w:) and a bigram (c:): either.
		{HeadCategory, string(ex.Category), catWords[ex.Category]},
		{HeadSeverity, Band(ex.Level), sevRules[Band(ex.Level)]},
		{HeadSentiment, ex.Sentiment, sentWords[ex.Sentiment]},
	} {
		got, err := m.Explain(&ex, c.head, c.class, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].Feature[2:] != c.want || got[0].Score <= 0 {
			t.Errorf("%s/%s: strongest %+v, want %s first with a positive score", c.head, c.class, got, c.want)
		}
		for i := 1; i < len(got); i++ {
			if abs(got[i].Score) > abs(got[i-1].Score) {
				t.Errorf("%s: not ordered by strength: %+v", c.head, got)
			}
		}
		if s := got[0].Value * got[0].Weight; s != got[0].Score {
			t.Errorf("score %v ≠ value×weight %v", got[0].Score, s)
		}
	}
	if _, err := m.Explain(&ex, "mood", Positive, 3); err == nil {
		t.Error("unknown head accepted")
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestTrainRejectsBadLabels: a label outside a head's classes names the
// example.
func TestTrainRejectsBadLabels(t *testing.T) {
	exs := synthetic(30, 1)
	exs[1].Category = "weather"
	if _, err := Train(exs, DefaultOptions()); err == nil || !strings.Contains(err.Error(), exs[1].ID) {
		t.Fatalf("err = %v, want one naming %s", err, exs[1].ID)
	}
	if _, err := Train(nil, DefaultOptions()); err == nil {
		t.Fatal("no examples accepted")
	}
}

// TestVocabularyPruned: names below min_df are dropped, the most frequent
// kept up to max_vocab, and the result sorted.
func TestVocabularyPruned(t *testing.T) {
	s := FeatureSettings{Words: true, MinDF: 2, MaxVocab: 2}
	v := buildVocab(s, [][]string{{"w:a", "w:b", "w:c"}, {"w:a", "w:b", "w:d"}, {"w:a", "w:c"}})
	// a: 3, b: 2, c: 2, d: 1 → a, then b before c by name.
	if want := []string{"w:a", "w:b"}; !slices.Equal(v, want) {
		t.Fatalf("vocab %v, want %v", v, want)
	}
}

func TestBigrams(t *testing.T) {
	// Sorted, distinct, only within runs of Han characters.
	got := FeatureSettings{Bigrams: true}.names(&Example{Text: "医保卡A挂号，好医保"})
	if want := []string{"c:保卡", "c:医保", "c:好医", "c:挂号"}; !slices.Equal(got, want) {
		t.Fatalf("bigrams %v, want %v", got, want)
	}
}

func TestWordFeatures(t *testing.T) {
	got := FeatureSettings{Words: true}.names(&Example{Tokens: []string{"APP", " 医保 ", "，", "app", "", strings.Repeat("长", 30),
		"12345", "13812345678", "tel:0731-8888888", "110101199003077777", "1234-5678"}})
	// Personal numbers (a run of 7+ digits) never become features.
	if want := []string{"w:1234-5678", "w:12345", "w:app", "w:医保"}; !slices.Equal(got, want) {
		t.Fatalf("words %v, want %v", got, want)
	}
}

// TestChannelFeature: the channel a post comes from is a feature of its
// own: where only the channel tells two sentiments apart, the model learns
// it, the saved file keeps it, and a model trained without channels
// cannot tell them apart.
func TestChannelFeature(t *testing.T) {
	exs := synthetic(120, 3)
	for i := range exs {
		exs[i].Tokens = slices.DeleteFunc(exs[i].Tokens, func(w string) bool { return w == sentWords[exs[i].Sentiment] })
		exs[i].Text = strings.Join(exs[i].Tokens, "，")
		exs[i].Channel, exs[i].Sentiment = "gov_message_board", Negative
		if i%2 == 0 {
			exs[i].Channel, exs[i].Sentiment = "news_report", Neutral
		}
	}
	m := train(t, exs)
	path := filepath.Join(t.TempDir(), "model.bin")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatalf("a model with channel features does not load: %v", err)
	}
	opts := DefaultOptions()
	opts.Features.Channel = false
	blind, err := Train(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range synthetic(20, 4) {
		for ch, want := range map[string]string{"gov_message_board": Negative, "news_report": Neutral} {
			ex.Channel = ch
			if got := loaded.Predict(&ex).Sentiment.Top().Class; got != want {
				t.Errorf("%s from %s: sentiment %s, want %s", ex.ID, ch, got, want)
			}
		}
		ex.Channel = "gov_message_board"
		a := blind.Predict(&ex).Sentiment
		ex.Channel = "news_report"
		if b := blind.Predict(&ex).Sentiment; fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: a model without channel features tells channels apart: %v vs %v", ex.ID, a, b)
		}
	}
}
