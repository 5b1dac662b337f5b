package crawler

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/yuqing-bureau/yuqing/store"
)

// A search source polls a search results page (a news search, a site's own
// 站内搜索, a self-hosted SearXNG) once per keyword per crawl: the URL holds
// {keyword}, the list selectors pick the results, and results are
// deduplicated by canonical URL across keywords (and by the store across
// crawls). Results usually link to other sites, so no detail page is
// fetched: an item is the result's title, snippet and date. robots.txt of
// the search site is obeyed like any other.

// keywordURL is the search URL for one keyword.
func (s *Source) keywordURL(kw string) string {
	return strings.ReplaceAll(s.URL, KeywordPlaceholder, url.QueryEscape(strings.TrimSpace(kw)))
}

// validateSearch checks what only a search source needs.
func (s *Source) validateSearch(add fieldError) {
	if !strings.Contains(s.URL, KeywordPlaceholder) {
		add("url", "search 类型的数据源地址中必须用 {keyword} 表示关键词，如 https://so.example.cn/search?q={keyword}")
	}
	if strings.Contains(s.URL, PagePlaceholder) || s.Pages > 1 {
		add("pages", "search 类型的数据源每个关键词只读第一页结果（按时间排序的搜索结果即最新的），请删除 pages 和 {page}")
	}
	switch n := len(s.Keywords); {
	case n == 0:
		add("keywords", "search 类型的数据源必须设置关键词列表 keywords")
	case n > maxKeywords:
		add("keywords", "关键词最多 %d 个（每个关键词每次抓取请求一次），实际为 %d 个", maxKeywords, n)
	}
	for i, kw := range s.Keywords {
		if strings.TrimSpace(kw) == "" {
			add(fmt.Sprintf("keywords[%d]", i), "关键词不能为空")
		}
	}
	if s.Detail != (DetailSelectors{}) {
		add("detail", "search 类型的数据源不抓详情页（搜索结果多链接到其他网站），请删除 detail；摘要用 list.body 提取")
	}
}

// crawlSearch fetches one results page per keyword and emits the results
// not seen earlier in this crawl, up to MaxItems. A failing first page
// fails the crawl; a later one is logged and skipped.
func (j *job) crawlSearch(ctx context.Context, state store.SourceState, emit func(context.Context, Item) error) (store.SourceState, Stats, error) {
	var stats Stats
	src := j.src
	seen := map[string]bool{}
	matchedAny := false
	for i, kw := range src.Keywords {
		if err := ctx.Err(); err != nil {
			return state, stats, err
		}
		u := src.keywordURL(kw)
		p, err := j.get(ctx, u, acceptHTML, nil)
		if err != nil {
			if i == 0 || ctx.Err() != nil || isRetryLater(err) {
				return state, stats, fmt.Errorf("搜索结果页（关键词 %q）: %w", kw, err)
			}
			j.c.log.Warn("搜索结果页抓取失败，跳过该关键词", "source", src.Name, "keyword", kw, "err", err)
			continue
		}
		j.c.m.pages.WithLabelValues(src.Name, PageList).Inc()
		stats.ListPages++
		text, err := j.decode(p, false)
		if err != nil {
			return state, stats, fmt.Errorf("搜索结果页 %s: %w", u, err)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(text))
		if err != nil {
			return state, stats, fmt.Errorf("解析搜索结果页 %s: %w", u, err)
		}
		found, bad := j.extractList(doc, p.finalURL)
		stats.ParseErrors += bad
		for range bad {
			j.countItem(ResultParseError)
		}
		if len(found) == 0 && bad > 0 {
			return state, stats, fmt.Errorf("%w: 搜索结果页 %s 匹配到 %d 条结果（list.item = %q），但都没有可用的链接（list.link = %q），页面结构可能已变化",
				ErrLayout, u, bad, src.List.Item, src.List.Link)
		}
		matchedAny = matchedAny || len(found) > 0
		for _, it := range found {
			if seen[it.URL] {
				continue
			}
			seen[it.URL] = true
			if len(seen) > src.MaxItems {
				stats.Dropped++
				continue
			}
			if err := emit(ctx, it.Item); err != nil {
				return state, stats, &emitError{url: it.URL, err: err}
			}
			stats.Emitted++
		}
	}
	stats.Found = min(len(seen), src.MaxItems)
	if stats.Dropped > 0 {
		j.noteCapped(&stats, false)
	}
	// No result for any keyword from a search that gave results last time:
	// the results markup (or the search URL) changed.
	if !matchedAny && state.LastItems > 0 && stats.ListPages > 0 {
		return state, stats, fmt.Errorf("%w: %d 个关键词的搜索结果页都没有匹配到结果（list.item = %q，上次有 %d 条），页面结构可能已变化",
			ErrLayout, stats.ListPages, src.List.Item, state.LastItems)
	}
	return state, stats, nil
}
