package crawler

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// This file guesses how a page is built, for Discover: which board
// software made it, where its list of threads is, and which elements of a
// thread page hold the post, its time and its author.

// software is a board program recognised on a page, with the source that
// reads it: a preset, or selectors where no preset exists.
type software struct {
	name   string // "Discuz! X3.4"
	preset string
	list   ListSelectors
	detail DetailSelectors
}

func (s software) method() string {
	if s.preset != "" {
		return s.preset
	}
	return "selectors"
}

func (s software) source(pageURL string) Source {
	if s.preset != "" {
		return presetCandidate(s.preset, pageURL, pageURL)
	}
	return Source{Name: sourceNameFor(pageURL, ""), URL: pageURL, List: s.list, Detail: s.detail}
}

// recogniser knows one board program by its generator meta tag or by
// markup only its pages have. A new preset for a program slots in by
// naming it in pick.
type recogniser struct {
	family    string
	generator *regexp.Regexp // on <meta name=generator>; group 1 the version
	marker    string         // CSS selector of markup typical of it
	pick      func(version string) software
}

var recognisers = []recogniser{
	{
		family:    "Discuz!",
		generator: regexp.MustCompile(`(?i)discuz!?\s*(x?\s*[\d.]+)?`),
		marker:    "tbody[id^=normalthread], div#postlist td[id^=postmessage], a.xst",
		pick: func(v string) software {
			v = strings.ToUpper(strings.ReplaceAll(v, " ", ""))
			if strings.HasPrefix(v, "X2") {
				return software{preset: PresetDiscuzX2}
			}
			return software{preset: PresetDiscuzX3}
		},
	},
	{
		// PHPWind 8 (tr.tr3.t_one, a.subject_t, div#read_tpc) and 9
		// (div.thread_posts_list, a.st, div.editor_content).
		family:    "PHPWind",
		generator: regexp.MustCompile(`(?i)phpwind\s*v?([\d.]+)?`),
		marker:    "tr.tr3.t_one, a.subject_t, div.thread_posts_list, div#read_tpc, div.tpc_content",
		pick: func(string) software {
			return software{
				list: ListSelectors{Item: "tr.tr3.t_one:has(a.subject_t), div.thread_posts_list tr:has(a.st)", Link: "a.subject_t, a.st",
					Author: "td.author a, a.J_user_card_show", Time: "td.author p, td.author span, span.time",
					Replies: "td.num em, td.num span"},
				detail: DetailSelectors{Body: "div#read_tpc, div.tpc_content, div.editor_content", Time: "span.time, div.tipTop span[title]"},
			}
		},
	},
	{
		// 百度贴吧 and boards copying its markup.
		family: "贴吧",
		marker: "li.j_thread_list, a.j_th_tit",
		pick: func(string) software {
			return software{
				list: ListSelectors{Item: "li.j_thread_list", Link: "a.j_th_tit", Replies: "span.threadlist_rep_num",
					Author: "span.tb_icon_author, span.frs-author-name-wrap a", Time: "span.threadlist_reply_date, span.is_show_create_time"},
				detail: DetailSelectors{Body: "div.d_post_content, div[id^=post_content_]", Author: "a.p_author_name"},
			}
		},
	},
}

// recognise lists the board programs a page shows signs of.
func recognise(doc *goquery.Document) []software {
	gen := strings.TrimSpace(doc.Find(`meta[name=generator i]`).First().AttrOr("content", ""))
	var out []software
	for _, r := range recognisers {
		version, found := "", false
		if r.generator != nil && gen != "" {
			if m := r.generator.FindStringSubmatch(gen); m != nil {
				version, found = strings.TrimSpace(m[1]), true
			}
		}
		if !found && doc.Find(r.marker).Length() > 0 {
			found = true
		}
		if !found {
			continue
		}
		sw := r.pick(version)
		sw.name = strings.TrimSpace(r.family + " " + version)
		out = append(out, sw)
	}
	return out
}

func softwareNames(sw []software) string {
	var names []string
	for _, s := range sw {
		names = append(names, s.name)
	}
	return strings.Join(names, "、")
}

