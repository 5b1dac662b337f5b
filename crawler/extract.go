package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// listItem is an item as the list page shows it, plus where to fetch it.
type listItem struct {
	Item
	fetchURL   string // absolute link as found (fetched), Item.URL is canonical
	hasReplies bool
	// summary is the text a feed gave for the item, kept when its article
	// page cannot be had.
	summary string
}

// crawlList crawls an html or json source: list page(s) -> items ->
// detail pages of new or changed items -> revisits of hot threads.
func (j *job) crawlList(ctx context.Context, state store.SourceState, known Known, emit func(context.Context, Item) error) (store.SourceState, Stats, error) {
	var stats Stats
	src := j.src
	items, newState, err := j.sampleList(ctx, state, known, &stats)
	if err != nil {
		return state, stats, err
	}
	stats.Found = len(items)

	listed := make(map[string]bool, len(items))
	var run detailRun
	// stop is set when the time budget ran out: the items tried so far are
	// still judged below, then run reports the crawl as cut short.
	var stop error
	settle := func(res detailResult, why error, it *listItem, again bool) error {
		run.note(res, why, *it, again, &stats)
		if res != detailFetched {
			return nil
		}
		if err := emit(ctx, it.Item); err != nil {
			return &emitError{url: it.URL, err: err}
		}
		stats.Emitted++
		return nil
	}
	for _, it := range items {
		listed[it.URL] = true
		if err := ctx.Err(); err != nil {
			if !budgetSpent(ctx) {
				return state, stats, err
			}
			stop = err
			break
		}
		if src.Detail.fetchesDetail() {
			if !j.sameHost(it.fetchURL) {
				j.c.log.Debug("详情页不在本站，只保存列表信息", "source", src.Name, "url", it.fetchURL)
			} else {
				if known != nil {
					replies, found, err := known.Known(ctx, it.URL)
					if err != nil {
						return state, stats, fmt.Errorf("查询已有帖子 %s: %w", it.URL, err)
					}
					if found && (!it.hasReplies || replies == it.Replies) {
						stats.Skipped++
						j.countItem(ResultSkipped)
						continue
					}
				}
				if stop, err = j.visit(ctx, known, &it, &stats, settle); err != nil {
					return state, stats, err
				} else if stop != nil {
					break
				}
				continue
			}
		}
		if err := emit(ctx, it.Item); err != nil {
			return state, stats, &emitError{url: it.URL, err: err}
		}
		stats.Emitted++
	}
	held, err := j.endPass(ctx, known, &run, &stats, settle, stop)
	if err != nil {
		return state, stats, err
	}
	if held {
		// Keep the old validators: the next crawl must see the list again
		// to retry the detail pages that failed or were postponed here.
		// (Items given up, and list rows without a usable link, do not
		// hold them back.)
		newState.ETag, newState.LastModified = state.ETag, state.LastModified
	}
	if err := j.revisitHot(ctx, known, listed, &stats, emit); err != nil {
		return state, stats, err
	}
	return newState, stats, nil
}

// sampleList reads up to src.Pages list pages. Page 1 is read at every
// crawl, conditionally; pages 2..N when they are due (src.DeepInterval,
// recorded in LastDeepAt), and between those only while the page before
// held nothing already stored (the list moved by a whole page since the
// last crawl). A 304 on page 1 (stats.NotModified) says only that page 1
// did not change: its items are left out, and due deeper pages are still
// read, by the {page} template or, for a list.next link, by fetching page
// 1 again without validators to find the link (its unchanged items are
// then skipped by the known-replies check). Threads on deeper pages are
// thus observed again at the deep cadence, their growth is seen, and the
// hot ones are revisited on their own schedule (revisitHot). A
// single-page source answered 304 returns no items.
func (j *job) sampleList(ctx context.Context, state store.SourceState, known Known, stats *Stats) ([]listItem, store.SourceState, error) {
	src := j.src
	seen, visited := map[string]bool{}, map[string]bool{}
	var items []listItem
	newState := state
	now := j.c.opts.Now()
	deep := src.deepDue(state.LastDeepAt, now)
	pageURL := src.pageURL(1)
	paged := strings.Contains(src.URL, PagePlaceholder)
	for n := 0; n < src.Pages && pageURL != "" && !visited[pageURL] && len(items) < src.MaxItems; n++ {
		visited[pageURL] = true
		var extra = conditional(state)
		if n > 0 || stats.NotModified {
			extra = nil
		}
		p, err := j.getListPage(ctx, pageURL, n, extra)
		if err != nil {
			return nil, state, err
		}
		if p == nil {
			break
		}
		if p.notModified {
			if stats.NotModified { // 304 without validators: nothing to read
				return nil, state, nil
			}
			stats.NotModified = true
			next, again := src.pastUnchangedPage1(deep, paged)
			switch {
			case again:
				delete(visited, pageURL) // page 1 again, for its next link
				n--
			case next == "":
				return nil, state, nil
			default:
				pageURL = next
			}
			continue
		}
		stats.ListPages++
		if n == 0 && !stats.NotModified {
			newState.ETag = p.header.Get("ETag")
			newState.LastModified = p.header.Get("Last-Modified")
		}
		found, next, more, err := j.readListPage(p, pageURL, n, paged, state, stats)
		if err != nil {
			return nil, state, err
		}
		if !more {
			break
		}
		var added int
		items, added = appendNew(items, found, seen, src.MaxItems, stats)
		pageURL = next
		if paged {
			pageURL = ""
			if added > 0 { // a page with nothing new ends the paging
				pageURL = src.pageURL(n + 2)
			}
		}
		if !deep && pageURL != "" {
			moved, err := j.allUnknown(ctx, known, found)
			if err != nil {
				return nil, state, err
			}
			if !moved {
				pageURL = ""
			}
		}
	}
	if len(items) >= src.MaxItems {
		j.noteCapped(stats, len(visited) < src.Pages && pageURL != "" && !visited[pageURL])
	}
	if deep {
		newState.LastDeepAt, stats.Deep = now, true
	}
	return items, newState, nil
}

