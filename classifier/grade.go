package classifier

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

const (
	fieldTitle = "title"
	fieldBody  = "body"
)

// fired is one rule that fired on a post.
type fired struct {
	r       *rule
	factor  float64 // title factor (or 1) times the count_terms multiplier
	vfactor float64 // the same for category votes (title_vote_factor)
	where   string  // 标题 / 正文 / 标题+正文
	terms   []string
}

// gradeScratch is the reusable state of one Grade call.
type gradeScratch struct {
	keys []matchKey // sortedMatches' buffer
	// matches collects the evidence in the order the rules give it;
	// sortedMatches then copies it, sorted, into the result at its exact
	// size (sized up front, the result's slice was twice too large).
	matches []model.Match
	f       [2]scratch
	mark    []bool  // mark[r]: rule r is already a candidate
	cand    []int32 // candidate rules of this post
	// evalRule's and cond's buffers
	seen     map[uint64]struct{}
	spans    []uint64 // evidence.spans
	seenTerm []int    // evidence.seenTerm
	ints     []int
	heads    [][]int32
	side     []bool
	// example's buffers: the model's tokens and rule hits of the post,
	// and each field's tokens
	exToks, exRules []string
	words           [2][]string
	// terms holds the fired rules' terms (fired.terms) of one post, one
	// slice after another: one buffer instead of a few allocations per
	// fired rule. It is only appended to, so a slice stays valid when a
	// later rule grows it.
	terms []string
}

// small reports whether sc may go back to the pool: the buffers of a huge
// post (tens of megabytes) are left to the collector rather than kept for
// the ordinary posts that follow.
func (sc *gradeScratch) small() bool {
	for i := range sc.f {
		if cap(sc.f[i].bound) > 1<<20 || cap(sc.f[i].hits) > 1<<16 {
			return false
		}
	}
	return cap(sc.matches) <= 1<<16 && cap(sc.exToks) <= 1<<16 && cap(sc.words[1]) <= 1<<16
}

// candidates returns, in rule order, the rules whose trigger terms occur.
func (e *Engine) candidates(fields *[2]fieldHits, sc *gradeScratch) []int32 {
	cand := sc.cand[:0]
	for fi := range fields {
		for _, id := range fields[fi].terms {
			for _, ri := range e.rules.byTerm[id] {
				if !sc.mark[ri] {
					sc.mark[ri] = true
					cand = append(cand, ri)
				}
			}
		}
	}
	for _, ri := range cand {
		sc.mark[ri] = false
	}
	slices.Sort(cand)
	sc.cand = cand
	return cand
}

// Grade grades one post, however long it takes. Pure and safe for
// concurrent use.
func (e *Engine) Grade(p Post) Result { return e.grade(p, 0, nil) }

// GradeWithin grades one post within about budget (0: no limit). Title
// and body are segmented chunk by chunk (segChunk); when a third of the
// budget has passed after a chunk, the rest is left out (after a title cut
// short, the whole body), the grade is made from what was read, and
// Result.CutShort and a reason say so. A third, because matching and
// rules, and then filing the post's words into an incident, each cost
// about as much again as the segmentation, linear in the text read, so
// the whole stage stays near the budget however loaded the machine is.
// The first chunk is always read, so a tiny budget gives the same grade
// every time.
func (e *Engine) GradeWithin(p Post, budget time.Duration) Result { return e.grade(p, budget, nil) }

