package incident

import (
	"fmt"
	"hash/fnv"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Tokenizer splits text into words; the daemon passes the classifier's gse
// segmentation so that grouping sees the same words grading does.
type Tokenizer func(text string) []string

// BigramTokens is the fallback Tokenizer: overlapping character pairs of
// each run of letters and digits. It needs no dictionary.
func BigramTokens(text string) []string {
	var out []string
	var run []rune
	flush := func() {
		if len(run) == 1 {
			out = append(out, string(run))
		}
		for i := 0; i+1 < len(run); i++ {
			out = append(out, string(run[i:i+2]))
		}
		run = run[:0]
	}
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			run = append(run, unicode.ToLower(r))
			continue
		}
		flush()
	}
	flush()
	return out
}

// words keeps the tokens that carry content: letters or digits, lower-cased.
func words(toks []string) []string {
	out := toks[:0:0]
	for _, t := range toks {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		ok := false
		for _, r := range t {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				ok = true
				break
			}
		}
		if ok {
			out = append(out, strings.ToLower(t))
		}
	}
	return out
}

// SimHash is the 64-bit SimHash of a token list: each token votes on every
// bit with its FNV-1a hash; near-identical texts differ in few bits.
func SimHash(tokens []string) uint64 {
	var v [64]int
	for _, t := range tokens {
		h := fnv.New64a()
		h.Write([]byte(t))
		x := h.Sum64()
		for i := range 64 {
			if x&(1<<i) != 0 {
				v[i]++
			} else {
				v[i]--
			}
		}
	}
	var out uint64
	for i := range 64 {
		if v[i] > 0 {
			out |= 1 << i
		}
	}
	return out
}

// Distance is the Hamming distance of two SimHashes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Institution and place suffixes. A token ending in an institution suffix
// names a hospital, pharmacy or bureau; only fine-grained places (town,
// village, street, compound) identify an event: a city or county name is
// shared by far too many unrelated posts, and serves only to qualify a
// generic institution ("枫源市|肿瘤医院").
var (
	institutionSuffixes = []string{"医院", "卫生院", "卫生室", "诊所", "药店", "药房", "门诊部", "卫生服务中心",
		"医保局", "医保中心", "医疗保障局", "社保局", "保健院", "康复中心", "养老院", "医疗集团", "体检中心", "服务中心"}
	placeSuffixes  = []string{"镇", "乡", "村", "街道", "社区", "小区"}
	regionSuffixes = []string{"省", "市", "县", "区", "州", "旗"}
	// Words that end like a name but name nothing in particular.
	notNames = set("城市", "超市", "地区", "社区", "小区", "农村", "乡村", "街道", "市区", "城区", "郊区", "景区",
		"医院", "药店", "药房", "诊所", "大药房", "大医院", "小医院", "乡镇", "城镇", "村镇", "新村", "全村", "本村",
		"各区", "全市", "本市", "我市", "该市", "全县", "本县", "我县", "全区", "本区", "辖区", "园区", "灾区", "山区",
		"误区", "专区", "分区", "片区", "老区", "城乡", "家乡", "老乡", "下乡", "医保局", "社保局", "医保中心", "卫生院",
		"卫生室", "门诊部", "保健院", "养老院", "康复中心", "体检中心", "医疗集团", "卫生服务中心", "服务中心")
	// Descriptors that make an institution generic without a place or a
	// proper name before them ("肿瘤医院", "人民医院", "社区卫生服务中心").
	genericKinds = set("肿瘤", "附属", "附一", "附二", "附三", "妇幼", "骨科", "儿童", "口腔", "眼科", "精神", "中医",
		"社区", "民营", "私立", "公立", "加盟", "连锁", "定点", "乡镇", "县级", "市级", "省级", "三甲", "三级", "二级",
		"一级", "基层", "专科", "综合", "人民", "中心", "第一", "第二", "第三", "第四", "第五", "私人", "村", "大", "小",
		"中西医结合", "传染病", "结核病", "皮肤病", "心血管", "康复", "医保", "社保", "医疗", "市", "县", "区", "省",
		"街道", "镇", "乡", "该", "这家", "那家", "一家", "各", "本", "某", "社区卫生", "卫生", "医药", "大药")
	// Words too common in this domain to tell one event from another.
	stopTerms = set("医保", "医疗", "保险", "医院", "报销", "问题", "情况", "我们", "他们", "你们", "没有", "什么",
		"怎么", "这个", "那个", "一个", "已经", "现在", "大家", "网友", "市民", "群众", "反映", "请问", "希望", "相关",
		"部门", "工作", "进行", "表示", "今天", "昨天", "明天", "时候", "可以", "知道", "还是", "就是", "因为", "所以",
		"但是", "如果", "这样", "那么", "不是", "自己", "一下", "还有", "需要", "领导", "有关", "回复", "处理", "谢谢",
		"为什么", "怎么办", "是否", "目前", "之后", "以后", "以前", "一直", "非常", "可能", "应该", "真的", "这些",
		"那些", "一些", "很多", "出来", "起来", "看到", "发现", "说", "要求", "政策", "规定", "办理", "单位",
		"个人", "人员", "工作人员", "电话", "联系", "地方", "东西", "事情", "时间", "医保卡", "参保", "转帖", "转发",
		"尊敬", "您好", "你好", "请求", "咨询", "建议", "解决", "长期", "多次", "每次", "一次", "今年", "去年", "每年",
		"结果", "费用", "治疗", "申请", "国家", "政府", "老百姓", "百姓", "由于", "得到", "部分", "基本", "只能",
		"不能", "多久", "三个", "两个", "几个", "这种", "那种", "其中", "以上", "以下", "之前", "至今", "当时", "后来",
		"居民", "职工", "家里", "本人", "父亲", "母亲", "孩子", "老人", "医生", "病人", "患者", "家属", "我家")
)