// getListPage fetches list page n (0-based) at u with the extra headers.
// Page 1 is the crawl: failing it fails the crawl. A later page that
// fails only ends the walk (nil page, nil error), so that the pages
// already read are still used; but a cancelled crawl, or a site asking to
// be retried later (Retry-After), fails the crawl whichever page it hit.
func (j *job) getListPage(ctx context.Context, u string, n int, extra http.Header) (*page, error) {
	p, err := j.get(ctx, u, j.src.listAccept(), extra)
	if err != nil {
		if n == 0 || ctx.Err() != nil || isRetryLater(err) {
			return nil, fmt.Errorf("列表页: %w", err)
		}
		j.c.log.Warn("后续列表页抓取失败，只处理已取得的页", "source", j.src.Name, "url", u, "err", err)
		return nil, nil
	}
	j.c.m.pages.WithLabelValues(j.src.Name, PageList).Inc()
	return p, nil
}

// allUnknown reports whether none of a list page's items is stored yet:
// the list moved by at least a page since the last crawl, so the next page
// holds new items too. Without a store (no known) nothing is known.
func (j *job) allUnknown(ctx context.Context, known Known, found []listItem) (bool, error) {
	if known == nil {
		return len(found) > 0, nil
	}
	for _, it := range found {
		if _, ok, err := known.Known(ctx, it.URL); err != nil {
			return false, fmt.Errorf("查询已有帖子 %s: %w", it.URL, err)
		} else if ok {
			return false, nil
		}
	}
	return len(found) > 0, nil
}

// listAccept is the Accept header of the source's list requests.
func (s *Source) listAccept() string {
	if s.Kind == KindJSON {
		return acceptJSON
	}
	return acceptHTML
}

// pastUnchangedPage1 says where sampling goes after page 1 answered 304:
// on a deep sample, to page 2 by the {page} template (next), or to page 1
// again without validators to find its next link (again); else nowhere.
func (s *Source) pastUnchangedPage1(deep, paged bool) (next string, again bool) {
	switch {
	case !deep || s.Pages < 2:
		return "", false
	case paged:
		return s.pageURL(2), false
	case s.List.Next != "" && s.Kind != KindJSON:
		return "", true
	}
	return "", false
}

// appendNew adds to items the found ones not seen before, up to max (the
// rest are counted as dropped); added is how many were new.
func appendNew(items, found []listItem, seen map[string]bool, max int, stats *Stats) (_ []listItem, added int) {
	for _, it := range found {
		if seen[it.URL] {
			continue
		}
		seen[it.URL] = true
		if len(items) >= max {
			stats.Dropped++
			continue
		}
		items = append(items, it)
		added++
	}
	return items, added
}

// readListPage extracts the items of list page n (0 for page 1) at
// pageURL and the next page's address (html sources with list.next).
// more is false when a later page cannot be parsed: the sampling ends with
// the pages read. Page 1 that yields nothing usable is an error (the site
// changed its layout or answered with a challenge page).
func (j *job) readListPage(p *page, pageURL string, n int, paged bool, state store.SourceState, stats *Stats) (found []listItem, next string, more bool, err error) {
	src := j.src
	text, err := j.decode(p, false)
	if err != nil {
		return nil, "", false, fmt.Errorf("列表页 %s: %w", pageURL, err)
	}
	var bad int
	if src.Kind == KindJSON {
		found, bad, err = extractJSON(&j.src, text, p.finalURL, j.c.opts.Now())
		if err != nil {
			if n == 0 {
				return nil, "", false, fmt.Errorf("列表页 %s: %w", pageURL, err)
			}
			j.c.log.Warn("后续列表页无法解析，只处理已取得的页", "source", src.Name, "url", pageURL, "err", err)
			return nil, "", false, nil
		}
		// An empty list can be genuine, but not from an endpoint that
		// gave items last time: the parameters or the API changed.
		if n == 0 && len(found) == 0 && bad == 0 && state.LastItems > 0 {
			return nil, "", false, fmt.Errorf("%w: 列表接口 %s 返回了空列表（上次有 %d 条），接口参数或格式可能已变化", ErrLayout, pageURL, state.LastItems)
		}
	} else {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(text))
		if err != nil {
			return nil, "", false, fmt.Errorf("解析列表页 %s: %w", pageURL, err)
		}
		found, bad = j.extractList(doc, p.finalURL)
		if n == 0 && len(found) == 0 && bad > 0 {
			stats.ParseErrors += bad
			return nil, "", false, fmt.Errorf("%w: 列表页 %s 匹配到 %d 条（list.item = %q），但都没有可用的详情链接（list.link = %q），网站可能改版",
				ErrLayout, pageURL, bad, src.List.Item, src.List.Link)
		}
		if n == 0 && len(found) == 0 {
			return nil, "", false, fmt.Errorf("%w: 列表页 %s 没有匹配到任何条目（list.item = %q），网站可能改版或返回了验证页", ErrLayout, pageURL, src.List.Item)
		}
		if src.List.Next != "" && !paged {
			if href, ok := doc.Find(src.List.Next).First().Attr("href"); ok {
				if u, err := p.finalURL.Parse(strings.TrimSpace(href)); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
					u.Fragment = ""
					next = u.String()
				}
			}
		}
	}
	stats.ParseErrors += bad
	for range bad {
		j.countItem(ResultParseError)
	}
	return found, next, true, nil
}

