package crawler

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<p>第一段</p><p>第二段</p>", "第一段\n第二段"},
		{"甲<br>乙<br/><br />丙", "甲\n乙\n丙"},
		{"  多个   空格\n\t和换行  ", "多个 空格 和换行"},
		{"<div>看<b>这里</b>，<a href='#'>链接</a></div>", "看这里，链接"},
		{"<script>var a = '<p>x</p>';</script><style>p{}</style>正文", "正文"},
		{"<ul><li>一</li><li>二</li></ul>", "一\n二"},
		{"<table><tr><td>姓名</td><td>张三</td></tr><tr><td>电话</td><td>略</td></tr></table>", "姓名 张三\n电话 略"},
		{`有效<font class="jammer">乱码</font>内容<span style="display: none">隐藏</span>`, "有效内容"},
		{"<pre>第一行\n  第二行</pre>", "第一行\n第二行"},
		{"a&amp;b &lt;c&gt; &nbsp;d", "a&b <c> d"},
		{"零宽\u200b字符\ufeff", "零宽字符"},
		{"", ""},
		{"<p>未闭合<div>标签", "未闭合\n标签"},
	} {
		if got := HTMLToText(tc.in); got != tc.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	d := func(y, mo, dd, h, mi, s int) time.Time {
		return time.Date(y, time.Month(mo), dd, h, mi, s, 0, shanghai)
	}
	for _, tc := range []struct {
		in, layout string
		want       time.Time
		ok         bool
	}{
		{"2026-1-2 15:04", "", d(2026, 1, 2, 15, 4, 0), true},
		{"2026-01-02 15:04:05", "", d(2026, 1, 2, 15, 4, 5), true},
		{"发表于 2026-11-3 10:21:33", "", d(2026, 11, 3, 10, 21, 33), true},
		{"2026年1月2日", "", d(2026, 1, 2, 0, 0, 0), true},
		{"2026年11月2日 9时30分", "", d(2026, 11, 2, 9, 30, 0), true},
		{"２０２６－１１－２２ １０：００", "", d(2026, 11, 22, 10, 0, 0), true},
		{"2026/11/01", "", d(2026, 11, 1, 0, 0, 0), true},
		{"3 天前", "", testNow.Add(-72 * time.Hour), true},
		{"半小时前", "", testNow.Add(-30 * time.Minute), true},
		{"十分钟前", "", testNow.Add(-10 * time.Minute), true},
		{"两个月前", "", testNow.Add(-60 * 24 * time.Hour), true},
		{"刚刚", "", testNow, true},
		{"昨天 10:21", "", d(2026, 11, 22, 10, 21, 0), true},
		{"前天 23:59", "", d(2026, 11, 21, 23, 59, 0), true},
		{"今天 08:00", "", d(2026, 11, 23, 8, 0, 0), true},
		{"11-20 09:15", "", d(2026, 11, 20, 9, 15, 0), true},
		{"12-31 23:00", "", d(2025, 12, 31, 23, 0, 0), true}, // read in November: last year
		{"11月3日", "", d(2026, 11, 3, 0, 0, 0), true},
		{"Mon, 02 Nov 2026 09:30:00 +0800", "", d(2026, 11, 2, 9, 30, 0), true},
		{"Mon, 02 Nov 2026 09:30:00 CST", "", d(2026, 11, 2, 9, 30, 0), true},
		{"2026-11-02T01:30:00Z", "", d(2026, 11, 2, 9, 30, 0), true},
		{"1794877200", "", time.Unix(1794877200, 0), true},
		{"02/11/2026 9:30", "02/01/2006 15:04", d(2026, 11, 2, 9, 30, 0), true},
		{"2026-2-31", "", time.Time{}, false},
		{"2026-13-01", "", time.Time{}, false},
		{"2099-01-01", "", time.Time{}, false},
		{"回复 12", "", time.Time{}, false},
		{"", "", time.Time{}, false},
		{"第 3 页", "", time.Time{}, false},
	} {
		got, ok := ParseTime(tc.in, tc.layout, testNow)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, %q) = %v, %v; want %v, %v", tc.in, tc.layout, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCanonicalURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP://BBS.Example.CN:80/thread-123-1-1.html", "http://bbs.example.cn/forum.php?mod=viewthread&tid=123"},
		{"http://bbs.example.cn/forum.php?mod=viewthread&tid=123&extra=page%3D2&page=1", "http://bbs.example.cn/forum.php?mod=viewthread&tid=123"},
		{"http://bbs.example.cn/forum.php?tid=123&mod=viewthread&highlight=%E5%8C%BB%E4%BF%9D&fromuid=9#pid77", "http://bbs.example.cn/forum.php?mod=viewthread&tid=123"},
		{"http://bbs.example.cn/bbs/thread-123-2-1.html", "http://bbs.example.cn/bbs/forum.php?mod=viewthread&page=2&tid=123"},
		{"https://news.example.cn:443/a.html?utm_source=wx&utm_medium=x&id=5&spm=1.2&b=2", "https://news.example.cn/a.html?b=2&id=5"},
		{"https://example.cn/list.jsp;jsessionid=ABC123?page=1&type=2", "https://example.cn/list.jsp?type=2"},
		{"https://example.cn", "https://example.cn/"},
		{"https://user:pw@example.cn/x?sid=abc", "https://example.cn/x"},
	} {
		got, err := CanonicalURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CanonicalURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/relative/path", "not a url", "http://[::1"} {
		if got, err := CanonicalURL(bad); err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want error", bad, got)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-1-2 15:04", "发表于 3 天前", "昨天 10:21", "半小时前", "２０２６年１月２日", "11-20 09:15",
		"1794877200000", "十二个月前", "Mon, 02 Nov 2026 09:30:00 CST", "9999-99-99 99:99", "几秒前", "前天"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseTime(s, "", testNow)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("ParseTime(%q) = %v with ok=false", s, got)
			}
			return
		}
		if got.Year() < 1990 || got.After(testNow.Add(48*time.Hour)) {
			t.Fatalf("ParseTime(%q) = %v is out of range", s, got)
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>医保<b>报销</b></p>", "<script>x</script>正文", "<table><tr><td>a<td>b</table>",
		"<<>>&&;", "<pre>\n\n</pre>", "<div style='display:none'>隐藏</div>可见", "\xff\xfe无效字节"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s)
		if !utf8.ValidString(s) {
			return
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, line := range strings.Split(out, "\n") {
			if out != "" && (line == "" || strings.TrimSpace(line) != line || strings.Contains(line, "  ")) {
				t.Fatalf("line %q of HTMLToText(%q) is not collapsed", line, s)
			}
		}
		if strings.Contains(strings.ToLower(s), "<script") && strings.Contains(out, "<script") {
			t.Fatalf("script tag survived: %q", out)
		}
	})
}