// StopTerm reports whether t is a word too common in this domain to tell
// one event from another: key terms leave it out, and so do rising words
// (package report).
func StopTerm(t string) bool { return stopTerms[t] }

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

func hanOnly(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func hasAnySuffix(s string, suffixes []string) (string, bool) {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return x, true
		}
	}
	return "", false
}

// functionChars are one-character words that never start or continue a
// name ("去医院", "在村里").
var functionChars = set("的", "了", "在", "去", "是", "有", "也", "被", "给", "把", "到", "和", "与", "及", "说", "这",
	"那", "家", "个", "我", "你", "他", "她", "们", "从", "向", "对", "就", "都", "还", "又", "很", "让", "找", "进", "回",
	"上", "下", "里", "中", "某", "该", "各", "本", "全", "省", "市", "县", "区", "镇", "乡", "村", "年", "月", "日", "号",
	"一", "二", "两", "几", "多", "路", "店")

// notBefore are words that often stand right before a suffix without being
// part of a name ("交给医院", "一家医院").
var notBefore = set("交给", "送到", "住进", "来到", "前往", "去了", "到了", "一家", "这家", "那家", "哪家", "每家",
	"附近", "当地", "本地", "外地", "异地", "定点", "公立", "私立", "民营", "社区", "乡镇", "街道", "人民", "中心",
	"学院", "大学", "每年", "今年", "去年", "所在", "全省", "全市", "全县", "举报", "反映", "投诉", "曝光", "位于",
	"来自", "实名", "关于", "网传", "爆料")

// nameWord reports whether a known word can be (part of) a proper name.
func nameWord(t string) bool {
	if n := utf8.RuneCountInString(t); !hanOnly(t) || n < 2 || n > 3 || stopTerms[t] || notBefore[t] || notNames[t] || genericKinds[t] {
		return false
	}
	_, region := hasAnySuffix(t, regionSuffixes)
	return !region
}

// nameBefore returns the proper name that ends right before toks[i] and
// where it starts: single unknown characters ("康|福"), possibly after a
// known word ("惠民|堂"), or a known word alone ("仁和").
func nameBefore(toks []string, i int) (string, int) {
	j := i
	for j > 0 && i-j < 4 && utf8.RuneCountInString(toks[j-1]) == 1 && hanOnly(toks[j-1]) && !functionChars[toks[j-1]] {
		j--
	}
	if j > 0 && i-j <= 1 && nameWord(toks[j-1]) { // "惠民|堂", "仁和"
		j--
	}
	name := strings.Join(toks[j:i], "")
	if utf8.RuneCountInString(name) < 2 {
		return "", i
	}
	return name, j
}