// grade is GradeWithin; with exOut set it grades with the rules alone and
// stores the post's Example there (Engine.Example).
func (e *Engine) grade(p Post, budget time.Duration, exOut *learn.Example) Result {
	var deadline time.Time
	if budget > 0 {
		deadline = time.Now().Add(budget / 3)
	}
	sc := e.scratch.Get().(*gradeScratch)
	defer func() {
		if sc.small() {
			e.scratch.Put(sc)
		}
	}()
	sc.terms = sc.terms[:0]
	var fields [2]fieldHits
	read := e.readFields(&p, deadline, &fields, sc)
	// A reason per fired rule and about ten more: sized once.
	res := Result{Grade: model.Grade{RulesVersion: e.version, Reasons: make([]string, 0, 16)}}
	matches := sc.matches[:0]
	if len(read[0]) < len(p.Title) || len(read[1]) < len(p.Body) {
		res.CutShort = true
		res.Reasons = append(res.Reasons, cutShortReason(read, [2]string{p.Title, p.Body}))
	}
	fr := e.fireRules(&fields, &matches, &res, sc)
	sw := p.SourceWeight
	if sw <= 0 {
		sw = 1
	}
	res.Score = math.Round(fr.score*sw*100) / 100
	res.Relevant = res.Score >= e.rules.opts.Threshold && res.Score > 0
	res.DecidedBy = DecidedByRules

	// Category and level as the rules give them; with a model, also for a
	// post they leave irrelevant, which the model may make relevant.
	useModel := e.model != nil && exOut == nil
	rv := rulesVerdict{relevant: res.Relevant}
	if res.Relevant || useModel {
		e.rulesVerdict(&rv, fr.fires, fr.votes, &p)
	}
	if res.Relevant {
		res.Category, res.Level = rv.category, rv.level
	}
	res.Sentiment = rv.sentiment // where no rule speaks, the model's (combine)
	var modelLines []string
	if useModel || exOut != nil {
		ex := example(read, &fields, sc, matches, &p)
		if exOut != nil {
			*exOut = ex
			exOut.Tokens, exOut.Rules = slices.Clone(ex.Tokens), slices.Clone(ex.Rules) // sc's buffers
		} else {
			modelLines = e.combine(&res, &rv, &ex)
		}
		clear(sc.exToks) // keep no post's text alive in the pool
		if res.Relevant {
			res.Words = &model.Words{Title: cloneWords(sc.words[0]), Body: cloneWords(sc.words[1])}
		}
		clear(sc.words[0])
		clear(sc.words[1])
	}
	e.explain(&res, &fr, &rv, sw, &p)
	res.Reasons = append(res.Reasons, modelLines...)
	if !useModel && exOut == nil {
		// Without a model only a rule's sentiment can make information.
		if line := information(&res, &rv, 1); line != "" && res.Information {
			res.Reasons = append(res.Reasons, line)
		}
	}
	e.finish(&res, &p, read, &fields, sc, matches)
	return res
}

// finish adds what every grade ends with: the conclusion line, the search
// text when asked, the sorted matches and a relevant post's words.
func (e *Engine) finish(res *Result, p *Post, read [2]string, fields *[2]fieldHits, sc *gradeScratch, matches []model.Match) {
	if res.Relevant {
		concl := "结论：" + res.Category.Name() + "，" + res.Level.Label()
		if res.Review {
			concl += "（疑似，待人工确认）"
		}
		res.Reasons = append(res.Reasons, concl)
	}
	if p.Search {
		if res.CutShort { // the budget left text unread: cut it all now
			res.SearchText = e.SearchText(p.Title, p.Body)
		} else {
			res.SearchText = searchText(read, fields, sc)
		}
	}
	res.Matches = sortedMatches(matches, sc)
	sc.matches = matches[:0]
	if res.Relevant && res.Words == nil { // only relevant posts are filed into incidents
		res.Words = &model.Words{Title: tokenTexts(read[0], &fields[0], sc.f[0].toks),
			Body: tokenTexts(read[1], &fields[1], sc.f[1].toks)}
	}
}

// readFields normalises, segments and matches the title and the body
// into fields, within the deadline (zero: none), and returns what was read
// of each: the title alone may use up the budget, and a field may be cut.
func (e *Engine) readFields(p *Post, deadline time.Time, fields *[2]fieldHits, sc *gradeScratch) [2]string {
	read := [2]string{p.Title, p.Body}
	for i := range read {
		if i == 1 && len(read[0]) < len(p.Title) {
			read[1] = "" // the title alone used up the budget
		}
		text := read[i]
		n := e.fold.normalize(text)
		var cut int
		sc.f[i].toks, sc.f[i].inner, cut = e.tokens(n.s, sc.f[i].toks, sc.f[i].inner, deadline)
		if cut < len(n.s) {
			n = n.prefix(cut)
			_, end := n.origSpan(0, cut)
			read[i] = text[:end]
		}
		fields[i] = e.match.match(n, sc.f[i].toks, sc.f[i].inner, &sc.f[i])
	}
	return read
}

