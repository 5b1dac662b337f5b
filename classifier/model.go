package classifier

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The learned half of grading (options.model): the model sees a post the
// way the rules saw it (Engine.Example) and its verdict is combined with
// theirs in combine.

// Who decided a grade (Result.DecidedBy).
const (
	DecidedByRules = taxonomy.DecidedByRules
	DecidedByModel = taxonomy.DecidedByModel
	DecidedByBoth  = taxonomy.DecidedByBoth
)

// modelThreshold is the relevance probability from which the model calls
// a post relevant.
const modelThreshold = 0.5

// informationMaxNegative bounds the model's probability of a negative
// sentiment below which a neutral or positive 一般 post is kept as
// 舆情信息. Out of fold on the shared data, 0.2 turns 7% of negative 一般
// complaints into information (at 0.5: 19%) and keeps half the neutral
// and positive 一般 posts out of the incident list: a complaint left
// without a reply costs more than a notice filed as an incident.
const informationMaxNegative = 0.2

// ruleFeature prefixes a rule id in Example.Rules.
const ruleFeature = "rule:"

// explainTerms is how many of the model's terms a reason lists.
const explainTerms = 5

// loadModel reads the model file options.model names (relative to the
// rules file's directory), validates it and checks that it was trained on
// these rules: a model that knows rule hits this file never gives was
// trained on other rules. Its bytes go into h, so the version covers rules
// and model together. No model configured: nil, and h is untouched.
func loadModel(rulesFile string, doc *yamlfile.Doc, f *rulesFile, h io.Writer) (*learn.Model, error) {
	name := strings.TrimSpace(f.Options.Model)
	if name == "" {
		return nil, nil
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(rulesFile), name)
	}
	where := fmt.Sprintf("%s:%d: options.model: 模型文件 %s", rulesFile, doc.Line("options.model"), path)
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s 无法读取: %w", where, err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, learn.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s 无法读取: %w", where, err)
	}
	m, err := learn.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s 不可用: %w", where, err)
	}
	known := make(map[string]bool, len(f.Rules))
	for _, rs := range f.Rules { // disabled ones too: disabling a rule is no reason to retrain
		known[ruleFeature+rs.ID] = true
	}
	var unknown []string
	for _, r := range m.Rules() {
		if !known[r] {
			unknown = append(unknown, strings.TrimPrefix(r, ruleFeature))
		}
	}
	if len(unknown) > 0 {
		if len(unknown) > 5 {
			unknown = append(unknown[:5], "…")
		}
		return nil, fmt.Errorf("%s 与规则不匹配：模型用到的规则 %s 在规则文件中不存在，它是用别的规则训练的，请用 yuqing train 重新训练",
			where, strings.Join(unknown, "、"))
	}
	h.Write([]byte("model\x00"))
	h.Write(data)
	return m, nil
}

// HasModel reports whether the engine grades with a learned model beside
// the rules.
func (e *Engine) HasModel() bool { return e.model != nil }

// WithModel returns an engine with the same rules and dictionary that
// grades with m beside the rules (nil: the rules alone), the way the
// daemon grades when options.model names m's file. Cross-validation uses
// it to score the combined grade out of fold; m must have been trained on
// examples of these rules (Engine.Example). The version is e's: the copy
// is never saved or compared with stored grades.
func (e *Engine) WithModel(m *learn.Model) *Engine {
	c := &Engine{seg: e.seg, fold: e.fold, rules: e.rules, match: e.match, rank: e.rank,
		tiers: e.tiers, version: e.version, model: m}
	n := len(e.rules.rules)
	c.scratch.New = func() any { return &gradeScratch{mark: make([]bool, n), seen: map[uint64]struct{}{}} }
	return c
}

// Example is the learner's view of p: every token the rules see (each
// token, then a domain word's parts), title and body, the ids of the
// rules that fired (as "rule:id") and the engagement counts. `yuqing
// train` builds its examples here and grading builds the model's input
// the same way, so the model sees identical features at both times. The
// labels are left to the caller.
func (e *Engine) Example(p Post) learn.Example {
	var ex learn.Example
	e.grade(p, 0, &ex)
	return ex
}

