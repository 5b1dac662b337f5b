package grader

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
)

// sharedData is the labeled dev data outside the repository.
const sharedData = "../../shared/data"

// Filing a relevant post with the words grading segmented gives exactly the
// fingerprint (SimHash, entities, key terms) that segmenting the text again
// gives, so grouping is unchanged by the shortcut.
func TestResultWordsGiveTheTokenizersFingerprint(t *testing.T) {
	eng, err := classifier.Load(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), nil)
	if err != nil {
		t.Fatal(err)
	}
	segment := func(text string) []string {
		toks := eng.Segment(text)
		out := make([]string, len(toks))
		for i, tk := range toks {
			out[i] = tk.Text
		}
		return out
	}
	svc := incident.New(nil, incident.DefaultPolicy(), nil, segment)
	bigrams := incident.New(nil, incident.DefaultPolicy(), nil, nil) // no tokenizer set

	posts := []classifier.Post{
		{Title: "住院报销材料交上去两个月了还没到账", Body: "我爸八月份在市一医院住院，出院后把发票、费用清单都交到区医保中心手工报销，说好一个月，现在两个月了还没到账。"},
		{Title: "曝光：康福医院组织老人挂床住院骗取医保基金", Body: "康福医院派车到村里拉老人免费住院体检，出院时医保卡被刷了好几千。"},
		// Traditional characters and full-width letters: tokens are spans of
		// the folded text mapped back to the original.
		{Title: "醫保報銷兩個月還沒到賬", Body: "康福醫院ＡＢＣ科室掛床住院，騙取醫保基金，醫保局不管嗎？"},
		{Title: "今年养老金涨了多少？晒一下", Body: "企业退休的，七月底补发到账了，我涨了63块。"},
	}
	for _, name := range []string{"forum_posts_dev.jsonl", "real_messages_dev.jsonl"} {
		f, err := os.Open(filepath.Join(sharedData, name))
		if os.IsNotExist(err) {
			t.Logf("dev data %s not present: built-in posts only", name)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		items, err := classifier.ReadLabeled(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, it := range items {
			posts = append(posts, it.Post)
		}
	}

	relevant := 0
	for i, cp := range posts {
		res := eng.Grade(cp)
		if !res.Relevant {
			if res.Words != nil {
				t.Errorf("post %d %q: not relevant but carries words", i, cp.Title)
			}
			continue
		}
		relevant++
		if res.Words == nil {
			t.Fatalf("post %d %q: relevant without words", i, cp.Title)
		}
		if got, want := res.Words.Title, segment(cp.Title); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
			t.Errorf("post %d: title words\n got %q\nwant %q", i, got, want)
		}
		if got, want := res.Words.Body, segment(cp.Body); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
			t.Errorf("post %d: body words\n got %q\nwant %q", i, got, want)
		}
		p := model.Post{ID: int64(i + 1), Title: cp.Title, Body: cp.Body}
		w := res.Words
		if got, want := svc.FingerprintWords(p, w), svc.Fingerprint(p); !reflect.DeepEqual(got, want) {
			t.Errorf("post %d %q: fingerprint from grading's words\n got %+v\nwant %+v", i, cp.Title, got, want)
		}
		// The bigram fallback cannot use gse words: they are ignored.
		if got, want := bigrams.FingerprintWords(p, w), bigrams.Fingerprint(p); !reflect.DeepEqual(got, want) {
			t.Errorf("post %d: bigram service used the words: got %+v, want %+v", i, got, want)
		}
	}
	if relevant < 3 {
		t.Fatalf("only %d relevant posts compared", relevant)
	}
	t.Logf("%d of %d posts relevant, fingerprints compared", relevant, len(posts))
}

// BenchmarkGradeAndFingerprint measures the CPU of grading a relevant post
// and fingerprinting it for grouping, without the database: "resegment"
// splits the text again as filing did before grading kept its words,
// "result-words" uses the words of the grade.
func BenchmarkGradeAndFingerprint(b *testing.B) {
	eng, err := classifier.Load(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), nil)
	if err != nil {
		b.Fatal(err)
	}
	svc := incident.New(nil, incident.DefaultPolicy(), nil, func(text string) []string {
		toks := eng.Segment(text)
		out := make([]string, len(toks))
		for i, tk := range toks {
			out[i] = tk.Text
		}
		return out
	})
	cp := classifier.Post{Title: "住院报销材料交上去两个月了还没到账",
		Body: "我爸八月份在市一医院住院，出院后把发票、费用清单都交到区医保中心手工报销，说好一个月，现在两个月了还没到账，打电话一直没人接。"}
	p := model.Post{ID: 1, Title: cp.Title, Body: cp.Body}
	if !eng.Grade(cp).Relevant {
		b.Fatal("benchmark post not relevant")
	}
	b.Run("resegment", func(b *testing.B) {
		for b.Loop() {
			eng.Grade(cp)
			svc.Fingerprint(p)
		}
	})
	b.Run("result-words", func(b *testing.B) {
		for b.Loop() {
			res := eng.Grade(cp)
			svc.FingerprintWords(p, res.Words)
		}
	})
}
