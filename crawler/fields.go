package crawler

import (
	"cmp"
	"errors"
	"slices"
)

// FieldMatch says how often one configured field (a CSS selector or a
// JSON path) found something during a crawl. A field that was tried and
// never matched is a leftover: most often a preset's guess that does not
// fit the site, which would otherwise go unnoticed.
type FieldMatch struct {
	Field   string // "json.author", "list.time", "detail.replies"
	Preset  bool   // the value came from the source's preset
	Tried   int    // list items or detail pages it was applied to
	Matched int    // of those, how many it found something in
}

// Unmatched reports a field that was tried and matched nothing.
func (f FieldMatch) Unmatched() bool { return f.Tried > 0 && f.Matched == 0 }

// fieldTally counts field matches for one job; a job runs on one goroutine,
// so it needs no lock. Its methods do nothing on a nil tally.
type fieldTally struct {
	m map[string]*FieldMatch
}

func (t *fieldTally) note(src *Source, field string, matched bool) {
	if t == nil {
		return
	}
	if t.m == nil {
		t.m = map[string]*FieldMatch{}
	}
	f := t.m[field]
	if f == nil {
		f = &FieldMatch{Field: field, Preset: src.fromPreset[field]}
		t.m[field] = f
	}
	f.Tried++
	if matched {
		f.Matched++
	}
}

// report returns the counts sorted by field name.
func (t *fieldTally) report() []FieldMatch {
	if t == nil || len(t.m) == 0 {
		return nil
	}
	out := make([]FieldMatch, 0, len(t.m))
	for _, f := range t.m {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b FieldMatch) int { return cmp.Compare(a.Field, b.Field) })
	return out
}

// DetailError is one detail page that could not be extracted during a
// crawl, for `crawl -once` to list (a wrong json.link shows as many 404s).
type DetailError struct {
	URL    string
	Status int    // HTTP status when the site answered with an error, else 0
	Err    string // the error, for anything else
}

// maxDetailErrors bounds the detail errors a crawl keeps.
const maxDetailErrors = 20

func (s *Stats) noteDetailError(u string, err error) {
	if len(s.DetailErrors) >= maxDetailErrors {
		return
	}
	de := DetailError{URL: u, Err: err.Error()}
	var he *HTTPError
	if errors.As(err, &he) {
		de.Status = he.Status
	}
	s.DetailErrors = append(s.DetailErrors, de)
}
