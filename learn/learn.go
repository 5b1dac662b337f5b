// Package learn is the learned half of grading: L2-regularised logistic
// regression over sparse features (caller tokens, Han character bigrams,
// rule hits, engagement) with four heads — relevance, category, severity
// band and sentiment — trained by gonum's LBFGS.
//
// It knows nothing of segmentation or rules: the caller supplies tokens and
// rule hits in an Example. Training is deterministic (sorted vocabulary,
// zero start, sums in example order, one goroutine), so the same examples
// give a byte-identical model file (file.go). Cross-validation folds come
// from a hash of each id (cv.go), identical on every machine.
package learn

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Head names, the order of heads in a Model and its file.
const (
	HeadRelevance = "relevance"
	HeadCategory  = "category"
	HeadSeverity  = "severity"
	HeadSentiment = "sentiment"
)

// Class names of the relevance, severity and sentiment heads; the category
// head's classes are taxonomy.Categories.
const (
	Irrelevant = "irrelevant"
	Relevant   = "relevant"
	Major      = "major"    // levels 1-2
	Elevated   = "elevated" // level 3
	Ordinary   = "ordinary" // level 4
	Negative   = taxonomy.Negative
	Neutral    = taxonomy.Neutral
	Positive   = taxonomy.Positive
)

// headSpecs lists every head with its classes, in file order.
var headSpecs = []struct {
	name    string
	classes []string
}{
	{HeadRelevance, []string{Irrelevant, Relevant}},
	{HeadCategory, taxonomy.CategoryKeys()},
	{HeadSeverity, []string{Major, Elevated, Ordinary}},
	{HeadSentiment, []string{Negative, Neutral, Positive}},
}

// Example is one post as the learner sees it, with its labels.
type Example struct {
	ID      string   // for fold assignment; not a feature
	Tokens  []string // segmented words of title and body
	Text    string   // title and body, for character bigrams
	Rules   []string // rule hits, e.g. "rule:fraud"
	Channel string   // the kind of channel, e.g. "weibo"; "" unknown
	Replies int
	Views   int
	Reposts int

	// Labels. Category and Level count only when Relevant; Sentiment ""
	// means unlabelled (the row then trains no sentiment).
	Relevant  bool
	Category  taxonomy.Category
	Level     taxonomy.Level
	Sentiment string
}

// Band returns the severity class of a level: major (1-2), elevated (3),
// ordinary (4), "" for anything else.
func Band(level taxonomy.Level) string {
	switch level {
	case taxonomy.LevelI, taxonomy.LevelII:
		return Major
	case taxonomy.LevelIII:
		return Elevated
	case taxonomy.LevelIV:
		return Ordinary
	}
	return ""
}

// BandLevel is the level a band stands for: the most severe level in it
// (Ⅱ for major, since the band does not tell Ⅰ from Ⅱ), 0 for anything
// else.
func BandLevel(band string) taxonomy.Level {
	switch band {
	case Major:
		return taxonomy.LevelII
	case Elevated:
		return taxonomy.LevelIII
	case Ordinary:
		return taxonomy.LevelIV
	}
	return 0
}

// label returns the class of ex for head, or "" when ex does not train it.
func (ex *Example) label(head string) string {
	switch head {
	case HeadRelevance:
		if ex.Relevant {
			return Relevant
		}
		return Irrelevant
	case HeadCategory:
		if ex.Relevant {
			return string(ex.Category)
		}
	case HeadSeverity:
		if ex.Relevant {
			return Band(ex.Level)
		}
	case HeadSentiment:
		return ex.Sentiment
	}
	return ""
}

// Options configure training; they are recorded in the model file.
type Options struct {
	Features FeatureSettings `json:"features"`
	// L2 is the penalty l2/2·‖w‖² added to the mean cross-entropy.
	L2 float64 `json:"l2"`
	// Balanced weighs each example by n/(k·n_class) so rare classes (a
	// Ⅰ/Ⅱ post, praise) count as much as common ones.
	Balanced bool `json:"balanced"`
}

// DefaultL2 was chosen by 5-fold out-of-fold figures over the 802 shared
// labelled posts (`yuqing eval -cv 5 -l2 X`). The data are nearly
// separable in ~23k features, so the figures move little: relevance F1
// 0.922/0.919/0.915/0.913/0.904 and category 0.722/0.726/0.715/0.713/0.703
// for 3e-5/1e-4/3e-4/1e-3/3e-3; larger values lose sentiment (0.82 →
// 0.76) and major precision.
const DefaultL2 = 1e-4

