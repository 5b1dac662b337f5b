package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/suggest"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// SuggestOptions configure `yuqing rules suggest`.
type SuggestOptions struct {
	// RulesFile names rules and model; "": the configuration's rules
	// file with ConfigFile, else configs/rules.yaml.
	RulesFile string
	DictDir   string
	DataFiles []string // labelled posts to compare rules and model on
	// ConfigFile, when set, names the daemon's store: its posts first
	// seen at or after Since are compared too (read-only).
	ConfigFile string
	Since      time.Time
	Top        int // terms per category and band
	Out        io.Writer
}

// SuggestReport is everything `yuqing rules suggest` found.
type SuggestReport struct {
	RulesVersion string
	Labelled     *suggest.LabelledReport
	Stored       *suggest.StoredPage
	Terms        suggest.Terms
}

// RulesSuggest lists where rules and model disagree and the model's
// strongest terms no rule contains, with a rules snippet to paste.
func RulesSuggest(ctx context.Context, o SuggestOptions) (SuggestReport, error) {
	var rep SuggestReport
	var cfg *config.Config
	if o.ConfigFile != "" {
		var err error
		if cfg, err = config.Load(o.ConfigFile); err != nil {
			return rep, err
		}
		if o.RulesFile == "" {
			o.RulesFile, o.DictDir = cfg.RulesFile, cfg.DictDir
		}
	}
	if o.RulesFile == "" {
		o.RulesFile = "configs/rules.yaml"
	}
	eng, err := loadEngine(o.RulesFile, o.DictDir)
	if err != nil {
		return rep, err
	}
	if !eng.HasModel() {
		return rep, fmt.Errorf("%s: %w", o.RulesFile, classifier.ErrNoModel)
	}
	rep.RulesVersion = eng.Version()
	for _, f := range o.DataFiles {
		items, err := readLabeled(f)
		if err != nil {
			return rep, err
		}
		lr, err := suggest.Labelled(eng, items)
		if err != nil {
			return rep, err
		}
		if rep.Labelled == nil {
			rep.Labelled = &suggest.LabelledReport{Right: map[string]int{}}
		}
		rep.Labelled.Posts += lr.Posts
		rep.Labelled.Cases = append(rep.Labelled.Cases, lr.Cases...)
		for k, v := range lr.Right {
			rep.Labelled.Right[k] += v
		}
	}
	if cfg != nil {
		st, err := openStore(ctx, cfg, true)
		if err != nil {
			return rep, err
		}
		defer st.Close()
		page, err := suggest.Stored(ctx, st, eng, suggest.StoredQuery{Since: o.Since,
			Source: sourceCatalog(func() *config.Config { return cfg }).Grading})
		if err != nil {
			return rep, err
		}
		rep.Stored = &page
	}
	if rep.Terms, err = suggest.ModelTerms(eng, o.Top); err != nil {
		return rep, err
	}
	writeSuggest(o, rep)
	return rep, nil
}

func writeSuggest(o SuggestOptions, rep SuggestReport) {
	w := o.Out
	fmt.Fprintf(w, "规则建议：规则 %s（版本 %s，含学习模型）\n", o.RulesFile, rep.RulesVersion)
	if l := rep.Labelled; l != nil {
		fmt.Fprintf(w, "\n【规则与模型意见不一的标注帖子】%s 共 %d 条，不一致 %d 条（规则对 %d，模型对 %d，都不对 %d，各对一部分 %d）\n",
			strings.Join(o.DataFiles, "、"), l.Posts, len(l.Cases), l.Right[suggest.RightRules], l.Right[suggest.RightModel],
			l.Right[suggest.RightNeither], l.Right[suggest.RightSplit])
		for _, c := range l.Cases {
			fmt.Fprintf(w, "  %s  %s\n    标注：%s；规则：%s；模型：%s（相关可能性 %s）；分歧：%s；%s\n",
				c.ID, c.Excerpt, c.Label.Text(), c.Rules.Text(), c.Model.Text(), percent(c.PRelevant),
				aspectNames(c.Aspects), suggest.RightName(c.Right))
		}
	}
	if s := rep.Stored; s != nil {
		fmt.Fprintf(w, "\n【%s 以来研判时由模型参与定级或标为疑似的已存帖子】读取已研判帖子 %d 条，其中 %d 条（只读）；"+
			"“规则”“模型”是当前规则和模型各自的判断，“研判”是当时存下的结果\n", o.Since.Format("2006-01-02 15:04"), s.Scanned, len(s.Cases))
		for _, c := range s.Cases {
			inc := ""
			if c.Incident != "" {
				inc = "，事件 " + c.Incident
			}
			review := ""
			if c.Review {
				review = "，疑似"
			}
			fmt.Fprintf(w, "  帖子 %d（%s%s）%s\n    规则：%s；模型：%s（相关可能性 %s）；研判：%s（判定：%s%s）\n",
				c.PostID, c.Source, inc, c.Excerpt, c.Rules.Text(), c.Model.Text(), percent(c.PRelevant),
				c.Final.Text(), taxonomy.DecidedByName(c.DecidedBy), review)
		}
	}
	fmt.Fprintf(w, "\n【模型权重高而规则尚未包含的词】（每类最多 %d 个；已在规则中、包含规则词或被规则词包含的、虚词、标点、纯数字、单字均已排除）\n", o.Top)
	head := ""
	for _, g := range rep.Terms.Groups {
		if g.Head != head {
			head = g.Head
			if head == learn.HeadCategory {
				fmt.Fprintln(w, "  按类别：")
			} else {
				fmt.Fprintln(w, "  按严重程度：")
			}
		}
		fmt.Fprintf(w, "    %s：%s\n", g.Name, termList(g.Terms))
	}
	if rep.Terms.YAML == "" {
		fmt.Fprintln(w, "\n模型中没有规则尚未包含的高权重词，无需新增规则。")
		return
	}
	fmt.Fprintf(w, "\n【可粘贴到 rules.yaml 的规则片段】\n%s", rep.Terms.YAML)
}

func termList(ts []learn.TermWeight) string {
	if len(ts) == 0 {
		return "（无）"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Term + "（" + classifier.WeightText(t.Weight) + "）"
	}
	return strings.Join(parts, "、")
}

func aspectNames(as []string) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = suggest.AspectName(a)
	}
	return strings.Join(parts, "、")
}

func percent(p float64) string { return fmt.Sprintf("%d%%", int(p*100+0.5)) }
