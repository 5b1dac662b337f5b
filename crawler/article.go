package crawler

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Article pages (detail: auto, and feed items that carry only a summary)
// are read without per-site selectors: the main text by a known Chinese
// CMS content container or else readability, the publication time from the
// article's own metadata. Page chrome — the site header with today's date,
// the headline, the 发布时间/来源 line, share and 上一篇/下一篇 links — is
// never taken for the article.

// cmsBodies are content containers of the site builders most Chinese
// government and news sites use (TRS WCM, 大汉, 集约化平台, WeChat), in order
// of preference. They are tried before readability: when present they are
// the article and nothing else. Generic names (div.content, article) are
// left to readability, because they often wrap the headline and links too.
var cmsBodies = []string{
	"div.TRS_Editor", "div.TRS_UEDITOR", "div#UCAP-CONTENT", "div#zoom", "div.pages_content",
	"div.article-content", "div#js_content", "div.artcon", "div#fontzoom",
}

// minCMSBodyChars is how much text a CMS container needs to be trusted (an
// empty TRS_Editor wrapper around an attachment list is not the article).
const minCMSBodyChars = 10

// articleText returns the main text of an article page. root is the parsed
// page, already decoded to UTF-8 by decodeBody: readability must get nodes,
// not bytes, because its own reader guesses the charset again and would
// read a GBK page's <meta charset=gbk> as a reason to decode our UTF-8 as
// GBK. root is modified (readability strips it); read everything else first.
func articleText(doc *goquery.Document, pageURL *url.URL, title string) string {
	for _, sel := range cmsBodies {
		if s := doc.Find(sel).First(); s.Length() > 0 {
			if t := stripChrome(nodeText(s.Nodes[0]), title); utf8.RuneCountInString(t) >= minCMSBodyChars {
				return t
			}
		}
	}
	p := readability.NewParser()
	p.CharThresholds = 100 // Chinese notices are short; the default 500 is for English prose
	art, err := p.ParseAndMutate(doc.Nodes[0], pageURL)
	if err != nil || art.Node == nil {
		return ""
	}
	return stripChrome(nodeText(art.Node), title)
}

var (
	// A 发布时间/来源/作者/浏览次数 (来信人/留言时间) line, or a 【字体：大 中 小】 toolbar.
	metaLineRe = regexp.MustCompile(`^\p{Han}{0,4}(?:时间|日期)\s*[:：]|^(?:来信人|留言人|提问人|投诉人|发信人|发布人|网友)\s*[:：]|(?:来源|作者|编辑|责任编辑|浏览(?:次数)?|点击(?:数|量)?|阅读(?:数|量)?|访问量|字号|字体|信息来源|发布机构|发文机关)\s*[:：]|【\s*(?:字体|字号)|^\s*[【\[]?\s*(?:大|小)\s*中\s*(?:小|大)`)
	// Share bars, print/close links, 上一篇/下一篇 and 返回顶部.
	navLineRe = regexp.MustCompile(`^(?:分享到|分享\s*[:：]|上一篇|下一篇|上一条|下一条|上一页|下一页|返回顶部|返回列表|相关(?:阅读|链接|新闻|文章)\s*[:：]?$|扫一扫|【?\s*(?:打印|关闭|收藏|纠错))|(?:【\s*(?:打印本页|关闭窗口|打印|关闭)\s*】)`)
)

// maxChromeLine is the length of the longest line taken for page chrome: a
// long line is a paragraph even when it mentions a date or 来源.
const maxChromeLine = 120

// stripChrome drops the page chrome that readability and content
// containers still include, from both ends of the text only (the same words
// in the middle of an article are the article): the headline, date and
// source lines, share bars, print/close and 上一篇/下一篇 links.
func stripChrome(text, title string) string {
	lines := strings.Split(text, "\n")
	title = strings.Join(strings.Fields(title), "")
	chrome := func(l string) bool {
		if utf8.RuneCountInString(l) > maxChromeLine {
			return false
		}
		compact := strings.Join(strings.Fields(l), "")
		switch {
		case title != "" && compact == title:
			return true
		case navLineRe.MatchString(l):
			return true
		case metaLineRe.MatchString(l):
			return true
		case shareOnly(compact):
			return true
		case bylineOnly(l):
			return true
		}
		return false
	}
	i := 0
	for i < len(lines) && chrome(lines[i]) {
		i++
	}
	j := len(lines)
	for j > i && chrome(lines[j-1]) {
		j--
	}
	return strings.Join(lines[i:j], "\n")
}