// Class and id words that mark page furniture, and those that mark content.
var (
	chromeRe   = regexp.MustCompile(`(?i)nav|menu|foot|head|top|bottom|crumb|breadcrumb|friend|links|side|banner|copyright|share|tool|login`)
	metaRe     = regexp.MustCompile(`(?i)meta|info|time|date|author|title|source|from|reply|comment|pager|page|tag`)
	contentRe  = regexp.MustCompile(`(?i)content|article|body|text|detail|zoom|editor|message|post|main|neirong|zhengwen|TRS`)
	cssIdent   = regexp.MustCompile(`^-?[_a-zA-Z][_a-zA-Z0-9-]*$`)
	numIDRe    = regexp.MustCompile(`^([A-Za-z][A-Za-z_-]*?)[_-]?\d+$`)
	repliesRe  = regexp.MustCompile(`回复|评论|回帖|答复|跟帖|(?i)repl|comment`)
	viewsRe    = regexp.MustCompile(`浏览|查看|阅读|点击|人气|热度|(?i)view|hit|click|read`)
	authorRe   = regexp.MustCompile(`(?i)author|user|who|writer|poster|nick|uname|name`)
	timeNameRe = regexp.MustCompile(`(?i)time|date|pub|when|shijian|riqi`)
	nextRe     = regexp.MustCompile(`^\s*(下一页|下页|后页|下一頁)\s*[>»›]*\s*$`)
)

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func classes(n *html.Node) []string {
	var out []string
	for _, c := range strings.Fields(attr(n, "class")) {
		if cssIdent.MatchString(c) {
			out = append(out, c)
		}
	}
	return out
}

// names is a node's class and id, for the hint patterns.
func names(n *html.Node) string { return attr(n, "class") + " " + attr(n, "id") }

var namePartRe = regexp.MustCompile(`[\s_-]+`)

// hint reports whether a part of n's class or id matches re.
func hint(re *regexp.Regexp, n *html.Node) bool {
	for _, part := range namePartRe.Split(strings.TrimSpace(names(n)), -1) {
		if part != "" && re.MatchString(part) {
			return true
		}
	}
	return false
}

// simpleSel is a selector for n alone: tag#id, tag[id^=prefix] for
// numbered ids (postmessage_1001), else tag.class.class, else tag.
func simpleSel(n *html.Node) string {
	if id := attr(n, "id"); id != "" {
		if m := numIDRe.FindStringSubmatch(id); m != nil && cssIdent.MatchString(m[1]) {
			return n.Data + "[id^=" + m[1] + "]"
		}
		if cssIdent.MatchString(id) {
			return n.Data + "#" + id
		}
	}
	if cs := classes(n); len(cs) > 0 {
		return n.Data + "." + strings.Join(cs, ".")
	}
	return n.Data
}

// uniqueSel returns a selector whose first match in doc is n, or "".
func uniqueSel(doc *goquery.Document, n *html.Node) string {
	own := simpleSel(n)
	if firstIs(doc, own, n) {
		return own
	}
	for p, depth := n.Parent, 0; p != nil && p.Type == html.ElementNode && depth < 4; p, depth = p.Parent, depth+1 {
		if p.Data == "body" || p.Data == "html" {
			break
		}
		ps := simpleSel(p)
		if ps == p.Data {
			continue
		}
		if sel := ps + " " + own; firstIs(doc, sel, n) {
			return sel
		}
	}
	return ""
}

func firstIs(doc *goquery.Document, sel string, n *html.Node) bool {
	if _, err := cascadia.ParseGroup(sel); err != nil {
		return false
	}
	f := doc.Find(sel)
	return f.Length() > 0 && f.Nodes[0] == n
}

func hasAncestor(n *html.Node, pred func(*html.Node) bool) bool {
	for p := n; p != nil && p.Type == html.ElementNode; p = p.Parent {
		if p.Data == "body" {
			return false
		}
		if pred(p) {
			return true
		}
	}
	return false
}

// titleLink is the link in an item that names a thread: the longest link
// text on a followable address.
func titleLink(item *html.Node, base *url.URL) *html.Node {
	var best *html.Node
	bestLen := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			href := strings.TrimSpace(attr(n, "href"))
			if u, err := base.Parse(href); href != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				if l := utf8.RuneCountInString(nodeText(n)); l > bestLen {
					best, bestLen = n, l
				}
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(item)
	if bestLen < 4 {
		return nil
	}
	return best
}

// listGuess is a list found on a page: its selectors and the element that
// holds the items (the generic-list preset's board).
type listGuess struct {
	list      ListSelectors
	container string
}

