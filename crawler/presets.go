package crawler

import (
	"net/url"
	"slices"
	"strings"
)

// preset is a known site layout: an operator names it, gives the site's
// base URL and a board id, and gets kind, list URL and every selector.
type preset struct {
	Title     string // Chinese description for docs and errors
	needBoard bool   // path contains {board}
	path      string // list URL relative to the base URL
	src       Source // kind, pages, selectors, JSON mapping
}

// Preset names.
const (
	PresetDiscuzX3    = "discuz-x3"
	PresetDiscuzX2    = "discuz-x2"
	PresetGenericList = "generic-list"
	PresetLiuyan      = "liuyan"
)

// Discuz! X selectors (docs/libraries.md). X2 and X3 share the thread
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
			Kind: KindHTML,
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
			Kind: KindHTML,
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
	// A 留言板 (message board) whose list is loaded from a JSON endpoint
	// and whose messages (with the official reply) are HTML pages.
	PresetLiuyan: {
		Title:     "网上留言板（JSON 列表 + 网页详情）",
		needBoard: true,
		path:      "api/messages?board={board}&page={page}",
		src: Source{
			Kind: KindJSON,
			JSON: JSONFields{
				Items: "data.list", Link: "detail.html?id={id}", Title: "title", Time: "createTime",
				Replies: "replyCount", Views: "viewCount", Author: "userName",
			},
			Detail: DetailSelectors{Body: "div.content", Time: "span.time", Replies: "span.replies"},
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
func (p preset) apply(s *Source) {
	board := s.Board
	if p.path != "" && (board != "" || !p.needBoard) && p.looksLikeBase(s.URL) {
		if base, err := url.Parse(strings.TrimSpace(s.URL)); err == nil && base.Host != "" {
			rel := strings.ReplaceAll(p.path, "{board}", url.QueryEscape(board))
			if ref, err := url.Parse(rel); err == nil {
				s.URL = base.ResolveReference(ref).String()
				// ResolveReference re-encodes the query; keep {page} literal.
				s.URL = strings.ReplaceAll(strings.ReplaceAll(s.URL, "%7Bpage%7D", PagePlaceholder), "%7bpage%7d", PagePlaceholder)
			}
		}
	}
	if s.Kind == "" {
		s.Kind = p.src.Kind
	}
	container := board
	if container == "" || p.needBoard {
		container = "body"
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = strings.ReplaceAll(v, "{board}", container)
		}
	}
	l, pl := &s.List, p.src.List
	fill(&l.Item, pl.Item)
	fill(&l.Link, pl.Link)
	fill(&l.Title, pl.Title)
	fill(&l.Time, pl.Time)
	fill(&l.Replies, pl.Replies)
	fill(&l.Views, pl.Views)
	fill(&l.Author, pl.Author)
	fill(&l.Next, pl.Next)
	d, pd := &s.Detail, p.src.Detail
	if d.Body == DetailNone {
		pd = DetailSelectors{} // the operator turned detail pages off
	}
	fill(&d.Body, pd.Body)
	fill(&d.Time, pd.Time)
	fill(&d.Author, pd.Author)
	fill(&d.Title, pd.Title)
	fill(&d.Replies, pd.Replies)
	fill(&d.Views, pd.Views)
	js, pj := &s.JSON, p.src.JSON
	fill(&js.Items, pj.Items)
	fill(&js.Link, pj.Link)
	fill(&js.Title, pj.Title)
	fill(&js.Time, pj.Time)
	fill(&js.Replies, pj.Replies)
	fill(&js.Views, pj.Views)
	fill(&js.Author, pj.Author)
	fill(&js.Body, pj.Body)
}
