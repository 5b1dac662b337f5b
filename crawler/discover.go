package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"

	"github.com/yuqing-bureau/yuqing/store"
)

// DiscoverOptions configure Discover: the crawler's own options (User-Agent,
// timeout, size limit, transport) and the politeness delay between its
// requests to the site.
type DiscoverOptions struct {
	Options
	// Delay between two requests to one host; default DefaultDelay.
	Delay time.Duration
	// Example is the address of one item's page as a browser shows it
	// (one 留言's page). A JSON list seldom carries its items' page
	// addresses, only their ids; from the example and the item whose
	// value appears in it the probe writes json.link.
	Example string
}

// Discovery is what Discover made of a page: the proposed source, what it
// extracted, and notes for the operator (Simplified Chinese).
type Discovery struct {
	URL string // the address probed
	// Kind of the page found: html, rss, atom or json.
	Kind string
	// Software names what was recognised ("Discuz! X3.4"), "" if nothing.
	Software string
	// Encoding says how the page's text was decoded and why.
	Encoding string
	// Method says how the proposal was made: a preset's name, or
	// "selectors" for selectors inferred from the page.
	Method string
	// Source is the proposed source as its YAML block holds it (before
	// ApplyDefaults).
	Source Source
	// YAML is the block to paste under sources: in sources.yaml.
	YAML string
	// Items are what the proposal extracts from the list page (at most
	// maxShownItems), PageSize how many it found there.
	Items    []Item
	PageSize int
	// Trial is the first item as the proposed source crawls it (detail
	// page included), TrialErr why that crawl failed.
	Trial    *Item
	TrialErr error
	Notes    []string
}

// maxShownItems bounds the list items a Discovery carries.
const maxShownItems = 20

// acceptAny asks for whatever the address serves: a page, a feed or JSON.
const acceptAny = "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/json;q=0.9,application/xml;q=0.9,*/*;q=0.8"

// Discover fetches one page politely (robots.txt obeyed, the crawler's
// User-Agent, transport and limits, one request at a time with a delay),
// recognises what it is (a known board software, a preset's layout, an RSS
// or Atom feed, also one announced by <link rel=alternate>, a JSON list),
// proposes a source, crawls its first item through the real crawl code to
// show what would be stored, and renders the sources.yaml block. Pages are
// fetched once: the trial crawl is answered from memory.
func Discover(ctx context.Context, rawURL string, opts DiscoverOptions) (*Discovery, error) {
	rawURL = strings.TrimSpace(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("地址应为 http(s):// 开头的完整网址，实际为 %q", rawURL)
	}
	u.Fragment = ""
	rawURL = u.String()
	if opts.Delay <= 0 {
		opts.Delay = DefaultDelay
	}
	next := opts.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	maxBytes := int64(opts.MaxBodyBytes)
	if maxBytes <= 0 {
		maxBytes = 5 << 20
	}
	copts := opts.Options
	copts.Transport = &memoTransport{next: next, limit: maxBytes, pages: map[string]*memoPage{}}
	copts.Registerer = nil // a probe is no crawl of a configured source
	// What the probe finds goes to the operator as notes; the crawler's own
	// log lines (its one-item trial hitting max_items, say) would mislead.
	copts.Logger = slog.New(slog.DiscardHandler)
	c, err := New(copts)
	if err != nil {
		return nil, err
	}
	pr := &prober{c: c, delay: opts.Delay, d: &Discovery{URL: rawURL}, example: strings.TrimSpace(opts.Example)}
	if err := pr.run(ctx, rawURL); err != nil {
		return nil, err
	}
	return pr.d, nil
}

// prober holds one Discover call's state.
type prober struct {
	c       *Crawler
	delay   time.Duration
	d       *Discovery
	example string // DiscoverOptions.Example
}

func (pr *prober) note(format string, args ...any) {
	pr.d.Notes = append(pr.d.Notes, fmt.Sprintf(format, args...))
}

// fetch gets u politely through a job for u's host.
func (pr *prober) fetch(ctx context.Context, u, accept string) (*page, error) {
	src := Source{Name: "probe", URL: u, Delay: pr.delay}
	src.ApplyDefaults()
	j, err := pr.c.newJob(ctx, src)
	if err != nil {
		return nil, err
	}
	return j.get(ctx, u, accept, nil)
}