// inferList finds the page's main list: the element with the most
// same-tag children that each carry a thread-like link, away from
// navigation and footers.
func inferList(doc *goquery.Document, base *url.URL, now time.Time) *listGuess {
	type group struct {
		parent  *html.Node
		tag     string
		members []*html.Node
		score   float64
	}
	var best *group
	for _, parent := range doc.Find("body *").Nodes {
		byTag := map[string][]*html.Node{}
		for c := parent.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && titleLink(c, base) != nil {
				byTag[c.Data] = append(byTag[c.Data], c)
			}
		}
		for tag, ms := range byTag {
			if len(ms) < 2 || tag == "a" {
				continue
			}
			g := &group{parent: parent, tag: tag, members: ms}
			for _, m := range ms {
				g.score += float64(min(utf8.RuneCountInString(nodeText(titleLink(m, base))), 40))
			}
			if hasAncestor(parent, func(n *html.Node) bool {
				return n.Data == "nav" || n.Data == "header" || n.Data == "footer" || hint(chromeRe, n)
			}) {
				g.score *= 0.1
			}
			if best == nil || g.score > best.score {
				best = g
			}
		}
	}
	if best == nil {
		return nil
	}
	// The item selector: the members' tag and shared classes, under the
	// nearest ancestor with an id or class, matching exactly the parent's
	// children of that tag.
	member := best.tag
	if common := commonClasses(best.members); len(common) > 0 {
		member += "." + strings.Join(common, ".")
	}
	itemSel, container := "", ""
	for anc := best.parent; anc != nil && anc.Type == html.ElementNode && anc.Data != "html"; anc = anc.Parent {
		as := simpleSel(anc)
		if as == anc.Data && anc.Data != "body" {
			continue
		}
		var tries []string
		if anc == best.parent {
			tries = []string{as + " " + member, as + " > " + member}
		} else {
			tries = []string{as + " " + member, as + " " + best.parent.Data + " > " + member}
		}
		for _, sel := range tries {
			if onlyChildrenOf(doc, sel, best.parent, len(best.members)) {
				itemSel, container = sel, as
				break
			}
		}
		if itemSel != "" || anc.Data == "body" {
			break
		}
	}
	if itemSel == "" {
		return nil
	}
	g := &listGuess{container: container}
	g.list.Item = itemSel
	g.list.Link = linkSelector(best.members, base)
	g.list.Time, g.list.Replies, g.list.Views, g.list.Author = itemFields(best.members, base, now)
	return g
}

// onlyChildrenOf reports whether sel selects children of parent only, at
// least want of them.
func onlyChildrenOf(doc *goquery.Document, sel string, parent *html.Node, want int) bool {
	if _, err := cascadia.ParseGroup(sel); err != nil {
		return false
	}
	nodes := doc.Find(sel).Nodes
	if len(nodes) < want {
		return false
	}
	for _, n := range nodes {
		if n.Parent != parent {
			return false
		}
	}
	return true
}

func commonClasses(ns []*html.Node) []string {
	common := classes(ns[0])
	for _, n := range ns[1:] {
		cs := classes(n)
		common = slices.DeleteFunc(common, func(c string) bool { return !slices.Contains(cs, c) })
	}
	return common
}

// linkSelector is a class all title links share, or "" (each item's first
// link, the crawler's default).
func linkSelector(members []*html.Node, base *url.URL) string {
	var links []*html.Node
	for _, m := range members {
		links = append(links, titleLink(m, base))
	}
	if cs := commonClasses(links); len(cs) > 0 {
		return "a." + strings.Join(cs, ".")
	}
	return ""
}

