package classifier

import (
	"os"
	"testing"
)

func benchText(b *testing.B) string {
	data, err := os.ReadFile("testdata/bench_post.txt")
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// BenchmarkGrade grades a ~650-byte complaint with the shipped rules; compare
// with BenchmarkCut, the bare gse cut of the same text (goal: ≥ 50%).
func BenchmarkGrade(b *testing.B) {
	e := shipped(b)
	text := benchText(b)
	p := Post{Title: "异地住院手工报销材料交了五个月，多次打电话无结果", Body: text}
	b.SetBytes(int64(len(p.Title) + len(p.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Grade(p)
	}
}

func BenchmarkCut(b *testing.B) {
	e := shipped(b)
	text := benchText(b)
	title := "异地住院手工报销材料交了五个月，多次打电话无结果"
	b.SetBytes(int64(len(title) + len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.seg.Cut(title)
		e.seg.Cut(text)
	}
}
