package app

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// CVResult is one data set (all files, one file or one platform) under
// `yuqing eval -cv K`: the model's out-of-fold report and the combined
// grade's (rules and the fold's model, as the daemon grades with
// options.model) beside the rules' report on the same rows. Rules do not
// learn, so their figures are the same in and out of fold.
type CVResult struct {
	Name      string            `json:"name"`
	N         int               `json:"n"`
	Model     classifier.Report `json:"model"`
	Sentiment SentimentReport   `json:"model_sentiment"`
	Rules     classifier.Report `json:"rules"`
	// Combined is what grading with a model gives (Engine.WithModel, out
	// of fold); Review counts its 疑似 grades and DecidedBy its grades by
	// who decided them.
	Combined  classifier.Report `json:"combined"`
	Review    int               `json:"combined_review"`
	DecidedBy map[string]int    `json:"combined_decided_by"`
	// CombinedSentiment is the sentiment grading gives: a fired rule's
	// sentiment effect where one speaks, else the fold's model.
	CombinedSentiment SentimentReport `json:"combined_sentiment"`
}

// SentimentReport is sentiment accuracy with its confusion matrix
// (Confusion[want][got] in learn's class order), over labelled rows.
type SentimentReport struct {
	Correct   int      `json:"correct"`
	Total     int      `json:"total"`
	Accuracy  float64  `json:"accuracy"`
	Classes   []string `json:"classes"`
	Confusion [][]int  `json:"confusion"`
}

// sentimentClasses is the sentiment head's class order.
var sentimentClasses = taxonomy.Sentiments

func newSentimentReport() SentimentReport {
	s := SentimentReport{Classes: sentimentClasses, Confusion: make([][]int, len(sentimentClasses))}
	for i := range s.Confusion {
		s.Confusion[i] = make([]int, len(sentimentClasses))
	}
	return s
}

// add counts one row; an unlabelled row (want "") is left out, and a
// grade without a sentiment counts as wrong.
func (s *SentimentReport) add(want, got string) {
	w := slices.Index(sentimentClasses, want)
	if w < 0 {
		return
	}
	s.Total++
	if g := slices.Index(sentimentClasses, got); g >= 0 {
		s.Confusion[w][g]++
		if w == g {
			s.Correct++
		}
	}
	s.Accuracy = float64(s.Correct) / float64(s.Total)
}

// modelLevel is the level the model alone gives a post: 0 when not
// relevant, else its band's level (learn.BandLevel).
func modelLevel(p learn.Prediction) (relevant bool, category taxonomy.Category, level taxonomy.Level) {
	if p.Relevance.Of(learn.Relevant) < 0.5 {
		return false, "", 0
	}
	return true, taxonomy.Category(p.Category.Top().Class), learn.BandLevel(p.Severity.Top().Class)
}