// itemFields finds, among the elements inside the items, the ones that
// hold the time, the reply and view counts and the author in most items.
func itemFields(members []*html.Node, base *url.URL, now time.Time) (timeSel, replies, views, author string) {
	type tally struct{ time, replies, views, author int }
	counts := map[string]*tally{}
	var order []string
	for _, m := range members {
		tl := titleLink(m, base)
		seen := map[string]bool{}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n == tl {
				return
			}
			if n.Type == html.ElementNode && n != m {
				key := n.Data
				if cs := classes(n); len(cs) > 0 {
					key += "." + strings.Join(cs, ".")
				}
				if !seen[key] {
					seen[key] = true
					t := counts[key]
					if t == nil {
						t = &tally{}
						counts[key] = t
						order = append(order, key)
					}
					text := nodeText(n)
					runes := utf8.RuneCountInString(text)
					_, isTime := nodeTime(n, "", now)
					hint := names(n) + " " + text
					_, isNum := parseCount(text)
					switch {
					case isTime && runes <= 40:
						t.time++
					case isNum && repliesRe.MatchString(hint) && runes <= 20:
						t.replies++
					case isNum && viewsRe.MatchString(hint) && runes <= 20:
						t.views++
					case runes >= 1 && runes <= 20 && !isNum && (n.Data == "cite" || authorRe.MatchString(names(n))):
						t.author++
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(m)
	}
	need := max(2, (len(members)*3+4)/5)
	pick := func(get func(*tally) int) string {
		best, bestN := "", 0
		for _, k := range order {
			n := get(counts[k])
			// A classed element is a surer anchor than a bare tag.
			if n > bestN || (n == bestN && n > 0 && strings.Contains(k, ".") && !strings.Contains(best, ".")) {
				best, bestN = k, n
			}
		}
		if bestN < need {
			return ""
		}
		return best
	}
	return pick(func(t *tally) int { return t.time }), pick(func(t *tally) int { return t.replies }),
		pick(func(t *tally) int { return t.views }), pick(func(t *tally) int { return t.author })
}

// nextLinkSelector finds the "下一页" link of a list page.
func nextLinkSelector(doc *goquery.Document, base *url.URL) string {
	var sel string
	doc.Find("a[href]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		n := s.Nodes[0]
		href := strings.TrimSpace(attr(n, "href"))
		if u, err := base.Parse(href); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return true
		}
		cls := strings.ToLower(attr(n, "class"))
		switch {
		case nextRe.MatchString(nodeText(n)):
			if cs := classes(n); len(cs) > 0 && firstIs(doc, "a."+strings.Join(cs, "."), n) {
				sel = "a." + strings.Join(cs, ".")
			} else {
				sel = fmt.Sprintf("a:contains(%q)", strings.TrimSpace(nextRe.FindStringSubmatch(nodeText(n))[1]))
			}
			return false
		case strings.Contains(cls, "next") || strings.Contains(cls, "nxt"):
			if s := "a." + strings.Join(classes(n), "."); firstIs(doc, s, n) {
				sel = s
				return false
			}
		}
		return true
	})
	return sel
}

// inferDetail finds the post's body, time and author on a thread page.
// The body is the block that owns the most running text (headlines, links
// and page furniture do not count); the time and author are short
// elements named for them, the time nearest the headline winning.
func inferDetail(doc *goquery.Document, title string, now time.Time) DetailSelectors {
	var ds DetailSelectors
	body := doc.Find("body")
	if body.Length() == 0 {
		return ds
	}
	owners := map[*html.Node]float64{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "noscript", "a", "h1", "h2", "h3", "title", "select", "option", "button", "nav", "header", "footer", "textarea", "iframe":
				return
			}
			if hiddenNoise(n) {
				return
			}
		}
		if n.Type == html.TextNode {
			t := strings.TrimSpace(n.Data)
			if t != "" {
				if o := textOwner(n); o != nil {
					w := float64(utf8.RuneCountInString(t))
					for _, r := range t {
						if strings.ContainsRune("，。！？；、,.!?;", r) {
							w += 3
						}
					}
					owners[o] += w
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(body.Nodes[0])
	var bestNode *html.Node
	var bestScore float64
	for n, sc := range owners {
		if n.Data == "body" {
			sc *= 0.2
		}
		switch {
		case hint(contentRe, n) && !hint(metaRe, n):
			sc *= 2
		case hint(chromeRe, n) || hint(metaRe, n) || hasAncestor(n, func(a *html.Node) bool { return hint(chromeRe, a) }):
			sc *= 0.2
		}
		if title != "" && strings.TrimSpace(nodeText(n)) == strings.TrimSpace(title) {
			sc *= 0.1
		}
		if bestNode == nil || sc > bestScore || (sc == bestScore && docBefore(n, bestNode)) {
			bestNode, bestScore = n, sc
		}
	}
	if bestNode == nil {
		return ds
	}
	ds.Body = uniqueSel(doc, bestNode)
	if ds.Body == "" {
		return ds
	}
	ds.Time = detailTime(doc, bestNode, now)
	ds.Author = detailAuthor(doc, bestNode)
	return ds
}

// textOwner is the nearest block (div, td, article, section, ...) holding
// a text node: inline markup and paragraphs belong to their block.
func textOwner(t *html.Node) *html.Node {
	for p := t.Parent; p != nil; p = p.Parent {
		if p.Type != html.ElementNode {
			continue
		}
		switch p.Data {
		case "div", "td", "article", "section", "main", "blockquote", "dd", "body":
			return p
		}
	}
	return nil
}

// docBefore reports whether a comes before b in document order.
func docBefore(a, b *html.Node) bool {
	found := 0
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		if n == a {
			found = 1
			return true
		}
		if n == b {
			found = 2
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	root := a
	for root.Parent != nil {
		root = root.Parent
	}
	walk(root)
	return found == 1
}

// detailTime picks the short element outside the body that holds a time,
// one named for times first, and returns a selector whose first time is it.
func detailTime(doc *goquery.Document, body *html.Node, now time.Time) string {
	type cand struct {
		n     *html.Node
		named bool
	}
	var cands []cand
	for _, n := range doc.Find("body *").Nodes {
		switch n.Data {
		case "script", "style", "a", "title":
			continue
		}
		if isInside(n, body) || hasAncestor(n, func(a *html.Node) bool {
			return hint(chromeRe, a) || a.Data == "header" || a.Data == "footer"
		}) {
			continue
		}
		text := nodeText(n)
		if r := utf8.RuneCountInString(text); r == 0 || r > 40 {
			continue
		}
		t, ok := nodeTime(n, "", now)
		if !ok || t.IsZero() {
			continue
		}
		named := n.Data == "time" || timeNameRe.MatchString(names(n))
		cands = append(cands, cand{n, named})
	}
	// The innermost candidate (a span inside a div that also parses).
	cands = slices.DeleteFunc(cands, func(c cand) bool {
		return slices.ContainsFunc(cands, func(o cand) bool { return o.n != c.n && isInside(o.n, c.n) && (o.named || !c.named) })
	})
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].named && !cands[j].named })
	for _, c := range cands {
		sel := simpleSel(c.n)
		want, _ := nodeTime(c.n, "", now)
		if got, ok := selTime(doc.Find(sel), "", now); ok && got.Equal(want) {
			return sel
		}
		if sel = uniqueSel(doc, c.n); sel != "" {
			return sel
		}
	}
	return ""
}

// detailAuthor picks a short element named for the author.
func detailAuthor(doc *goquery.Document, body *html.Node) string {
	for _, n := range doc.Find("body *").Nodes {
		if isInside(n, body) || !authorRe.MatchString(names(n)) {
			continue
		}
		text := nodeText(n)
		if r := utf8.RuneCountInString(text); r == 0 || r > 20 || !hasLetter(text) {
			continue
		}
		if _, ok := parseCount(text); ok {
			continue
		}
		if sel := uniqueSel(doc, n); sel != "" {
			return sel
		}
	}
	return ""
}

func hasLetter(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) }) >= 0
}