// maxBylineChars is how much besides a date a dateline may say ("本报记者
// 王小明 2026年11月22日 09:30"): a sentence with a date is longer.
const maxBylineChars = 12

var bylineNoise = regexp.MustCompile(`[\s\p{P}\p{S}\d]+|星期.|周.`)

// bylineOnly reports a line that is a date and at most a few words (a
// dateline or byline), not a sentence that mentions a date.
func bylineOnly(l string) bool {
	norm := normalizeTimeText(l)
	loc := absRe.FindStringIndex(norm)
	if loc == nil {
		return false
	}
	rest := bylineNoise.ReplaceAllString(norm[:loc[0]]+" "+norm[loc[1]:], "")
	return utf8.RuneCountInString(rest) <= maxBylineChars
}

var shareWords = strings.NewReplacer("微信", "", "微博", "", "QQ空间", "", "QQ", "", "朋友圈", "", "新浪", "", "腾讯", "", "豆瓣", "", "分享", "", "|", "", "/", "", "、", "")

// shareOnly reports a line made of nothing but share targets (微信 微博 QQ空间).
func shareOnly(compact string) bool {
	return compact != "" && len(compact) < 60 && shareWords.Replace(compact) == "" && strings.ContainsAny(compact, "微QQ")
}

// Summary detection for feed items.
var cutMarkRe = regexp.MustCompile(`(?:……|…|\.\.\.|。。。|\[\s*(?:详细|更多|全文)\s*\]|(?:阅读|查看|浏览)(?:全文|原文|详情|更多)|全文\s*>+|详细\s*>+|更多\s*>+|>>\s*$)\s*$|阅读全文|查看全文|点击查看`)

// summaryChars: a feed item without content:encoded whose text is shorter
// than this is taken for a summary (news feeds cut at 50-200 characters).
const summaryChars = 200

// looksLikeSummary reports a feed item that carries only the start of its
// article: cut marks (……, ..., 阅读全文), or only a short description.
func looksLikeSummary(text string, hasContent bool) bool {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return true
	case cutMarkRe.MatchString(text):
		return true
	}
	return !hasContent && utf8.RuneCountInString(text) < summaryChars
}

// withoutCutMarks is a summary's text without its trailing cut mark.
func withoutCutMarks(s string) string {
	return strings.TrimSpace(cutMarkRe.ReplaceAllString(strings.TrimSpace(s), ""))
}

// Publication times an article states about itself, most trusted first.
var timeMetaNames = []string{
	"article:published_time", "og:article:published_time", "og:release_date", "datepublished",
	"pubdate", "publishdate", "publish_date", "publishtime", "publish-time", "firstpublishedtime",
	"dcterms.issued", "dcterms.created", "dc.date.issued", "dc.date", "weibo:article:create_at",
	"parsely-pub-date", "sailthru.date", "article.published",
}