// proposal is one candidate source with how well it did on the pages.
type proposal struct {
	src      Source // as the YAML block will hold it
	method   string // preset name or "selectors"
	software string // recognised software this candidate stands for
	items    []listItem
	score    float64
	detailOK bool
	inferred bool // selectors guessed from the page, not known ones
}

func (pr *prober) run(ctx context.Context, rawURL string) error {
	p, err := pr.fetch(ctx, rawURL, acceptAny)
	if err != nil {
		return fmt.Errorf("读取 %s: %w", rawURL, err)
	}
	ct := p.header.Get("Content-Type")
	switch sniff(ct, p.body) {
	case KindJSON:
		return pr.json(ctx, p)
	case KindRSS:
		ok, err := pr.feed(ctx, p, rawURL)
		if err != nil || ok {
			return err
		}
	}
	return pr.html(ctx, p)
}

// sniff tells a JSON body, a feed and an HTML page apart by the media type
// and the first bytes.
func sniff(contentType string, body []byte) string {
	ct := strings.ToLower(contentType)
	head := bytes.TrimLeft(bytes.TrimPrefix(body, utf8BOM), " \t\r\n")
	head = head[:min(len(head), 512)]
	switch {
	case strings.Contains(ct, "json"), bytes.HasPrefix(head, []byte("{")), bytes.HasPrefix(head, []byte("[")):
		return KindJSON
	case strings.Contains(ct, "rss"), strings.Contains(ct, "atom"),
		bytes.HasPrefix(head, []byte("<?xml")), bytes.HasPrefix(head, []byte("<rss")), bytes.HasPrefix(head, []byte("<feed")):
		return KindRSS
	}
	return KindHTML
}

// decode decodes a probed page, finding the encoding a source must declare:
// auto when the page says what it is or is UTF-8, else gb18030.
func (pr *prober) decode(p *page, isXML bool) (text, encoding string, err error) {
	ct := p.header.Get("Content-Type")
	text, _, err = decodeBody(p.body, ct, EncodingAuto, isXML)
	if err == nil {
		return text, EncodingAuto, nil
	}
	if t, _, gerr := decodeBody(p.body, ct, EncodingGB18030, isXML); gerr == nil {
		return t, EncodingGB18030, nil
	}
	return "", "", fmt.Errorf("%s: %w", p.url, err)
}

// describeEncoding says where the page's encoding came from, for the operator.
func describeEncoding(p *page, enc string, isXML bool) string {
	body := bytes.TrimPrefix(p.body, utf8BOM)
	switch {
	case enc == EncodingGB18030:
		return "GBK/GB18030（网页未正确声明，需在配置中写明 encoding: gb18030）"
	case charsetParam(p.header.Get("Content-Type")) != "":
		return charsetParam(p.header.Get("Content-Type")) + "（响应头声明）"
	case isXML && xmlDeclRe.Match(body):
		return strings.ToLower(string(xmlDeclRe.FindSubmatch(body)[1])) + "（XML 声明）"
	case !isXML && metaCharset(body) != "":
		return metaCharset(body) + "（网页 <meta> 声明）"
	}
	return "utf-8（未声明，按内容判断）"
}

