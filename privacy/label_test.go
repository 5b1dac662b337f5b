package privacy

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMaskMore(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		// Names after a label.
		{"patient", "患者张某某住院三天", "患者张**住院三天"},
		{"patient, full name", "患者张三丰反映报销难", "患者张**反映报销难"},
		{"family with colon", "家属：李四，电话13812345678", "家属：李*，电话138****5678"},
		{"contact", "联系人王小明", "联系人王**"},
		{"name field", "姓名：赵六 性别：男", "姓名：赵* 性别：男"},
		{"chained labels", "患者家属刘某到窗口", "患者家属刘*到窗口"},
		{"name then a verb", "患者陈东在医院等了三天", "患者陈*在医院等了三天"},
		{"patient is", "投诉人是孙丽丽", "投诉人是孙**"},
		{"someone without label", "据网友爆料，黄某某多次骗保", "据网友爆料，黄**多次骗保"},
		{"name then phone", "举报人谢钢电话13812345678", "举报人谢*电话138****5678"},
		{"signature", "此致 敬礼 申请人：宋鹏贻 2016年10月16日", "此致 敬礼 申请人：宋** 2016年10月16日"},
		// Addresses, e-mail, chat ids.
		{"street number", "住在人民路128号附近", "住在人民路***号附近"},
		{"estate building room", "幸福小区3栋2单元501室", "幸福小区*栋*单元***室"},
		{"village group", "城南村五组的参保户", "城南村*组的参保户"},
		{"e-mail", "请发到zhang.san88@163.com谢谢", "请发到z**********@163.com谢谢"},
		{"wechat", "加微信号：zs_1988 详谈", "加微信号：z*****8 详谈"},
		{"vx", "vx zhangsan01", "vx z********1"},
		{"qq", "QQ 12345678 联系", "QQ 1******8 联系"},
		// Near misses: nothing to mask.
		{"patient reports", "患者反映医保报销比例太低", "患者反映医保报销比例太低"},
		{"family attention", "家属高度重视，患者方面表示理解", "家属高度重视，患者方面表示理解"},
		{"insured person", "参保人员异地就医备案", "参保人员异地就医备案"},
		{"hospital", "岚川市人民医院、康福医院骗保", "岚川市人民医院、康福医院骗保"},
		{"amount and date", "2026年11月23日报销了1234元，住院15天", "2026年11月23日报销了1234元，住院15天"},
		{"document number", "根据医保发〔2026〕3号文件", "根据医保发〔2026〕3号文件"},
		{"a certain day", "于某日到医保局窗口", "于某日到医保局窗口"},
		{"road without number", "医保局搬到了人民路", "医保局搬到了人民路"},
		{"medical words", "门诊统筹、慢特病、集采药品、职工医保", "门诊统筹、慢特病、集采药品、职工医保"},
		{"we chat word", "微信支付医保", "微信支付医保"},
		// Near misses seen in real complaints (../shared/data).
		{"surname that is a word", "多名患者家属向记者展示借条", "多名患者家属向记者展示借条"},
		{"what next", "肝硬化患者何去何从", "肝硬化患者何去何从"},
		{"patients and vendors", "多半是癌症病人和摊贩", "多半是癌症病人和摊贩"},
		{"money not arrived", "上千名患者钱未到账", "上千名患者钱未到账"},
		{"about a certain hospital", "关于某民营医院串换药品", "关于某民营医院串换药品"},
		{"households", "我们村七八户困难户的医疗救助", "我们村七八户困难户的医疗救助"},
		{"honorific", "患者家属李女士告诉记者", "患者家属李女士告诉记者"},
	} {
		if got := MaskMore(tc.in); got != tc.want {
			t.Errorf("%s: MaskMore(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"tags", `<b>报销</b>难<script>alert(1)</script>`, "报销 难 alert(1)"},
		{"entities", "A&amp;B &lt;i&gt;医保&lt;/i&gt;", "A&B 医保"},
		{"double encoded", "&amp;lt;img src=x onerror=alert(1)&amp;gt;", ""},
		{"comparison kept", "1<2 且 3>2", "1＜2 且 3＞2"},
		{"controls and bidi", "医保\u202e反转\u200b\x00\x1b[31m", "医保反转 [31m"},
		{"whitespace", "  第一行\n\t第二行  ", "第一行 第二行"},
		{"invalid utf-8", "医保\xff\xfe报销", "医保\uFFFD报销"},
	} {
		if got := Plain(tc.in); got != tc.want {
			t.Errorf("%s: Plain(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// A label is plain, masked and bounded whatever the input.
func TestLabelBounded(t *testing.T) {
	in := strings.Repeat("<a href='x'>患者张三</a>&lt;script&gt;", 500) + "手机13812345678"
	got := Label(in, 59)
	if n := utf8.RuneCountInString(got); n > 60 {
		t.Errorf("label of %d runes", n)
	}
	if strings.ContainsAny(got, "<>") || strings.Contains(got, "张三") || strings.Contains(got, "script") && strings.Contains(got, "<") {
		t.Errorf("label %q keeps markup or a name", got)
	}
}

func FuzzLabel(f *testing.F) {
	f.Add("患者张某某<b>住在</b>人民路128号 vx zs1988 13812345678", 40)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 200 {
			t.Skip()
		}
		got := Label(s, n)
		if utf8.RuneCountInString(got) > n+1 || strings.ContainsAny(got, "<>\x00\u202e") || !utf8.ValidString(got) {
			t.Fatalf("Label(%q, %d) = %q", s, n, got)
		}
	})
}
