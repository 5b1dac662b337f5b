package classifier

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Labeled is one hand-labeled post of the shared dev data.
type Labeled struct {
	ID       string
	Post     Post
	Relevant bool
	Category taxonomy.Category
	Level    taxonomy.Level
	Why      string
}

type labeledLine struct {
	ID          json.RawMessage   `json:"id"`
	Platform    string            `json:"platform"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	Replies     int               `json:"replies"`
	Views       int               `json:"views"`
	Reposts     int               `json:"reposts"`
	PublishedAt string            `json:"published_at"`
	Relevant    bool              `json:"relevant"`
	Category    taxonomy.Category `json:"category"`
	Level       taxonomy.Level    `json:"level"`
	Why         string            `json:"why"`
}

// ReadLabeled reads the JSON-lines format of /work/shared/data.
func ReadLabeled(r io.Reader) ([]Labeled, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var out []Labeled
	for lineNo := 1; ; lineNo++ {
		line, tooLong, err := readLine(br, MaxLineBytes)
		if err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("第 %d 行读取失败: %w", lineNo, err)
		}
		if tooLong {
			return out, fmt.Errorf("第 %d 行%w", lineNo, errLineTooLong)
		}
		if s := strings.TrimSpace(string(line)); s != "" {
			var l labeledLine
			if uerr := json.Unmarshal(line, &l); uerr != nil {
				return out, fmt.Errorf("第 %d 行不是合法的 JSON: %w", lineNo, uerr)
			}
			id := strings.Trim(string(l.ID), `"`)
			if id == "" {
				return out, fmt.Errorf("第 %d 行缺少 id", lineNo)
			}
			if l.Relevant && (!l.Category.Valid() || !l.Level.Valid()) {
				return out, fmt.Errorf("第 %d 行（%s）：相关条目的类别 %q 或等级 %d 无效", lineNo, id, l.Category, l.Level)
			}
			p := Post{Title: l.Title, Body: l.Body, Source: l.Platform, Channel: l.Platform, Replies: l.Replies, Views: l.Views, Reposts: l.Reposts}
			if l.PublishedAt != "" {
				if t, terr := time.Parse(time.RFC3339, l.PublishedAt); terr == nil {
					p.PublishedAt = t
				}
			}
			lb := Labeled{ID: id, Post: p, Relevant: l.Relevant, Category: l.Category, Level: l.Level, Why: l.Why}
			if !lb.Relevant {
				lb.Category, lb.Level = "", 0
			}
			out = append(out, lb)
		}
		if errors.Is(err, io.EOF) {
			if len(out) == 0 {
				// An evaluation over nothing would print perfect-looking zeros.
				return nil, errors.New("没有任何标注条目（文件为空？）")
			}
			return out, nil
		}
	}
}

// PR is precision and recall of one yes/no question.
type PR struct {
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

func (p *PR) finish() {
	if p.TP+p.FP > 0 {
		p.Precision = float64(p.TP) / float64(p.TP+p.FP)
	}
	if p.TP+p.FN > 0 {
		p.Recall = float64(p.TP) / float64(p.TP+p.FN)
	}
	if p.Precision+p.Recall > 0 {
		p.F1 = 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
	}
}

func (p PR) String() string {
	return fmt.Sprintf("P=%.3f R=%.3f F1=%.3f (TP %d, FP %d, FN %d)", p.Precision, p.Recall, p.F1, p.TP, p.FP, p.FN)
}

// Miss is one item graded differently from its label.
type Miss struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Why   string `json:"why"`  // the annotator's reason
	Want  string `json:"want"` // "category/level" or "无关"
	Got   string `json:"got"`
	Cost  int    `json:"cost"` // how bad: distance in severity, relevance errors weigh more
}

// NotRelevant is the key of "not relevant" in Report.CategoryConfusion.
const NotRelevant = "none"