// feed proposes a feed source; ok is false when the page is no feed after all.
func (pr *prober) feed(ctx context.Context, p *page, feedURL string) (ok bool, err error) {
	text, enc, err := pr.decode(p, true)
	if err != nil {
		return false, err
	}
	f, err := gofeed.NewParser().ParseString(text)
	if err != nil {
		return false, nil
	}
	kind := KindRSS
	if f.FeedType == "atom" {
		kind = KindAtom
	}
	d := pr.d
	d.Kind, d.Encoding, d.Method = kind, describeEncoding(p, enc, true), kind
	d.Software = "RSS " + f.FeedVersion + " 订阅"
	if kind == KindAtom {
		d.Software = "Atom " + f.FeedVersion + " 订阅"
	}
	src := Source{Name: sourceNameFor(feedURL, ""), Title: cleanTitle(f.Title), Kind: kind, URL: feedURL}
	if inst, route, ok := rsshubRoute(f, feedURL); ok {
		src = Source{Name: sourceNameFor(feedURL, route), Title: cleanTitle(f.Title), Preset: PresetRSSHub, URL: inst, Board: route}
		d.Method, d.Software = PresetRSSHub, "RSSHub"
		pr.note("这是 RSSHub 实例的路由：建议用 preset: rsshub，url 写实例地址，board 写路由（%s）", route)
	} else if isRSSHub(f) {
		d.Software = "RSSHub"
		pr.note("这是 RSSHub 的输出，但地址带查询参数或与路由对不上，按普通订阅（kind: %s）给出建议", kind)
	}
	if enc != EncodingAuto {
		src.Encoding = enc
	}
	d.Source = src
	base := p.finalURL
	if base == nil {
		base, _ = url.Parse(feedURL)
	}
	summaries, offSite := 0, 0
	for _, fi := range f.Items {
		link := strings.TrimSpace(fi.Link)
		if link == "" {
			continue
		}
		abs, err := base.Parse(link)
		if err != nil {
			continue
		}
		body := HTMLToText(fi.Content)
		if body == "" {
			body = HTMLToText(fi.Description)
		}
		// Like the crawl: only summaries on the feed's own site are
		// completed from their article pages.
		switch {
		case !strings.EqualFold(abs.Host, base.Host):
			offSite++
		case looksLikeSummary(body, strings.TrimSpace(fi.Content) != ""):
			summaries++
		}
		it := Item{URL: abs.String(), Title: HTMLToText(fi.Title), Body: body}
		it.PublishedAt = feedTime(fi.Published, fi.PublishedParsed, pr.c.opts.Now())
		d.PageSize++
		if len(d.Items) < maxShownItems {
			d.Items = append(d.Items, it)
		}
	}
	if d.PageSize == 0 {
		pr.note("订阅中没有带链接的条目，无法确认格式；请稍后再试或换一个订阅地址")
	}
	if summaries*2 > d.PageSize && d.PageSize > 0 {
		pr.note("订阅条目的正文多为摘要（很短或以省略号结尾）：抓取时会自动读取同一网站的文章页全文（detail: auto）再研判")
	}
	if offSite*2 > d.PageSize && d.PageSize > 0 {
		pr.note("订阅条目多链接到其他网站（如微博、知乎），不读取文章页，只保存订阅中的内容")
	}
	pr.capNote()
	pr.finish(ctx, src)
	return true, nil
}

// isRSSHub reports a feed rendered by RSSHub: its <generator>, or the
// "Powered by RSSHub" its channel descriptions end with.
func isRSSHub(f *gofeed.Feed) bool {
	return strings.Contains(strings.ToLower(f.Generator), "rsshub") ||
		strings.HasSuffix(strings.TrimSpace(f.Description), "Powered by RSSHub")
}

// rsshubRoute splits the address of an RSSHub feed into the instance
// (url of preset rsshub) and the route (its board). The route is the path
// of the feed's self link (<atom:link rel=self>) where the address ends
// with it — an instance may sit under a path — else the whole path. An
// address with a query (RSSHub's filter/limit parameters) has no such
// split: ok is false, as when the preset would not rebuild the address.
func rsshubRoute(f *gofeed.Feed, feedURL string) (instance, route string, ok bool) {
	if !isRSSHub(f) {
		return "", "", false
	}
	u, err := url.Parse(feedURL)
	if err != nil || u.RawQuery != "" || strings.Trim(u.Path, "/") == "" {
		return "", "", false
	}
	prefix, route := "/", strings.Trim(u.Path, "/")
	if self, err := url.Parse(strings.TrimSpace(f.FeedLink)); err == nil && self.RawQuery == "" {
		if r := strings.Trim(self.Path, "/"); r != "" && strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/"+r) {
			prefix = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), r)
			route = r
		}
	}
	inst := *u
	inst.Path, inst.RawPath, inst.Fragment = prefix, "", ""
	instance = inst.String()
	// The preset must give back the address probed.
	s := Source{Preset: PresetRSSHub, URL: instance, Board: route}
	presets[PresetRSSHub].apply(&s)
	if got, err := url.Parse(s.URL); err != nil || got.Host != u.Host || got.Path != u.Path {
		return "", "", false
	}
	return instance, route, true
}