// noteCapped reports a crawl that hit max_items: the items beyond it are
// not processed this round, so pages × items per page should fit the cap.
// pagesLeft: list pages the source asks for were not read because of it.
func (j *job) noteCapped(stats *Stats, pagesLeft bool) {
	if stats.Dropped == 0 && !pagesLeft {
		return
	}
	j.c.m.dropped.WithLabelValues(j.src.Name).Add(float64(stats.Dropped))
	j.c.log.Warn("本次抓取达到每次条数上限 max_items，多出的帖子本轮未处理；请调大 max_items 或减少 pages",
		"source", j.src.Name, "max_items", j.src.MaxItems, "dropped", stats.Dropped, "pages_left_unread", pagesLeft)
}

// decode turns a page into text, counting encoding failures and bytes
// replaced with U+FFFD per source.
func (j *job) decode(p *page, isXML bool) (string, error) {
	text, replaced, err := decodeBody(p.body, p.header.Get("Content-Type"), j.src.Encoding, isXML)
	if err != nil && errors.Is(err, ErrEncoding) {
		j.c.m.encodingErrors.WithLabelValues(j.src.Name).Inc()
	}
	if replaced > 0 {
		j.replaced += replaced
		j.c.m.replaced.WithLabelValues(j.src.Name).Add(float64(replaced))
		j.c.log.Info("页面含无法解码的字节，已替换为 �，其余内容照常提取", "source", j.src.Name, "url", p.url, "replaced", replaced)
	}
	return text, err
}

// hotWindow is how far back a thread's observations count towards its
// velocity and the source's norm.
const hotWindow = 24 * time.Hour

// revisitHot refetches the source's hot threads (store.HotQuery: replies
// or views growing at src.HotFactor times the source's norm, judged from
// their last two observations within hotWindow) that were not on the list
// pages read this crawl, each at most every src.HotInterval. A failed
// revisit is counted and skipped; only "retry later" stops the crawl.
func (j *job) revisitHot(ctx context.Context, known Known, listed map[string]bool, stats *Stats, emit func(context.Context, Item) error) error {
	src := j.src
	if known == nil || !src.hotEnabled() {
		return nil
	}
	now := j.c.opts.Now()
	hot, err := known.HotPosts(ctx, store.HotQuery{Source: src.Name, Since: now.Add(-hotWindow),
		FetchedBefore: now.Add(-src.HotInterval), Factor: src.HotFactor, Limit: src.HotMax + len(listed)})
	if err != nil {
		return fmt.Errorf("查询热帖: %w", err)
	}
	n := 0
	for _, p := range hot {
		if n >= src.HotMax {
			break
		}
		if listed[p.URL] || !j.sameHost(p.URL) {
			continue // seen on the list this crawl (fetched if its replies changed)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		it := listItem{Item: Item{URL: p.URL, Title: p.Title, Body: p.Body, Author: p.Author,
			PublishedAt: p.PublishedAt, Replies: p.Replies, Views: p.Views}, fetchURL: p.URL}
		res, _, err := j.detail(ctx, known, &it, stats, false)
		if err != nil {
			return fmt.Errorf("热帖回访: %w", err)
		}
		if res != detailFetched {
			continue
		}
		stats.Hot++
		j.c.m.hot.WithLabelValues(src.Name).Inc()
		if err := emit(ctx, it.Item); err != nil {
			return &emitError{url: it.URL, err: err}
		}
		stats.Emitted++
	}
	return nil
}

// Giving up on an item's detail page.
const (
	// giveUpAfter failed fetches in a row give an item up (404 and 410,
	// the site saying it is gone, give it up at once).
	giveUpAfter = 3
	// retryGivenUp is how long a given-up item is skipped before one more
	// try, so a thread restored by its moderators comes back.
	retryGivenUp = 24 * time.Hour
)

// detailResult is what became of one detail page.
type detailResult int

const (
	detailFetched   detailResult = iota + 1
	detailSkipped                // robots.txt forbids it, or the item is given up
	detailFailed                 // failed; tried again at the next crawl
	detailGaveUp                 // failed, and the item is now given up
	detailPostponed              // the site asked (429/503) to fetch it later
)

