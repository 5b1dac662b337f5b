package privacy

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that leaves the bureau's systems as a label (alert titles and
// excerpts in /metrics, hence in Alertmanager's e-mails and WeCom
// messages) is plain and has more masked than numbers: a name after 患者
// or 联系人, a house number, an e-mail address, a WeChat or QQ id. Mask
// alone keeps byte lengths for the console's highlighting; MaskMore does
// not, so it is for labels only.

var (
	// A name after a label: 患者张某某, 家属：李四, 联系人王小明. Labels may be
	// chained (患者家属张三); the name is checked against the surnames below.
	namedPerson = regexp.MustCompile(`((?:姓名|患者|病人|病患|家属|联系人|参保人|投诉人|举报人|当事人|申请人|收件人|户主)+)([:：\s]*(?:是|为|叫)?[:：\s]*)(\p{Han}{2,3})`)
	// 张某, 李某某 without a label.
	someone = regexp.MustCompile(`\p{Han}某某?`)
	// An e-mail address.
	email = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// A WeChat or QQ id after its label: 微信号 wxid_abc123, vx: zhang88, QQ 12345678.
	chatID = regexp.MustCompile(`(?i)(微信号?|微信|v信|vx|wx|weixin|wechat|qq号?|扣扣)([:：\s]*(?:是|为)?[:：\s]*)([A-Za-z0-9_\-]{5,30})`)
	// The numbered part of an address after a street, estate or village:
	// 人民路128号, 幸福小区3栋2单元501室, 城南村5组.
	address       = regexp.MustCompile(`(路|街|巷|弄|胡同|大道|小区|花园|家园|公寓|大厦|新村|苑|村|社区)((?:[0-9A-Za-z一二三四五六七八九十百零〇甲乙丙丁]{1,6}[-－]?(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|组)[-－]?)+)`)
	addressNumber = regexp.MustCompile(`[0-9A-Za-z一二三四五六七八九十百零〇甲乙丙丁]+`)
)

// surnames are the common single-character Chinese surnames: a name after
// a label must start with one (患者反映… is no name).
var surnames = setOf("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")

// notNames are words that start with a surname character but are not a
// name, as they follow the labels in complaints (家属高度重视, 患者方面…).
var notNames = setOf2("高度", "高兴", "高龄", "高血", "方面", "方便", "方式", "方法", "金额", "程序", "许多",
	"周末", "周边", "马上", "常规", "常年", "于是", "陈述", "申请", "申报", "全部", "全家", "全额", "全程",
	"明天", "明确", "文件", "安全", "安排", "余额", "费用", "和家", "向医", "时间", "单位", "华西", "成功",
	"连续", "管理", "史上", "司法", "游客", "简单", "车费", "项目", "关于", "应该", "应当", "邹平", "江苏",
	"白天", "黄金", "任何", "甘肃", "宁夏", "龙江", "时候", "谷歌", "章程", "师傅", "宗教", "边上")

// wordSurnames are surnames that are, far more often, words of their own
// (患者何去何从, 当事人向乡政府, 关于某医院): after a label without a colon, and
// before 某, they are taken for a name only when nothing else fits.
var wordSurnames = setOf("于和向何简方钱时成全明文安常单应连管车项关史司余费许程金石万高计")

// honorifics after a surname are no given name (李女士 stays).
var honorifics = setOf2("女士", "先生", "老师", "师傅", "大爷", "阿姨", "医生", "大夫", "同志", "老人")

// notNameEnds are characters that end a name one character early
// (患者张三在… is 张三): words that commonly follow a name.
var notNameEnds = setOf("在于的住到去说称反因是和与等被向家了已从今昨来也都就要对将把电手联身年男女性记告")

