package alerting

import (
	"context"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// ExcerptRunes bounds the excerpt label of yuqing_incident_info.
const ExcerptRunes = 80

// excerptLead is how many characters of context precede the first matched
// term when the excerpt does not start at the beginning of the body.
const excerptLead = 20

// LabelExcerpt is a post body as it may leave the store in an alert:
// plain text (no markup, control characters or runs of whitespace),
// personal data masked with privacy.MaskMore (before anything is cut, so
// no half number escapes the mask), at most ExcerptRunes characters. When
// term is found in the body the excerpt shows it with a little lead-in;
// "…" marks text left out at either end.
func LabelExcerpt(body, term string) string {
	t := privacy.MaskMore(privacy.Plain(excerptSpan(body, term)))
	r := []rune(t)
	if len(r) <= ExcerptRunes {
		return t
	}
	start := 0
	if term != "" {
		if i := strings.Index(t, term); i >= 0 {
			start = max(0, utf8.RuneCountInString(t[:i])-excerptLead)
		}
	}
	// Keep the window full when the term is near the end.
	start = min(start, len(r)-(ExcerptRunes-1))
	var b strings.Builder
	n := ExcerptRunes
	if start > 0 {
		b.WriteString("…")
		n--
	}
	if start+n < len(r) {
		n--
		b.WriteString(string(r[start : start+n]))
		b.WriteString("…")
	} else {
		b.WriteString(string(r[start:]))
	}
	return b.String()
}

// excerptSpanBytes bounds the part of a body around the term that is
// cleaned and masked for an excerpt: far more than the excerpt shows, so
// what is cut here never reaches it, and a 5 MB body costs no more than a
// short one.
const excerptSpanBytes = 8 << 10

// excerptSpan is the part of body an excerpt can come from: all of a
// short body, else excerptSpanBytes on either side of the term's first
// occurrence (from the start when there is none), on rune boundaries.
func excerptSpan(body, term string) string {
	if len(body) <= 2*excerptSpanBytes {
		return body
	}
	i := 0
	if term != "" {
		i = max(0, strings.Index(body, term))
	}
	from, to := max(0, i-excerptSpanBytes), min(len(body), i+excerptSpanBytes)
	if from == 0 {
		to = min(len(body), 2*excerptSpanBytes)
	}
	for from > 0 && !utf8.RuneStart(body[from]) {
		from++
	}
	for to < len(body) && !utf8.RuneStart(body[to]) {
		to--
	}
	return body[from:to]
}

// firstPostExcerpt is the excerpt of an incident's first post, centred on
// the first term its grade matched in the body.
func firstPostExcerpt(d store.IncidentDetail) string {
	if len(d.Posts) == 0 {
		return ""
	}
	first := d.Posts[0]
	for _, p := range d.Posts[1:] {
		if p.JoinedAt.Before(first.JoinedAt) {
			first = p
		}
	}
	term := ""
	for _, m := range first.Grade.Matches {
		if m.Field == "body" && m.Term != "" {
			term = m.Term
			break
		}
	}
	return LabelExcerpt(first.Post.Body, term)
}

// excerptMaxFailures is how many scrapes in a row may fail to read an
// incident's first post before the incident is exported with an empty
// excerpt for good.
const excerptMaxFailures = 3

// excerpts caches the excerpt per incident number: the first post of an
// incident does not change, so the store is read once per incident, and
// the label stays stable (a changed label would resolve the alert and fire
// it again). The cache is pruned to the open incidents on every scrape.
//
// Once an incident's excerpt is cached it is served as is and never read
// again, so a failing store cannot change the label of an incident already
// exported. When the first read fails, the incident's info series waits
// (ready is false) rather than going out with an empty excerpt that the
// next scrape would fill in: that would change the label set, and
// Alertmanager would resolve the alert and fire it again. The wait is
// bounded: after excerptMaxFailures failed scrapes in a row the empty
// excerpt is cached and exported, so a post that can never be read delays
// an alert by a few scrapes but never suppresses it.
type excerpts struct {
	mu    sync.Mutex
	m     map[string]string
	fails map[string]int // failed reads in a row, of incidents not cached
}

// get returns the excerpt of inc. ready is false when the incident's info
// series must wait for a later scrape (the read failed); err is the failure.
func (c *excerpts) get(ctx context.Context, src IncidentSource, inc model.Incident) (s string, ready bool, err error) {
	c.mu.Lock()
	s, hit := c.m[inc.Number]
	c.mu.Unlock()
	if hit {
		return s, true, nil
	}
	d, err := src.IncidentDetail(ctx, inc.Number)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.fails == nil {
			c.fails = map[string]int{}
		}
		c.fails[inc.Number]++
		if c.fails[inc.Number] < excerptMaxFailures {
			return "", false, err
		}
		s = "" // give up: export without an excerpt, and keep it that way
	} else {
		s = firstPostExcerpt(d)
	}
	delete(c.fails, inc.Number)
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[inc.Number] = s
	return s, true, err
}

// prune forgets incidents that are no longer open.
func (c *excerpts) prune(open []model.Incident) {
	keep := make(map[string]bool, len(open))
	for _, inc := range open {
		keep[inc.Number] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := range c.m {
		if !keep[n] {
			delete(c.m, n)
		}
	}
	for n := range c.fails {
		if !keep[n] {
			delete(c.fails, n)
		}
	}
}
