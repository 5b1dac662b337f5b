package classifier

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ego/gse"
)

const benchTitle = "异地住院手工报销材料交了五个月，多次打电话无结果"

func benchText(b *testing.B) string {
	data, err := os.ReadFile("testdata/bench_post.txt")
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// gradeBench grades p with e and, in the same loop, cuts the same title
// and body with bare gse Cut, alternating one Grade and one Cut pair per
// iteration so that both see the same CPU, cache and GC conditions. Besides
// ns/op (of the pair) it reports "grade-ns" and "cut-ns" per post and
// "%cut": the throughput of Grade as a percentage of Cut's (goal: ≥ 50,
// i.e. grading costs at most twice a bare Cut). On Linux it also reports
// "%cut-cpu", the same ratio in CPU time of the benchmark's thread, which
// stays meaningful when other processes load the machine (wall-clock
// figures then swing by ±20 points between runs).
func gradeBench(b *testing.B, e *Engine, p Post) {
	b.SetBytes(int64(len(p.Title) + len(p.Body)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 20 { // warm the scratch pool and caches
		e.Grade(p)
		e.seg.Cut(p.Title)
		e.seg.Cut(p.Body)
	}
	var grade, cut, gradeCPU, cutCPU time.Duration
	_, haveCPU := threadCPU()
	n := 0
	for b.Loop() {
		c0, _ := threadCPU()
		t0 := time.Now()
		e.Grade(p)
		t1 := time.Now()
		c1, _ := threadCPU()
		e.seg.Cut(p.Title)
		e.seg.Cut(p.Body)
		c2, _ := threadCPU()
		cut += time.Since(t1)
		grade += t1.Sub(t0)
		gradeCPU += c1 - c0
		cutCPU += c2 - c1
		n++
	}
	b.ReportMetric(float64(grade.Nanoseconds())/float64(n), "grade-ns")
	b.ReportMetric(float64(cut.Nanoseconds())/float64(n), "cut-ns")
	b.ReportMetric(100*float64(cut)/float64(grade), "%cut")
	if haveCPU && gradeCPU > 0 {
		b.ReportMetric(100*float64(cutCPU)/float64(gradeCPU), "%cut-cpu")
	}
}

// BenchmarkGrade grades a ~650-byte complaint with the shipped rules.
func BenchmarkGrade(b *testing.B) {
	gradeBench(b, shipped(b), Post{Title: benchTitle, Body: benchText(b)})
}

// BenchmarkCut is the bare gse cut of the same text.
func BenchmarkCut(b *testing.B) {
	e := shipped(b)
	text := benchText(b)
	b.SetBytes(int64(len(benchTitle) + len(text)))
	b.ReportAllocs()
	for b.Loop() {
		e.seg.Cut(benchTitle)
		e.seg.Cut(text)
	}
}

var (
	bigOnce sync.Once
	bigEng  *Engine
	bigErr  error
)

// benchPlaces × benchKinds are the generated institution names.
var (
	benchPlaces = strings.Fields(`青梧 梧城 枫源 澄溪 鹤汀 新港 东湖 西山 南岭 北塘 临江 安平 长乐 永宁 泰和
		康宁 福田 宝山 金沙 白石 柳林 桃源 松岗 竹溪 梅岭 兰亭 荷塘 杏林 桂园 云台 龙泉 凤鸣 石桥 河口 江北
		城南 城西 城东 城北 湖滨 山前 沙坪 黄埔 青山 红旗 建设 解放 人和 和平 光明`)
	benchKinds = strings.Fields(`人民医院 中医院 妇幼保健院 骨科医院 眼科医院 口腔医院 康复医院 大药房 连锁药店
		卫生院 社区卫生服务中心 诊所 中西医结合医院 肿瘤医院 精神病医院 儿童医院 第一医院 第二医院 第三医院 民营医院`)
	benchFraud = [][]string{
		{"骗保", "骗取医保基金", "套取医保基金"},
		{"挂床", "虚假住院", "分解住院"},
		{"串换药品", "刷医保卡买", "医保卡套现"},
		{"乱收费", "重复收费", "过度检查"},
		{"拒绝医保结算", "不给刷医保", "拒刷医保卡"},
	}
)

// bigRules writes the shipped rules plus 5,000 generated rules (institution
// names × misconduct words, as an operator watching named institutions
// would write them) and loads them.
func bigRules(b *testing.B) *Engine {
	bigOnce.Do(func() {
		shippedYAML, err := os.ReadFile(shippedRules)
		if err != nil {
			bigErr = err
			return
		}
		var sb strings.Builder
		sb.Write(shippedYAML)
		sb.WriteString("\n")
		cats := []string{"institution", "institution", "institution", "institution", "treatment"}
		n := 0
		for _, place := range benchPlaces {
			for _, kind := range benchKinds {
				for fi, words := range benchFraud {
					fmt.Fprintf(&sb, "  - id: gen_%d\n    all:\n      - [%s%s]\n      - [%s]\n    weight: 1\n    category: %s\n    level: {raise_to: 3}\n",
						n, place, kind, strings.Join(words, ", "), cats[fi])
					n++
				}
			}
		}
		if n != 5000 {
			bigErr = fmt.Errorf("generated %d rules, want 5000", n)
			return
		}
		dir, err := os.MkdirTemp("", "yuqing-bench")
		if err != nil {
			bigErr = err
			return
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "rules.yaml")
		if bigErr = os.WriteFile(file, []byte(sb.String()), 0o644); bigErr != nil {
			return
		}
		bigEng, bigErr = Load(file, shippedDict, nil)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigEng
}

// BenchmarkGrade5000Rules grades the same complaint, naming an institution
// and a misconduct, against the shipped rules plus 5,000 generated ones.
func BenchmarkGrade5000Rules(b *testing.B) {
	e := bigRules(b)
	if got := len(e.rules.rules); got < 5000 {
		b.Fatalf("%d rules loaded", got)
	}
	body := "澄溪人民医院骗保，还乱收费。" + benchText(b)
	p := Post{Title: benchTitle, Body: body}
	if r := e.Grade(p); !strings.Contains(strings.Join(rulesOf(r), ","), "gen_") {
		b.Fatalf("no generated rule fired: %v", r.Reasons)
	}
	gradeBench(b, e, p)
}

// BenchmarkGradeDuringReload grades continuously while another goroutine
// loads fresh engines and swaps them in, as a hot reload does. It reports
// the slowest single Grade ("max-ms") and the 99th percentile ("p99-ms")
// during reloads, and the same two figures for an equal number of grades
// without any reload ("idle-max-ms", "idle-p99-ms"), so that what the
// machine itself adds (other processes, the scheduler) can be told apart
// from what the reload adds. Goal: a reload never blocks grading for more
// than a few milliseconds.
// rules_only reloads unchanged dictionaries (the segmenter is shared);
// new_dict changes the dictionary every time, so each reload builds a new
// gse segmenter (~130 MB) and the collector works alongside the graders.
func BenchmarkGradeDuringReload(b *testing.B) {
	for _, newDict := range []bool{false, true} {
		name := "rules_only"
		if newDict {
			name = "new_dict"
		}
		b.Run(name, func(b *testing.B) { gradeDuringReload(b, newDict) })
	}
}

// latencies records single-Grade durations.
type latencies []time.Duration

func (l latencies) max() time.Duration { return slices.Max(l) }

func (l latencies) p99() time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[len(s)*99/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func gradeDuringReload(b *testing.B, newDict bool) {
	c := New(shipped(b))
	p := Post{Title: benchTitle, Body: benchText(b)}
	dict := shippedDict
	var base []byte
	if newDict {
		dict = b.TempDir()
		var err error
		if base, err = os.ReadFile(filepath.Join(shippedDict, "medical_insurance.txt")); err != nil {
			b.Fatal(err)
		}
	}
	var reloads atomic.Int64
	var slowestLoad atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if newDict {
				data := fmt.Appendf(append([]byte(nil), base...), "\n# 第 %d 次\n", i)
				if err := os.WriteFile(filepath.Join(dict, "medical_insurance.txt"), data, 0o644); err != nil {
					done <- err
					return
				}
			}
			t := time.Now()
			e, err := Load(shippedRules, dict, nil)
			if err != nil {
				done <- err
				return
			}
			slowestLoad.Store(max(slowestLoad.Load(), int64(time.Since(t))))
			c.Swap(e)
			reloads.Add(1)
			if !newDict {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var during latencies
	grade := func() {
		t := time.Now()
		c.Grade(p)
		during = append(during, time.Since(t))
	}
	deadline := time.Now().Add(20 * time.Second)
	for b.Loop() {
		grade()
	}
	// Keep grading until at least two reloads completed, so the figure
	// covers whole loads whatever b.N is.
	for reloads.Load() < 2 && time.Now().Before(deadline) {
		grade()
	}
	b.StopTimer()
	close(stop)
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	// The same number of grades with no reload running.
	idle := make(latencies, 0, len(during))
	for range len(during) {
		t := time.Now()
		c.Grade(p)
		idle = append(idle, time.Since(t))
	}
	b.ReportMetric(ms(during.max()), "max-ms")
	b.ReportMetric(ms(during.p99()), "p99-ms")
	b.ReportMetric(ms(idle.max()), "idle-max-ms")
	b.ReportMetric(ms(idle.p99()), "idle-p99-ms")
	b.ReportMetric(ms(time.Duration(slowestLoad.Load())), "load-ms")
	b.ReportMetric(float64(reloads.Load()), "reloads")
	b.ReportMetric(float64(len(during)), "grades")
}

// BenchmarkLoad times start-up: loading gse's embedded dictionary alone,
// and a full Load of the shipped rules with the domain dictionary.
func BenchmarkLoad(b *testing.B) {
	b.Run("gse_dict", func(b *testing.B) {
		for b.Loop() {
			seg := &gse.Segmenter{NotLoadHMM: true, SkipLog: true}
			if err := seg.LoadDictEmbed("zh_s"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("shipped", func(b *testing.B) {
		// Each iteration must build its own segmenter: drop the cached one.
		for b.Loop() {
			segCache.mu.Lock()
			clear(segCache.m)
			segCache.mu.Unlock()
			if _, err := Load(shippedRules, shippedDict, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rules_only", func(b *testing.B) {
		keep, err := Load(shippedRules, shippedDict, nil) // its segmenter is reused
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			e, err := Load(shippedRules, shippedDict, nil)
			if err != nil {
				b.Fatal(err)
			}
			if e.seg != keep.seg {
				b.Fatal("segmenter not reused")
			}
		}
	})
}

// BenchmarkFirstGradeAfterDictLoad times the first grade on an engine whose
// segmenter was just built (a dictionary reload): whatever the build leaves
// behind (garbage, GC debt) is paid by the first grader after the swap.
// Run with -benchtime 3x: each iteration loads gse's dictionary.
func BenchmarkFirstGradeAfterDictLoad(b *testing.B) {
	p := Post{Title: benchTitle, Body: benchText(b)}
	var worst time.Duration
	for b.Loop() {
		b.StopTimer()
		segCache.mu.Lock()
		clear(segCache.m) // force a fresh segmenter, as a changed dictionary does
		segCache.mu.Unlock()
		e, err := Load(shippedRules, shippedDict, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t := time.Now()
		e.Grade(p)
		worst = max(worst, time.Since(t))
	}
	b.ReportMetric(ms(worst), "worst-first-grade-ms")
}
