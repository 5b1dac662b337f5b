package config

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// maxPlaces bounds the districts counted: each is one more pattern every
// count of the overview matches against the posts of the period.
const maxPlaces = 100

// validatePlaces checks places: the city's districts and counties, names
// the overview finds in posts' titles and bodies.
func (c *Config) validatePlaces(doc *yamlfile.Doc) []error {
	errs := checkNames(doc, "places", "区县", c.Places)
	if len(c.Places) > maxPlaces {
		errs = append(errs, doc.Errorf("places", "区县最多 %d 个，实际 %d 个", maxPlaces, len(c.Places)))
	}
	for i, p := range c.Places {
		if n := utf8.RuneCountInString(p); n == 1 || n > 20 {
			errs = append(errs, doc.Errorf(fmt.Sprintf("places[%d]", i), "区县名称应为 2 到 20 个字，%q 不行", p))
		}
	}
	return errs
}

// checkNames trims each of names in place and reports the empty and the
// repeated ones; noun is what they name, in messages (科室, 区县).
func checkNames(doc *yamlfile.Doc, key, noun string, names []string) []error {
	var errs []error
	seen := map[string]bool{}
	for i, n := range names {
		n = strings.TrimSpace(n)
		names[i] = n
		switch {
		case n == "":
			errs = append(errs, doc.Errorf(key, "%s名称不能为空", noun))
		case seen[n]:
			errs = append(errs, doc.Errorf(key, "%s %q 重复", noun, n))
		}
		seen[n] = true
	}
	return errs
}