// Report is the result of Evaluate. Its JSON form (snake_case, stable) is
// the output of `yuqing eval -json`.
type Report struct {
	RulesVersion string `json:"rules_version"`
	N            int    `json:"n"`
	Relevance    PR     `json:"relevance"`
	// Category accuracy on items labeled relevant and graded relevant.
	CategoryCorrect  int     `json:"category_correct"`
	CategoryTotal    int     `json:"category_total"`
	CategoryAccuracy float64 `json:"category_accuracy"`
	// CategoryConfusion[want][got]; NotRelevant ("none") is not relevant.
	CategoryConfusion map[string]map[string]int `json:"category_confusion"`
	// LevelConfusion[want][got], 0 is not relevant.
	LevelConfusion [5][5]int `json:"level_confusion"`
	Major          PR        `json:"major"`    // levels 1-2
	Elevated       PR        `json:"elevated"` // levels 1-3
	Misses         []Miss    `json:"misses"`   // worst first
}

// Evaluate grades every item and compares with the labels. Items without
// typical engagement get their source's median within items, as the
// daemon fills it from the store.
func Evaluate(e *Engine, items []Labeled) Report {
	return EvaluateWith(e.Version(), items, func(_ int, p Post) Result { return e.Grade(p) })
}

// EvaluateWith is Evaluate with grade(i, post) grading item i, so that
// cross-validation can grade each item with the engine of its fold.
func EvaluateWith(version string, items []Labeled, grade func(i int, p Post) Result) Report {
	items = withTypical(items)
	rep := NewReport(version)
	for i, it := range items {
		res := grade(i, it.Post)
		rep.Add(it, res.Relevant, res.Category, res.Level)
	}
	rep.Finish()
	return rep
}

// NewReport starts an empty report; Add scores each item, Finish computes
// the rates. Any grader (the rules, a learned model, both) is scored alike.
func NewReport(version string) Report {
	return Report{RulesVersion: version, CategoryConfusion: map[string]map[string]int{}, Misses: []Miss{}}
}

// Add scores one labelled item against what a grader said of it.
func (rep *Report) Add(it Labeled, relevant bool, gotCat taxonomy.Category, gotLvl taxonomy.Level) {
	if !relevant {
		gotCat, gotLvl = "", 0
	}
	rep.N++
	switch {
	case it.Relevant && relevant:
		rep.Relevance.TP++
		rep.CategoryTotal++
		if gotCat == it.Category {
			rep.CategoryCorrect++
		}
	case it.Relevant:
		rep.Relevance.FN++
	case relevant:
		rep.Relevance.FP++
	}
	wantKey, gotKey := confKey(it.Category), confKey(gotCat)
	if rep.CategoryConfusion[wantKey] == nil {
		rep.CategoryConfusion[wantKey] = map[string]int{}
	}
	rep.CategoryConfusion[wantKey][gotKey]++
	if it.Level >= 0 && it.Level <= 4 && gotLvl >= 0 && gotLvl <= 4 {
		rep.LevelConfusion[it.Level][gotLvl]++
	}
	band(&rep.Major, it.Level, gotLvl, 2)
	band(&rep.Elevated, it.Level, gotLvl, 3)
	cost := 0
	if it.Relevant != relevant {
		cost = 2 + abs(sev(it.Level)-sev(gotLvl))
	} else if it.Relevant {
		cost = abs(sev(it.Level)-sev(gotLvl)) * 2
		if gotCat != it.Category {
			cost++
		}
		if it.Level <= 2 && gotLvl > 2 {
			cost += 3
		}
	}
	if cost > 0 {
		title := it.Post.Title
		if title == "" {
			title = it.Post.Body
		}
		// Labelled data are real messages: the report masks them like
		// anything else that leaves the store.
		title = privacy.Truncate(privacy.Mask(title), 30)
		rep.Misses = append(rep.Misses, Miss{ID: it.ID, Title: title, Why: it.Why,
			Want: label(it.Category, it.Level), Got: label(gotCat, gotLvl), Cost: cost})
	}
}