// regionBefore returns the region name ("枫源市", "澄溪县") ending right
// before toks[i], or "".
func regionBefore(toks []string, i int) string {
	if i == 0 || !hanOnly(toks[i-1]) {
		return ""
	}
	t := toks[i-1]
	if _, ok := hasAnySuffix(t, regionSuffixes); !ok || notNames[t] {
		return ""
	}
	if utf8.RuneCountInString(t) >= 3 {
		return t // a known region: "西湖区"
	}
	if utf8.RuneCountInString(t) == 1 {
		if p, _ := nameBefore(toks, i-1); p != "" {
			return p + t // "枫|源|市"
		}
	}
	return ""
}

// Entities returns the institution and fine-grained place names among
// tokens, in order of first appearance. gse leaves unknown names as single
// characters ("康|福|医院"), which are joined back to the suffix they
// precede; a generic institution ("肿瘤医院", "人民|医院") counts only with
// a proper name or the region before it ("枫源市肿瘤医院", "岚川市人民医院").
func Entities(toks []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] && !notNames[n] && utf8.RuneCountInString(n) >= 3 {
			seen[n] = true
			out = append(out, n)
		}
	}
	for i, t := range toks {
		if !hanOnly(t) || notNames[t] && !slices.Contains(institutionSuffixes, t) && !slices.Contains(placeSuffixes, t) {
			continue // "农村", "超市": common words, not names
		}
		suf, isInst := hasAnySuffix(t, institutionSuffixes)
		_, isPlace := hasAnySuffix(t, placeSuffixes)
		switch {
		case isInst:
			if kind := strings.TrimSuffix(t, suf); kind != "" && !genericKinds[kind] {
				add(t) // a known name: "仁和医院", "城关镇卫生院"
				continue
			}
			// A bare or generic institution: take the generic words before
			// it ("安泰|康复|医院"), then the name or region before those.
			k := i
			for k > 0 && i-k < 2 && genericKinds[toks[k-1]] {
				k--
			}
			name, j := nameBefore(toks, k)
			if genericKinds[name] { // "附|一|医院"
				name, k = "", j
			}
			generic := strings.Join(toks[k:i+1], "")
			if name != "" {
				add(regionBefore(toks, j) + name + generic)
			} else if r := regionBefore(toks, k); r != "" {
				add(r + generic)
			}
		case isPlace:
			if utf8.RuneCountInString(t) >= 3 && !notNames[t] {
				add(t) // "城关镇", "东湖社区"
			} else if name, _ := nameBefore(toks, i); name != "" {
				add(name + t) // "石屋|村"
			}
		}
	}
	return out
}

// areaScopes are the words that make a post's matter area-wide: an
// outage, a policy change or a price rise across the whole city or county
// names no hospital or village that grouping could share.
var areaScopes = []string{"全市", "全省", "全县", "全区", "全城", "全州", "全旗"}

// areaLead is how much of a body without a title is read for the scope:
// the scope of an area-wide matter comes first ("全市医保刷不了了").
const areaLead = 60

// AreaEntity is the name grouping gives an area-wide matter, as if it
// were a place: the scope and the category ("全市范围·系统技术"), so that
// posts about one citywide outage share it and join one incident (with
// EventMinTerms key terms in common, as any event), while a citywide
// price rise of another category does not. The scope is read from the
// title, or the start of a post without one: a passing "全市" deep in a
// long letter does not make its matter area-wide. "" when p is not.
func AreaEntity(title, body string, cat taxonomy.Category) string {
	lead := title
	if strings.TrimSpace(lead) == "" {
		lead = body
		if r := []rune(lead); len(r) > areaLead {
			lead = string(r[:areaLead])
		}
	}
	for _, s := range areaScopes {
		if strings.Contains(lead, s) && cat.Valid() {
			// A region the lead names qualifies the scope ("安平县全县范围"),
			// so two counties' outages stay apart; sameEntity still matches
			// it with the bare scope of a post that names none.
			return areaRegion(lead) + s + "范围·" + cat.Name()
		}
	}
	return ""
}

// regionName finds a city or county name: two or three Han characters
// before 市 or 县 that are not a scope or a pronoun (全市, 本县, 我市).
var regionName = regexp.MustCompile(`(\p{Han}{2,3})(市|县)`)

// areaRegion is the first city or county the lead names, or "".
func areaRegion(lead string) string {
	for _, m := range regionName.FindAllStringSubmatch(lead, -1) {
		name := m[1]
		last, _ := utf8.DecodeLastRuneInString(name)
		if strings.ContainsRune("全本我该各外省城在到致是", last) || notNames[m[0]] {
			continue
		}
		return m[0]
	}
	return ""
}

// maxTerms bounds the key terms kept per post.
const maxTerms = 40