// alternateFeed finds <link rel=alternate> announcing an RSS or Atom feed.
func alternateFeed(doc *goquery.Document, base *url.URL) string {
	var found string
	doc.Find(`link[rel~=alternate][href]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		t := strings.ToLower(s.AttrOr("type", ""))
		if !strings.Contains(t, "rss") && !strings.Contains(t, "atom") {
			return true
		}
		if u, err := base.Parse(strings.TrimSpace(s.AttrOr("href", ""))); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			found = u.String()
			return false
		}
		return true
	})
	return found
}

func (pr *prober) html(ctx context.Context, p *page) error {
	text, enc, err := pr.decode(p, false)
	if err != nil {
		return err
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(text))
	if err != nil {
		return fmt.Errorf("解析 %s: %w", p.url, err)
	}
	d := pr.d
	d.Kind, d.Encoding = KindHTML, describeEncoding(p, enc, false)
	base := p.finalURL
	if pr.search(ctx, doc, p, enc) {
		return nil
	}
	sw := recognise(doc)
	now := pr.c.opts.Now()
	cands := pr.listCandidates(doc, p, enc, sw, now)
	feedURL := alternateFeed(doc, base)

	// A recognised board wins over a feed; otherwise a feed the page
	// announces is the sturdier source.
	recognised := slices.ContainsFunc(cands, func(c *proposal) bool { return c.software != "" })
	if feedURL != "" && !recognised {
		if fp, err := pr.fetch(ctx, feedURL, acceptFeed); err == nil {
			if ok, err := pr.feed(ctx, fp, feedURL); err == nil && ok {
				pr.note("网页 %s 声明了订阅地址（<link rel=alternate>），建议直接订阅；也可以按列表页抓取", p.url)
				return nil
			}
		} else {
			pr.note("网页声明的订阅 %s 无法读取（%v），改按列表页分析", feedURL, err)
		}
	}
	if len(cands) == 0 {
		d.Software = softwareNames(sw)
		return fmt.Errorf("%w: 在 %s 上没有找到帖子列表（至少两条带链接的条目）；请换成版块或栏目的列表页地址", ErrLayout, p.url)
	}
	slices.SortStableFunc(cands, func(a, b *proposal) int { return cmpScore(b.score, a.score) })

	// One detail page, from the best list, judges the detail selectors and
	// lets the inferred candidate infer its own.
	ddoc, dItem := pr.detailSample(ctx, cands[0].items)
	for _, cand := range cands {
		if ddoc == nil {
			break
		}
		if cand.inferred {
			cand.src.Detail = inferDetail(ddoc, dItem.Title, now)
		}
		if cand.src.Detail.Body == "" && cand.src.Preset == "" {
			continue
		}
		s := cand.src
		s.ApplyDefaults()
		cand.detailOK, cand.score = detailFits(ddoc, dItem.Item, s, now, cand.score)
	}
	best := chooseHTML(cands)
	d.Software = best.software
	if d.Software == "" {
		d.Software = softwareNames(sw)
	}
	d.Method = best.method
	if ddoc == nil {
		pr.note("未能读取任何详情页，只按列表页给出建议")
	} else if !best.detailOK {
		pr.note("没有在详情页上找到正文，建议只保存列表信息；如需正文请手工补充 detail.body")
		best.src.Detail = DetailSelectors{}
	}
	pr.show(best.items)
	if next := nextLinkSelector(doc, base); next != "" && best.src.Preset == "" && best.src.List.Next == "" {
		best.src.List.Next = next
	}
	if feedURL != "" {
		pr.note("网页还声明了订阅地址 %s，也可用 kind: rss 订阅", feedURL)
	}
	pr.capNote()
	pr.finish(ctx, best.src)
	return nil
}

// listCandidates proposes sources for the list page doc and scores each
// on the items it extracts (at least two kept): the recognised software,
// every html preset (new presets take part without code here), and
// selectors inferred from the page.
func (pr *prober) listCandidates(doc *goquery.Document, p *page, enc string, sw []software, now time.Time) []*proposal {
	title := cleanTitle(selText(doc.Find("title").First()))
	var cands []*proposal
	add := func(src Source, method, software string) {
		src.Title = title
		if enc != EncodingAuto {
			src.Encoding = enc
		}
		cands = append(cands, &proposal{src: src, method: method, software: software})
	}
	for _, prof := range sw {
		add(prof.source(p.url), prof.method(), prof.name)
	}
	// The presets whose board names the list's container (generic-list,
	// mailbox) take the inferred one, as the whole page would add its menus
	// to the list.
	inf := inferList(doc, p.finalURL, now)
	for _, name := range PresetNames() {
		pre := presets[name]
		if pre.src.Kind != KindHTML || slices.ContainsFunc(cands, func(c *proposal) bool { return c.method == name }) {
			continue
		}
		src := presetCandidate(name, p.url, p.url)
		if !pre.needBoard && strings.Contains(pre.src.List.Item, "{board}") {
			if inf == nil {
				continue
			}
			src.Board = inf.container
		}
		add(src, name, "")
	}
	if inf != nil {
		add(Source{Name: sourceNameFor(p.url, ""), URL: p.url, List: inf.list}, "selectors", "")
		cands[len(cands)-1].inferred = true
	}
	for _, cand := range cands {
		s := cand.src
		s.ApplyDefaults()
		j := &job{c: pr.c, src: s}
		items, _ := j.extractList(doc, p.finalURL)
		cand.items = sameHostItems(items, p.finalURL)
		cand.score = listScore(cand.items)
	}
	return slices.DeleteFunc(cands, func(c *proposal) bool { return len(c.items) < 2 })
}

// detailSample fetches the page of one of the first three items (the
// first that can be read and parsed); nil when none can.
func (pr *prober) detailSample(ctx context.Context, items []listItem) (*goquery.Document, *listItem) {
	for i := range min(3, len(items)) {
		it := items[i]
		dp, err := pr.fetch(ctx, it.fetchURL, acceptHTML)
		if err != nil {
			pr.note("详情页 %s 无法读取：%v", it.fetchURL, err)
			continue
		}
		dtext, _, err := pr.decode(dp, false)
		if err != nil {
			pr.note("详情页 %s 无法解码：%v", it.fetchURL, err)
			continue
		}
		if ddoc, err := goquery.NewDocumentFromReader(strings.NewReader(dtext)); err == nil {
			return ddoc, &it
		}
	}
	return nil, nil
}

// show records the proposal's items: how many a page holds, the first
// few to show.
func (pr *prober) show(items []listItem) {
	for _, it := range items {
		pr.d.PageSize++
		if len(pr.d.Items) < maxShownItems {
			pr.d.Items = append(pr.d.Items, it.Item)
		}
	}
}

// search proposes a search source when the page is a results page of a
// search preset's engine for the query in its q parameter: the probed
// address with the query as {keyword}, and the query as the one keyword
// (the operator adds the others). Results link to other sites, so they are
// not filtered by host and no detail page is read.
func (pr *prober) search(ctx context.Context, doc *goquery.Document, p *page, enc string) bool {
	u, err := url.Parse(p.url)
	if err != nil {
		return false
	}
	q := strings.TrimSpace(u.Query().Get("q"))
	if q == "" {
		return false
	}
	vals := u.Query()
	vals.Set("q", KeywordPlaceholder)
	u.RawQuery = strings.ReplaceAll(vals.Encode(), url.QueryEscape(KeywordPlaceholder), KeywordPlaceholder)
	for _, name := range PresetNames() {
		if presets[name].src.Kind != KindSearch {
			continue
		}
		src := Source{Name: sourceNameFor(p.url, ""), Preset: name, URL: u.String(), Keywords: []string{q}} // the page title is the query
		if enc != EncodingAuto {
			src.Encoding = enc
		}
		s := src
		s.ApplyDefaults()
		items, _ := (&job{c: pr.c, src: s}).extractList(doc, p.finalURL)
		items = slices.DeleteFunc(items, func(it listItem) bool { return strings.TrimSpace(it.Title) == "" })
		if len(items) == 0 {
			continue
		}
		d := pr.d
		d.Kind, d.Method, d.Encoding = KindSearch, name, describeEncoding(p, enc, false)
		d.Software = presets[name].Title
		if gen := doc.Find(`meta[name=generator i]`).First().AttrOr("content", ""); gen != "" {
			d.Software = strings.TrimSpace(gen)
		}
		for _, it := range items {
			d.PageSize++
			if len(d.Items) < maxShownItems {
				d.Items = append(d.Items, it.Item)
			}
		}
		pr.note("这是搜索结果页：地址中的查询词 %q 已写成 {keyword}，keywords 暂只有它，请补充要监测的其他关键词", q)
		pr.capNote()
		pr.finish(ctx, src)
		return true
	}
	return false
}

// presetCandidate is a candidate for preset name on the probed page: the
// site's base URL and the board id when the page is the preset's list page,
// else listURL (the page's URL, perhaps with {page}).
func presetCandidate(name, pageURL, listURL string) Source {
	src := Source{Name: sourceNameFor(pageURL, ""), Preset: name, URL: listURL}
	if base, board, ok := presets[name].boardOf(pageURL); ok {
		src.URL, src.Board = base, board
		src.Name = sourceNameFor(pageURL, board)
	}
	return src
}

// boardOf reverses a preset's list path: for a page at base + path with
// {board} = b it returns base and b.
func (p preset) boardOf(pageURL string) (base, board string, ok bool) {
	if !p.needBoard || p.path == "" {
		return "", "", false
	}
	pu, err := url.Parse(pageURL)
	if err != nil {
		return "", "", false
	}
	pat, err := url.Parse(strings.ReplaceAll(p.path, "{page}", "1"))
	if err != nil || strings.Contains(pat.Path, "{board}") {
		return "", "", false
	}
	if !strings.HasSuffix(pu.Path, "/"+pat.Path) && pu.Path != pat.Path {
		return "", "", false
	}
	got := pu.Query()
	for k, vs := range pat.Query() {
		v := vs[0]
		switch {
		case v == "{board}":
			board = got.Get(k)
		case v == "1" && strings.Contains(p.path, k+"={page}"):
		case got.Get(k) != v:
			return "", "", false
		}
	}
	if board == "" {
		return "", "", false
	}
	b := *pu
	b.Path, b.RawQuery = strings.TrimSuffix(pu.Path, pat.Path), ""
	return b.String(), board, true
}

func cmpScore(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chooseHTML picks the proposal: recognised software that fits wins, then
// the best score, a preset beating inferred selectors unless they capture
// clearly more (a preset is shorter to write and kept up to date).
func chooseHTML(cands []*proposal) *proposal {
	for _, c := range cands {
		if c.software != "" && (c.detailOK || c.src.Detail.Body == "") {
			return c
		}
	}
	best := cands[0]
	for _, c := range cands {
		sc, bs := c.score, best.score
		if c.method != "selectors" {
			sc *= 1.15
		}
		if best.method != "selectors" {
			bs *= 1.15
		}
		if sc > bs {
			best = c
		}
	}
	return best
}

// sameHostItems keeps the items the crawl can follow (links on the list's
// host), each once.
func sameHostItems(items []listItem, base *url.URL) []listItem {
	seen := map[string]bool{}
	var out []listItem
	for _, it := range items {
		u, err := url.Parse(it.fetchURL)
		if err != nil || !strings.EqualFold(u.Host, base.Host) || seen[it.URL] || strings.TrimSpace(it.Title) == "" {
			continue
		}
		seen[it.URL] = true
		out = append(out, it)
	}
	return out
}

// listScore rates a list extraction: items, and how many fields they fill.
func listScore(items []listItem) float64 {
	if len(items) == 0 {
		return 0
	}
	var sc float64
	for _, it := range items {
		sc++
		if !it.PublishedAt.IsZero() {
			sc += 0.5
		}
		if it.hasReplies {
			sc += 0.5
		}
		if it.Views > 0 {
			sc += 0.25
		}
		if it.Author != "" {
			sc += 0.25
		}
		if n := utf8.RuneCountInString(it.Title); n < 4 {
			sc -= 0.75 // a menu entry rather than a thread
		}
	}
	return sc
}

// detailFits applies a candidate's detail selectors to the probed detail
// page of item it and adds what they capture to its score.
func detailFits(doc *goquery.Document, it Item, s Source, now time.Time, score float64) (bool, float64) {
	ds := s.Detail
	if ds.Body == "" || ds.Body == DetailNone {
		return false, score
	}
	if ds.Body == DetailAuto {
		text, timed := autoFits(doc, it, s.TimeLayout, now)
		if !text {
			return false, score * 0.5
		}
		score *= 1.5
		if timed && ds.Time == "" {
			score *= 1.1
		}
	} else {
		body := doc.Find(ds.Body).First()
		if body.Length() == 0 {
			return false, score * 0.5
		}
		text := nodeText(body.Nodes[0])
		if utf8.RuneCountInString(text) < 2 {
			return false, score * 0.5
		}
		score *= 1.5
	}
	if ds.Time != "" {
		if _, ok := selTime(doc.Find(ds.Time), s.TimeLayout, now); ok {
			score *= 1.1
		}
	}
	if ds.Author != "" && selText(doc.Find(ds.Author).First()) != "" {
		score *= 1.05
	}
	return true, score
}

// autoFits reports whether detail: auto finds the article's text on the
// page of item it, and its own time. doc is left as it was (the
// readability pass works on a copy).
func autoFits(doc *goquery.Document, it Item, layout string, now time.Time) (text, timed bool) {
	_, timed = articleTime(doc, it.Title, layout, now)
	h, err := doc.Html()
	if err != nil {
		return false, timed
	}
	cp, err := goquery.NewDocumentFromReader(strings.NewReader(h))
	if err != nil {
		return false, timed
	}
	pu, _ := url.Parse(it.URL)
	return utf8.RuneCountInString(articleText(cp, pu, it.Title)) >= minCMSBodyChars, timed
}

// capNote warns when one list page alone fills max_items.
func (pr *prober) capNote() {
	n := pr.d.PageSize
	if n == 0 {
		return
	}
	if n > DefaultMaxItems {
		pr.d.Source.MaxItems = min(n, maxMaxItems)
		pr.note("列表每页 %d 条，超过默认的每次条数上限 max_items（%d），已在建议中写明 max_items: %d", n, DefaultMaxItems, pr.d.Source.MaxItems)
		return
	}
	pr.note("列表每页 %d 条；如设 pages: N 读多页，请同时设 max_items 不小于 N × %d（默认 %d），否则多出的帖子本轮不处理",
		n, n, DefaultMaxItems)
}

// finish sets the proposal, renders its block and crawls its first item
// through the real crawl code (pages answered from memory).
func (pr *prober) finish(ctx context.Context, src Source) {
	d := pr.d
	if d.Source.MaxItems > 0 {
		src.MaxItems = d.Source.MaxItems
	}
	d.Source = src
	d.YAML = SourceYAML(src)
	trial := src
	trial.ApplyDefaults()
	trial.Delay, trial.Pages, trial.MaxItems, trial.HotMax = pr.delay, 1, 1, -1
	trial.URL = trial.pageURL(1)
	var got []Item
	_, _, err := pr.c.Crawl(ctx, trial, store.SourceState{Name: trial.Name}, nil, collect1(&got))
	if len(got) > 0 {
		d.Trial = &got[0]
	}
	d.TrialErr = err
}

func collect1(out *[]Item) func(context.Context, Item) error {
	var mu sync.Mutex
	return func(_ context.Context, it Item) error {
		mu.Lock()
		defer mu.Unlock()
		*out = append(*out, it)
		return nil
	}
}

var titleCutRe = regexp.MustCompile(`\s+[-_|–—]\s+|_|\|`)

// cleanTitle keeps the first part of a page title ("民生热线 - 本地论坛 -
// Powered by Discuz!" → "民生热线").
func cleanTitle(t string) string {
	t = strings.TrimSpace(t)
	if loc := titleCutRe.FindStringIndex(t); loc != nil && loc[0] > 0 {
		t = strings.TrimSpace(t[:loc[0]])
	}
	t, _, _ = cutRunes(t, 40)
	return t
}

var nameJunkRe = regexp.MustCompile(`[^a-z0-9]+`)

// sourceNameFor proposes a source name from the host (and board): lower
// case letters, digits and "-", as the loader requires.
func sourceNameFor(raw, board string) string {
	u, err := url.Parse(raw)
	host := "source"
	if err == nil && u.Host != "" {
		host = strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	}
	name := strings.Trim(nameJunkRe.ReplaceAllString(host, "-"), "-")
	if b := strings.Trim(nameJunkRe.ReplaceAllString(strings.ToLower(board), "-"), "-"); b != "" {
		name += "-" + b
	}
	if len(name) > 60 {
		name = strings.Trim(name[:60], "-")
	}
	if name == "" {
		name = "source"
	}
	return name
}

// SourceYAML renders a source as a block for sources.yaml: only the fields
// set, in the documented order, strings quoted where YAML needs it.
func SourceYAML(s Source) string {
	var b strings.Builder
	first := true
	field := func(indent, key, v string) {
		if v == "" {
			return
		}
		prefix := indent + "  "
		if first {
			prefix, first = indent+"- ", false
		}
		fmt.Fprintf(&b, "%s%s: %s\n", prefix, key, yamlScalar(v))
	}
	num := func(key string, n int) {
		if n != 0 {
			field("  ", key, fmt.Sprint(n))
		}
	}
	field("  ", "name", s.Name)
	field("  ", "title", s.Title)
	field("  ", "preset", s.Preset)
	if s.Kind != "" && s.Kind != KindHTML {
		field("  ", "kind", s.Kind)
	}
	field("  ", "url", s.URL)
	if s.Board != "" {
		fmt.Fprintf(&b, "    board: %s\n", yamlQuoted(s.Board))
	}
	field("  ", "encoding", s.Encoding)
	if len(s.Keywords) > 0 {
		kws := make([]string, len(s.Keywords))
		for i, kw := range s.Keywords {
			kws[i] = yamlQuoted(kw)
		}
		fmt.Fprintf(&b, "    keywords: [%s]\n", strings.Join(kws, ", "))
	}
	num("pages", s.Pages)
	num("max_items", s.MaxItems)
	field("  ", "time_layout", s.TimeLayout)
	section := func(name string, kv [][2]string) {
		var lines []string
		for _, e := range kv {
			if e[1] != "" {
				lines = append(lines, fmt.Sprintf("      %s: %s\n", e[0], yamlQuoted(e[1])))
			}
		}
		if len(lines) > 0 {
			b.WriteString("    " + name + ":\n")
			for _, l := range lines {
				b.WriteString(l)
			}
		}
	}
	// s is the source before ApplyDefaults: what is set here was set over
	// the preset (if any), e.g. a json.link the preset cannot know.
	{
		l := s.List
		section("list", [][2]string{{"item", l.Item}, {"link", l.Link}, {"title", l.Title}, {"time", l.Time},
			{"replies", l.Replies}, {"views", l.Views}, {"author", l.Author}, {"next", l.Next}})
		js := s.JSON
		section("json", [][2]string{{"items", js.Items}, {"link", js.Link}, {"title", js.Title}, {"time", js.Time},
			{"replies", js.Replies}, {"views", js.Views}, {"author", js.Author}, {"body", js.Body}})
		ds := s.Detail
		if ds == (DetailSelectors{Body: ds.Body}) && (ds.Body == DetailAuto || ds.Body == DetailNone) {
			fmt.Fprintf(&b, "    detail: %s\n", ds.Body)
			return b.String()
		}
		section("detail", [][2]string{{"body", ds.Body}, {"time", ds.Time}, {"author", ds.Author}, {"title", ds.Title},
			{"replies", ds.Replies}, {"views", ds.Views}})
	}
	return b.String()
}

var plainScalarRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._/-]*$`)

// yamlScalar leaves simple words plain and quotes anything else.
func yamlScalar(v string) string {
	if plainScalarRe.MatchString(v) && !strings.HasSuffix(v, " ") && !isYAMLKeyword(v) {
		return v
	}
	return yamlQuoted(v)
}

func isYAMLKeyword(v string) bool {
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n":
		return true
	}
	if _, err := fmt.Sscanf(v, "%g", new(float64)); err == nil {
		return true
	}
	return false
}