// firedRules is what the rules that fired add up to.
type firedRules struct {
	fires  []fired
	score  float64                       // relevance, before the source weight
	votes  map[taxonomy.Category]float64 // by category
	capped bool                          // some evidence was left out (maxMatchesPerTerm)
}

// fireRules evaluates the candidate rules of fields, appending their
// evidence to matches and a reason per rule an exclusion term stopped.
func (e *Engine) fireRules(fields *[2]fieldHits, matches *[]model.Match, res *Result, sc *gradeScratch) firedRules {
	fr := firedRules{fires: make([]fired, 0, 32), votes: map[taxonomy.Category]float64{}}
	for _, ri := range e.candidates(fields, sc) {
		r := &e.rules.rules[ri]
		f, excl, ok, c := e.evalRule(r, fields, matches, sc)
		fr.capped = fr.capped || c
		if excl != "" {
			res.Reasons = append(res.Reasons, fmt.Sprintf("规则%s因排除词「%s」不生效", r.label, excl))
		}
		if !ok {
			continue
		}
		fr.fires = append(fr.fires, f)
		fr.score += r.weight * f.factor
		if r.category != "" {
			fr.votes[r.category] += r.votes * f.vfactor
		}
	}
	return fr
}

// explain appends the rules' reasons: one per fired rule, the source
// weight, the score against the threshold, and for a relevant post the
// votes and the engagement tier.
func (e *Engine) explain(res *Result, fr *firedRules, rv *rulesVerdict, sw float64, p *Post) {
	for _, f := range fr.fires {
		res.Reasons = append(res.Reasons, e.reason(f, res.Relevant))
	}
	if fr.capped {
		res.Reasons = append(res.Reasons, fmt.Sprintf("命中处过多：每条规则每个词在标题、正文中各只列出前 %d 处", maxMatchesPerTerm))
	}
	if sw != 1 {
		res.Reasons = append(res.Reasons, fmt.Sprintf("来源 %s 权重 ×%.2f", p.Source, sw))
	}
	verdict := "不相关"
	if rv.relevant {
		verdict = "相关"
	}
	// 相关性得分 6.00（阈值 2.00）：相关, on every post: by hand, as reason.
	var line strings.Builder
	line.Grow(64)
	var num [24]byte
	line.WriteString("相关性得分 ")
	line.Write(appendFixed2(num[:0], res.Score))
	line.WriteString("（阈值 ")
	line.Write(appendFixed2(num[:0], e.rules.opts.Threshold))
	line.WriteString("）：")
	line.WriteString(verdict)
	res.Reasons = append(res.Reasons, line.String())
	if res.Relevant {
		if rv.voteLine != "" {
			res.Reasons = append(res.Reasons, rv.voteLine)
		}
		if rv.engagement != "" {
			res.Reasons = append(res.Reasons, rv.engagement)
		}
	}
}

// rulesVerdict fills rv with the category and level the rules give a
// relevant post: the category with most votes (ties by the configured
// order), the level from the base, escalators, de-escalators, then
// engagement.
func (e *Engine) rulesVerdict(rv *rulesVerdict, fires []fired, votes map[taxonomy.Category]float64, p *Post) {
	e.voteCategory(rv, votes)
	rv.sentiment, rv.sentimentBy = rulesSentiment(fires)
	level := e.ruleLevel(rv, fires)
	rv.level = e.engagementLevel(rv, level, p)
}

