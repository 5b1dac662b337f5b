package web_test

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"testing"
)

var (
	shownURLs    = regexp.MustCompile(`https?://\S+|/[a-z][\w/.\-?=&%]*`)
	shownNumbers = regexp.MustCompile(`YQ-\d{8}-\d{4}`)
	asciiWord    = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]`)
	// Words staff may read: abbreviations they know, and data rather than
	// identifiers (account names, the fixture post's text).
	allowedWords = []string{"API", "PDF", "Excel", "Word",
		"admin", "wang", "zhao", "qian", "ops", "test", "script", "alert"}
)

// identifiers returns the ASCII words of text a member of staff would
// read as an identifier (a rule id, a source key, an audit code, a Go
// duration, an English word), each once; addresses and incident numbers
// are not words.
func identifiers(text string, bad []string) []string {
	text = shownNumbers.ReplaceAllString(shownURLs.ReplaceAllString(text, " "), " ")
	for _, w := range asciiWord.FindAllString(text, -1) {
		if !slices.Contains(allowedWords, w) && !slices.Contains(bad, w) {
			bad = append(bad, w)
		}
	}
	return bad
}

// Staff read Chinese only: no page shows an identifier in its text or in
// the text it shows on hover. Each page of the console is rendered for an
// administrator (who sees every menu and form) and scanned.
func TestPagesShowNoIdentifiers(t *testing.T) {
	f := setup(t)
	seedOverview(t, f) // the overview's charts and rising words (overview_test.go)
	admin := loginClient(t, f.srv, "admin", true)
	do(t, admin, "POST", f.srv.URL+"/incidents/"+f.minor+"/ack", "note=已签收", nil)
	do(t, admin, "POST", f.srv.URL+"/admin/users/qian/role", "role=operator", nil)
	do(t, admin, "POST", f.srv.URL+"/incidents/"+f.major+"/false-positive", "note=剧情讨论&confirmed=1", nil)
	if code, _, _ := do(t, admin, "POST", f.srv.URL+"/reports", "kind=daily&date=2026-11-23", nil); code != http.StatusSeeOther {
		t.Fatalf("building a report: status %d", code)
	}
	// The pages staff (a handler) use, and the audit page an administrator
	// reads; the operators' tools (rule trial, source wizard, accounts)
	// name files and rule ids on purpose.
	staff := []string{"/", "/incidents", "/incidents?status=all&sort=newest", "/incidents/" + f.major, "/incidents/" + f.minor,
		"/incidents/" + f.major + "/print", "/information", "/sources", "/rules/false-positives", "/missed",
		"/account/password", "/reports", "/reports/1"}
	pages := map[string]*http.Client{"/admin/audit": admin, "/reports?kind=daily": admin}
	for _, p := range staff {
		pages[p] = f.client
	}
	tags := regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<!--.*?-->`)
	shown := regexp.MustCompile(`(?s)(?:title|placeholder|aria-label|alt)="([^"]*)"|>([^<]*)<`)
	for p, client := range pages {
		code, body, _ := do(t, client, "GET", f.srv.URL+p, "", nil)
		if code != http.StatusOK {
			t.Errorf("%s: status %d", p, code)
			continue
		}
		var bad []string
		for _, m := range shown.FindAllStringSubmatch(tags.ReplaceAllString(body, "><"), -1) {
			bad = identifiers(html.UnescapeString(m[1]+m[2]), bad)
		}
		if len(bad) > 0 {
			t.Errorf("%s shows identifiers to staff: %v", p, bad)
		}
	}
}