// yamlQuoted quotes v as a double-quoted YAML scalar (a JSON string is one).
func yamlQuoted(v string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(buf.String())
}

// memoTransport answers a repeated GET from memory, so the trial crawl of a
// proposal reads the pages the probe already fetched instead of asking the
// site again. It sits below boundedTransport: bodies are kept as received
// (compressed or not) and decoded under the limit on every read.
type memoTransport struct {
	next  http.RoundTripper
	limit int64
	mu    sync.Mutex
	pages map[string]*memoPage
}

type memoPage struct {
	status int
	header http.Header
	body   []byte
}

func (m *memoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return m.next.RoundTrip(req)
	}
	key := req.URL.String()
	m.mu.Lock()
	mp := m.pages[key]
	m.mu.Unlock()
	if mp != nil {
		return &http.Response{Status: http.StatusText(mp.status), StatusCode: mp.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: mp.header.Clone(), Body: io.NopCloser(bytes.NewReader(mp.body)), ContentLength: int64(len(mp.body)), Request: req}, nil
	}
	resp, err := m.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, m.limit+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if int64(len(body)) > m.limit {
		// Too large to keep: hand it on whole, the size limit above judges it.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	m.mu.Lock()
	m.pages[key] = &memoPage{status: resp.StatusCode, header: resp.Header.Clone(), body: body}
	m.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
