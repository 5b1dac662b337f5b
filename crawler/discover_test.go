package crawler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
)

// TestDiscoverProposalsCrawlFixtures probes each fixture site as an
// operator would (`yuqing source probe URL`), pastes the proposed block
// unchanged into a sources.yaml, loads it with the real loader and crawls
// it: the items and bodies must be those the hand-written source for the
// site extracts.
func TestDiscoverProposalsCrawlFixtures(t *testing.T) {
	cases := []struct {
		site, method, kind, software string
		example                      string // DiscoverOptions.Example, relative to the site
	}{
		{"discuz", crawler.PresetDiscuzX3, crawler.KindHTML, "Discuz! X3.4", ""},
		{"discuz-x2", crawler.PresetDiscuzX2, crawler.KindHTML, "Discuz! X2.5", ""},
		{"board", "selectors", crawler.KindHTML, "", ""},
		{"gov", "", crawler.KindHTML, "", ""}, // generic-list or selectors: whichever captures more
		// A JSON list carries ids, not page addresses: the operator adds
		// the address of one message as the browser shows it.
		{"liuyan", crawler.PresetLiuyan, crawler.KindJSON, "JSON 列表接口", "/lyb/letter.html?id=1861234567890123458"},
		{"feed", crawler.KindRSS, crawler.KindRSS, "RSS 2.0 订阅", ""},
		{"atom", crawler.KindAtom, crawler.KindAtom, "Atom 1.0 订阅", ""},
		{"feed-alternate", crawler.KindRSS, crawler.KindRSS, "RSS 2.0 订阅", ""},
		{"mailbox", crawler.PresetMailbox, crawler.KindHTML, "", ""},
		{"rsshub", crawler.PresetRSSHub, crawler.KindRSS, "RSSHub", ""},
		// Summaries in a GB2312 feed: the crawl's default reads the articles.
		{"summary-feed", crawler.KindRSS, crawler.KindRSS, "RSS 2.0 订阅", ""},
		{"letter-json", "", crawler.KindJSON, "JSON 列表接口", "/letter/detail.html?id=1862345678901234561"},
		{"wenzheng", "", crawler.KindHTML, "", ""},
		// A results page: its query becomes {keyword} and the one keyword.
		{"searxng", crawler.PresetSearXNG, crawler.KindSearch, "searxng/2026.11.30+abcdef12", ""},
		{"phpwind", "selectors", crawler.KindHTML, "PHPWind 8.7", ""},
	}
	for _, tc := range cases {
		t.Run(tc.site, func(t *testing.T) {
			probeURL, ref := crawler.FixtureSite(t, tc.site)
			example := ""
			if tc.example != "" {
				example = probeURL[:strings.Index(probeURL[len("http://"):], "/")+len("http://")] + tc.example
			}
			d, err := crawler.Discover(t.Context(), probeURL, crawler.DiscoverOptions{
				Options: crawler.Options{Now: crawler.FixedNow, Timeout: 5 * time.Second}, Delay: time.Millisecond, Example: example})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("notes: %q\n%s", d.Notes, d.YAML)
			if tc.method != "" && d.Method != tc.method {
				t.Errorf("method %q, want %q", d.Method, tc.method)
			}
			if d.Kind != tc.kind && !(tc.kind == crawler.KindRSS && d.Kind == crawler.KindAtom) {
				t.Errorf("kind %q, want %q", d.Kind, tc.kind)
			}
			if tc.software != "" && d.Software != tc.software {
				t.Errorf("software %q, want %q", d.Software, tc.software)
			}
			if d.TrialErr != nil || d.Trial == nil {
				t.Errorf("trial crawl: %v, %v", d.Trial, d.TrialErr)
			}
			srcs, err := config.ParseSources("sources.yaml", []byte("sources:\n"+d.YAML))
			if err != nil {
				t.Fatalf("proposed block does not load: %v\n%s", err, d.YAML)
			}
			if len(srcs) != 1 {
				t.Fatalf("%d sources", len(srcs))
			}
			src := srcs[0]
			src.Delay = time.Millisecond // politeness off for the loopback fixture
			got, _, err := crawler.CrawlOnce(t, src)
			if err != nil {
				t.Fatalf("crawl of the proposal: %v", err)
			}
			ref.Pages = src.Pages
			want, _, err := crawler.CrawlOnce(t, ref)
			if err != nil {
				t.Fatalf("reference crawl: %v", err)
			}
			if len(want) == 0 {
				t.Fatal("the reference crawl found nothing")
			}
			if len(d.Items) != len(want) || d.PageSize != len(want) {
				t.Errorf("probe shows %d items (page size %d), the site has %d", len(d.Items), d.PageSize, len(want))
			}
			if g, w := itemKeys(got), itemKeys(want); g != w {
				t.Errorf("proposal crawls\n%s\nwant\n%s", g, w)
			}
			if d.Trial != nil && !strings.Contains(itemKeys(want), d.Trial.URL) {
				t.Errorf("trial item %s is not one of the site's", d.Trial.URL)
			}
		})
	}
}

// itemKeys renders what must agree: address, title, body and time.
func itemKeys(items []crawler.Item) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%s | %s | %s | %s\n", it.URL, it.Title, it.Body, it.PublishedAt.Format(time.DateTime))
	}
	return b.String()
}