// KeyTerms returns the distinct content words of a post (at least two
// characters, not domain stop words, not entity names), most frequent first.
func KeyTerms(toks []string, entities []string) []string {
	ent := set(entities...)
	count := map[string]int{}
	var order []string
	for _, t := range toks {
		if utf8.RuneCountInString(t) < 2 || stopTerms[t] || ent[t] || !hasHan(t) || partOfAny(t, entities) {
			continue
		}
		if _, inst := hasAnySuffix(t, institutionSuffixes); inst && notNames[t] {
			continue
		}
		if count[t] == 0 {
			order = append(order, t)
		}
		count[t]++
	}
	slices.SortStableFunc(order, func(a, b string) int { return count[b] - count[a] })
	if len(order) > maxTerms {
		order = order[:maxTerms]
	}
	return order
}

// Fingerprint computes what grouping keeps of a post.
func (s *Service) Fingerprint(p model.Post) store.Fingerprint { return s.FingerprintWords(p, nil) }

// FingerprintWords is Fingerprint with the tokenizer's output for p given
// in w; w must be exactly what the Tokenizer returns for p.Title and
// p.Body. With w nil, or with no Tokenizer set (the bigram fallback, which
// grading's words would not match), the text is split here.
func (s *Service) FingerprintWords(p model.Post, w *model.Words) store.Fingerprint {
	var title, body []string
	switch tok := s.tokenize; {
	case w != nil && tok != nil:
		title, body = words(w.Title), words(w.Body)
	case tok != nil:
		title, body = words(tok(p.Title)), words(tok(p.Body))
	default:
		title, body = words(BigramTokens(p.Title)), words(BigramTokens(p.Body))
	}
	all := append(slices.Clip(title), body...)
	ents := Entities(title) // names never span the title and the body
	for _, e := range Entities(body) {
		if !slices.Contains(ents, e) {
			ents = append(ents, e)
		}
	}
	var h uint64
	if len(all) >= minSimHashWords {
		h = SimHash(all)
	}
	return store.Fingerprint{PostID: p.ID, SimHash: h, Entities: ents, Terms: KeyTerms(all, ents),
		FirstSeenAt: p.FirstSeenAt}
}

// minSimHashWords is the fewest words a post needs for its SimHash to mean
// anything: a few words of different posts agree in most bits by chance.
// Shorter posts get SimHash 0 and are never near-duplicates.
const minSimHashWords = 8

// match is a candidate incident for a new post, with why.
type match struct {
	incidentID int64
	reason     string
}

// nearDuplicate finds the first earlier post whose SimHash is within the
// policy's distance of fp.
func (s *Service) nearDuplicate(fp store.Fingerprint, cands []store.Fingerprint) (match, bool) {
	if fp.SimHash == 0 {
		return match{}, false
	}
	for _, c := range cands { // oldest first: join the first post's incident
		if c.PostID == fp.PostID || c.SimHash == 0 {
			continue
		}
		if d := Distance(fp.SimHash, c.SimHash); d <= s.policy.SimHashDistance {
			return match{c.IncidentID, fmt.Sprintf("与帖子 #%d 内容近似（转帖或改写，SimHash 海明距离 %d）", c.PostID, d)}, true
		}
	}
	return match{}, false
}

// sameEvent finds the open incident whose recent posts share the most with
// fp: at least one institution or place name and EventMinTerms key terms.
func (s *Service) sameEvent(fp store.Fingerprint, cands []store.Fingerprint) (match, bool) {
	if len(fp.Entities) == 0 {
		return match{}, false
	}
	terms := set(fp.Terms...)
	best, bestScore := match{}, 0
	for _, c := range cands {
		if c.PostID == fp.PostID || c.FirstSeenAt.Before(fp.FirstSeenAt.Add(-s.policy.EventWindow)) {
			continue
		}
		var se, st []string
		for _, e := range c.Entities {
			for _, f := range fp.Entities {
				if sameEntity(e, f) {
					se = append(se, e)
					break
				}
			}
		}
		for _, t := range c.Terms {
			if terms[t] {
				st = append(st, t)
			}
		}
		if len(se) == 0 || len(st) < s.policy.EventMinTerms {
			continue
		}
		if score := 2*len(se) + len(st); score > bestScore {
			if len(st) > 6 {
				st = st[:6]
			}
			bestScore = score
			best = match{c.IncidentID, fmt.Sprintf("同一事件：同涉「%s」，共同关键词「%s」（与帖子 #%d）",
				strings.Join(se, "、"), strings.Join(st, "、"), c.PostID)}
		}
	}
	return best, bestScore > 0
}