// DefaultOptions are the settings `yuqing train` uses.
func DefaultOptions() Options {
	return Options{Features: DefaultFeatures(), L2: DefaultL2, Balanced: true}
}

// Meta says where a model came from; the caller fills it before saving.
type Meta struct {
	Command    string `json:"command"`     // the training command line as given
	DataSHA256 string `json:"data_sha256"` // hash of the training data
	Rows       int    `json:"rows"`        // training examples
}

// Model is a trained set of heads. Immutable after Train or Load, safe for
// concurrent use.
type Model struct {
	Meta  Meta
	opts  Options
	vocab *vocabulary
	heads []head // headSpecs order
	// inputs pools Inputs' buffers: grading maps one post after another.
	inputs sync.Pool
	// byFeature holds every head's weights feature by feature: row i is
	// feature i's weight for each class of each head (classes of them),
	// head after head, so that a post's few hundred features each read
	// one cache line for all heads rather than one per head and class.
	byFeature []float32
	classes   int
	stride    int // of a row of byFeature: classes rounded up to a cache line of float32
}

// head is one linear softmax: w is classes × dim weights, row-major (as
// trained and stored); its classes are columns off… of Model.byFeature.
type head struct {
	name    string
	classes []string
	w       []float32
	b       []float32
	off     int
}

// index fills byFeature from the heads' weights.
func (m *Model) index() {
	dim := m.dim()
	m.classes = 0
	for i := range m.heads {
		m.heads[i].off = m.classes
		m.classes += len(m.heads[i].classes)
	}
	m.stride = (m.classes + 15) &^ 15
	kk := m.stride
	m.byFeature = make([]float32, dim*kk)
	for _, h := range m.heads {
		for c := range h.classes {
			for i, v := range h.w[c*dim : (c+1)*dim] {
				m.byFeature[i*kk+h.off+c] = v
			}
		}
	}
}

// Train fits every head on examples. Relevance and sentiment use all rows
// (sentiment those labelled); category and severity the relevant rows.
func Train(examples []Example, opts Options) (*Model, error) {
	if len(examples) == 0 {
		return nil, errors.New("没有训练样本")
	}
	if opts.L2 <= 0 || math.IsNaN(opts.L2) || math.IsInf(opts.L2, 0) {
		return nil, fmt.Errorf("L2 正则强度必须是正数，而不是 %v", opts.L2)
	}
	names := make([][]string, len(examples))
	for i := range examples {
		names[i] = opts.Features.names(&examples[i])
	}
	m := &Model{opts: opts, vocab: newVocabulary(buildVocab(opts.Features, names)), Meta: Meta{Rows: len(examples)}}
	xs := make([]vector, len(examples))
	for i := range examples {
		xs[i] = m.vocab.vectorize(opts.Features, &examples[i])
	}
	dim := m.dim()
	for _, spec := range headSpecs {
		p := &softmaxProblem{k: len(spec.classes), dim: dim, l2: opts.L2}
		for i := range examples {
			y := examples[i].label(spec.name)
			if y == "" {
				continue
			}
			c := slices.Index(spec.classes, y)
			if c < 0 {
				return nil, fmt.Errorf("样本 %s：%s 的标注 %q 不是 %v 之一", examples[i].ID, spec.name, y, spec.classes)
			}
			p.xs, p.ys = append(p.xs, xs[i]), append(p.ys, c)
		}
		if len(p.xs) == 0 {
			return nil, fmt.Errorf("没有可训练 %s 的样本", spec.name)
		}
		p.w = exampleWeights(p.ys, p.k, opts.Balanced)
		params, err := p.fit()
		if err != nil {
			return nil, fmt.Errorf("训练 %s: %w", spec.name, err)
		}
		h := head{name: spec.name, classes: spec.classes, w: make([]float32, p.k*dim), b: make([]float32, p.k)}
		for i := range h.w {
			h.w[i] = float32(params[i])
		}
		for c := range h.b {
			h.b[c] = float32(params[p.k*dim+c])
		}
		m.heads = append(m.heads, h)
	}
	m.index()
	return m, nil
}

// exampleWeights is 1 for every example, or with balanced n/(k·n_class)
// over the classes present.
func exampleWeights(ys []int, k int, balanced bool) []float64 {
	w := make([]float64, len(ys))
	count := make([]int, k)
	present := 0
	for _, y := range ys {
		if count[y] == 0 {
			present++
		}
		count[y]++
	}
	for i, y := range ys {
		w[i] = 1
		if balanced {
			w[i] = float64(len(ys)) / float64(present*count[y])
		}
	}
	return w
}