// articleTime reads when an article was published from the page itself:
// its <meta> (article:published_time, the PubDate of Chinese CMS), JSON-LD
// datePublished, a <time datetime> or itemprop=datePublished in the body,
// then the first date written after the headline. Dates in the site
// header, navigation or footer (a header showing today) are never read,
// nor anything before the headline.
func articleTime(doc *goquery.Document, title, layout string, now time.Time) (time.Time, bool) {
	metas := map[string]string{}
	doc.Find("meta[content]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"property", "name", "itemprop"} {
			if k := strings.ToLower(strings.TrimSpace(s.AttrOr(a, ""))); k != "" {
				if _, ok := metas[k]; !ok {
					metas[k] = s.AttrOr("content", "")
				}
			}
		}
	})
	for _, k := range timeMetaNames {
		if v, ok := metas[k]; ok {
			if t, ok := ParseTime(v, layout, now); ok {
				return t, true
			}
		}
	}
	var found time.Time
	doc.Find(`script[type="application/ld+json"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		var v any
		if json.Unmarshal([]byte(s.Text()), &v) != nil {
			return true
		}
		if raw := jsonLDPublished(v, 0); raw != "" {
			if t, ok := ParseTime(raw, layout, now); ok {
				found = t
				return false
			}
		}
		return true
	})
	if !found.IsZero() {
		return found, true
	}
	doc.Find("time[datetime], [itemprop=datePublished]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if inChrome(s.Nodes[0]) {
			return true
		}
		v := s.AttrOr("datetime", s.AttrOr("content", ""))
		if t, ok := ParseTime(v, layout, now); ok {
			found = t
			return false
		}
		if t, ok := ParseTime(selText(s), layout, now); ok {
			found = t
			return false
		}
		return true
	})
	if !found.IsZero() {
		return found, true
	}
	return dateAfterHeadline(doc, title, layout, now)
}

// jsonLDPublished finds datePublished in a JSON-LD value (an object, an
// array of them, or an @graph), a few levels deep.
func jsonLDPublished(v any, depth int) string {
	if depth > 4 {
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["datePublished"].(string); ok && s != "" {
			return s
		}
		for _, k := range []string{"@graph", "mainEntity", "mainEntityOfPage"} {
			if s := jsonLDPublished(x[k], depth+1); s != "" {
				return s
			}
		}
	case []any:
		for _, e := range x {
			if s := jsonLDPublished(e, depth+1); s != "" {
				return s
			}
		}
	}
	return ""
}

// inChrome reports a node inside the site's header, navigation, footer or
// a sidebar, where dates are the site's, not the article's. Inside an
// <article> or <main> nothing is chrome (an article's own <header> holds
// its date).
func inChrome(n *html.Node) bool {
	chrome := false
	for p := n; p != nil; p = p.Parent {
		if p.Type != html.ElementNode {
			continue
		}
		switch p.DataAtom {
		case atom.Article, atom.Main:
			return false
		case atom.Header, atom.Nav, atom.Footer, atom.Aside:
			chrome = true
		}
		for _, a := range p.Attr {
			if (a.Key == "class" || a.Key == "id") && chromeName(a.Val) {
				chrome = true
			}
		}
	}
	return chrome
}

var nameTokenRe = regexp.MustCompile(`[^a-z0-9]+`)

// chromeName reports a class or id naming page chrome ("top", "header",
// "site-nav"), unless it names the article's own part ("article-header").
func chromeName(v string) bool {
	toks := nameTokenRe.Split(strings.ToLower(v), -1)
	chrome := false
	for _, t := range toks {
		switch t {
		case "article", "content", "post", "detail", "title":
			return false
		case "header", "head", "top", "topbar", "nav", "navbar", "navigation", "menu", "footer", "foot", "sidebar", "banner":
			chrome = true
		}
	}
	return chrome
}

// headlineWindow is how much text after the headline is searched for its
// date: the 发布时间 line sits right under it.
const headlineWindow = 300

// dateAfterHeadline finds the headline (an h1, or the element whose text is
// the item's title) and reads the first absolute date written after it.
func dateAfterHeadline(doc *goquery.Document, title, layout string, now time.Time) (time.Time, bool) {
	title = strings.Join(strings.Fields(title), "")
	var head *html.Node
	doc.Find("h1, h2, h3, div, p, td, span").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		n := s.Nodes[0]
		if inChrome(n) {
			return true
		}
		t := strings.Join(strings.Fields(selText(s)), "")
		if (title != "" && t == title) || (title == "" && n.DataAtom == atom.H1 && t != "") {
			head = n
			return false
		}
		return true
	})
	if head == nil && title != "" {
		if h := doc.Find("h1").First(); h.Length() > 0 && !inChrome(h.Nodes[0]) {
			head = h.Nodes[0]
		}
	}
	if head == nil {
		return time.Time{}, false
	}
	var b strings.Builder
	for n := nextAfter(head); n != nil && utf8.RuneCountInString(b.String()) < headlineWindow; n = nextNode(n) {
		if n.Type == html.ElementNode && (skipElems[n.DataAtom] || inChrome(n)) {
			n = lastDescendant(n)
			continue
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
	}
	if m := absRe.FindString(normalizeTimeText(b.String())); m != "" {
		return ParseTime(m, layout, now)
	}
	return time.Time{}, false
}

// nextNode is the node after n in document order.
func nextNode(n *html.Node) *html.Node {
	if n.FirstChild != nil {
		return n.FirstChild
	}
	return nextAfter(n)
}

// nextAfter is the first node after n and its descendants.
func nextAfter(n *html.Node) *html.Node {
	for ; n != nil; n = n.Parent {
		if n.NextSibling != nil {
			return n.NextSibling
		}
	}
	return nil
}

func lastDescendant(n *html.Node) *html.Node {
	for n.LastChild != nil {
		n = n.LastChild
	}
	return n
}