// maxWaitInCrawl is the longest Retry-After a crawl waits for before
// fetching a postponed page again itself; a longer wait is left to a later
// crawl (the item's failure record keeps its time across restarts).
const maxWaitInCrawl = time.Minute

// retryMargin is time left in the crawl budget after such a wait, for the
// fetch itself.
const retryMargin = 15 * time.Second

// detailRun tallies the detail pages of one crawl.
type detailRun struct {
	attempted, failed int
	held              int // failed or postponed to a later crawl: keep the list's validators
	lastErr           error
	later             []postponed // to fetch again in this crawl, after their wait
}

// postponed is an item whose page answered 429/503 in this crawl.
type postponed struct {
	it   listItem
	wait time.Duration
	at   time.Time // when it was answered (wall clock, as the budget is)
}

// note counts what became of it's detail page. again: this was the
// crawl's second try after a wait (a new postponement is left to the next
// crawl).
func (r *detailRun) note(res detailResult, why error, it listItem, again bool, stats *Stats) {
	switch res {
	case detailFetched:
		r.attempted++
		stats.Fetched++
	case detailFailed:
		r.attempted++
		r.failed++
		r.held++
		r.lastErr = why
	case detailGaveUp:
		r.attempted++
		r.failed++
		r.lastErr = why
	case detailPostponed:
		var ra *RetryAfterError
		if !again && errors.As(why, &ra) && ra.Wait > 0 && ra.Wait <= maxWaitInCrawl {
			r.later = append(r.later, postponed{it: it, wait: ra.Wait, at: time.Now()})
		} else {
			r.held++
		}
	}
}

// verdict fails the crawl when most of the detail pages it tried failed:
// one dead thread must not make a source look down.
func (r *detailRun) verdict() error {
	if r.failed >= 2 && r.failed*2 > r.attempted {
		return fmt.Errorf("%d 个详情页中有 %d 个未能提取（最后一个错误: %w）", r.attempted, r.failed, r.lastErr)
	}
	return nil
}

// endPass ends a pass over detail pages: it fetches the postponed pages
// that fall due within the budget, then judges the pass. err ends the crawl
// (a failed pass, or stop: the budget ran out); held says pages were left
// for the next crawl, which must then see the list or feed again.
func (j *job) endPass(ctx context.Context, known Known, run *detailRun, stats *Stats, settle settleFunc, stop error) (held bool, err error) {
	if stop == nil {
		if err := j.fetchPostponed(ctx, known, run, stats, settle); err != nil {
			if ctx.Err() == nil || !budgetSpent(ctx) {
				return false, err
			}
			stop = err
		}
	}
	if err := run.verdict(); err != nil {
		return false, err
	}
	if stop != nil {
		return false, stop
	}
	return run.held > 0, nil
}

// settleFunc handles a detail page's outcome: it notes it and emits the
// item when the page was read. again: a postponed page fetched again.
type settleFunc func(res detailResult, why error, it *listItem, again bool) error

// visit fetches it's detail page and settles the outcome. stop is set when
// the crawl's time budget ran out (the pass ends, what was read is kept);
// err when the crawl must end now.
func (j *job) visit(ctx context.Context, known Known, it *listItem, stats *Stats, settle settleFunc) (stop, err error) {
	res, why, err := j.detail(ctx, known, it, stats, false)
	if err != nil {
		if ctx.Err() == nil || !budgetSpent(ctx) {
			return nil, err
		}
		return err, nil
	}
	return nil, settle(res, why, it, false)
}

// fetchPostponed fetches, once more, the pages postponed in this crawl
// with a short Retry-After, after their wait, when the crawl's budget
// leaves time for it; settle then handles each like a page of the main
// pass (settle notes it in run). The others stay postponed to a later
// crawl.
func (j *job) fetchPostponed(ctx context.Context, known Known, run *detailRun, stats *Stats, settle settleFunc) error {
	later := run.later
	run.later = nil
	slices.SortStableFunc(later, func(a, b postponed) int { return a.at.Add(a.wait).Compare(b.at.Add(b.wait)) })
	for _, p := range later {
		due := p.at.Add(p.wait)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < time.Until(due)+retryMargin {
			run.held++
			continue
		}
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				run.held++
				return ctx.Err()
			case <-t.C:
			}
		}
		it := p.it
		res, why, err := j.detail(ctx, known, &it, stats, true)
		if err != nil {
			return err
		}
		if err := settle(res, why, &it, true); err != nil {
			return err
		}
	}
	return nil
}