func isInside(n, anc *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if p == anc {
			return true
		}
	}
	return false
}

// pageParamRe finds a page number parameter in a list address.
var pageParamRe = regexp.MustCompile(`(?i)([?&](?:page|pageno|pagenum|pagenumber|pageindex|current|curpage|currentpage|pn|p)=)(\d+)`)

// pagedURL puts {page} where a list address carries its page number.
func pagedURL(raw string) (string, bool) {
	if !pageParamRe.MatchString(raw) {
		return raw, false
	}
	return pageParamRe.ReplaceAllString(raw, "${1}"+PagePlaceholder), true
}

// jsonGuess maps a JSON list's fields by their names and values.
type jsonGuess struct {
	fields JSONFields
	idKey  string // when no field holds a link: the item's id
}

var (
	titleKeyRe = regexp.MustCompile(`(?i)^(title|subject|topic|bt|biaoti)$|title`)
	timeKeyRe  = regexp.MustCompile(`(?i)creat|publish|pub|post|time|date|submit|add`)
	linkKeyRe  = regexp.MustCompile(`(?i)url|link|href`)
	idKeyRe    = regexp.MustCompile(`(?i)^(id|.*_id|.*Id|.*ID)$`)
	jsonRepRe  = regexp.MustCompile(`(?i)repl|comment|answer|huifu`)
	jsonViewRe = regexp.MustCompile(`(?i)view|read|hit|click|browse|visit`)
	jsonAuthRe = regexp.MustCompile(`(?i)author|user|nick|writer|creator|poster|name`)
	// Names of whoever handles or answers an item, not its author
	// (deptName: the office a 留言 was passed to).
	jsonNotAuthRe = regexp.MustCompile(`(?i)dept|depart|org|unit|handl|reply|answer|office|area|region|type|cate|status`)
	jsonBodyRe    = regexp.MustCompile(`(?i)content|body|text|detail|question|desc|summary`)
	countKeyRe    = regexp.MustCompile(`(?i)count|num|cnt|total|times|^(replies|views|hits|clicks|comments|reads)$`)
	updateKeyRe   = regexp.MustCompile(`(?i)update|modif|edit|reply`)
)

