package classifier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// fieldsOf matches title and body as Grade does, each with its own scratch.
func fieldsOf(e *Engine, title, body string) *[2]fieldHits {
	var fields [2]fieldHits
	for i, text := range [2]string{title, body} {
		var sc scratch
		n := e.fold.normalize(text)
		toks, inner, _ := e.tokens(n.s, nil, nil, time.Time{})
		fields[i] = e.match.match(n, toks, inner, &sc)
	}
	return &fields
}

// pairwiseNear is the former nearIn: every hit of a against every hit of b.
func pairwiseNear(fields *[2]fieldHits, scope []int, n near) bool {
	for _, fi := range scope {
		fh := &fields[fi]
		for _, a := range n.a {
			for _, ha := range fh.of(a) {
				x := fh.hits[ha]
				for _, b := range n.b {
					for _, hb := range fh.of(b) {
						y := fh.hits[hb]
						gap := 0 // overlapping
						switch {
						case y.tokA > x.tokB:
							gap = y.tokA - x.tokB - 1
						case x.tokA > y.tokB:
							gap = x.tokA - y.tokB - 1
						}
						if gap <= n.within {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// pairwiseStarts is the former count of distinct places.
func pairwiseStarts(fields *[2]fieldHits, scope []int, ids []int) int {
	n := 0
	for _, fi := range scope {
		var starts []int
		for _, id := range ids {
			for _, hi := range fields[fi].of(id) {
				if st := fields[fi].hits[hi].start; !slices.Contains(starts, st) {
					starts = append(starts, st)
				}
			}
		}
		n += len(starts)
	}
	return n
}

// TestConditionsAgreeWithPairwiseScan checks the sweep of nearIn and the
// sorted count of distinctStarts against the pairwise scans they replaced,
// for every near and min_count rule of the shipped set, on the labelled
// posts and on random texts made of those rules' terms, with fillers of
// varying length so that pairs fall on both sides of each distance.
func TestConditionsAgreeWithPairwiseScan(t *testing.T) {
	e := shipped(t)
	var texts []string
	if !testing.Short() { // -short: the random texts only
		for _, it := range devData(t, "forum_posts_dev.jsonl", "real_messages_dev.jsonl") {
			texts = append(texts, it.Post.Title+"。"+it.Post.Body)
		}
	}
	var vocab []string
	for _, r := range e.rules.rules {
		for _, n := range r.near {
			for _, id := range append(slices.Clone(n.a), n.b...) {
				if t := e.rules.terms[id]; t.re == nil {
					vocab = append(vocab, strings.Trim(t.text, "*="))
				}
			}
		}
		if r.minCount > 1 {
			for _, id := range r.any {
				vocab = append(vocab, strings.Trim(e.rules.terms[id].text, "*="))
			}
		}
	}
	fillers := []string{"，", "我们", "今天去了一趟", "。", "反映情况但是没有任何人理会，", "的"}
	rng := rand.New(rand.NewPCG(10, 2))
	for range 300 {
		var sb strings.Builder
		for range 5 + rng.IntN(40) {
			if rng.IntN(3) == 0 {
				sb.WriteString(vocab[rng.IntN(len(vocab))])
			} else {
				sb.WriteString(fillers[rng.IntN(len(fillers))])
			}
		}
		texts = append(texts, sb.String())
	}
	var sc gradeScratch
	checked := [2]int{}
	for _, text := range texts {
		fields := fieldsOf(e, "", text)
		for _, r := range e.rules.rules {
			for _, n := range r.near {
				want := pairwiseNear(fields, []int{1}, n)
				if got := nearIn(fields, []int{1}, n, &sc); got != want {
					t.Fatalf("rule %s near: sweep %v, pairwise %v on %q", r.id, got, want, text)
				}
				if want {
					checked[0]++
				}
			}
			if r.minCount > 1 {
				want := pairwiseStarts(fields, []int{1}, r.any)
				if got := distinctStarts(fields, []int{1}, r.any, &sc); got != want {
					t.Fatalf("rule %s: %d distinct places, pairwise %d on %q", r.id, got, want, text)
				}
				checked[1] += min(want, 1)
			}
		}
	}
	if checked[0] < 30 || checked[1] < 10 {
		t.Fatalf("too few positive cases: %d near, %d min_count", checked[0], checked[1])
	}
}

// TestEvidenceCappedPerTerm grades a post holding 医保 500 times: every rule
// lists the first maxMatchesPerTerm places of each term and field, says so
// once, and still counts every place (the grade equals the uncapped one of
// a shorter post, where the same rules fire).
func TestEvidenceCappedPerTerm(t *testing.T) {
	e := shipped(t)
	body := strings.Repeat("医保，", 500)
	r := e.Grade(Post{Title: "医保", Body: body})
	per := map[string][]int{}
	for _, m := range r.Matches {
		k := m.Rule + "/" + m.Term + "/" + m.Field
		per[k] = append(per[k], m.Start)
	}
	full := 0
	places := map[string][]int{} // per rule, in the body
	for k, starts := range per {
		if len(starts) > maxMatchesPerTerm {
			t.Errorf("%s: %d places listed, cap %d", k, len(starts), maxMatchesPerTerm)
		}
		if len(starts) == maxMatchesPerTerm {
			full++
		}
		if rule, _, _ := strings.Cut(k, "/"); strings.HasSuffix(k, "/"+fieldBody) {
			places[rule] = append(places[rule], starts...)
		}
	}
	if full == 0 {
		t.Fatalf("no rule listed %d places: %v", maxMatchesPerTerm, per)
	}
	// A rule's terms list the first places, each once (医保 the first 100,
	// *医保 the next 100, say): no gap, no repeat.
	for rule, starts := range places {
		slices.Sort(starts)
		for i, st := range starts {
			if st != i*len("医保，") {
				t.Errorf("rule %s: place %d at byte %d, not among the first", rule, i, st)
				break
			}
		}
	}
	note := fmt.Sprintf("命中处过多：每条规则每个词在标题、正文中各只列出前 %d 处", maxMatchesPerTerm)
	if n := strings.Count(strings.Join(r.Reasons, "\n"), note); n != 1 {
		t.Errorf("cap noted %d times in %q", n, r.Reasons)
	}
	short := e.Grade(Post{Title: "医保", Body: strings.Repeat("医保，", 50)})
	if slices.Contains(short.Reasons, note) {
		t.Errorf("cap noted on 50 places: %q", short.Reasons)
	}
	if !slices.Equal(rulesOf(r), rulesOf(short)) {
		t.Errorf("rules fired: %v with 500 places, %v with 50", rulesOf(r), rulesOf(short))
	}
}

// longBody returns about n bytes of the benchmark complaint, repeated,
// followed by tail.
func longBody(t testing.TB, n int, tail string) string {
	data, err := os.ReadFile("testdata/bench_post.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Repeat(string(data), n/len(data)+1) + tail
}

// TestLongTextCutInChunks: a long text cut chunk by chunk, at sentence
// ends, gives its posts the tokens each gets cut alone, and the repeated
// benchmark post exactly the tokens of its whole-text cut. Among the 800
// labelled posts laid end to end a few tokens may differ: the path costs
// are float32 sums, as in gse, and where two cuts cost nearly the same
// (一个|月工资 against 一个月|工资) the rounding at a different offset can
// decide the other way.
func TestLongTextCutInChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("cuts the labelled set twice")
	}
	e := shipped(t)
	var sb strings.Builder
	var ends []int
	for _, it := range devData(t, "forum_posts_dev.jsonl", "real_messages_dev.jsonl") {
		sb.WriteString(e.fold.normalize(it.Post.Title + "\n" + it.Post.Body + "\n").s)
		ends = append(ends, sb.Len())
	}
	s := sb.String()
	chunked, _, cut := e.tokens(s, nil, nil, time.Time{})
	if cut != len(s) || len(s) < 10*segChunk {
		t.Fatalf("cut %d of %d bytes", cut, len(s))
	}
	inChunked := map[[2]int]bool{}
	for _, tk := range chunked {
		inChunked[tk] = true
	}
	from, same, all := 0, 0, 0
	for _, end := range ends {
		alone, _ := e.seg.spans(s[from:end], nil, nil)
		for _, tk := range alone {
			if inChunked[[2]int{tk[0] + from, tk[1] + from}] {
				same++
			}
			all++
		}
		from = end
	}
	if all-same > all/10000 {
		t.Errorf("%d of %d tokens differ from the posts' own cuts", all-same, all)
	}

	bench := e.fold.normalize(longBody(t, 6*segChunk, "")).s
	whole, wholeIn := e.seg.spans(bench, nil, nil)
	chunked, chunkedIn, _ := e.tokens(bench, nil, nil, time.Time{})
	if !slices.Equal(whole, chunked) || !slices.Equal(wholeIn, chunkedIn) {
		t.Errorf("chunked cut differs: %d tokens, whole %d", len(chunked), len(whole))
	}
}

// TestBudgetCutsGradingShort grades a long post whose only fraud report is
// at its end. With a budget that has passed after the first chunk, the
// grade is that of the title and the first chunk, the first reason says
// how much was read, and no match lies beyond it; with no budget or an
// ample one the whole post counts.
func TestBudgetCutsGradingShort(t *testing.T) {
	e := shipped(t)
	p := Post{Title: benchTitle, Body: longBody(t, 4*segChunk, "。定点医院骗保，套取医保基金上百万元。")}
	whole := e.Grade(p)
	if whole.CutShort || !slices.ContainsFunc(whole.Matches, func(m model.Match) bool { return m.Term == "骗保" }) {
		t.Fatalf("whole post: cut short %v, matches %v", whole.CutShort, terms(whole))
	}
	if r := e.GradeWithin(p, time.Hour); r.CutShort || !slices.Equal(r.Reasons, whole.Reasons) {
		t.Errorf("ample budget changed the grade: %q", r.Reasons)
	}

	r := e.GradeWithin(p, time.Nanosecond)
	k := chunkEnd(p.Body, 0) // the body is plain text: folding keeps offsets
	if !r.CutShort || k >= len(p.Body) {
		t.Fatalf("cut short %v at %d of %d bytes", r.CutShort, k, len(p.Body))
	}
	want := fmt.Sprintf("研判超时，仅依据正文前 %d 字（全文 %d 字）",
		utf8.RuneCountInString(p.Body[:k]), utf8.RuneCountInString(p.Body))
	if len(r.Reasons) == 0 || r.Reasons[0] != want {
		t.Fatalf("first reason %q, want %q", r.Reasons, want)
	}
	for _, m := range r.Matches {
		if m.Field == fieldBody && m.End > k {
			t.Errorf("match %v beyond the %d bytes read", m, k)
		}
	}
	prefix := e.Grade(Post{Title: p.Title, Body: p.Body[:k]})
	if r.Level != prefix.Level || r.Category != prefix.Category || r.Score != prefix.Score ||
		!slices.Equal(r.Reasons[1:], prefix.Reasons) || !slices.Equal(r.Matches, prefix.Matches) {
		t.Errorf("cut-short grade %s/%d %.2f differs from the grade of the part read %s/%d %.2f",
			r.Category, r.Level, r.Score, prefix.Category, prefix.Level, prefix.Score)
	}
	if r.Level == whole.Level && r.Score == whole.Score {
		t.Errorf("the fraud report at the end counted after the cut: %d %.2f", r.Level, r.Score)
	}
	if again := e.GradeWithin(p, time.Nanosecond); !slices.Equal(again.Reasons, r.Reasons) {
		t.Errorf("a tiny budget graded differently twice")
	}
	// A title too long to read in time: its first chunk, no body.
	lt := e.GradeWithin(Post{Title: p.Body, Body: "定点医院骗保"}, time.Nanosecond)
	wantTitle := fmt.Sprintf("研判超时，仅依据标题前 %d 字（标题共 %d 字），正文未读",
		utf8.RuneCountInString(p.Body[:k]), utf8.RuneCountInString(p.Body))
	if !lt.CutShort || lt.Reasons[0] != wantTitle || slices.ContainsFunc(lt.Matches, func(m model.Match) bool { return m.Field == fieldBody }) {
		t.Errorf("long title: cut short %v, reason %q, matches %v", lt.CutShort, lt.Reasons[0], lt.Matches)
	}
	// A post of one chunk is always read whole.
	if s := e.GradeWithin(Post{Title: p.Title, Body: p.Body[:k]}, time.Nanosecond); s.CutShort {
		t.Errorf("a one-chunk post was cut short: %q", s.Reasons[0])
	}
}

// FuzzGrade: no text makes grading panic, take long or return a verdict
// out of range; every match points at its term's place in the original
// text. Seeds are under testdata/fuzz/FuzzGrade.
func FuzzGrade(f *testing.F) {
	e := shipped(f)
	f.Add("医保卡被盗刷", "定点药店骗保，套取医保基金")
	f.Fuzz(func(t *testing.T, title, body string) {
		start := time.Now()
		r := e.GradeWithin(Post{Title: title, Body: body, Replies: len(body)}, time.Second)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("graded %d+%d bytes in %v", len(title), len(body), d)
		}
		if r.Relevant != (r.Level != 0) || r.Level < 0 || r.Level > taxonomy.LowestLevel || r.Relevant && r.Category == "" {
			t.Errorf("verdict out of range: relevant %v, level %d, category %q", r.Relevant, r.Level, r.Category)
		}
		if len(r.Reasons) == 0 || r.RulesVersion != e.Version() {
			t.Errorf("no reasons or version: %q %q", r.Reasons, r.RulesVersion)
		}
		for i, m := range r.Matches {
			text := body
			if m.Field == fieldTitle {
				text = title
			}
			if m.Start < 0 || m.Start >= m.End || m.End > len(text) {
				t.Fatalf("match %v outside its field of %d bytes", m, len(text))
			}
			if i > 0 && m.Field == r.Matches[i-1].Field && m.Start < r.Matches[i-1].Start {
				t.Errorf("matches out of order: %v after %v", m, r.Matches[i-1])
			}
		}
	})
}

// TestAppendFixed2 holds appendFixed2 equal to strconv's 'f', 2 on the
// figures reasons show, on values near and at half-way points, on signs,
// zeros, huge and non-finite values, and on random ones.
func TestAppendFixed2(t *testing.T) {
	check := func(v float64) {
		t.Helper()
		if got, want := string(appendFixed2(nil, v)), strconv.FormatFloat(v, 'f', 2, 64); got != want {
			t.Fatalf("appendFixed2(%v) = %s, want %s", v, got, want)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), -0.001, 0.001, 0.005, 0.015, 0.125, 0.135, 1.005, 2.675, 1.25, 0.75,
		3, 8.75, -1.5, -0.05, 99.995, 1e12, 1 << 40, 1 << 53, 1e300, math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64} {
		check(v)
		check(-v)
	}
	for i := -100000; i <= 100000; i++ {
		check(float64(i) / 100)
		check(float64(i) / 1000)
		check(float64(i)*0.01 + 0.005)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		check((rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(16)-4)))
	}
}
