package privacy

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		{"联系电话13812345678，谢谢", "联系电话138****5678，谢谢"},
		{"电话 138-1234-5678 或 139 8765 4321", "电话 138******5678 或 139******4321"},
		{"身份证430102198801011234", "身份证43**************34"},
		{"ID 43010219880101123X 已提交", "ID 430***********123X 已提交"},
		{"社保卡号：A12345678 挂失", "社保卡号：A1*****78 挂失"},
		{"医保号为 9876543210", "医保号为 98******10"},
		{"座机0731-88881234", "座机0731*******34"},
		{"报销了1234元，住院15天", "报销了1234元，住院15天"},
		{"2026-11-23 09:14 发帖", "2026-11-23 09:14 发帖"},
		{"没有数字", "没有数字"},
	}
	for _, c := range cases {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskLeavesNoFullNumber(t *testing.T) {
	secrets := []string{"13812345678", "430102198801011234", "A12345678"}
	text := "我叫张三，手机13812345678，身份证号430102198801011234，社保卡号A12345678。"
	got := Mask(text)
	for _, s := range secrets {
		if strings.Contains(got, s) {
			t.Errorf("masked text %q still contains %s", got, s)
		}
	}
}

func FuzzMask(f *testing.F) {
	f.Add("手机13812345678")
	f.Add("身份证号码：43010219880101123X")
	f.Fuzz(func(t *testing.T, s string) {
		got := Mask(s)
		if len(got) != len(s) && !strings.ContainsAny(s, "0123456789") {
			t.Fatalf("text without digits changed: %q -> %q", s, got)
		}
		if Mask(got) != got {
			t.Fatalf("Mask is not idempotent on %q: %q -> %q", s, got, Mask(got))
		}
	})
}
