package crawler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	jsonPathRe    = regexp.MustCompile(`^[\p{L}\p{N}_$@-]+(\.[\p{L}\p{N}_$@-]+)*$`)
	placeholderRe = regexp.MustCompile(`\{([^{}]*)\}`)
)

// validJSONPath accepts "a.b.0.c" (a leading "$." as in JSONPath is
// allowed), or alternatives "a.b|c".
func validJSONPath(p string) bool {
	for alt := range strings.SplitSeq(p, "|") {
		if !jsonPathRe.MatchString(strings.TrimPrefix(strings.TrimSpace(alt), "$.")) {
			return false
		}
	}
	return true
}

// linkPlaceholders returns the paths named in a link template.
func linkPlaceholders(tmpl string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(tmpl, -1) {
		out = append(out, m[1])
	}
	return out
}

// jsonGet follows a dot path through decoded JSON; numeric steps index
// arrays. Of alternatives "a|b" the first present (and not null) wins.
func jsonGet(v any, path string) (any, bool) {
	if strings.Contains(path, "|") {
		for alt := range strings.SplitSeq(path, "|") {
			if x, ok := jsonGet(v, alt); ok && x != nil {
				return x, true
			}
		}
		return nil, false
	}
	path = strings.TrimPrefix(strings.TrimSpace(path), "$.")
	if path == "" || path == "$" {
		return v, true
	}
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			nv, ok := x[step]
			if !ok {
				return nil, false
			}
			v = nv
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonString renders a scalar as text; objects and arrays give "".
func jsonString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func jsonField(item any, path string) string {
	if path == "" {
		return ""
	}
	v, _ := jsonGet(item, path)
	return strings.TrimSpace(jsonString(v))
}

// decodeJSON parses a JSON body after a charset check; a leading UTF-8 BOM
// or an anti-hijacking prefix line (")]}'") is tolerated.
func decodeJSON(text string) (any, error) {
	b := bytes.TrimSpace([]byte(text))
	if bytes.HasPrefix(b, []byte(")]}'")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// jsonItems finds the items array: of alternatives "a|b" the first that
// is an array.
func jsonItems(v any, path string) ([]any, bool) {
	for alt := range strings.SplitSeq(path, "|") {
		if x, ok := jsonGet(v, alt); ok {
			if arr, ok := x.([]any); ok {
				return arr, true
			}
		}
	}
	return nil, false
}

// extractJSON maps a JSON list response onto items. A response that is not
// JSON, or has no array at the items path, is a layout error (the endpoint
// changed or answered with a login or captcha page); an empty array is not.
func extractJSON(src *Source, text string, base *url.URL, now time.Time) (items []listItem, bad int, err error) {
	v, err := decodeJSON(text)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: 列表接口返回的不是有效的 JSON（%v），可能接口已变化或返回了登录/验证页", ErrLayout, err)
	}
	arr, ok := jsonItems(v, src.JSON.Items)
	if !ok {
		return nil, 0, fmt.Errorf("%w: JSON 中路径 %q 处没有条目数组（json.items），接口格式可能已变化", ErrLayout, src.JSON.Items)
	}
	jf := src.JSON
	t := src.tally
	for _, el := range arr {
		link := ""
		if strings.Contains(jf.Link, "{") {
			missing := false
			link = placeholderRe.ReplaceAllStringFunc(jf.Link, func(m string) string {
				s := jsonField(el, m[1:len(m)-1])
				if s == "" {
					missing = true
				}
				return url.QueryEscape(s)
			})
			if missing {
				link = ""
			}
		} else {
			link = jsonField(el, jf.Link)
		}
		t.note(src, "json.link", link != "")
		if link == "" {
			bad++
			continue
		}
		it, ok := linkedItem(base, link)
		if !ok {
			bad++
			continue
		}
		text := func(field, path string) string {
			if path == "" {
				return ""
			}
			v := HTMLToText(jsonField(el, path))
			t.note(src, field, v != "")
			return v
		}
		it.Title = text("json.title", jf.Title)
		it.Author = text("json.author", jf.Author)
		it.Body = text("json.body", jf.Body)
		if tm := jsonField(el, jf.Time); tm != "" {
			it.PublishedAt, _ = ParseTime(tm, src.TimeLayout, now)
		}
		if jf.Time != "" {
			t.note(src, "json.time", !it.PublishedAt.IsZero())
		}
		if jf.Replies != "" {
			it.Replies, it.hasReplies = parseCount(jsonField(el, jf.Replies))
			t.note(src, "json.replies", it.hasReplies)
		}
		if jf.Views != "" {
			var found bool
			it.Views, found = parseCount(jsonField(el, jf.Views))
			t.note(src, "json.views", found)
		}
		items = append(items, it)
	}
	return items, bad, nil
}