// guessJSON finds the array of items (the longest array of objects) and
// names its fields.
func guessJSON(v any, now time.Time) (*jsonGuess, int) {
	path, arr := longestObjectArray(v, "", 0)
	if len(arr) == 0 {
		return nil, 0
	}
	a := newJSONArray(arr)
	text := func(s string) bool { return hasLetter(s) }
	isTime := func(s string) bool { _, ok := ParseTime(s, "", now); return ok }
	isNum := func(s string) bool { _, ok := parseCount(s); return ok }
	isURL := func(s string) bool {
		return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || (strings.HasPrefix(s, "/") && len(s) > 1)
	}
	g := &jsonGuess{}
	f := &g.fields
	f.Items = path
	f.Title = a.pick(titleKeyRe, text, nil)
	f.Time = a.pick(timeKeyRe, isTime, func(k string) bool { return updateKeyRe.MatchString(k) })
	if f.Time == "" {
		f.Time = a.pick(timeKeyRe, isTime, nil)
	}
	f.Link = a.pick(linkKeyRe, isURL, nil)
	f.Replies = a.pick(jsonRepRe, isNum, func(k string) bool {
		return !countKeyRe.MatchString(k) || timeKeyRe.MatchString(k) && !countKeyRe.MatchString(k)
	})
	f.Views = a.pick(jsonViewRe, isNum, func(k string) bool { return !countKeyRe.MatchString(k) })
	f.Author = a.pick(jsonAuthRe, text, func(k string) bool { return k == f.Title || jsonNotAuthRe.MatchString(k) })
	f.Body = a.pick(jsonBodyRe, func(s string) bool { return utf8.RuneCountInString(s) > 10 }, func(k string) bool { return k == f.Title })
	if f.Link == "" {
		g.idKey = a.idKey()
	}
	if f.Title == "" {
		return nil, len(arr)
	}
	return g, len(arr)
}

// jsonArray is the item array of a JSON list with the keys its objects
// use. A field is named by what most items hold under a key, not by one
// item, so every guess counts over the whole array.
type jsonArray struct {
	items []any
	keys  []string // every key of the objects, sorted
	need  int      // the items a key must fill to name a field: half, at least one
}

func newJSONArray(items []any) jsonArray {
	var keys []string
	seen := map[string]bool{}
	for _, el := range items {
		if m, ok := el.(map[string]any); ok {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	sort.Strings(keys)
	return jsonArray{items: items, keys: keys, need: max(1, len(items)/2)}
}

// share counts the items whose value under k is non-empty and ok.
func (a jsonArray) share(k string, ok func(string) bool) int {
	n := 0
	for _, el := range a.items {
		if s := jsonField(el, k); s != "" && ok(s) {
			n++
		}
	}
	return n
}

// pick is the key, named as nameRe says and not one avoid rules out, that
// holds an ok value in the most items (at least need of them); "" if none.
func (a jsonArray) pick(nameRe *regexp.Regexp, ok func(string) bool, avoid func(string) bool) string {
	best, bestN := "", 0
	for _, k := range a.keys {
		if !nameRe.MatchString(k) || (avoid != nil && avoid(k)) {
			continue
		}
		if n := a.share(k, ok); n >= a.need && n > bestN {
			best, bestN = k, n
		}
	}
	return best
}

// idKey is the first id-like key whose values tell the items apart (one
// distinct value per item holding it, in at least need items): with no
// link field, a detail page address can only be built from such an id.
// "" if none.
func (a jsonArray) idKey() string {
	unique := map[string]bool{}
	for _, k := range a.keys {
		if !idKeyRe.MatchString(k) {
			continue
		}
		clear(unique)
		for _, el := range a.items {
			if s := jsonField(el, k); s != "" {
				unique[s] = true
			}
		}
		if len(unique) >= a.need && len(unique) == a.share(k, func(string) bool { return true }) {
			return k
		}
	}
	return ""
}

// bodiless reports whether most items came without their text.
func bodiless(items []listItem) bool {
	n := 0
	for _, it := range items {
		if strings.TrimSpace(it.Body) == "" {
			n++
		}
	}
	return n*2 > len(items)
}

// longestObjectArray walks decoded JSON (a few levels deep) for the longest
// array whose elements are mostly objects.
// linkFromExample writes a json.link template from the address of one
// item's page: the first item field (in key order) whose value, at least
// three characters long, stands whole in the address (not inside a longer
// run of letters and digits) becomes its {placeholder}. The template is
// root-relative on the list's host, else absolute. "" if no item matches.
func linkFromExample(v any, base *url.URL, example string) string {
	ex, err := base.Parse(example)
	if err != nil || ex.Host == "" {
		return ""
	}
	ex.Fragment = ""
	target := ex.RequestURI()
	if ex.Host != base.Host || ex.Scheme != base.Scheme {
		target = ex.String()
	}
	_, items := longestObjectArray(v, "", 0)
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if !validJSONPath(k) {
				continue
			}
			val := jsonString(obj[k])
			if len(val) < 3 {
				continue
			}
			if i := wholeIndex(target, val); i >= 0 {
				return target[:i] + "{" + k + "}" + target[i+len(val):]
			}
		}
	}
	return ""
}