// detail fetches it's detail page under its failure record (when known
// keeps them), counting what happened in stats. err is set only when the
// crawl must stop (cancelled, a second page answered "retry later", the
// store failing); why says why a page failed or was postponed. due: the
// crawl has waited out the item's Retry-After itself.
func (j *job) detail(ctx context.Context, known Known, it *listItem, stats *Stats, due bool) (res detailResult, why, err error) {
	src := j.src
	var rec store.ItemFailure
	var hadRec bool
	now := j.c.opts.Now()
	if known != nil {
		if rec, hadRec, err = known.ItemFailure(ctx, it.URL); err != nil {
			return 0, nil, fmt.Errorf("查询帖子 %s 的失败记录: %w", it.URL, err)
		}
		if hadRec && !due && now.Before(rec.RetryAt) {
			stats.Postponed++
			j.countItem(ResultPostponed)
			j.c.log.Debug("网站要求稍后再抓取该详情页，等待中", "source", src.Name, "url", it.fetchURL, "retry_at", rec.RetryAt)
			return detailPostponed, nil, nil
		}
		if hadRec && !rec.GivenUpAt.IsZero() && now.Sub(rec.LastAt) < retryGivenUp {
			stats.GivenUp++
			j.countItem(ResultGivenUp)
			return detailSkipped, nil, nil
		}
	}
	why = j.fetchDetail(ctx, it)
	switch {
	case why == nil:
		if hadRec {
			if err := known.DeleteItemFailure(ctx, it.URL); err != nil {
				j.c.log.Warn("清除帖子失败记录出错", "source", src.Name, "url", it.URL, "err", err)
			}
		}
		return detailFetched, nil, nil
	case ctx.Err() != nil:
		return 0, nil, ctx.Err()
	case isRetryLater(why):
		return j.postpone(ctx, known, it, rec, hadRec, why, stats, due)
	case errors.Is(why, ErrBlockedByRobots):
		stats.Skipped++
		j.countItem(ResultSkipped)
		j.c.log.Info("robots.txt 禁止抓取详情页，跳过", "source", src.Name, "url", it.fetchURL)
		return detailSkipped, nil, nil
	}
	stats.ParseErrors++
	stats.noteDetailError(it.fetchURL, why)
	j.countItem(ResultParseError)
	res = detailFailed
	if known == nil {
		j.c.log.Warn("详情页提取失败，跳过该条", "source", src.Name, "url", it.fetchURL, "err", why)
		return res, why, nil
	}
	if !hadRec {
		rec = store.ItemFailure{URL: it.URL, Source: src.Name, FirstAt: now}
	}
	rec.Tries++
	rec.LastAt, rec.LastErrorKind, rec.RetryAt = now, ErrorKind(why), time.Time{}
	rec.LastError = privacy.Truncate(why.Error(), maxErrorLen)
	var he *HTTPError
	gone := errors.As(why, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusGone)
	if rec.Tries >= giveUpAfter || gone {
		if rec.GivenUpAt.IsZero() {
			j.c.m.givenUp.WithLabelValues(src.Name).Inc()
		}
		rec.GivenUpAt, res = now, detailGaveUp
		j.c.log.Warn("详情页多次提取失败，放弃该条（每天再试一次）", "source", src.Name, "url", it.fetchURL,
			"tries", rec.Tries, "err", why)
	} else {
		j.c.log.Warn("详情页提取失败，跳过该条，下次再试", "source", src.Name, "url", it.fetchURL, "tries", rec.Tries, "err", why)
	}
	if err := known.SaveItemFailure(ctx, rec); err != nil {
		j.c.log.Warn("保存帖子失败记录出错", "source", src.Name, "url", it.URL, "err", err)
	}
	return res, why, nil
}

// postpone handles a detail page answered 429 or 503: that URL alone
// waits (its failure record keeps until when, without counting a failed
// try) and the crawl goes on. A second URL answered so in the same crawl
// means the site is throttling us as a whole: the crawl stops and the
// scheduler waits, as for a list page. again: the page's second answer
// after the crawl waited for it.
func (j *job) postpone(ctx context.Context, known Known, it *listItem, rec store.ItemFailure, hadRec bool, why error, stats *Stats, again bool) (detailResult, error, error) {
	if !again {
		if j.throttled > 0 {
			return 0, nil, fmt.Errorf("详情页: %w", why)
		}
		j.throttled++
	}
	var ra *RetryAfterError
	errors.As(why, &ra)
	now := j.c.opts.Now()
	stats.Postponed++
	j.countItem(ResultPostponed)
	j.c.log.Info("网站要求稍后再抓取该详情页，其余帖子照常抓取", "source", j.src.Name, "url", it.fetchURL,
		"status", ra.Status, "wait", ra.Wait)
	if known != nil {
		if !hadRec {
			rec = store.ItemFailure{URL: it.URL, Source: j.src.Name, FirstAt: now}
		}
		rec.LastAt, rec.LastErrorKind, rec.RetryAt = now, ErrorKindRetryLater, now.Add(ra.Wait)
		rec.LastError = privacy.Truncate(why.Error(), maxErrorLen)
		if err := known.SaveItemFailure(ctx, rec); err != nil {
			j.c.log.Warn("保存帖子失败记录出错", "source", j.src.Name, "url", it.URL, "err", err)
		}
	}
	return detailPostponed, why, nil
}

// emitError marks a failure to hand an item over (the store), which is no
// fault of the site and must not count against it.
type emitError struct {
	url string
	err error
}

func (e *emitError) Error() string { return fmt.Sprintf("保存 %s: %v", e.url, e.err) }
func (e *emitError) Unwrap() error { return e.err }

func isRetryLater(err error) bool {
	var ra *RetryAfterError
	return errors.As(err, &ra)
}

func (j *job) sameHost(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && strings.EqualFold(pu.Host, j.host)
}