// EvalCV is `yuqing eval -cv K`: out-of-fold figures of the model alone,
// overall, per file and per platform, beside the rules'.
func EvalCV(o EvalOptions) ([]CVResult, error) {
	eng, rows, _, err := loadTraining(o.RulesFile, o.DictDir, o.DataFiles)
	if err != nil {
		return nil, err
	}
	examples := toExamples(eng, rows)
	ids, strata := make([]string, len(examples)), make([]int, len(examples))
	for i := range examples {
		ids[i], strata[i] = examples[i].ID, learn.Stratum(&examples[i])
	}
	folds, err := learn.Folds(ids, strata, o.CV)
	if err != nil {
		return nil, err
	}
	extra, err := trainOnly(eng, o.TrainOnlyFiles, ids)
	if err != nil {
		return nil, err
	}
	opts := learnOptions(o.L2)
	began := time.Now()
	// The train-only rows are in every fold's training set (fold -1) and
	// in no reported figure.
	models, err := learn.FoldModels(slices.Concat(examples, extra), slices.Concat(folds, slices.Repeat([]int{-1}, len(extra))), o.CV, opts)
	if err != nil {
		return nil, err
	}
	took := time.Since(began)
	preds := make([]learn.Prediction, len(examples))
	engines := make([]*classifier.Engine, o.CV)
	for f, m := range models {
		engines[f] = eng.WithModel(m)
	}
	for i := range examples {
		preds[i] = models[folds[i]].Predict(&examples[i])
	}

	sets := cvSets(rows)
	out := make([]CVResult, 0, len(sets))
	for _, s := range sets {
		items := make([]classifier.Labeled, len(s.idx))
		for j, i := range s.idx {
			items[j] = rows[i].Labeled
		}
		rules := classifier.Evaluate(eng, items)
		rules.Misses = nil // `yuqing eval` without -cv lists them
		model, sent := modelReport(rows, preds, s.idx, eng.Version())
		r := CVResult{Name: s.name, N: len(s.idx), Model: model, Sentiment: sent, Rules: rules,
			DecidedBy: map[string]int{}, CombinedSentiment: newSentimentReport()}
		r.Combined = classifier.EvaluateWith(eng.Version(), items, func(j int, p classifier.Post) classifier.Result {
			res := engines[folds[s.idx[j]]].Grade(p)
			r.CombinedSentiment.add(rows[s.idx[j]].Sentiment, res.Sentiment)
			if res.Review {
				r.Review++
			}
			r.DecidedBy[res.DecidedBy]++
			return res
		})
		if len(out) > 0 { // the worst misses of all rows are listed once
			r.Combined.Misses = nil
		}
		out = append(out, r)
	}
	return out, writeCV(o, eng.Version(), opts, took, len(extra), out)
}

// trainOnly reads the examples of `eval -cv -train-only` files: labelled
// posts the models learn from and the figures leave out, such as a corpus
// written to the labelling guide. An id also among the evaluated rows is
// refused: that post would be learnt and scored at once.
func trainOnly(eng *classifier.Engine, files, evalIDs []string) ([]learn.Example, error) {
	rows, _, err := readTrainingFiles(files)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if slices.Contains(evalIDs, r.ID) {
			return nil, fmt.Errorf("%s：编号 %q 也在评估数据中，同一条目不能既训练又评估", r.File, r.ID)
		}
	}
	return toExamples(eng, rows), nil
}

// writeCV prints the cross-validation results, as JSON with o.JSON.
func writeCV(o EvalOptions, version string, opts learn.Options, took time.Duration, trainOnly int, out []CVResult) error {
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"rules_version": version, "folds": o.CV, "options": opts,
			"train_only_files": o.TrainOnlyFiles, "train_only_rows": trainOnly, "results": out})
	}
	fmt.Fprintf(o.Out, "规则 %s（版本 %s）\n模型：%d 折交叉验证，按 id 的 SHA-256 分层（无关/等级）分折，"+
		"每折只用其余各折训练；L2 %g；%d 次训练共用时 %s\n"+
		"模型只判严重程度档次：重大记为Ⅱ、较大记为Ⅲ、一般记为Ⅳ（等级混淆中模型的Ⅰ列总为 0）\n",
		o.RulesFile, version, o.CV, opts.L2, o.CV, took.Round(time.Millisecond))
	if trainOnly > 0 {
		fmt.Fprintf(o.Out, "另有 %d 条只用于训练（每折都训练，不计入任何指标）：%s\n", trainOnly, strings.Join(o.TrainOnlyFiles, "、"))
	}
	writeCVSummary(o.Out, out)
	for _, r := range out {
		fmt.Fprintf(o.Out, "\n===== %s（%d 条）：模型（折外）=====\n", r.Name, r.N)
		if _, err := r.Model.WriteTo(o.Out); err != nil {
			return err
		}
		r.Sentiment.writeTo(o.Out)
		fmt.Fprintf(o.Out, "\n===== %s（%d 条）：规则与模型合并（折外，即配置模型后的研判）=====\n", r.Name, r.N)
		if _, err := r.Combined.WriteTo(o.Out); err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "疑似（待人工确认）%d 条；判定来源：规则 %d，模型 %d，规则+模型 %d\n", r.Review,
			r.DecidedBy[classifier.DecidedByRules], r.DecidedBy[classifier.DecidedByModel], r.DecidedBy[classifier.DecidedByBoth])
		r.CombinedSentiment.writeTo(o.Out)
		fmt.Fprintf(o.Out, "\n===== %s（%d 条）：规则 =====\n", r.Name, r.N)
		if _, err := r.Rules.WriteTo(o.Out); err != nil {
			return err
		}
	}
	return nil
}