// wholeIndex is the first index of sub in s not inside a longer run of
// ASCII letters and digits, or -1.
func wholeIndex(s, sub string) int {
	alnum := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
	for off := 0; off <= len(s)-len(sub); {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return -1
		}
		i += off
		j := i + len(sub)
		if (i == 0 || !alnum(s[i-1]) || !alnum(sub[0])) && (j == len(s) || !alnum(s[j]) || !alnum(sub[len(sub)-1])) {
			return i
		}
		off = i + 1
	}
	return -1
}

func longestObjectArray(v any, path string, depth int) (string, []any) {
	bestPath, best := "", []any(nil)
	consider := func(p string, a []any) {
		objs := 0
		for _, el := range a {
			if _, ok := el.(map[string]any); ok {
				objs++
			}
		}
		if objs*2 > len(a) && len(a) > len(best) {
			bestPath, best = p, a
		}
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case []any:
		consider(path, x)
	case map[string]any:
		if depth >= 4 {
			break
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if !validJSONPath(k) {
				continue
			}
			if p, a := longestObjectArray(x[k], join(k), depth+1); len(a) > len(best) {
				bestPath, best = p, a
			}
		}
	}
	return bestPath, best
}

// judgeJSONDetails scores the JSON candidates' detail settings on one
// detail page (ddoc, of item it): inferred selectors when the link came from
// a field of the list, detail: auto for items without their text in the
// list when the page holds an article.
func judgeJSONDetails(cands []*proposal, ddoc *goquery.Document, it Item, g *jsonGuess, now time.Time) {
	for _, c := range cands {
		if c.method == "selectors" && c.src.JSON.Link != "" && g != nil && g.idKey == "" {
			c.src.Detail = inferDetail(ddoc, it.Title, now)
			if c.src.Detail.Body != "" {
				c.src.JSON.Body = ""
			}
		}
		s := c.src
		s.ApplyDefaults()
		if s.Detail.Body == "" && bodiless(c.items) {
			if ok, _ := autoFits(ddoc, it, s.TimeLayout, now); ok {
				c.src.Detail.Body, s.Detail.Body = DetailAuto, DetailAuto
			}
		}
		c.detailOK, c.score = detailFits(ddoc, it, s, now, c.score)
	}
}

func (pr *prober) json(ctx context.Context, p *page) error {
	text, enc, err := pr.decode(p, false)
	if err != nil {
		return err
	}
	v, err := decodeJSON(text)
	if err != nil {
		return fmt.Errorf("%w: %s 返回的不是有效的 JSON（%v）", ErrLayout, p.url, err)
	}
	d := pr.d
	d.Kind, d.Encoding, d.Software = KindJSON, describeEncoding(p, enc, false), "JSON 列表接口"
	l := &jsonList{p: p, text: text, v: v, enc: enc, now: pr.c.opts.Now()}
	exampleLink := pr.exampleJSONLink(v, p.finalURL)
	cands, g, n := l.candidates(exampleLink)
	if len(cands) == 0 {
		return fmt.Errorf("%w: 在 %s 返回的 JSON 中没有找到条目数组（%d 个对象），或条目没有标题和链接", ErrLayout, p.url, n)
	}
	slices.SortStableFunc(cands, func(a, b *proposal) int { return cmpScore(b.score, a.score) })
	// One detail page judges the presets' detail selectors.
	if cands[0].src.Preset != "" || cands[0].src.JSON.Link != "" {
		if ddoc, it := pr.detailSample(ctx, cands[0].items[:1]); ddoc != nil {
			judgeJSONDetails(cands, ddoc, it.Item, g, l.now)
		}
	}
	best := chooseHTML(cands)
	d.Method = best.method
	pr.adviseJSON(best, g, exampleLink)
	pr.show(best.items)
	if _, paged := pagedURL(p.url); paged && strings.Contains(best.src.URL, PagePlaceholder) {
		pr.note("地址中的页码已写成 {page}；要读多页请设 pages")
	}
	pr.capNote()
	pr.finish(ctx, best.src)
	return nil
}

