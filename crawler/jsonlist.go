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

// validJSONPath accepts "a.b.0.c" (a leading "$." as in JSONPath is allowed).
func validJSONPath(p string) bool {
	return jsonPathRe.MatchString(strings.TrimPrefix(p, "$."))
}

// linkPlaceholders returns the paths named in a link template.
func linkPlaceholders(tmpl string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(tmpl, -1) {
		out = append(out, m[1])
	}
	return out
}

// jsonGet follows a dot path through decoded JSON; numeric steps index arrays.
func jsonGet(v any, path string) (any, bool) {
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

// extractJSON maps a JSON list response onto items. A response that is not
// JSON, or has no array at the items path, is a layout error (the endpoint
// changed or answered with a login or captcha page); an empty array is not.
func extractJSON(src *Source, text string, base *url.URL, now time.Time) (items []listItem, bad int, err error) {
	v, err := decodeJSON(text)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: 列表接口返回的不是有效的 JSON（%v），可能接口已变化或返回了登录/验证页", ErrLayout, err)
	}
	arrV, ok := jsonGet(v, src.JSON.Items)
	arr, isArr := arrV.([]any)
	if !ok || !isArr {
		return nil, 0, fmt.Errorf("%w: JSON 中路径 %q 处没有条目数组（json.items），接口格式可能已变化", ErrLayout, src.JSON.Items)
	}
	jf := src.JSON
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
		if link == "" {
			bad++
			continue
		}
		it, ok := linkedItem(base, link)
		if !ok {
			bad++
			continue
		}
		it.Title = HTMLToText(jsonField(el, jf.Title))
		it.Author = HTMLToText(jsonField(el, jf.Author))
		it.Body = HTMLToText(jsonField(el, jf.Body))
		if t := jsonField(el, jf.Time); t != "" {
			it.PublishedAt, _ = ParseTime(t, src.TimeLayout, now)
		}
		if jf.Replies != "" {
			it.Replies, it.hasReplies = parseCount(jsonField(el, jf.Replies))
		}
		if jf.Views != "" {
			it.Views, _ = parseCount(jsonField(el, jf.Views))
		}
		items = append(items, it)
	}
	return items, bad, nil
}