// voteCategory sets the category with most votes (ties by the configured
// order; none: the default) and the line of votes.
func (e *Engine) voteCategory(rv *rulesVerdict, votes map[taxonomy.Category]float64) {
	best, bestV := taxonomy.Category(""), 0.0
	for k, v := range votes {
		if v <= 0 {
			continue
		}
		if best == "" || v > bestV+1e-9 || (math.Abs(v-bestV) <= 1e-9 && e.rank[k] < e.rank[best]) {
			best, bestV = k, v
		}
	}
	rv.catByRule = best != ""
	if best == "" {
		best = e.rules.opts.DefaultCategory
	}
	rv.category = best
	if len(votes) == 0 {
		return
	}
	keys := make([]taxonomy.Category, 0, len(votes))
	for k := range votes {
		keys = append(keys, k)
	}
	// Most votes first; categories rank apart, so the order is total.
	slices.SortFunc(keys, func(a, b taxonomy.Category) int {
		if votes[a] != votes[b] {
			return cmp.Compare(votes[b], votes[a])
		}
		return e.rank[a] - e.rank[b]
	})
	// 类别票数：医保报销 8.75，就医购药 3.00 (by hand, as reason: this runs
	// on every relevant post)
	var sb strings.Builder
	sb.Grow(len("类别票数：") + len(keys)*32)
	sb.WriteString("类别票数：")
	var buf [24]byte
	for i, k := range keys {
		if i > 0 {
			sb.WriteString("，")
		}
		sb.WriteString(k.Name())
		sb.WriteByte(' ')
		sb.Write(appendFixed2(buf[:0], votes[k]))
	}
	rv.voteLine = sb.String()
}

// ruleLevel is the level the fired rules give: the base, raised by the
// most severe escalator, then lowered by the largest de-escalator that
// applies at that level.
func (e *Engine) ruleLevel(rv *rulesVerdict, fires []fired) taxonomy.Level {
	level := e.rules.opts.BaseLevel
	for _, f := range fires {
		if f.r.raiseTo != 0 && f.r.raiseTo < level {
			level = f.r.raiseTo
			rv.levelByRule = true
		}
		if f.r.weight < 0 && rv.excludedBy == "" {
			rv.excludedBy = f.r.label
		}
	}
	lower := 0
	for _, f := range fires {
		if f.r.lower > 0 && (f.r.keepAt == 0 || level > f.r.keepAt) && f.r.lower > lower {
			lower = f.r.lower
			rv.levelByRule = true
		}
	}
	if lower > 0 && level.IsMajor() && !(level + taxonomy.Level(lower)).IsMajor() {
		rv.majorLowered = true
	}
	return min(level+taxonomy.Level(lower), taxonomy.LowestLevel)
}

// engagementLevel raises level by the first engagement tier the post
// reaches, up to the tier's highest level, and says so in rv.
func (e *Engine) engagementLevel(rv *rulesVerdict, level taxonomy.Level, p *Post) taxonomy.Level {
	for _, ti := range e.tiers {
		t := &e.rules.opts.Engagement[ti]
		why, ok := engagementHit(t, p)
		if !ok {
			continue
		}
		highest := t.Highest
		if highest == 0 {
			highest = taxonomy.LevelI
		}
		if level <= highest {
			rv.engagement = fmt.Sprintf("互动量高（%s），但等级已是%s，不再升级",
				why, level.Roman())
			return level
		}
		nl := max(level-taxonomy.Level(t.Raise), highest)
		rv.engagement = fmt.Sprintf("互动量高（%s）：等级由%s升至%s",
			why, level.Roman(), nl.Roman())
		return nl
	}
	return level
}

// cutShortReason tells staff how much of a post a cut-short grade read:
// 研判超时，仅依据正文前 5461 字（全文 800000 字）. The budget itself is an
// operator setting, not something staff act on, so it is not named.
func cutShortReason(read, full [2]string) string {
	chars := func(s string) int { return utf8.RuneCountInString(s) }
	if len(read[0]) < len(full[0]) { // a title too long to read in time
		return fmt.Sprintf("研判超时，仅依据标题前 %d 字（标题共 %d 字），正文未读", chars(read[0]), chars(full[0]))
	}
	return fmt.Sprintf("研判超时，仅依据正文前 %d 字（全文 %d 字）", chars(read[1]), chars(full[1]))
}

