package crawler

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ErrEncoding marks pages whose text could not be decoded reliably. Such a
// page fails the fetch: storing mojibake would poison grading silently.
var ErrEncoding = errors.New("页面编码错误")

var (
	metaCharsetRe = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)`)
	xmlDeclRe     = regexp.MustCompile(`^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']+)["']`)
	xmlDeclEncRe  = regexp.MustCompile(`(^\s*<\?xml[^>]*?\bencoding\s*=\s*["'])([^"']+)(["'])`)
	utf8BOM       = []byte{0xef, 0xbb, 0xbf}
)

// metaCharset finds <meta charset> or the http-equiv form in the head of a
// page (the first 4 KiB, more than the HTML spec's 1 KiB prescan, because
// Discuz pages put scripts before it).
func metaCharset(body []byte) string {
	head := body[:min(len(body), 4096)]
	if m := metaCharsetRe.FindSubmatch(head); m != nil {
		return strings.ToLower(string(m[1]))
	}
	return ""
}

// charsetParam returns the charset parameter of a Content-Type header.
func charsetParam(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(params["charset"]))
}

// decodeBody turns a raw body into UTF-8 text. want is the source's
// configured encoding; with "auto" the Content-Type header is trusted first,
// then <meta> (or the XML declaration), then a UTF-8 check. A few broken
// byte sequences (a character cut in two) are replaced with U+FFFD and
// counted in replaced, so one bad byte does not cost the rest of the page;
// many of them, or typical mojibake, mean the wrong encoding: that is an
// error wrapping ErrEncoding, never a guess.
func decodeBody(body []byte, contentType, want string, isXML bool) (text string, replaced int, err error) {
	label := ""
	bom := bytes.HasPrefix(body, utf8BOM)
	if bom {
		body = body[len(utf8BOM):]
	}
	switch want {
	case EncodingUTF8:
		label = "utf-8"
	case EncodingGB18030:
		label = "gb18030"
	default:
		switch {
		case bom:
			label = "utf-8"
		case charsetParam(contentType) != "":
			label = charsetParam(contentType)
		case isXML:
			if m := xmlDeclRe.FindSubmatch(body); m != nil {
				label = strings.ToLower(string(m[1]))
			}
		default:
			label = metaCharset(body)
		}
		if label == "" {
			if bad, good := utf8Counts(body); !damaged(bad, good) {
				return "", 0, fmt.Errorf("%w: 响应头和页面都没有声明编码，内容也不是 UTF-8，请在数据源中设置 encoding（如 gb18030）", ErrEncoding)
			}
			label = "utf-8"
		}
	}
	enc, name, err := lookupEncoding(label)
	if err != nil {
		return "", 0, err
	}
	if name == "utf-8" {
		if !utf8.Valid(body) {
			bad, good := utf8Counts(body)
			if !damaged(bad, good) {
				return "", 0, fmt.Errorf("%w: 内容不是有效的 UTF-8（%d 处无效字节，可能是 GBK/GB18030 编码），请检查数据源的 encoding 设置", ErrEncoding, bad)
			}
			text, replaced = strings.ToValidUTF8(string(body), "\ufffd"), bad
		} else {
			text = string(body)
		}
	} else {
		if bad, good := utf8Counts(body); good >= 2 && bad*100 <= good {
			return "", 0, fmt.Errorf("%w: 按 %s 解码，但内容实际是 UTF-8，请把数据源的 encoding 设为 utf-8 或 auto", ErrEncoding, name)
		}
		if latin1Family(name) && highBytes(body) >= 16 {
			return "", 0, fmt.Errorf("%w: 页面声明编码 %s（西文），但含大量非 ASCII 字节，疑似中文页面编码声明错误，请在 encoding 中指定 gb18030 或 utf-8", ErrEncoding, name)
		}
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return "", 0, fmt.Errorf("%w: 按 %s 解码失败: %v", ErrEncoding, name, err)
		}
		text = string(out)
		bad := strings.Count(text, "\ufffd") - bytes.Count(body, []byte("\ufffd"))
		if !damaged(bad, highBytes(body)/2-bad) {
			return "", 0, fmt.Errorf("%w: 按 %s 解码后有 %d 处无法识别的字符，页面编码可能不是 %s", ErrEncoding, name, bad, name)
		}
		replaced = max(bad, 0)
	}
	if why := mojibake(text); why != "" {
		return "", 0, fmt.Errorf("%w: 解码结果疑似乱码（%s），请检查数据源的 encoding 设置", ErrEncoding, why)
	}
	if isXML && name != "utf-8" {
		// The text is UTF-8 now; the feed parser must not decode it again.
		text = xmlDeclEncRe.ReplaceAllString(text, "${1}utf-8${3}")
	}
	return text, replaced, nil
}

// damaged reports whether bad undecodable characters among good non-ASCII
// ones look like damage to a page in the right encoding (a character cut
// in two, a stray byte: at most 3, or 1 in 100) rather than a page in
// another encoding, where most characters fail.
func damaged(bad, good int) bool { return bad <= max(3, good/100) }

// lookupEncoding maps a label to a decoder. The GBK family is read as
// GB18030, its superset, so rare characters in names still decode.
func lookupEncoding(label string) (encoding.Encoding, string, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "gbk", "gb2312", "gb18030", "x-gbk", "gb_2312-80", "cp936", "euc-cn", "csgb2312", "chinese":
		return simplifiedchinese.GB18030, "gb18030", nil
	case "utf-8", "utf8", "unicode-1-1-utf-8":
		return nil, "utf-8", nil
	}
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, "", fmt.Errorf("%w: 不认识的编码 %q", ErrEncoding, label)
	}
	name, _ := htmlindex.Name(enc)
	if name == "utf-8" {
		return nil, "utf-8", nil
	}
	if name == "gbk" || name == "gb18030" {
		return simplifiedchinese.GB18030, "gb18030", nil
	}
	return enc, name, nil
}

func latin1Family(name string) bool {
	return name == "windows-1252" || strings.HasPrefix(name, "iso-8859-")
}

func highBytes(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return n
}

// utf8Counts counts the runs of invalid UTF-8 bytes (each becomes one
// U+FFFD in strings.ToValidUTF8) and the valid multi-byte characters.
func utf8Counts(b []byte) (bad, good int) {
	inBad := false
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			if !inBad {
				bad++
			}
			inBad = true
		default:
			inBad = false
			if size > 1 {
				good++
			}
		}
		b = b[size:]
	}
	return bad, good
}

// gbkMojibake are characters that UTF-8 punctuation and the commonest Chinese
// characters turn into when their bytes are read as GBK (，→锛 、。→銆 的→鐨
// 是→鏄 中→涓 “”→鈥 ...). They are rare in genuine modern text.
const gbkMojibake = "锛銆鐨鏄涓鍙浠璇鍚瀹缁闂鎴骞鈥鐢勭粡鍦"

// mojibake returns why text looks garbled, or "".
func mojibake(text string) string {
	han, markers, latin, c1 := 0, 0, 0, 0
	for _, r := range text {
		switch {
		case r >= 0x80 && r <= 0x9f:
			c1++
		case r >= 0xc0 && r <= 0xff:
			latin++
		case unicode.Is(unicode.Han, r):
			han++
			if strings.ContainsRune(gbkMojibake, r) {
				markers++
			}
		}
	}
	if c1 >= 3 {
		return fmt.Sprintf("含 %d 个控制字符", c1)
	}
	if latin >= 10 && latin > han {
		return fmt.Sprintf("含 %d 个西文重音字母，可能是 UTF-8 被当作西文编码读取", latin)
	}
	if markers >= 5 && markers*10 >= han {
		return fmt.Sprintf("%d 个汉字中有 %d 个是典型乱码字", han, markers)
	}
	return ""
}