// Finish computes the rates and orders the misses, worst first.
func (rep *Report) Finish() {
	rep.Relevance.finish()
	rep.Major.finish()
	rep.Elevated.finish()
	if rep.CategoryTotal > 0 {
		rep.CategoryAccuracy = float64(rep.CategoryCorrect) / float64(rep.CategoryTotal)
	}
	sort.SliceStable(rep.Misses, func(i, j int) bool {
		if rep.Misses[i].Cost != rep.Misses[j].Cost {
			return rep.Misses[i].Cost > rep.Misses[j].Cost
		}
		return rep.Misses[i].ID < rep.Misses[j].ID
	})
}

// withTypical returns items with unknown typical engagement set to the
// median of the same source within items.
func withTypical(items []Labeled) []Labeled {
	by := map[string][3][]float64{}
	for _, it := range items {
		v := by[it.Post.Source]
		v[0] = append(v[0], float64(it.Post.Replies))
		v[1] = append(v[1], float64(it.Post.Views))
		v[2] = append(v[2], float64(it.Post.Reposts))
		by[it.Post.Source] = v
	}
	med := map[string][3]float64{}
	for src, v := range by {
		var m [3]float64
		for i := range v {
			m[i] = median(v[i])
		}
		med[src] = m
	}
	out := make([]Labeled, len(items))
	for i, it := range items {
		m := med[it.Post.Source]
		p := &it.Post
		if p.TypicalReplies == 0 && p.TypicalViews == 0 && p.TypicalReposts == 0 {
			p.TypicalReplies, p.TypicalViews, p.TypicalReposts = m[0], m[1], m[2]
		}
		out[i] = it
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func confKey(cat taxonomy.Category) string {
	if cat == "" {
		return NotRelevant
	}
	return string(cat)
}

func band(p *PR, want, got, worst taxonomy.Level) {
	w := want >= 1 && want <= worst
	g := got >= 1 && got <= worst
	switch {
	case w && g:
		p.TP++
	case w:
		p.FN++
	case g:
		p.FP++
	}
}

// sev turns a level into a severity where higher is worse (0 = irrelevant).
func sev(level taxonomy.Level) int {
	if level == 0 {
		return 0
	}
	return 5 - int(level)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func label(cat taxonomy.Category, level taxonomy.Level) string {
	if level == 0 {
		return "无关"
	}
	return fmt.Sprintf("%s/%d", cat, level)
}

// WriteTo prints the report in Chinese for people.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "条目数 %d\n", r.N)
	fmt.Fprintf(&b, "相关性        %s\n", r.Relevance)
	fmt.Fprintf(&b, "类别准确率    %.3f（%d/%d，仅统计标注相关且判为相关的条目）\n", r.CategoryAccuracy, r.CategoryCorrect, r.CategoryTotal)
	fmt.Fprintf(&b, "重大(Ⅰ-Ⅱ)     %s\n", r.Major)
	fmt.Fprintf(&b, "较大以上(Ⅰ-Ⅲ) %s\n", r.Elevated)
	cats := append([]string{NotRelevant}, taxonomy.CategoryKeys()...)
	short := func(k string) string {
		if k == NotRelevant {
			return "无关"
		}
		return k[:4]
	}
	b.WriteString("\n类别混淆（行=标注，列=判定）\n         ")
	for _, c := range cats {
		fmt.Fprintf(&b, "%6s", short(c))
	}
	b.WriteString("\n")
	for _, want := range cats {
		fmt.Fprintf(&b, "%-9s", short(want))
		for _, got := range cats {
			fmt.Fprintf(&b, "%6d", r.CategoryConfusion[want][got])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n等级混淆（行=标注，列=判定，0=无关）\n      0     1     2     3     4\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "%d", i)
		for j := 0; j < 5; j++ {
			fmt.Fprintf(&b, "%6d", r.LevelConfusion[i][j])
		}
		b.WriteString("\n")
	}
	if len(r.Misses) > 0 {
		b.WriteString("\n最严重的误判\n")
		for i, m := range r.Misses {
			if i >= 25 {
				fmt.Fprintf(&b, "……另有 %d 条\n", len(r.Misses)-i)
				break
			}
			fmt.Fprintf(&b, "  %-16s 标注 %-16s 判定 %-16s %s ｜%s\n", m.ID, m.Want, m.Got, m.Title, m.Why)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
