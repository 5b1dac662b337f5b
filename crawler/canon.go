package crawler

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// dropParams are query parameters that track visitors or sessions, or only
// repeat navigation state; they never select different content.
var dropParams = map[string]bool{
	"spm": true, "sid": true, "from": true, "extra": true, "fromuid": true,
	"fromguid": true, "highlight": true, "fbclid": true, "gclid": true,
	"_": true, "phpsessid": true, "jsessionid": true, "aspsessionid": true,
	"share_token": true, "isappinstalled": true, "scene": true, "share_source": true,
	"ordertype": true,
}

// discuzThread matches Discuz! rewritten thread paths: thread-TID-PAGE-LISTPAGE.html.
var discuzThread = regexp.MustCompile(`^(.*/)thread-(\d+)-(\d+)-\d+\.html$`)

// CanonicalURL returns the form of raw under which a post is stored: scheme
// and host lower-cased, default port and fragment (unless a client-side
// route) dropped, tracking and session parameters removed, "page=1"
// removed, the query sorted. A Discuz!
// thread reads the same whether linked as thread-123-1-1.html or
// forum.php?mod=viewthread&tid=123.
func CanonicalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("网址 %q 无效: %w", raw, err)
	}
	if !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("网址 %q 不是完整地址", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if h, p := u.Hostname(), u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		u.Host = h
	}
	// A fragment is dropped, except a single-page application's route
	// ("#/detail?id=7", "#!/letter/7"): there it is what names the post.
	if !spaRoute(u.Fragment) {
		u.Fragment, u.RawFragment = "", ""
	}
	u.User = nil
	// Java-style ";jsessionid=..." path parameters.
	if i := strings.Index(strings.ToLower(u.Path), ";jsessionid="); i >= 0 {
		u.Path = u.Path[:i]
		u.RawPath = ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	q := u.Query()
	if m := discuzThread.FindStringSubmatch(u.Path); m != nil {
		u.Path = m[1] + "forum.php"
		u.RawPath = ""
		q.Set("mod", "viewthread")
		q.Set("tid", m[2])
		q.Set("page", m[3])
	}
	if q.Get("mod") == "viewthread" && q.Get("tid") != "" {
		// Discuz thread views: only tid and page select content.
		for k := range q {
			if k != "mod" && k != "tid" && k != "page" {
				q.Del(k)
			}
		}
	}
	for k, vs := range q {
		lk := strings.ToLower(k)
		if dropParams[lk] || strings.HasPrefix(lk, "utm_") {
			q.Del(k)
			continue
		}
		if lk == "page" && len(vs) == 1 && (vs[0] == "1" || vs[0] == "") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	u.ForceQuery = false
	return u.String(), nil
}

// spaRoute reports whether a URL fragment is a client-side route.
func spaRoute(frag string) bool {
	return len(frag) > 1 && (frag[0] == '/' || strings.HasPrefix(frag, "!/"))
}