// example builds the Example from what grading computed: the text read of
// each field, its tokens and the rules' matches. Its Tokens and Rules are
// sc's buffers, valid until sc grades another post. The fields' tokens
// alone (without a domain word's parts) go to sc.words, for Result.Words:
// the one walk that turns tokens back into text.
func example(read [2]string, fields *[2]fieldHits, sc *gradeScratch, matches []model.Match, p *Post) learn.Example {
	toks := sc.exToks[:0]
	for i := range read {
		words := sc.words[i][:0]
		eachToken(fields[i].norm, sc.f[i].toks, sc.f[i].inner, func(a, b int, part bool) {
			toks = append(toks, read[i][a:b])
			if !part {
				words = append(words, read[i][a:b])
			}
		})
		sc.words[i] = words
	}
	ids := sc.exRules[:0]
	for _, m := range matches {
		// A rule's matches come together: the sort then orders a dozen
		// rules rather than every match.
		if len(ids) == 0 || ids[len(ids)-1] != m.Rule {
			ids = append(ids, m.Rule)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for i, id := range ids {
		ids[i] = ruleFeature + id
	}
	sc.exToks, sc.exRules = toks, ids
	return learn.Example{Tokens: toks, Text: read[0] + "\n" + read[1], Rules: ids, Channel: p.Channel,
		Replies: p.Replies, Views: p.Views, Reposts: p.Reposts}
}

// rulesVerdict is what the rules say about a post, with what combine
// needs to know about who said it.
type rulesVerdict struct {
	relevant bool
	category taxonomy.Category
	// catByRule: a rule voted for the category (otherwise it is
	// options.default_category).
	catByRule bool
	voteLine  string
	// level is the rules' level as if the post were relevant: base,
	// escalators, de-escalators, engagement. levelByRule: an escalator
	// or de-escalator took effect.
	level       taxonomy.Level
	levelByRule bool
	// majorLowered: a de-escalator took a Ⅰ/Ⅱ level below Ⅱ (the
	// operator judged the major cue and set it aside), so the model's
	// major band does not reopen it for review.
	majorLowered bool
	engagement   string // the engagement tier's reason, if one was reached
	excludedBy   string // a fired rule of negative weight (id and note)
	// sentiment is what a fired rule with a sentiment effect says, and
	// sentimentBy that rule (id and note); "" when no rule speaks.
	sentiment, sentimentBy string
}

// combine lays the model's prediction over the rules' verdict in res:
//   - an operator's rule keeps the last word where it speaks: a fired
//     exclusion (a rule of negative weight) keeps a post the rules left
//     irrelevant irrelevant, a category a rule voted for and a level an
//     escalator or de-escalator set stay;
//   - the model decides where no rule speaks: it makes relevant a post the
//     rules missed, gives the category when no rule voted, and the level
//     is the more severe of the rules' and its band's (major Ⅱ, elevated
//     Ⅲ, ordinary Ⅳ);
//   - where one says Ⅰ/Ⅱ and the other does not, the post is at least Ⅱ
//     and marked for review (疑似) rather than dropped.
//
// It returns the reasons to list before the conclusion.
func (e *Engine) combine(res *Result, rv *rulesVerdict, ex *learn.Example) []string {
	in := e.model.Input(ex)
	defer in.Release()
	pred := in.Predict()
	pRel, pMajor := pred.Relevance.Of(learn.Relevant), pred.Severity.Of(learn.Major)
	sent := pred.Sentiment.Top()
	if rv.sentiment == "" {
		res.Sentiment = sent.Class
	}
	modelRel := pRel >= modelThreshold
	relClass := learn.Irrelevant
	if modelRel {
		relClass = learn.Relevant
	}
	lines := make([]string, 1, 4)
	lines[0] = modelVerdictLine(in, pRel, pMajor, sent, relClass)

	mLevel := taxonomy.LevelNone
	if modelRel {
		mLevel = learn.BandLevel(pred.Severity.Top().Class)
	}
	fromModel, parts := 0, 1 // of relevance, category, level
	switch {
	case rv.relevant:
	case modelRel && rv.excludedBy != "":
		lines = append(lines, fmt.Sprintf("模型判为相关，但排除规则%s已生效：按不相关处理", rv.excludedBy))
	case modelRel:
		res.Relevant = true
		fromModel++
		lines = append(lines, fmt.Sprintf("规则得分未达阈值，模型判为相关（可能性 %s）：按相关处理", percent(pRel)))
	}
	if res.Relevant {
		parts += 2
		res.Category = rv.category
		if !rv.catByRule {
			c := pred.Category.Top()
			res.Category = taxonomy.Category(c.Class)
			fromModel++
			lines = append(lines, fmt.Sprintf("没有规则为类别投票，类别由模型判定：%s（可能性 %s）", taxonomy.Category(c.Class).Name(), percent(c.P)))
		}
		var levelFromModel bool
		if lines, levelFromModel = combineLevel(res, rv, in, mLevel, lines); levelFromModel {
			fromModel++
		}
	}
	if rv.sentiment != "" && rv.sentiment != sent.Class {
		lines = append(lines, fmt.Sprintf("情感由规则%s定为%s（模型判为%s）", rv.sentimentBy,
			taxonomy.SentimentName(rv.sentiment), taxonomy.SentimentName(sent.Class)))
	}
	if line := information(res, rv, pred.Sentiment.Of(learn.Negative)); line != "" {
		lines = append(lines, line)
	}
	switch fromModel {
	case 0:
		res.DecidedBy = DecidedByRules
	case parts:
		res.DecidedBy = DecidedByModel
	default:
		res.DecidedBy = DecidedByBoth
	}
	return lines
}

// modelVerdictLine is the model's reason: 模型判断：相关可能性 …；主要依据：…, built
// by hand, as reason is: every graded post gets this line.
func modelVerdictLine(in *learn.Input, pRel, pMajor float64, sent learn.Prob, relClass string) string {
	var sb strings.Builder
	sb.Grow(256)
	sb.WriteString("模型判断：相关可能性 ")
	writePercent(&sb, pRel)
	sb.WriteString("，重大可能性 ")
	writePercent(&sb, pMajor)
	sb.WriteString("，情感")
	sb.WriteString(taxonomy.SentimentName(sent.Class))
	sb.WriteString("（")
	writePercent(&sb, sent.P)
	sb.WriteString("）；主要依据：")
	writeModelTerms(&sb, in, learn.HeadRelevance, relClass)
	return sb.String()
}

// combineLevel sets the level of a relevant post from the rules' (rv) and
// the model's band (mLevel; 0: the model finds it irrelevant): an
// operator's escalator or de-escalator keeps the last word, the model
// decides where no rule speaks or when it is the more severe, and a
// disagreement about Ⅰ/Ⅱ files the post for review at least Ⅱ (疑似). It
// appends its reasons to lines and says whether the level is the model's.
func combineLevel(res *Result, rv *rulesVerdict, in *learn.Input, mLevel taxonomy.Level, lines []string) ([]string, bool) {
	ruleSpoke := rv.relevant || rv.levelByRule // the rules have a level for this post
	level, levelFromModel := rv.level, false
	switch {
	case !ruleSpoke:
		level, levelFromModel = mLevel, true
		lines = append(lines, fmt.Sprintf("等级由模型判定：%s", level.Label()))
	case mLevel != 0 && mLevel < level && !rv.levelByRule:
		level, levelFromModel = mLevel, true
		lines = append(lines, fmt.Sprintf("模型判定为%s，重于规则的%s：取%s",
			mLevel.Label(), rv.level.Label(), mLevel.Label()))
	case mLevel != 0 && mLevel < level:
		lines = append(lines, fmt.Sprintf("等级由规则设定为%s，模型判定的%s不改变它", level.Label(), mLevel.Label()))
	}
	ruleMajor := ruleSpoke && rv.level.IsMajor()
	modelMajor := mLevel.IsMajor()
	if modelMajor && !ruleMajor && rv.majorLowered && !level.IsMajor() {
		lines = append(lines, fmt.Sprintf("模型判为重大，但降级规则已把重大线索降为%s：不标记为疑似", level.Label()))
	} else if ruleMajor != modelMajor {
		res.Review = true
		if level > taxonomy.LevelII {
			level, levelFromModel = taxonomy.LevelII, true
		}
		ruleSays, modelSays := "未达Ⅱ级", "未达Ⅱ级"
		if ruleMajor {
			ruleSays = rv.level.Label()
		}
		if modelMajor {
			modelSays = "重大（Ⅰ/Ⅱ级）"
		}
		lines = append(lines, fmt.Sprintf("规则与模型对是否达到Ⅱ级以上意见不一（规则：%s，模型：%s）：定为%s，标记为疑似，待人工确认或降级",
			ruleSays, modelSays, level.Label()))
	}
	if modelMajor {
		lines = append(lines, "模型判为重大的依据："+modelTerms(in, learn.HeadSeverity, learn.Major))
	}
	res.Level = level
	return lines, levelFromModel
}

// information decides whether a relevant post is 舆情信息 and says why:
// a neutral or positive 一般 post whose tone a rule set, or that the model
// is fairly sure is no complaint (pNeg, its probability of a negative
// sentiment, under informationMaxNegative; pNeg is 1 without a model).
func information(res *Result, rv *rulesVerdict, pNeg float64) string {
	if !res.Relevant || !taxonomy.IsInformation(res.Level, res.Sentiment) {
		return ""
	}
	switch {
	case rv.sentiment != "":
		res.Information = true
		return fmt.Sprintf("规则%s判定为%s的一般信息：列入舆情信息，不登记事件", rv.sentimentBy, taxonomy.SentimentName(res.Sentiment))
	case pNeg < informationMaxNegative:
		res.Information = true
		return fmt.Sprintf("%s的一般信息（负面可能性 %s）：列入舆情信息，不登记事件", taxonomy.SentimentName(res.Sentiment), percent(pNeg))
	}
	return fmt.Sprintf("情感判为%s，但负面可能性 %s 不够低：仍登记为事件，以免漏掉投诉", taxonomy.SentimentName(res.Sentiment), percent(pNeg))
}

// modelTerms lists the words and bigrams of the post that weigh most for
// class of head (the class the model chose), with their weights:
// 骗保（+1.24）、套现（+0.88）. Only terms that speak for the class are
// listed; rule hits and engagement figures are left out (the rule reasons
// show those), and a text listed as a word is not listed again as a
// bigram.
func modelTerms(in *learn.Input, head, class string) string {
	var sb strings.Builder
	writeModelTerms(&sb, in, head, class)
	return sb.String()
}

// writeModelTerms writes modelTerms to sb.
func writeModelTerms(sb *strings.Builder, in *learn.Input, head, class string) {
	// Twice as many as shown: a word and its bigram may name one term.
	cs, err := in.Support(head, class, 2*explainTerms, isShownTerm)
	if err != nil { // head and class are learn's own constants
		panic(err)
	}
	shown := make([]string, 0, explainTerms)
	var buf [24]byte
	for _, c := range cs {
		t, _ := learn.Term(c.Feature)
		if slices.Contains(shown, t) {
			continue
		}
		if len(shown) > 0 {
			sb.WriteString("、")
		}
		shown = append(shown, t)
		sb.WriteString(t)
		sb.WriteString("（")
		if c.Weight >= 0 {
			sb.WriteByte('+')
		}
		sb.Write(appendFixed2(buf[:0], c.Weight))
		sb.WriteString("）")
		if len(shown) == explainTerms {
			break
		}
	}
	if len(shown) == 0 {
		sb.WriteString("无（帖子里没有支持这一判断的已知词）")
	}
}

// isShownTerm: a reason names the model's words and bigrams, but not its
// rule hits, engagement figures or stop-words.
func isShownTerm(feature string) bool {
	t, ok := learn.Term(feature)
	return ok && !stopWords[t]
}

func percent(p float64) string { return strconv.Itoa(int(p*100+0.5)) + "%" }

// writePercent writes percent(p) to sb.
func writePercent(sb *strings.Builder, p float64) {
	var buf [24]byte
	sb.Write(strconv.AppendInt(buf[:0], int64(int(p*100+0.5)), 10))
	sb.WriteByte('%')
}