// cloneWords copies example's words of one field for Result.Words
// (never nil, as tokenTexts).
func cloneWords(w []string) []string {
	out := make([]string, len(w))
	copy(out, w)
	return out
}

// tokenTexts returns the original text of each token of one field, as
// Segment would: the tokens are spans of the normalized text.
func tokenTexts(orig string, fh *fieldHits, toks [][2]int) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		a, b := fh.norm.origSpan(t[0], t[1])
		out[i] = orig[a:b]
	}
	return out
}

// engagementHit reports whether p reached tier t and says which counts
// did, against which threshold: max(floor, times_typical × the source's
// typical count).
func engagementHit(t *engagementTier, p *Post) (string, bool) {
	var parts []string
	check := func(name string, got, floor int, typical float64) {
		if floor <= 0 {
			return
		}
		need := float64(floor)
		rel := ""
		if t.TimesTypical > 0 && typical > 0 {
			need = max(need, t.TimesTypical*typical)
			rel = fmt.Sprintf("，该来源通常为 %.0f，取 %.0f 与其 %g 倍中的较大者", typical, float64(floor), t.TimesTypical)
		}
		if float64(got) >= need {
			parts = append(parts, fmt.Sprintf("%s %d ≥ 门槛 %.0f%s", name, got, need, rel))
		}
	}
	check("回复", p.Replies, t.Replies, p.TypicalReplies)
	check("浏览", p.Views, t.Views, p.TypicalViews)
	check("转发", p.Reposts, t.Reposts, p.TypicalReposts)
	if len(parts) == 0 {
		return "", false
	}
	s := strings.Join(parts, "；")
	if t.Note != "" {
		s = t.Note + "：" + s
	}
	return s, true
}

// appendFixed2 is strconv.AppendFloat(buf, v, 'f', 2, 64), the figures
// of reasons (+1.25, 8.75 票), without strconv's general algorithm for the
// usual figure: when the computed v×100 lies within 0.4 of a whole number
// n (below 2^40, where it is within 2^-12 of the exact product), the
// exact v×100 is nearer n than any half-way point, so v's two correctly
// rounded decimals are n's digits, written directly. A grade writes a few
// dozen of them. TestAppendFixed2 holds the two equal.
func appendFixed2(buf []byte, v float64) []byte {
	x := v * 100
	n := math.Round(x)
	if math.Abs(x-n) > 0.4 || math.Abs(n) >= 1<<40 || n == 0 && math.Signbit(v) || x != x {
		return strconv.AppendFloat(buf, v, 'f', 2, 64)
	}
	i := int64(n)
	if i < 0 {
		buf = append(buf, '-')
		i = -i
	}
	buf = strconv.AppendInt(buf, i/100, 10)
	return append(buf, '.', byte('0'+i%100/10), byte('0'+i%10))
}

func (e *Engine) reason(f fired, relevant bool) string {
	// Built by hand rather than with fmt: one reason per fired rule on
	// every graded post, so this is on the hot path.
	r := f.r
	var sb strings.Builder
	// One allocation on most rules: the rule's and terms' text, plus room
	// for the fixed text and figures (up to about 200 with every effect).
	size := len(r.label) + len(f.where) + 160
	for _, t := range f.terms[:min(len(f.terms), 4)] {
		size += len(t) + len("、")
	}
	sb.Grow(size)
	sb.WriteString("规则")
	sb.WriteString(r.label)
	sb.WriteString("命中「")
	for i, t := range f.terms {
		if i == 4 {
			sb.WriteString("、…")
			break
		}
		if i > 0 {
			sb.WriteString("、")
		}
		sb.WriteString(t)
	}
	sb.WriteString("」(")
	sb.WriteString(f.where)
	sb.WriteString(")：")
	if writeEffects(&sb, f, relevant) == 0 {
		sb.WriteString("无作用")
	}
	return sb.String()
}