// Prob is one class and its probability.
type Prob struct {
	Class string  `json:"class"`
	P     float64 `json:"p"`
}

// Dist is a probability per class, in the head's class order.
type Dist []Prob

// Top returns the most probable class (the first on a tie).
func (d Dist) Top() Prob {
	var best Prob
	for i, p := range d {
		if i == 0 || p.P > best.P {
			best = p
		}
	}
	return best
}

// Of returns the probability of class (0 if absent).
func (d Dist) Of(class string) float64 {
	for _, p := range d {
		if p.Class == class {
			return p.P
		}
	}
	return 0
}

// Prediction is every head's distribution for one post. Category and
// Severity presume the post is relevant.
type Prediction struct {
	Relevance Dist `json:"relevance"`
	Category  Dist `json:"category"`
	Severity  Dist `json:"severity"`
	Sentiment Dist `json:"sentiment"`
}

// Predict returns the probabilities of every head for ex (labels ignored).
func (m *Model) Predict(ex *Example) Prediction {
	in := m.Input(ex)
	defer in.Release()
	return in.Predict()
}

// Input is an Example mapped onto a model's features, for a prediction
// and explanations of one post without mapping it again each time.
type Input struct {
	m   *Model
	x   vector
	buf vectorBuf // vectorizeInto's scratch
}

// Input maps ex onto the model's features (labels ignored). Release
// gives its buffers back for the next post.
func (m *Model) Input(ex *Example) *Input {
	in, _ := m.inputs.Get().(*Input)
	if in == nil {
		in = &Input{}
	}
	in.m = m
	m.vocab.vectorizeInto(m.opts.Features, ex, &in.x, &in.buf)
	return in
}

// Release returns the input's buffers to its model; the input must not be
// used after. A huge post's buffers are left to the collector.
func (in *Input) Release() {
	if cap(in.x.idx) <= 1<<16 && cap(in.buf.keys) <= 1<<16 {
		in.m.inputs.Put(in)
	}
}

// Predict returns the probabilities of every head.
func (in *Input) Predict() Prediction {
	m, x := in.m, in.x
	kk, st := m.classes, m.stride
	var zs [16]float64
	z := zs[:0]
	if kk > len(zs) {
		z = make([]float64, 0, kk)
	}
	for _, h := range m.heads {
		for _, b := range h.b {
			z = append(z, float64(b))
		}
	}
	// One pass over the features for all heads; per class the same sum
	// in the same order as row by row.
	vals := x.val[:len(x.idx)]
	for j, i := range x.idx {
		v := vals[j]
		row := m.byFeature[int(i)*st : int(i)*st+kk]
		z := z[:len(row)] // one bounds check per feature, not per class
		for c, w := range row {
			z[c] += float64(float64(w) * v) // the conversion forbids a fused multiply-add
		}
	}
	probs := make([]Prob, kk)
	var dh [4]Dist // Prediction's heads: no allocation for the list
	d := dh[:0:0]
	if len(m.heads) <= len(dh) {
		d = dh[:len(m.heads)]
	} else {
		d = make([]Dist, len(m.heads))
	}
	for hi, h := range m.heads {
		zh := z[h.off : h.off+len(h.classes)]
		softmax(zh)
		d[hi] = probs[h.off : h.off+len(h.classes) : h.off+len(h.classes)]
		for c, p := range zh {
			d[hi][c] = Prob{Class: h.classes[c], P: p}
		}
	}
	return Prediction{Relevance: d[0], Category: d[1], Severity: d[2], Sentiment: d[3]}
}

func (m *Model) dim() int { return m.opts.Features.dims(len(m.vocab.names)) }

// Contribution is one feature's share in a class score: its value times
// its weight for the class, the weight centred over the head's classes
// (softmax ignores what all classes share).
type Contribution struct {
	Feature string  `json:"feature"` // w:词, c:双字, r:规则, n:互动量
	Value   float64 `json:"value"`
	Weight  float64 `json:"weight"`
	Score   float64 `json:"score"` // Value × Weight
}

// headClass finds a head by name and the index of one of its classes.
func (m *Model) headClass(headName, class string) (*head, int, error) {
	hi := slices.IndexFunc(m.heads, func(h head) bool { return h.name == headName })
	if hi < 0 {
		return nil, 0, fmt.Errorf("没有名为 %q 的输出", headName)
	}
	h := &m.heads[hi]
	c := slices.Index(h.classes, class)
	if c < 0 {
		return nil, 0, fmt.Errorf("%s 没有类别 %q", headName, class)
	}
	return h, c, nil
}