// extractList applies the list selectors; bad counts items whose link is
// missing or unusable.
func (j *job) extractList(doc *goquery.Document, base *url.URL) (items []listItem, bad int) {
	ls := j.src.List
	now := j.c.opts.Now()
	doc.Find(ls.Item).Each(func(_ int, s *goquery.Selection) {
		var link *goquery.Selection
		switch {
		case ls.Link != "":
			link = s.Find(ls.Link).First()
		case goquery.NodeName(s) == "a":
			link = s
		default:
			link = s.Find("a[href]").First()
		}
		href, ok := link.Attr("href")
		href = strings.TrimSpace(href)
		if ls.Link != "" {
			j.tally.note(&j.src, "list.link", ok && href != "")
		}
		if !ok || href == "" {
			bad++
			return
		}
		if u, err := base.Parse(href); err == nil && u.Scheme == "javascript" {
			return // a script link is page furniture, not a broken item
		}
		it, ok := linkedItem(base, href)
		if !ok {
			bad++
			return
		}
		if ls.Title != "" {
			it.Title = selText(s.Find(ls.Title).First())
			j.tally.note(&j.src, "list.title", it.Title != "")
		} else {
			it.Title = selText(link)
		}
		if it.Title == "" {
			it.Title = strings.TrimSpace(link.AttrOr("title", ""))
		}
		var found bool
		if ls.Time != "" {
			it.PublishedAt, found = selTime(s.Find(ls.Time), j.src.TimeLayout, now)
			j.tally.note(&j.src, "list.time", found)
		}
		if ls.Replies != "" {
			it.Replies, it.hasReplies = parseCount(selText(s.Find(ls.Replies).First()))
			j.tally.note(&j.src, "list.replies", it.hasReplies)
		}
		if ls.Views != "" {
			it.Views, found = parseCount(selText(s.Find(ls.Views).First()))
			j.tally.note(&j.src, "list.views", found)
		}
		if ls.Author != "" {
			it.Author = selText(s.Find(ls.Author).First())
			j.tally.note(&j.src, "list.author", it.Author != "")
		}
		if ls.Body != "" {
			it.Body = selText(s.Find(ls.Body).First())
			j.tally.note(&j.src, "list.body", it.Body != "")
		}
		items = append(items, it)
	})
	return items, bad
}

// fetchDetail fetches an item's page and fills body, and time, author and
// title where the detail page has them. With detail.body a selector the
// body is what it selects; with auto (or no body selector: a feed's
// summary-looking item) it is the article's main text (articleText) and the
// time, unless detail.time is set, the article's own (articleTime).
func (j *job) fetchDetail(ctx context.Context, it *listItem) error {
	p, err := j.get(ctx, it.fetchURL, acceptHTML, nil)
	if err != nil {
		return err
	}
	j.c.m.pages.WithLabelValues(j.src.Name, PageDetail).Inc()
	text, err := j.decode(p, false)
	if err != nil {
		return err
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(text))
	if err != nil {
		return fmt.Errorf("解析详情页: %w", err)
	}
	ds := j.src.Detail
	// Each configured selector is evaluated once, and counted for the
	// field report of crawl -once.
	find := func(field, sel string) *goquery.Selection {
		if sel == "" || sel == DetailAuto || sel == DetailNone {
			return nil
		}
		found := doc.Find(sel)
		j.tally.note(&j.src, field, found.Length() > 0)
		return found
	}
	bodySel, titleSel, timeSel := find("detail.body", ds.Body), find("detail.title", ds.Title), find("detail.time", ds.Time)
	authorSel, repliesSel, viewsSel := find("detail.author", ds.Author), find("detail.replies", ds.Replies), find("detail.views", ds.Views)
	now := j.c.opts.Now()
	auto := !ds.fetchesDetail() || ds.Body == DetailAuto
	var body string
	if !auto {
		sel := bodySel.First()
		if sel.Length() == 0 {
			return fmt.Errorf("%w: 详情页没有匹配到正文（detail.body = %q），可能已删除、需要登录或网站改版", ErrLayout, ds.Body)
		}
		body = nodeText(sel.Nodes[0])
	}
	if ds.Title != "" && it.Title == "" {
		it.Title = selText(titleSel.First())
	}
	if auto && it.Title == "" {
		it.Title = selText(doc.Find("h1").First())
		if it.Title == "" {
			it.Title = selText(doc.Find("title").First())
		}
	}
	switch {
	case ds.Time != "":
		if t, ok := selTime(timeSel, j.src.TimeLayout, now); ok {
			it.PublishedAt = t // the detail page usually has the precise time
		}
	case auto:
		if t, ok := articleTime(doc, it.Title, j.src.TimeLayout, now); ok {
			it.PublishedAt = t
		}
	}
	if ds.Author != "" && it.Author == "" {
		it.Author = selText(authorSel.First())
	}
	// The detail page's counts are the newer ones (hot revisits rely on them).
	if ds.Replies != "" {
		if n, ok := parseCount(selText(repliesSel.First())); ok {
			it.Replies, it.hasReplies = n, true
		}
	}
	if ds.Views != "" {
		if n, ok := parseCount(selText(viewsSel.First())); ok {
			it.Views = n
		}
	}
	if auto {
		// Last: readability takes the parsed page apart.
		if body = articleText(doc, p.finalURL, it.Title); body == "" {
			return fmt.Errorf("%w: 详情页没有提取到正文（detail: auto），可能已删除、需要登录或不是文章页", ErrLayout)
		}
	}
	it.Body = body
	return nil
}