// sameEntity reports whether two names denote the same institution or
// place: equal, or one is the other with a region before it ("鹤汀市安泰康复医院"
// and "安泰康复医院"), the shorter at least four characters.
func sameEntity(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	return strings.HasSuffix(a, b) && utf8.RuneCountInString(b) >= 4
}

// partOfAny reports whether t is part of one of the names (the words of a
// name are not key terms of their own).
func partOfAny(t string, names []string) bool {
	for _, n := range names {
		if strings.Contains(n, t) {
			return true
		}
	}
	return false
}

// The SimHash is indexed in simHashBands bands of 16 bits: two hashes
// within distance d agree exactly in some band when d < simHashBands, and
// in general differ in at most d/simHashBands bits of some band
// (pigeonhole), so a lookup of each band's neighbours within that radius
// finds every near-duplicate. Band b takes every fourth bit from bit b: the
// bits FNV-1a mixes poorly for short words (about 26 to 39) are nearly
// constant over posts and would make a band of adjacent bits match many
// posts by chance; interleaved, each band gets a few of them.
const simHashBands = 4

// band returns band b of h.
func band(h uint64, b int) uint16 {
	var v uint16
	for j := range 16 {
		v |= uint16(h>>(simHashBands*j+b)&1) << j
	}
	return v
}

func bandKey(b int, v uint16) string { return fmt.Sprintf("b%d:%04x", b, v) }

// IndexKeys are the keys a fingerprint is stored under (store
// Fingerprint.Keys), so that filing reads only the posts a new post can
// match: the bands of its SimHash (none for SimHash 0, which never
// matches) and its names, each also under its proper suffixes of at least
// four characters (sameEntity). Migration 00007 computes the same keys in
// SQL for fingerprints stored before it.
func IndexKeys(fp store.Fingerprint) []string {
	var keys []string
	if fp.SimHash != 0 {
		for b := range simHashBands {
			keys = append(keys, bandKey(b, band(fp.SimHash, b)))
		}
	}
	for _, e := range fp.Entities {
		keys = append(keys, "e:"+e)
		for _, s := range longSuffixes(e) {
			keys = append(keys, "s:"+s)
		}
	}
	return keys
}

// candidateQuery names the stored posts fp could match (a superset: each
// found fingerprint is then checked in full): those sharing a SimHash band
// within the policy's distance, and those with a name matching one of fp's.
// A name f matches a stored name e when e = f ("e:f"), e ends with f of at
// least four characters ("s:f"), or f ends with e of at least four
// characters ("e:" + that suffix of f).
func (s *Service) candidateQuery(fp store.Fingerprint) store.CandidateQuery {
	q := store.CandidateQuery{SimHash: fp.SimHash, Distance: s.policy.SimHashDistance}
	if fp.SimHash != 0 && s.policy.SimHashDistance >= 0 {
		radius := s.policy.SimHashDistance / simHashBands
		for b := range simHashBands {
			for _, v := range within(band(fp.SimHash, b), radius) {
				q.Bands = append(q.Bands, bandKey(b, v))
			}
		}
	}
	if s.policy.EventWindow > 0 {
		for _, f := range fp.Entities {
			q.Names = append(q.Names, "e:"+f, "s:"+f)
			for _, suf := range longSuffixes(f) {
				q.Names = append(q.Names, "e:"+suf)
			}
		}
	}
	return q
}

// longSuffixes are the proper suffixes of name of at least four characters.
func longSuffixes(name string) []string {
	var out []string
	for i := range name {
		if i > 0 && utf8.RuneCountInString(name[i:]) >= 4 {
			out = append(out, name[i:])
		}
	}
	return out
}

// within returns the 16-bit values within Hamming distance radius of v.
func within(v uint16, radius int) []uint16 {
	out := []uint16{v}
	if radius <= 0 {
		return out
	}
	// Flip bits only above the highest one flipped so far: each set once.
	var flip func(x uint16, from, left int)
	flip = func(x uint16, from, left int) {
		for i := from; i < 16; i++ {
			y := x ^ 1<<i
			out = append(out, y)
			if left > 1 {
				flip(y, i+1, left-1)
			}
		}
	}
	flip(v, 0, radius)
	return out
}
