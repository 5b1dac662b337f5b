package learn

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestSaveLoadRoundTrip: a saved and loaded model predicts exactly as the
// trained one and keeps its provenance.
func TestSaveLoadRoundTrip(t *testing.T) {
	m := train(t, synthetic(120, 1))
	path := filepath.Join(t.TempDir(), "model.bin")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta != m.Meta || got.Options() != m.Options() || got.VocabSize() != m.VocabSize() {
		t.Fatalf("loaded meta %+v / %+v, want %+v / %+v", got.Meta, got.Options(), m.Meta, m.Options())
	}
	for _, ex := range synthetic(40, 8) {
		a, b := m.Predict(&ex), got.Predict(&ex)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s: trained %v, loaded %v", ex.ID, a, b)
		}
	}
	again := encode(t, got)
	if orig, _ := os.ReadFile(path); !bytes.Equal(orig, again) {
		t.Error("re-encoding a loaded model changed the bytes")
	}
}

// TestSaveRequiresProvenance: a model without the data hash or the
// command line is not written.
func TestSaveRequiresProvenance(t *testing.T) {
	m := train(t, synthetic(60, 1))
	m.Meta.DataSHA256 = ""
	path := filepath.Join(t.TempDir(), "model.bin")
	if err := m.SaveFile(path); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("a file was written anyway")
	}
}

// rewrite decodes a good file, lets edit change it and encodes it again.
func rewrite(t *testing.T, good []byte, edit func(*fileDoc)) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	var doc fileDoc
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	edit(&doc)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(doc); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return b.Bytes()
}

func setWeight(t *testing.T, h *fileHead, i int, v float32) {
	raw, err := base64.StdEncoding.DecodeString(h.Weights)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	h.Weights = base64.StdEncoding.EncodeToString(raw)
}

// TestLoadRejectsBadFiles: every kind of damage is refused with the file
// named and the reason in Chinese.
func TestLoadRejectsBadFiles(t *testing.T) {
	good := encode(t, train(t, synthetic(60, 1)))
	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x55
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "不是 gzip", nil},
		{"not gzip", "不是 gzip", []byte(`{"format":"yuqing-model"}`)},
		{"truncated", "截断", good[:len(good)/2]},
		{"flipped byte", "已损坏", flipped},
		{"other format", "格式", rewrite(t, good, func(d *fileDoc) { d.Format = "onnx" })},
		{"newer version", "版本 2 不受支持", rewrite(t, good, func(d *fileDoc) { d.Version = 2 })},
		{"no data hash", "SHA-256", rewrite(t, good, func(d *fileDoc) { d.Meta.DataSHA256 = "" })},
		{"no command", "命令行", rewrite(t, good, func(d *fileDoc) { d.Meta.Command = " " })},
		{"bad l2", "L2", rewrite(t, good, func(d *fileDoc) { d.Options.L2 = 0 })},
		{"numeric mismatch", "数值特征", rewrite(t, good, func(d *fileDoc) { d.Numeric = d.Numeric[:2] })},
		{"vocab size mismatch", "词表", rewrite(t, good, func(d *fileDoc) { d.VocabLen++ })},
		{"vocab unsorted", "顺序", rewrite(t, good, func(d *fileDoc) { d.Vocab[0], d.Vocab[1] = d.Vocab[1], d.Vocab[0] })},
		{"vocab prefix", "前缀", rewrite(t, good, func(d *fileDoc) { d.Vocab[0] = "x" + d.Vocab[0] })},
		{"missing head", "输出", rewrite(t, good, func(d *fileDoc) { d.Heads = d.Heads[:3] })},
		{"wrong classes", "本程序需要", rewrite(t, good, func(d *fileDoc) { slices.Reverse(d.Heads[2].Classes) })},
		{"short weights", "字节", rewrite(t, good, func(d *fileDoc) {
			raw, _ := base64.StdEncoding.DecodeString(d.Heads[1].Weights)
			d.Heads[1].Weights = base64.StdEncoding.EncodeToString(raw[4:])
		})},
		{"short bias", "偏置", rewrite(t, good, func(d *fileDoc) { d.Heads[0].Bias = d.Heads[0].Bias[:1] })},
		{"NaN weight", "NaN", rewrite(t, good, func(d *fileDoc) { setWeight(t, &d.Heads[3], 5, float32(math.NaN())) })},
		{"Inf weight", "Inf", rewrite(t, good, func(d *fileDoc) { setWeight(t, &d.Heads[0], 0, float32(math.Inf(1))) })},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "model.bin")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("accepted")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want it to start with %q and contain %q", msg, path+": ", c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "absent.bin")); err == nil || !strings.Contains(err.Error(), "absent.bin") {
		t.Errorf("missing file: %v", err)
	}
}

// BenchmarkLoadModel loads the model named by YUQING_MODEL (e.g. one made
// by `yuqing train` on the shared data) or else a synthetic one at the
// largest vocabulary the defaults allow, and reports file size and the
// heap the loaded model keeps. Goals: ≤ 0.3 s, ≤ 30 MiB, file ≤ 5 MB.
func BenchmarkLoadModel(b *testing.B) {
	path := os.Getenv("YUQING_MODEL")
	if path == "" {
		path = filepath.Join(b.TempDir(), "model.bin")
		if err := largestModel().SaveFile(path); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "kept-heap-MiB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "load-alloc-MiB")
}

// largestModel has DefaultFeatures().MaxVocab plausible names and random
// weights: the worst case for size and load time.
func largestModel() *Model {
	opts := DefaultOptions()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 0, opts.Features.MaxVocab)
	for i := 0; len(vocab) < opts.Features.MaxVocab; i++ {
		r := func() string { return string(rune(0x4e00 + rng.IntN(3000))) }
		switch i % 3 {
		case 0:
			vocab = append(vocab, prefixBigram+r()+r())
		case 1:
			vocab = append(vocab, prefixWord+r()+r()+r())
		default:
			vocab = append(vocab, fmt.Sprintf("%s%s%d", prefixWord, r(), i))
		}
	}
	slices.Sort(vocab)
	vocab = slices.Compact(vocab)
	m := &Model{opts: opts, vocab: newVocabulary(vocab), Meta: Meta{Command: "synthetic", DataSHA256: strings.Repeat("0", 64), Rows: 1}}
	dim := m.dim()
	for _, s := range headSpecs {
		h := head{name: s.name, classes: s.classes, w: make([]float32, len(s.classes)*dim), b: make([]float32, len(s.classes))}
		for i := range h.w {
			h.w[i] = float32(rng.NormFloat64() * 0.05)
		}
		m.heads = append(m.heads, h)
	}
	m.index()
	return m
}

// BenchmarkPredict is the model's share of grading one post of about 550
// bytes (tokens supplied, as the classifier would), on the largest model.
func BenchmarkPredict(b *testing.B) {
	m := largestModel()
	text := strings.Repeat("我在市一院住院花了两万多，出院结算时医保只报了三成，窗口说异地备案没生效，来回跑了三趟也没人管。", 4)
	var toks []string
	for _, r := range text {
		toks = append(toks, string(r))
	}
	ex := Example{Tokens: toks, Text: text, Rules: []string{"rule:core_body", "rule:reimburse"}, Replies: 30, Views: 2000}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Predict(&ex)
	}
}
