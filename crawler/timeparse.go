package crawler

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// shanghai is China Standard Time. A fixed zone is exact here (no DST since
// 1991) and needs no tzdata on the deployment machine.
var shanghai = time.FixedZone("CST", 8*3600)

var (
	// 2026-11-3 10:21[:33], 2026/11/03, 2026.11.03, 2026年11月3日 10时21分
	absRe = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*(?:T\s*)?(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?`)
	// 11-03 10:21 or 11月3日 [10:21]: the current year is implied.
	mdRe = regexp.MustCompile(`(?:^|[^\d])(\d{1,2})\s*(?:[-/]\s*(\d{1,2})\s+(\d{1,2})\s*:\s*(\d{2})|月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})\s*[:时]\s*(\d{1,2}))?)`)
	// 3 天前, 半小时前, 两个月前, 10分钟前
	agoRe = regexp.MustCompile(`([0-9]+|[半一二两三四五六七八九十几]+)\s*(秒|分钟|分|小时|个小时|钟头|天|日|周|星期|个月|月|年)\s*(?:之)?前`)
	// 昨天 10:21, 前天, 今天 08:00
	dayRe = regexp.MustCompile(`(今天|今日|昨天|昨日|前天)\s*(?:(\d{1,2})\s*[:时]\s*(\d{1,2}))?`)
	// 10 or 13 digit Unix timestamps (seconds or milliseconds)
	unixRe = regexp.MustCompile(`^\d{10}(\d{3})?$`)
)

var tsLayouts = []string{time.RFC3339, time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC}

// ParseTime reads a time as Chinese forums print it, in the Asia/Shanghai
// zone: layout (a Go layout) is tried first when given, then common absolute
// forms anywhere in s ("发表于 2026-1-2 15:04"), then relative forms
// ("3 天前", "昨天 10:21", "半小时前", "刚刚") measured from now. It reports
// false rather than guess: a wrong date is worse than none.
func ParseTime(s, layout string, now time.Time) (time.Time, bool) {
	s = normalizeTimeText(s)
	if s == "" {
		return time.Time{}, false
	}
	now = now.In(shanghai)
	valid := func(t time.Time) (time.Time, bool) {
		if t.Year() < 1990 || t.After(now.Add(48*time.Hour)) {
			return time.Time{}, false
		}
		return t, true
	}
	if layout != "" {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return valid(t)
		}
	}
	for _, l := range tsLayouts {
		// In Shanghai's zone, so "CST" in an RFC 1123 date means China.
		if t, err := time.ParseInLocation(l, s, shanghai); err == nil {
			return valid(t)
		}
	}
	if unixRe.MatchString(s) {
		n, _ := strconv.ParseInt(s, 10, 64)
		if len(s) == 13 {
			n /= 1000
		}
		return valid(time.Unix(n, 0).In(shanghai))
	}
	if m := absRe.FindStringSubmatch(s); m != nil {
		if t, ok := dateOf(atoi(m[1]), atoi(m[2]), atoi(m[3]), m[4], m[5], m[6]); ok {
			return valid(t)
		}
	}
	if strings.Contains(s, "刚刚") || strings.Contains(s, "刚才") {
		return now, true
	}
	if m := agoRe.FindStringSubmatch(s); m != nil {
		if d, ok := agoDuration(m[1], m[2]); ok {
			return valid(now.Add(-d))
		}
	}
	if m := dayRe.FindStringSubmatch(s); m != nil {
		back := 0
		switch m[1] {
		case "昨天", "昨日":
			back = 1
		case "前天":
			back = 2
		}
		d := now.AddDate(0, 0, -back)
		if t, ok := dateOf(d.Year(), int(d.Month()), d.Day(), m[2], m[3], ""); ok {
			return valid(t)
		}
	}
	if m := mdRe.FindStringSubmatch(s); m != nil {
		var t time.Time
		var ok bool
		if m[2] != "" {
			t, ok = dateOf(now.Year(), atoi(m[1]), atoi(m[2]), m[3], m[4], "")
		} else {
			t, ok = dateOf(now.Year(), atoi(m[1]), atoi(m[5]), m[6], m[7], "")
		}
		if ok {
			if t.After(now.Add(48 * time.Hour)) {
				t = t.AddDate(-1, 0, 0) // "12-31 23:00" read in January
			}
			return valid(t)
		}
	}
	return time.Time{}, false
}

// normalizeTimeText maps full-width digits and punctuation to ASCII and
// collapses spaces, so one set of patterns covers both.
func normalizeTimeText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r == '：':
			r = ':'
		case r == '－':
			r = '-'
		case r == '／':
			r = '/'
		}
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u3000' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// dateOf builds a time and rejects out-of-range fields instead of letting
// time.Date normalise "2026-2-31" into March.
func dateOf(y, mo, d int, hh, mm, ss string) (time.Time, bool) {
	h, mi, sec := 0, 0, 0
	if hh != "" {
		h, mi = atoi(hh), atoi(mm)
		if ss != "" {
			sec = atoi(ss)
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, shanghai)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

var cnDigits = map[rune]int{'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// agoDuration turns "3","天" or "两","个月" into a duration; "几" counts as 3
// (a guess kept deliberately vague only where the site itself was vague).
func agoDuration(num, unit string) (time.Duration, bool) {
	var n float64
	switch {
	case num == "半":
		n = 0.5
	case num == "几":
		n = 3
	case num[0] >= '0' && num[0] <= '9':
		v, err := strconv.Atoi(num)
		if err != nil || v > 100000 {
			return 0, false
		}
		n = float64(v)
	default:
		v, ok := cnNumber(num)
		if !ok {
			return 0, false
		}
		n = float64(v)
	}
	var u time.Duration
	switch unit {
	case "秒":
		u = time.Second
	case "分钟", "分":
		u = time.Minute
	case "小时", "个小时", "钟头":
		u = time.Hour
	case "天", "日":
		u = 24 * time.Hour
	case "周", "星期":
		u = 7 * 24 * time.Hour
	case "个月", "月":
		u = 30 * 24 * time.Hour
	case "年":
		u = 365 * 24 * time.Hour
	default:
		return 0, false
	}
	return time.Duration(n * float64(u)), true
}

// cnNumber reads Chinese numerals up to 99 (一, 十, 十二, 二十, 三十五).
func cnNumber(s string) (int, bool) {
	rs := []rune(s)
	switch len(rs) {
	case 1:
		if rs[0] == '十' {
			return 10, true
		}
		v, ok := cnDigits[rs[0]]
		return v, ok
	case 2:
		if rs[0] == '十' {
			v, ok := cnDigits[rs[1]]
			return 10 + v, ok
		}
		if rs[1] == '十' {
			v, ok := cnDigits[rs[0]]
			return v * 10, ok
		}
	case 3:
		a, ok1 := cnDigits[rs[0]]
		b, ok2 := cnDigits[rs[2]]
		if rs[1] == '十' && ok1 && ok2 {
			return a*10 + b, true
		}
	}
	return 0, false
}