func setOf(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

func setOf2(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

// MaskMore masks what Mask does and, on top, names after 姓名, 患者, 家属,
// 联系人 and the like (患者张某某 → 患者张**), 张某-style names, the numbers
// of street addresses (人民路**号, 幸福小区*栋*单元***室), e-mail addresses
// and WeChat/QQ ids after their label. Hospital names, amounts, dates and
// 医保 words are left as they are.
func MaskMore(s string) string {
	s = Mask(s)
	s = email.ReplaceAllStringFunc(s, func(m string) string {
		at := strings.LastIndexByte(m, '@')
		return hide(m[:at], 1, 0) + m[at:]
	})
	s = chatID.ReplaceAllStringFunc(s, func(m string) string {
		sub := chatID.FindStringSubmatch(m)
		return sub[1] + sub[2] + hide(sub[3], 1, 1)
	})
	s = namedPerson.ReplaceAllStringFunc(s, func(m string) string {
		sub := namedPerson.FindStringSubmatch(m)
		if first, _ := utf8.DecodeRuneInString(sub[3]); sub[2] == "" && wordSurnames[first] {
			return m // 患者何去何从: no colon, and the "surname" is a word
		}
		return sub[1] + sub[2] + maskName(sub[3])
	})
	s = replaceSomeone(s)
	s = address.ReplaceAllStringFunc(s, func(m string) string {
		sub := address.FindStringSubmatch(m)
		return sub[1] + addressNumber.ReplaceAllStringFunc(sub[2], func(n string) string {
			return strings.Repeat("*", utf8.RuneCountInString(n))
		})
	})
	return s
}

// someoneNot are the characters after 某 that make it "a certain …"
// (于某日, 向某单位), not part of a name.
var someoneNot = setOf("日月年天些种个位家地处时事项单部局院医人次类样")

// replaceSomeone masks 张某 and 李某某 where the first character is a
// surname and 某 does not start "a certain day/unit/…".
func replaceSomeone(s string) string {
	return replaceWhere(s, someone, func(l []int) (string, bool) {
		m := s[l[0]:l[1]]
		first, _ := utf8.DecodeRuneInString(m)
		next, _ := utf8.DecodeRuneInString(s[l[1]:])
		if !surnames[first] || wordSurnames[first] || (strings.Count(m, "某") == 1 && someoneNot[next]) {
			return "", false
		}
		return string(first) + strings.Repeat("*", utf8.RuneCountInString(m)-1), true
	})
}

// maskName keeps the surname of a 2–3 character candidate and stars the
// rest, or returns it unchanged when it is no name.
func maskName(c string) string {
	r := []rune(c)
	if len(r) < 2 || !surnames[r[0]] || notNames[string(r[:2])] || honorifics[string(r[1:min(3, len(r))])] {
		return c
	}
	if len(r) == 3 && notNameEnds[r[2]] {
		return string(r[0]) + "*" + string(r[2])
	}
	if len(r) == 2 && r[1] != '某' && notNameEnds[r[1]] {
		return c
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// tag is an HTML or XML tag, comment or declaration (a "<" followed by a
// name, "/", "!" or "?"), so "1<2 且 3>2" is no tag.
var tag = regexp.MustCompile(`<[/!?]?[A-Za-z][^<>]*>|<!--.*?-->`)

// Plain is s as plain text: tags removed, character entities decoded
// (repeatedly, so "&amp;lt;b&amp;gt;" is no tag either), "<" and ">" left
// over turned into their full-width forms, control and format characters
// (zero-width, bidirectional overrides) dropped and whitespace collapsed to
// single spaces.
func Plain(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for range 3 {
		t := html.UnescapeString(tag.ReplaceAllString(s, " "))
		if t == s {
			break
		}
		s = t
	}
	s = tag.ReplaceAllString(s, " ")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		case r == '<':
			r = '＜'
		case r == '>':
			r = '＞'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Label is s as it may leave the store in a label: plain, masked with
// MaskMore, and cut to at most n runes plus "…" (never inside a number).
func Label(s string, n int) string {
	return Truncate(MaskMore(Plain(Precut(s, 4*n))), n) // room for markup Plain drops
}
