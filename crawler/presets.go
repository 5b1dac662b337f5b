package crawler

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// preset is a known site layout: an operator names it, gives the site's
// base URL and a board id, and gets kind, list URL and every selector.
type preset struct {
	Title     string // Chinese description for docs and errors
	needBoard bool   // path contains {board}
	pathBoard bool   // board is a URL path (escaped per segment), not a query value
	path      string // list URL relative to the base URL
	src       Source // kind, pages, selectors, JSON mapping
}

// Preset names.
const (
	PresetDiscuzX3    = "discuz-x3"
	PresetDiscuzX2    = "discuz-x2"
	PresetGenericList = "generic-list"
	PresetLiuyan      = "liuyan"
	PresetMailbox     = "mailbox"
	PresetRSSHub      = "rsshub"
	PresetSearXNG     = "searxng"
)

// labelled selects the value cell after a label cell whose own text holds
// one of the words (label/value tables of government letter pages).
func labelled(words ...string) string {
	var sels []string
	for _, w := range words {
		for _, pair := range [...][2]string{{"td", "td"}, {"th", "td"}, {"dt", "dd"}} {
			sels = append(sels, fmt.Sprintf("%s:containsOwn(%q) + %s", pair[0], w, pair[1]))
		}
	}
	return strings.Join(sels, ", ")
}

// Discuz! X selectors (as measured in ../shared/docs/libraries.md). X2 and X3 share the thread
// list; they differ in how the list shows times (X3 wraps a relative time
// in a span titled with the date) and in the post body cell's markup.
var discuzDetailCounts = DetailSelectors{
	// The thread header: 查看: <span class="xi1">N</span> | 回复: <span class="xi1">M</span>
	Replies: "div#postlist div.hm span.xi1:last-child",
	Views:   "div#postlist div.hm span.xi1:nth-of-type(2)",
}