// Explain returns up to n features of ex that most raise or lower class of
// head, strongest first (by |Score|, ties by name).
func (m *Model) Explain(ex *Example, headName, class string, n int) ([]Contribution, error) {
	in := m.Input(ex)
	defer in.Release()
	return in.Explain(headName, class, n)
}

// Explain returns up to n (all when n < 0) features of the input that
// most raise or lower class of head, strongest first (by |Score|, ties by
// name).
func (in *Input) Explain(headName, class string, n int) ([]Contribution, error) {
	m, x := in.m, in.x
	h, c, err := m.headClass(headName, class)
	if err != nil {
		return nil, err
	}
	limit := n
	if n < 0 || n > len(x.idx) {
		limit = len(x.idx)
	}
	out := make([]Contribution, 0, limit)
	if limit == 0 {
		return out, nil
	}
	// out holds the strongest so far, in order: a post has hundreds of
	// features and a reason lists a handful, so most are refused after
	// one comparison with the weakest kept, and only those kept are named.
	kk := m.stride
	for j, i := range x.idx {
		var mean float64
		ws := m.byFeature[int(i)*kk+h.off : int(i)*kk+h.off+len(h.classes)]
		for _, w := range ws {
			mean += float64(w)
		}
		w := float64(ws[c]) - mean/float64(len(ws))
		if w == 0 || x.val[j] == 0 {
			continue
		}
		ct := Contribution{Value: x.val[j], Weight: w, Score: w * x.val[j]}
		abs := math.Abs(ct.Score)
		if len(out) == limit && abs < math.Abs(out[limit-1].Score) {
			continue
		}
		ct.Feature = m.featureName(int(i))
		// The first kept contribution weaker than ct.
		lo, hi := 0, len(out)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			o := math.Abs(out[mid].Score)
			if o > abs || o == abs && out[mid].Feature < ct.Feature {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo == limit {
			continue
		}
		if len(out) == limit {
			out = out[:limit-1]
		}
		out = slices.Insert(out, lo, ct)
	}
	return out, nil
}

// Support returns up to n of the input's features that most raise class
// of head (positive contributions only), strongest first, among those keep
// accepts (nil: all). Unlike Explain it looks only at what speaks for the
// class and names a feature only when it could be kept: grading lists a
// handful of the model's terms for every post, so this runs per grade.
func (in *Input) Support(headName, class string, n int, keep func(feature string) bool) ([]Contribution, error) {
	m, x := in.m, in.x
	h, c, err := m.headClass(headName, class)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	out := make([]Contribution, 0, n)
	kk := m.stride
	k := float64(len(h.classes))
	for j, i := range x.idx {
		ws := m.byFeature[int(i)*kk+h.off : int(i)*kk+h.off+len(h.classes)]
		var sum float64
		for _, w := range ws {
			sum += float64(w)
		}
		w := float64(ws[c]) - sum/k
		score := w * x.val[j]
		if score <= 0 || len(out) == n && score < out[n-1].Score {
			continue
		}
		name := m.featureName(int(i))
		if keep != nil && !keep(name) {
			continue
		}
		// The first kept contribution weaker than this one (ties: by name).
		lo, hi := 0, len(out)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if o := out[mid].Score; o > score || o == score && out[mid].Feature < name {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo == n {
			continue
		}
		if len(out) == n {
			out = out[:n-1]
		}
		out = slices.Insert(out, lo, Contribution{Feature: name, Value: x.val[j], Weight: w, Score: score})
	}
	return out, nil
}

func (m *Model) featureName(i int) string {
	if i < len(m.vocab.names) {
		return m.vocab.names[i]
	}
	return numericFeatures[i-len(m.vocab.names)]
}

// Rules returns the rule hits the model has weights for, as the caller
// named them in Example.Rules, in order: a model trained on other rules
// names hits the current rules never give.
func (m *Model) Rules() []string {
	v := m.vocab
	out := make([]string, 0, v.rules[1]-v.rules[0])
	for _, n := range v.names[v.rules[0]:v.rules[1]] {
		out = append(out, strings.TrimPrefix(n, prefixRule))
	}
	return out
}

// VocabSize is the number of sparse features the model knows.
func (m *Model) VocabSize() int { return len(m.vocab.names) }

// Options returns the settings the model was trained with.
func (m *Model) Options() Options { return m.opts }