// writeEffects writes what a fired rule does, comma-separated, and
// returns how many effects it wrote (level changes count on a relevant
// post only).
func writeEffects(sb *strings.Builder, f fired, relevant bool) int {
	r := f.r
	n := 0
	sep := func() {
		if n > 0 {
			sb.WriteString("，")
		}
		n++
	}
	var buf [24]byte
	if r.weight != 0 {
		sep()
		sb.WriteString("相关性 ")
		w := r.weight * f.factor
		if w >= 0 {
			sb.WriteByte('+')
		}
		sb.Write(appendFixed2(buf[:0], w))
	}
	if r.sentiment != "" {
		sep()
		sb.WriteString("情感")
		sb.WriteString(taxonomy.SentimentName(r.sentiment))
	}
	if r.category != "" && r.votes > 0 {
		sep()
		sb.WriteString("类别「")
		sb.WriteString(r.category.Name())
		sb.WriteString("」+")
		sb.Write(appendFixed2(buf[:0], r.votes*f.vfactor))
		sb.WriteString(" 票")
	}
	if relevant {
		if r.raiseTo != 0 {
			sep()
			sb.WriteString("等级升至")
			sb.WriteString(r.raiseTo.Roman())
		}
		if r.lower != 0 {
			sep()
			sb.WriteString("等级降 ")
			sb.WriteString(strconv.Itoa(r.lower))
			sb.WriteString(" 级")
			if r.keepAt != 0 {
				sb.WriteString("（已达")
				sb.WriteString(r.keepAt.Roman())
				sb.WriteString("级及以上时不降）")
			}
		}
	}
	return n
}

// maxMatchesPerTerm caps the evidence a rule records per term and field.
// A long post can hold a term hundreds of thousands of times; every
// occurrence would go into the stored grade and onto the detail page. The
// first places are enough to see why a rule fired (the labelled posts have
// at most 44), and keeping a term's first hits also keeps its first
// highlights. Whether a rule fires and how much it weighs still count every
// hit.
const maxMatchesPerTerm = 100

// evalRule decides whether r fires. It returns the exclusion term when a
// none-term vetoed an otherwise firing rule.
// The evidence of a firing rule is appended to dst; capped reports that
// some of it was left out (maxMatchesPerTerm).
func (e *Engine) evalRule(r *rule, fields *[2]fieldHits, dst *[]model.Match, sc *gradeScratch) (f fired, excl string, ok, capped bool) {
	var scope []int
	switch r.scope {
	case scopeTitle:
		scope = []int{0}
	case scopeBody:
		scope = []int{1}
	default:
		scope = []int{0, 1}
	}
	if !e.cond(r, fields, scope, sc) {
		return fired{}, "", false, false
	}
	for _, fi := range scope {
		for _, id := range r.none {
			if fields[fi].has(id) {
				return fired{}, e.rules.terms[id].text, false, false
			}
		}
	}
	f = fired{r: r, factor: 1, vfactor: 1}
	if r.scope != scopeBody && e.cond(r, fields, []int{0}, sc) {
		f.factor, f.vfactor = e.rules.opts.TitleFactor, e.rules.opts.TitleVoteFactor
	}
	if r.perTerm > 1 {
		n := 0
		for _, id := range r.any {
			for _, fi := range scope {
				if fields[fi].has(id) {
					n++
					break
				}
			}
		}
		f.factor *= float64(min(n, r.perTerm))
		f.vfactor *= float64(min(n, r.perTerm))
	}
	ev := evidence{e: e, r: r, fields: fields, scope: scope, dst: dst, sc: sc, spans: sc.spans[:0], seenTerm: sc.seenTerm[:0]}
	first := len(sc.terms)
	ev.addList(r.any)
	for _, l := range r.all {
		ev.addList(l)
	}
	for _, n := range r.near {
		ev.addList(n.a)
		ev.addList(n.b)
	}
	if len(sc.seen) > 0 {
		clear(sc.seen)
	}
	sc.spans, sc.seenTerm = ev.spans[:0], ev.seenTerm[:0]
	f.terms = sc.terms[first:len(sc.terms):len(sc.terms)]
	switch {
	case ev.inField[0] && ev.inField[1]:
		f.where = "标题+正文"
	case ev.inField[0]:
		f.where = "标题"
	default:
		f.where = "正文"
	}
	return f, "", true, ev.capped
}