var presets = map[string]preset{
	PresetDiscuzX3: {
		Title:     "Discuz! X3 论坛版块",
		needBoard: true,
		path:      "forum.php?mod=forumdisplay&fid={board}",
		src: Source{
			Kind: KindHTML, Channel: "discuz_forum",
			List: ListSelectors{
				Item: "tbody[id^=normalthread]", Link: "a.xst", Time: "td.by em span",
				Replies: "td.num a.xi2", Views: "td.num em", Author: "td.by cite a", Next: "div.pg a.nxt",
			},
			Detail: DetailSelectors{
				Body: "div#postlist div[id^=post] td[id^=postmessage]", Time: "em[id^=authorposton]",
				Replies: discuzDetailCounts.Replies, Views: discuzDetailCounts.Views,
			},
		},
	},
	PresetDiscuzX2: {
		Title:     "Discuz! X2/X2.5 论坛版块",
		needBoard: true,
		path:      "forum.php?mod=forumdisplay&fid={board}",
		src: Source{
			Kind: KindHTML, Channel: "discuz_forum",
			List: ListSelectors{
				Item: "tbody[id^=normalthread]", Link: "a.xst", Time: "td.by em",
				Replies: "td.num a.xi2", Views: "td.num em", Author: "td.by cite a", Next: "div.pg a.nxt",
			},
			Detail: DetailSelectors{
				Body: "div#postlist td.t_f", Time: "em[id^=authorposton]",
				Replies: discuzDetailCounts.Replies, Views: discuzDetailCounts.Views,
			},
		},
	},
	// A list page of a news or government site (通知公告, 信息公开, 问政
	// lists): one link per <li> or table row inside the container named by
	// board (default: the whole page), the date in a span/em/td beside it.
	PresetGenericList: {
		Title: "通用列表页（新闻、政务公开等）",
		src: Source{
			Kind: KindHTML,
			List: ListSelectors{
				Item: "{board} li:has(a[href]), {board} tr:has(a[href])", Link: "a[href]",
				Time: "span, em, td, i, font",
			},
			// The article page's main text and its own time (articleText,
			// articleTime): a selector list took the first container in
			// document order — often a wrapper holding the headline, the
			// 发布时间/来源 line, share and 上一篇/下一篇 links — and a
			// date in the page header (today) for the publication time.
			Detail: DetailSelectors{Body: DetailAuto, Title: "h1"},
		},
	},
	// A 留言板 or 12345 publication whose list comes from a Java back end's
	// JSON endpoint (Spring + MyBatis-Plus, often RuoYi): the MyBatis-Plus
	// page object {"records":[…],"total","size","current","pages"} wrapped
	// as {"code":200,"msg":…,"data":{…}}, RuoYi's TableDataInfo
	// {"total","rows":[…],"code","msg"}, or PageHelper's {"data":{"list":…}}.
	// Records carry createTime ("2026-11-21 15:02:11" or epoch ms) and ids
	// as long strings (snowflake ids exceed JavaScript's integers). The
	// operator gives the list endpoint (url, with {page}) and json.link,
	// the page a person opens for one message; the message text usually
	// comes with the list, so no detail page is needed.
	PresetLiuyan: {
		Title: "网上留言板、12345 公开件（Java 后台 JSON 分页列表：data.records / rows）",
		src: Source{
			Kind: KindJSON, Channel: "gov_message_board",
			JSON: JSONFields{
				Items:  "data.records|rows|data.rows|data.list|records|list",
				Title:  "title|subject|letterTitle|appealTitle",
				Time:   "createTime|submitTime|gmtCreate|createDate|created_at",
				Body:   "content|letterContent|appealContent|messageContent",
				Author: "nickName|userName|nickname|writerName",
				Views:  "viewCount|readCount|clickNum|click_num",
			},
		},
	},
	// A 市长信箱 / 12345 来信选登 board built as HTML: a list table (or
	// <ul>) of letters inside the container named by board (default: the
	// whole page), and a letter page laid out as label/value cells
	// (<td>来信内容：</td><td>…</td>, <th>…</th><td>…</td> or <dt>/<dd>).
	// The value after the first label holding 内容 is the letter (the
	// reply's label comes later), after 时间/日期 its date.
	PresetMailbox: {
		Title: "市长信箱、12345 来信选登（网页列表 + 标签/内容表格详情）",
		src: Source{
			Kind: KindHTML, Channel: "leader_board",
			List: ListSelectors{
				Item: "{board} tr:has(a[href]), {board} li:has(a[href])", Link: "a[href]",
				Time: "td, span, em",
			},
			Detail: DetailSelectors{
				Body:   labelled("内容"),
				Title:  labelled("标题", "主题"),
				Time:   labelled("时间", "日期"),
				Author: labelled("来信人", "写信人", "咨询人", "留言人"),
			},
		},
	},
	// A self-hosted RSSHub instance: url is the instance, board the route
	// (weibo/user/UID, weibo/keyword/词, zhihu/people/activities/ID,
	// bilibili/user/video/UID, xiaohongshu/user/ID/notes, douyin/user/UID,
	// people/liuyan/FID …; README lists them). Items link to the platform.
	PresetRSSHub: {
		Title:     "自建 RSSHub 实例的路由（微博、知乎、B站、小红书、抖音、人民网领导留言板等）",
		needBoard: true,
		pathBoard: true,
		path:      "{board}",
		src:       Source{Kind: KindRSS},
	},
	// A self-hosted SearXNG instance's news search, one request per
	// keyword; results in its "simple" theme markup.
	PresetSearXNG: {
		Title: "自建 SearXNG 元搜索实例的新闻搜索（按关键词）",
		path:  "search?q={keyword}&categories=news&language=zh-CN&time_range=week",
		src: Source{
			Kind: KindSearch,
			List: ListSelectors{
				Item: "#urls article.result", Link: "h3 a[href]", Title: "h3",
				Time: "time.published_date", Body: "p.content",
			},
		},
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// looksLikeBase reports whether raw is a bare site address (no path beyond
// a directory, no query), i.e. not already a list page.
func (p preset) looksLikeBase(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.RawQuery == "" && (u.Path == "" || strings.HasSuffix(u.Path, "/"))
}

// apply fills s's zero fields from the preset. With a board the URL is
// taken as the site's base and the board's list URL is derived from it.
// The fields it fills are recorded, so a crawl can report those that
// match nothing.
func (p preset) apply(s *Source) {
	board := s.Board
	if p.path != "" && (board != "" || !p.needBoard) && p.looksLikeBase(s.URL) {
		if base, err := url.Parse(strings.TrimSpace(s.URL)); err == nil && base.Host != "" {
			b := url.QueryEscape(board)
			if p.pathBoard {
				b = escapePath(strings.Trim(board, "/"))
			}
			if ref, err := url.Parse(strings.ReplaceAll(p.path, "{board}", b)); err == nil {
				s.URL = base.ResolveReference(ref).String()
				// ResolveReference re-encodes the query; keep placeholders literal.
				for _, ph := range [...]string{PagePlaceholder, KeywordPlaceholder} {
					enc := url.QueryEscape(ph)
					s.URL = strings.ReplaceAll(strings.ReplaceAll(s.URL, enc, ph), strings.ToLower(enc), ph)
				}
			}
		}
	}
	if s.Kind == "" {
		s.Kind = p.src.Kind
	}
	if s.Channel == "" {
		s.Channel = p.src.Channel
	}
	container := board
	if container == "" || p.needBoard {
		container = "body"
	}
	s.fromPreset = map[string]bool{}
	fill := func(name string, dst *string, v string) {
		if *dst == "" && v != "" {
			*dst = strings.ReplaceAll(v, "{board}", container)
			s.fromPreset[name] = true
		}
	}
	l, pl := &s.List, p.src.List
	fill("list.item", &l.Item, pl.Item)
	fill("list.link", &l.Link, pl.Link)
	fill("list.title", &l.Title, pl.Title)
	fill("list.time", &l.Time, pl.Time)
	fill("list.replies", &l.Replies, pl.Replies)
	fill("list.views", &l.Views, pl.Views)
	fill("list.author", &l.Author, pl.Author)
	fill("list.body", &l.Body, pl.Body)
	fill("list.next", &l.Next, pl.Next)
	d, pd := &s.Detail, p.src.Detail
	if d.Body == DetailNone {
		pd = DetailSelectors{} // the operator turned detail pages off
	}
	fill("detail.body", &d.Body, pd.Body)
	fill("detail.time", &d.Time, pd.Time)
	fill("detail.author", &d.Author, pd.Author)
	fill("detail.title", &d.Title, pd.Title)
	fill("detail.replies", &d.Replies, pd.Replies)
	fill("detail.views", &d.Views, pd.Views)
	js, pj := &s.JSON, p.src.JSON
	fill("json.items", &js.Items, pj.Items)
	fill("json.link", &js.Link, pj.Link)
	fill("json.title", &js.Title, pj.Title)
	fill("json.time", &js.Time, pj.Time)
	fill("json.replies", &js.Replies, pj.Replies)
	fill("json.views", &js.Views, pj.Views)
	fill("json.author", &js.Author, pj.Author)
	fill("json.body", &js.Body, pj.Body)
}

// escapePath escapes each segment of a slash-separated path (an RSSHub
// route with a Chinese keyword: weibo/keyword/医保).
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// PresetFields lists the fields of s whose values came from its preset.
func (s *Source) PresetFields() []string {
	var out []string
	for f := range s.fromPreset {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Notes are what `yuqing check` can say about a source without fetching
// it: which fields its preset supplies, and where its json.link resolves
// (every placeholder set to 123), so a link in the wrong directory
// shows before the first crawl.
func (s *Source) Notes() []string {
	var out []string
	if fs := s.PresetFields(); len(fs) > 0 {
		out = append(out, fmt.Sprintf("预设 %s 提供的字段：%s（哪些在本站匹配不到，用 crawl -once 试抓可见）", s.Preset, strings.Join(fs, "、")))
	}
	if s.Kind != KindJSON || !strings.Contains(s.JSON.Link, "{") {
		return out
	}
	base, err := url.Parse(s.pageURL(1))
	if err != nil {
		return out
	}
	example := placeholderRe.ReplaceAllString(s.JSON.Link, "123")
	abs, err := base.Parse(example)
	if err != nil {
		return out
	}
	if strings.HasPrefix(s.JSON.Link, "/") || strings.Contains(s.JSON.Link, "://") {
		out = append(out, fmt.Sprintf("json.link 从网站根目录算起：编号为 123 的帖子链接为 %s", abs))
	} else {
		out = append(out, fmt.Sprintf("json.link 相对于列表接口所在目录解析：编号为 123 的帖子链接为 %s；详情页若在网站根目录下，请写成以 / 开头的 /%s",
			abs, strings.TrimPrefix(s.JSON.Link, "./")))
	}
	return out
}