// cvSet is the rows (indices) of one reported data set.
type cvSet struct {
	name string
	idx  []int
}

// cvSets groups rows into all of them ("合计"), each file in the order
// given, and each platform by name.
func cvSets(rows []trainingRow) []cvSet {
	all := cvSet{name: "合计"}
	var sets []cvSet
	byName := map[string]int{}
	add := func(name string, i int) {
		j, ok := byName[name]
		if !ok {
			j = len(sets)
			byName[name] = j
			sets = append(sets, cvSet{name: name})
		}
		sets[j].idx = append(sets[j].idx, i)
	}
	for i, r := range rows {
		all.idx = append(all.idx, i)
		add(r.File, i)
	}
	nFiles := len(sets)
	for i, r := range rows {
		add("平台 "+r.Post.Source, i)
	}
	slices.SortStableFunc(sets[nFiles:], func(a, b cvSet) int { return strings.Compare(a.name, b.name) })
	return append([]cvSet{all}, sets...)
}

// modelReport scores the model's predictions on rows idx the way
// classifier.Evaluate scores the rules (see modelLevel for levels).
func modelReport(rows []trainingRow, preds []learn.Prediction, idx []int, version string) (classifier.Report, SentimentReport) {
	rep := classifier.NewReport(version)
	sent := newSentimentReport()
	for _, i := range idx {
		want, p := rows[i], preds[i]
		rel, cat, lvl := modelLevel(p)
		rep.Add(want.Labeled, rel, cat, lvl)
		sent.add(want.Sentiment, p.Sentiment.Top().Class)
	}
	rep.Finish()
	return rep, sent
}

// writeCVSummary prints one line per set: rules / model for each figure.
func writeCVSummary(w io.Writer, rs []CVResult) {
	fmt.Fprintf(w, "\n汇总（每格为 规则/模型/合并；模型与合并为折外预测，合并即配置模型后的研判；情感为 模型/合并）\n")
	fmt.Fprintf(w, "%-40s %5s %19s %19s %19s %19s %19s %19s %7s\n",
		"数据集", "条目", "相关性F1", "类别准确率", "重大召回", "重大精确", "较大以上召回", "较大以上精确", "情感")
	three := func(f func(classifier.Report) float64, r CVResult) string {
		return fmt.Sprintf("%.3f/%.3f/%.3f", f(r.Rules), f(r.Model), f(r.Combined))
	}
	for _, r := range rs {
		fmt.Fprintf(w, "%-40s %5d %19s %19s %19s %19s %19s %19s %.3f/%.3f\n", r.Name, r.N,
			three(func(p classifier.Report) float64 { return p.Relevance.F1 }, r),
			three(func(p classifier.Report) float64 { return p.CategoryAccuracy }, r),
			three(func(p classifier.Report) float64 { return p.Major.Recall }, r),
			three(func(p classifier.Report) float64 { return p.Major.Precision }, r),
			three(func(p classifier.Report) float64 { return p.Elevated.Recall }, r),
			three(func(p classifier.Report) float64 { return p.Elevated.Precision }, r),
			r.Sentiment.Accuracy, r.CombinedSentiment.Accuracy)
	}
}

func (s SentimentReport) writeTo(w io.Writer) {
	fmt.Fprintf(w, "\n情感准确率 %.3f（%d/%d）\n情感混淆（行=标注，列=判定）\n          ", s.Accuracy, s.Correct, s.Total)
	for _, c := range s.Classes {
		fmt.Fprintf(w, "%9s", c)
	}
	fmt.Fprintln(w)
	for i, c := range s.Classes {
		fmt.Fprintf(w, "%-10s", c)
		for _, n := range s.Confusion[i] {
			fmt.Fprintf(w, "%9d", n)
		}
		fmt.Fprintln(w)
	}
}