// smallSeen is how many evidence places a rule keeps in a slice before it
// needs a map: most posts list a few.
const smallSeen = 32

// evidence collects a firing rule's evidence: the hits of its positive
// terms in scope, each place once (医保* and *医保 on one 医保 are one
// match, listed under the term that came first), at most
// maxMatchesPerTerm per term and field.
type evidence struct {
	e      *Engine
	r      *rule
	fields *[2]fieldHits
	scope  []int
	dst    *[]model.Match
	sc     *gradeScratch

	spans    []uint64 // places listed, until smallSeen; then sc.seen
	seenTerm []int    // terms already listed: a rule has a handful
	inField  [2]bool
	capped   bool
}

// listed reports whether the place key was listed before, and lists it.
func (ev *evidence) listed(key uint64) bool {
	if len(ev.spans) < smallSeen {
		if slices.Contains(ev.spans, key) {
			return true
		}
		ev.spans = append(ev.spans, key)
		return false
	}
	seen := ev.sc.seen
	if len(seen) == 0 {
		for _, k := range ev.spans {
			seen[k] = struct{}{}
		}
	}
	if _, ok := seen[key]; ok {
		return true
	}
	seen[key] = struct{}{}
	return false
}

// addList lists the hits of the terms ids.
func (ev *evidence) addList(ids []int) {
	fields, sc := ev.fields, ev.sc
	for _, id := range ids {
		// Most of a long list is absent: two bit tests say so before
		// anything else.
		if !fields[0].has(id) && !fields[1].has(id) || slices.Contains(ev.seenTerm, id) {
			continue
		}
		for _, fi := range ev.scope {
			fh := &fields[fi]
			name := fieldTitle
			if fi == 1 {
				name = fieldBody
			}
			kept := 0
			for _, hi := range fh.of(id) {
				if kept == maxMatchesPerTerm {
					ev.capped = true
					break
				}
				h := fh.hits[hi]
				a, b := fh.norm.origSpan(h.start, h.end)
				if ev.listed(uint64(fi)<<62 | uint64(a)<<31 | uint64(b)) {
					continue
				}
				kept++
				*ev.dst = append(*ev.dst, model.Match{Rule: ev.r.id, Term: ev.e.rules.terms[id].text, Field: name, Start: a, End: b})
				ev.inField[fi] = true
			}
			if kept > 0 && !slices.Contains(ev.seenTerm, id) {
				ev.seenTerm = append(ev.seenTerm, id)
				sc.terms = append(sc.terms, ev.e.rules.terms[id].text)
			}
		}
	}
}

// cond evaluates any/all/near over the given fields.
func (e *Engine) cond(r *rule, fields *[2]fieldHits, scope []int, sc *gradeScratch) bool {
	hasAny := func(ids []int) bool {
		for _, fi := range scope {
			for _, id := range ids {
				if fields[fi].has(id) {
					return true
				}
			}
		}
		return false
	}
	if len(r.any) > 0 && !hasAny(r.any) {
		return false
	}
	if r.minCount > 1 && distinctStarts(fields, scope, r.any, sc) < r.minCount {
		return false
	}
	for _, l := range r.all {
		if !hasAny(l) {
			return false
		}
	}
	for _, n := range r.near {
		if !nearIn(fields, scope, n, sc) {
			return false
		}
	}
	return true
}

// distinctStarts counts the places where terms ids occur in scope: 医保*
// and *医保 on one 医保 count once. Sorting the starts keeps it
// O(h log h) in the hits, where checking each against a list was
// quadratic on a long post.
func distinctStarts(fields *[2]fieldHits, scope []int, ids []int, sc *gradeScratch) int {
	n := 0
	for _, fi := range scope {
		starts := sc.ints[:0]
		for _, id := range ids {
			for _, hi := range fields[fi].of(id) {
				starts = append(starts, fields[fi].hits[hi].start)
			}
		}
		slices.Sort(starts)
		n += len(slices.Compact(starts))
		sc.ints = starts[:0]
	}
	return n
}