func selText(s *goquery.Selection) string {
	if s.Length() == 0 {
		return ""
	}
	return nodeText(s.Nodes[0])
}

// selTime reads a time from the first of the selected elements that holds
// one: machine-readable attributes first (Discuz shows "3 天前" with the date
// in a title attribute), then the element's and its descendants', then the
// text.
func selTime(s *goquery.Selection, layout string, now time.Time) (time.Time, bool) {
	for _, n := range s.Nodes {
		if t, ok := nodeTime(n, layout, now); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func nodeTime(node *html.Node, layout string, now time.Time) (time.Time, bool) {
	var cands []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "datetime", "title", "data-time", "data-timestamp", "content":
					cands = append(cands, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(node)
	cands = append(cands, nodeText(node))
	for _, c := range cands {
		if t, ok := ParseTime(c, layout, now); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

var countRe = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*(万|w|W|千|k|K)?`)

// parseCount reads "123", "1,234", "1.2万", "回复 12"; false if no number.
func parseCount(s string) (int, bool) {
	s = strings.ReplaceAll(s, ",", "")
	m := countRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f > 1e12 {
		return 0, false
	}
	switch m[2] {
	case "万", "w", "W":
		f *= 10000
	case "千", "k", "K":
		f *= 1000
	}
	return int(f + 0.5), true
}

var zoneSuffixRe = regexp.MustCompile(`(?i)(?:[+-]\d{2}:?\d{2}|\dZ|\b(?:GMT|UTC|UT)\b)\s*$`)

// crawlFeed crawls an rss or atom source. An item's article page is
// fetched when the source has detail selectors or detail: auto, and, with
// no detail setting, when the item looks like a summary (looksLikeSummary):
// then the article's text replaces the summary when it is longer, and its
// own time the feed's. Items whose page is fetched are not fetched again
// once stored (their stored text would otherwise fall back to the summary).
func (j *job) crawlFeed(ctx context.Context, state store.SourceState, known Known, emit func(context.Context, Item) error) (store.SourceState, Stats, error) {
	var stats Stats
	src := j.src
	feed, base, err := j.readFeed(ctx, state, &stats)
	if err != nil || feed == nil {
		return state, stats, err
	}
	newState := state
	newState.ETag, newState.LastModified = feed.etag, feed.lastModified
	now := j.c.opts.Now()
	seen := map[string]bool{}
	var run detailRun
	var stop error
	settle := j.settleArticle(ctx, &run, &stats, emit)
	for i, fi := range feed.f.Items {
		if len(seen) >= src.MaxItems {
			stats.Dropped = len(feed.f.Items) - i
			j.noteCapped(&stats, false)
			break
		}
		if err := ctx.Err(); err != nil {
			if !budgetSpent(ctx) {
				return state, stats, err
			}
			stop = err
			break
		}
		li, fullText, ok := feedItem(base, fi, now)
		if !ok {
			stats.ParseErrors++
			j.countItem(ResultParseError)
			continue
		}
		if seen[li.URL] {
			continue
		}
		seen[li.URL] = true
		fetch := src.Detail.fetchesDetail() || (src.Detail.Body == "" && looksLikeSummary(li.Body, fullText))
		if fetch && !j.sameHost(li.fetchURL) {
			j.c.log.Debug("文章页不在订阅源的网站上，只保存订阅中的内容", "source", src.Name, "url", li.fetchURL)
			fetch = false
		}
		if !fetch {
			if err := emit(ctx, li.Item); err != nil {
				return state, stats, &emitError{url: li.URL, err: err}
			}
			stats.Emitted++
			continue
		}
		if known != nil {
			_, found, err := known.Known(ctx, li.URL)
			if err != nil {
				return state, stats, fmt.Errorf("查询已有文章 %s: %w", li.URL, err)
			}
			if found {
				stats.Skipped++
				j.countItem(ResultSkipped)
				continue
			}
		}
		if stop, err = j.visit(ctx, known, &li, &stats, settle); err != nil {
			return state, stats, err
		} else if stop != nil {
			break
		}
	}
	stats.Found = len(seen)
	held, err := j.endPass(ctx, known, &run, &stats, settle, stop)
	if err != nil {
		return state, stats, err
	}
	if held {
		// The next crawl must read the feed again for the articles left.
		newState.ETag, newState.LastModified = state.ETag, state.LastModified
	}
	return newState, stats, nil
}

// settleArticle is how a feed crawl settles an item after its article
// page: it emits the article when it was fetched, the feed's own text when
// the page is forbidden or given up; a failed or postponed page is
// otherwise tried again later. Without a detail setting (summaries fetched
// on our own account, best effort) a failing page costs nothing but the
// request: the feed's text is kept and the feed is not judged by its
// article pages, and a page that gave less than the feed is not the
// article.
func (j *job) settleArticle(ctx context.Context, run *detailRun, stats *Stats, emit func(context.Context, Item) error) settleFunc {
	bestEffort := !j.src.Detail.fetchesDetail()
	return func(res detailResult, why error, it *listItem, again bool) error {
		if bestEffort && (res == detailFailed || res == detailGaveUp) {
			res = detailSkipped
		}
		run.note(res, why, *it, again, stats)
		switch res {
		case detailFetched:
			if bestEffort && utf8.RuneCountInString(it.Body) < utf8.RuneCountInString(withoutCutMarks(it.summary)) {
				it.Body = it.summary
			}
		case detailSkipped, detailGaveUp:
			it.Body = it.summary
		default:
			return nil
		}
		if err := emit(ctx, it.Item); err != nil {
			return &emitError{url: it.URL, err: err}
		}
		stats.Emitted++
		return nil
	}
}

// fetchedFeed is a parsed feed with the validators of its response.
type fetchedFeed struct {
	f                  *gofeed.Feed
	etag, lastModified string
}

// readFeed fetches (conditionally) and parses the source's feed; nil with
// no error when it did not change (304). base is the feed's final URL,
// against which item links resolve.
func (j *job) readFeed(ctx context.Context, state store.SourceState, stats *Stats) (*fetchedFeed, *url.URL, error) {
	src := j.src
	p, err := j.get(ctx, src.URL, acceptFeed, conditional(state))
	if err != nil {
		return nil, nil, fmt.Errorf("订阅源: %w", err)
	}
	j.c.m.pages.WithLabelValues(src.Name, PageFeed).Inc()
	if p.notModified {
		stats.NotModified = true
		return nil, nil, nil
	}
	stats.ListPages++
	text, err := j.decode(p, true)
	if err != nil {
		return nil, nil, fmt.Errorf("订阅源 %s: %w", src.URL, err)
	}
	feed, err := gofeed.NewParser().ParseString(text)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: 无法解析 RSS/Atom 订阅 %s: %v", ErrLayout, src.URL, err)
	}
	if len(feed.Items) == 0 && state.LastItems > 0 {
		return nil, nil, fmt.Errorf("%w: 订阅 %s 没有任何条目（上次有 %d 条），地址或格式可能已变化", ErrLayout, src.URL, state.LastItems)
	}
	return &fetchedFeed{f: feed, etag: p.header.Get("ETag"), lastModified: p.header.Get("Last-Modified")}, p.finalURL, nil
}

// feedItem is a feed entry as an item: its link (or a URL GUID), title,
// text (content, else description; kept as the summary), author and time
// (published, else updated). fullText: the feed carries content beyond its
// description. ok is false for an entry without a usable link.
func feedItem(base *url.URL, fi *gofeed.Item, now time.Time) (li listItem, fullText, ok bool) {
	link := strings.TrimSpace(fi.Link)
	if link == "" && (strings.HasPrefix(fi.GUID, "http://") || strings.HasPrefix(fi.GUID, "https://")) {
		link = fi.GUID
	}
	if link == "" {
		return li, false, false
	}
	if li, ok = linkedItem(base, link); !ok {
		return li, false, false
	}
	li.Title = HTMLToText(fi.Title)
	content, description := HTMLToText(fi.Content), HTMLToText(fi.Description)
	li.Body = content
	if li.Body == "" {
		li.Body = description
	}
	li.summary = li.Body
	li.Author = feedAuthor(fi)
	li.PublishedAt = feedTime(fi.Published, fi.PublishedParsed, now)
	if li.PublishedAt.IsZero() {
		li.PublishedAt = feedTime(fi.Updated, fi.UpdatedParsed, now)
	}
	return li, content != "" && content != description, true
}

func feedAuthor(fi *gofeed.Item) string {
	for _, a := range fi.Authors {
		if a != nil && strings.TrimSpace(a.Name) != "" {
			return strings.TrimSpace(a.Name)
		}
	}
	if fi.Author != nil && strings.TrimSpace(fi.Author.Name) != "" {
		return strings.TrimSpace(fi.Author.Name)
	}
	if fi.DublinCoreExt != nil && len(fi.DublinCoreExt.Creator) > 0 {
		return strings.TrimSpace(fi.DublinCoreExt.Creator[0])
	}
	return ""
}

// feedTime prefers gofeed's parse when the text names a zone; zone-less
// dates (common in Chinese feeds) are read as Beijing time, not UTC.
func feedTime(raw string, parsed *time.Time, now time.Time) time.Time {
	if parsed != nil && zoneSuffixRe.MatchString(strings.TrimSpace(raw)) {
		return parsed.In(shanghai)
	}
	if t, ok := ParseTime(raw, "", now); ok {
		return t
	}
	if parsed != nil {
		return parsed.In(shanghai)
	}
	return time.Time{}
}

// linkedItem starts the list item a link points to: the link resolved
// against the list page, without fragment, as the URL to fetch, and its
// canonical form as the item's identity. ok is false for anything that is
// not a fetchable http(s) URL.
func linkedItem(base *url.URL, href string) (it listItem, ok bool) {
	abs, err := base.Parse(href)
	if err != nil || (abs.Scheme != "http" && abs.Scheme != "https") {
		return it, false
	}
	canon, err := CanonicalURL(abs.String())
	if err != nil {
		return it, false
	}
	abs.Fragment, abs.RawFragment = "", ""
	return listItem{Item: Item{URL: canon}, fetchURL: abs.String()}, true
}