// jsonList is a JSON list response as the probe decoded it: every
// candidate source is tried on the same text, so proposing them is a step
// of its own, as listCandidates is for HTML.
type jsonList struct {
	p    *page
	text string // the decoded body
	v    any    // text, parsed
	enc  string // the encoding a source must name; EncodingAuto for none
	now  time.Time
}

// candidates proposes every json preset and the source guessed from the
// data, each scored on the items it extracts; those extracting none are
// dropped. exampleLink, when known, is every candidate's json.link; the
// guess otherwise keeps its own link field or falls back to an id, so that
// a list without links still yields a source to correct by hand. g is the
// guess (nil if none) and n the length of the item array it looked at,
// for the caller's advice and error message.
func (l *jsonList) candidates(exampleLink string) (cands []*proposal, g *jsonGuess, n int) {
	listURL, _ := pagedURL(l.p.url)
	base := l.p.finalURL
	add := func(src Source, method string) {
		if l.enc != EncodingAuto {
			src.Encoding = l.enc
		}
		s := src
		s.ApplyDefaults()
		items, _, err := extractJSON(&s, l.text, base, l.now)
		if err != nil {
			return
		}
		items = sameHostItems(items, base)
		cands = append(cands, &proposal{src: src, method: method, items: items, score: listScore(items)})
	}
	name := sourceNameFor(l.p.url, "")
	for _, pn := range PresetNames() {
		if presets[pn].src.Kind == KindJSON {
			src := presetCandidate(pn, l.p.url, listURL)
			src.JSON.Link = exampleLink
			add(src, pn)
		}
	}
	g, n = guessJSON(l.v, l.now)
	if g != nil {
		src := Source{Name: name, Kind: KindJSON, URL: listURL, JSON: g.fields}
		if src.JSON.Link == "" && exampleLink != "" {
			src.JSON.Link = exampleLink
		}
		if src.JSON.Link == "" && g.idKey != "" {
			src.JSON.Link = "detail.html?id={" + g.idKey + "}"
		}
		add(src, "selectors")
	}
	cands = slices.DeleteFunc(cands, func(c *proposal) bool { return len(c.items) == 0 })
	return cands, g, n
}

// exampleJSONLink writes json.link from the example detail page address
// the operator gave ("" without one, or when no item's field stands in
// it). A JSON list often holds no link at all, so the example is the one
// sure source of it, and the operator is told either way.
func (pr *prober) exampleJSONLink(v any, base *url.URL) string {
	if pr.example == "" {
		return ""
	}
	link := linkFromExample(v, base, pr.example)
	if link != "" {
		pr.note("详情页地址按示例 %s 写为 json.link: %s", pr.example, link)
	} else {
		pr.note("示例详情页地址 %s 中没有找到列表中任何一条的编号，json.link 需要手工填写", pr.example)
	}
	return link
}

// adviseJSON notes what the operator must check or finish by hand in the
// chosen source: the guesses the probe could not verify on its own.
func (pr *prober) adviseJSON(best *proposal, g *jsonGuess, exampleLink string) {
	if best.src.Detail.Body == DetailAuto {
		pr.note("列表接口不带正文：建议 detail: auto，从详情页自动提取正文和发布时间")
	}
	if best.method == "selectors" && g != nil && g.idKey != "" && exampleLink == "" {
		pr.note("JSON 中没有详情页地址字段，json.link 暂按编号字段 %s 猜测为 %q，请按网站实际的详情页地址修改（相对地址按列表接口所在目录解析）", g.idKey, best.src.JSON.Link)
	}
	if best.src.Preset != "" && !best.detailOK && presets[best.src.Preset].src.Detail.Body != "" {
		pr.note("预设 %s 的详情页选择器在详情页上没有找到正文，请检查或改写 detail", best.src.Preset)
	}
}