// nearIn reports whether a hit of n.a and a hit of n.b lie at most
// n.within tokens apart (or overlap) in one field of scope.
//
// Hits x and y are near exactly when the token intervals
// [tokA, tokB+within+1] of the two overlap. Each term's hits come in
// increasing position, so merging the terms' lists yields every interval
// in order of its start, and one sweep that remembers the furthest end seen
// on each side finds an overlapping pair: O(h·k) for h hits of k terms,
// where comparing every pair was |a|×|b| (417 s for "医保"×400,000).
func nearIn(fields *[2]fieldHits, scope []int, n near, sc *gradeScratch) bool {
	for _, fi := range scope {
		fh := &fields[fi]
		// heads[i] is the unread part of the i-th list; side[i] tells
		// whether it belongs to n.b. A term in both lists is in both.
		heads, side := sc.heads[:0], sc.side[:0]
		for _, id := range n.a {
			if l := fh.of(id); len(l) > 0 {
				heads, side = append(heads, l), append(side, false)
			}
		}
		na := len(heads)
		for _, id := range n.b {
			if l := fh.of(id); len(l) > 0 {
				heads, side = append(heads, l), append(side, true)
			}
		}
		sc.heads, sc.side = heads, side
		if na == 0 || na == len(heads) {
			continue // one side has no hit in this field
		}
		found := false
		reach := [2]int{-1, -1} // furthest interval end seen on each side
		for {
			best := -1
			for i, l := range heads {
				if len(l) > 0 && (best < 0 || fh.hits[l[0]].tokA < fh.hits[heads[best][0]].tokA) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			h := fh.hits[heads[best][0]]
			heads[best] = heads[best][1:]
			s := 0
			if side[best] {
				s = 1
			}
			if reach[1-s] >= h.tokA {
				found = true
				break
			}
			reach[s] = max(reach[s], h.tokB+n.within+1)
		}
		clear(heads) // drop the references into the scratch until next use
		if found {
			return true
		}
	}
	return false
}

// matchKey orders one match: title before body, then start, then end, then
// the order the rules produced it in (so the sort is stable).
type matchKey struct {
	k uint64 // field (1 bit) | start (31 bits) | end (31 bits)
	i int32
}

// sortedMatches returns a copy of ms sorted by field (title first), start
// and end, keeping the rules' order among equal spans. It sorts packed
// integer keys rather than the structs: the matches of a post number in
// the hundreds and this runs on every graded post.
func sortedMatches(ms []model.Match, sc *gradeScratch) []model.Match {
	out := make([]model.Match, len(ms))
	if len(ms) < 2 {
		copy(out, ms)
		return out
	}
	keys := slices.Grow(sc.keys[:0], len(ms))
	for i, m := range ms {
		var f uint64
		if m.Field != fieldTitle {
			f = 1
		}
		keys = append(keys, matchKey{k: f<<62 | uint64(m.Start&0x7fffffff)<<31 | uint64(m.End&0x7fffffff), i: int32(i)})
	}
	slices.SortFunc(keys, func(a, b matchKey) int {
		switch {
		case a.k < b.k:
			return -1
		case a.k > b.k:
			return 1
		}
		return int(a.i - b.i)
	})
	for j, k := range keys {
		out[j] = ms[k.i]
	}
	sc.keys = keys
	return out
}

// rulesSentiment is the sentiment the fired rules set, if any, and the
// rule that set it: negative over positive over neutral, so that a
// grievance a rule sees is never talked down by a notice or a thank-you.
func rulesSentiment(fires []fired) (sentiment, by string) {
	for _, f := range fires {
		if sentimentRank(f.r.sentiment) > sentimentRank(sentiment) {
			sentiment, by = f.r.sentiment, f.r.label
		}
	}
	return sentiment, by
}

// sentimentRank orders sentiments for rulesSentiment; "" (none) is lowest.
func sentimentRank(s string) int {
	switch s {
	case taxonomy.Negative:
		return 3
	case taxonomy.Positive:
		return 2
	case taxonomy.Neutral:
		return 1
	}
	return 0
}
