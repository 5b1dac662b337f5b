package learn

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The model file is gzip-compressed JSON (zcat shows it): format name and
// version, where the model came from (command line, data hash, rows), the
// training options, the vocabulary and, per head, its classes, biases and
// weights as little-endian float32 in base64. Fixed field order, no
// timestamps, a zero gzip header: the same model gives the same bytes.
const (
	fileFormat  = "yuqing-model"
	fileVersion = 1
	// MaxFileBytes caps the file on disk and maxJSONBytes what it may
	// inflate to, so a hostile file cannot exhaust memory.
	MaxFileBytes = 16 << 20
	maxJSONBytes = 128 << 20
)

type fileDoc struct {
	Format   string     `json:"format"`
	Version  int        `json:"version"`
	Meta     Meta       `json:"meta"`
	Options  Options    `json:"options"`
	Numeric  []string   `json:"numeric"`
	VocabLen int        `json:"vocab_size"`
	Vocab    []string   `json:"vocab"`
	Heads    []fileHead `json:"heads"`
}

type fileHead struct {
	Name    string    `json:"name"`
	Classes []string  `json:"classes"`
	Bias    []float32 `json:"bias"`
	Weights string    `json:"weights"` // base64 float32 LE, classes × dims
}

// Encode writes the model file to w.
func (m *Model) Encode(w io.Writer) error {
	doc := fileDoc{Format: fileFormat, Version: fileVersion, Meta: m.Meta, Options: m.opts,
		Numeric: []string{}, VocabLen: len(m.vocab.names), Vocab: m.vocab.names}
	if m.opts.Features.Numeric {
		doc.Numeric = numericFeatures
	}
	for _, h := range m.heads {
		buf := make([]byte, 4*len(h.w))
		for i, v := range h.w {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		doc.Heads = append(doc.Heads, fileHead{Name: h.name, Classes: h.classes, Bias: h.b,
			Weights: base64.StdEncoding.EncodeToString(buf)})
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return zw.Close()
}

// SaveFile writes the model to path atomically (a temporary file in the
// same directory, then rename), so a reader never sees half a model.
func (m *Model) SaveFile(path string) error {
	if err := m.checkMeta(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		return fmt.Errorf("%s: 编码模型失败: %w", path, err)
	}
	if buf.Len() > MaxFileBytes {
		return fmt.Errorf("%s: 模型文件 %d 字节，超过上限 %d：请调小词表（max_vocab）", path, buf.Len(), MaxFileBytes)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: 写入失败: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: 写入失败: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkMeta insists on the provenance a shipped model must carry.
func (m *Model) checkMeta() error {
	if len(m.Meta.DataSHA256) != 64 {
		return errors.New("缺少训练数据的 SHA-256")
	}
	if _, err := hex.DecodeString(m.Meta.DataSHA256); err != nil {
		return fmt.Errorf("训练数据的 SHA-256 %q 不是十六进制", m.Meta.DataSHA256)
	}
	if strings.TrimSpace(m.Meta.Command) == "" {
		return errors.New("缺少训练命令行")
	}
	if m.Meta.Rows <= 0 {
		return errors.New("训练样本数必须为正")
	}
	return nil
}

// Load reads and validates a model file. Every error names the file.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("读取模型文件: %w", err)
	}
	defer f.Close()
	m, err := Decode(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// errCorrupt prefixes every validation failure.
var errCorrupt = errors.New("模型文件已损坏")

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w：%s", errCorrupt, fmt.Sprintf(format, a...))
}

// Decode reads a model file from r and validates everything: format,
// version, provenance, settings, vocabulary order, dimensions and that
// every number is finite.
func Decode(r io.Reader) (*Model, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("读取失败: %w", err)
	}
	if len(raw) > MaxFileBytes {
		return nil, corrupt("超过 %d 字节", MaxFileBytes)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, corrupt("不是 gzip 格式（%v）", err)
	}
	lr := &io.LimitedReader{R: zr, N: maxJSONBytes + 1}
	var doc fileDoc
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		switch {
		case lr.N <= 0:
			return nil, corrupt("解压后超过 %d 字节", maxJSONBytes)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, new(flate.CorruptInputError)):
			return nil, corrupt("解压失败（%v），文件可能被截断", err)
		}
		return nil, corrupt("内容不是合法的模型 JSON（%v）", err)
	}
	// The gzip checksum is verified only at the end of the stream.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return nil, corrupt("解压失败（%v），文件可能被截断", err)
	}
	if lr.N <= 0 {
		return nil, corrupt("解压后超过 %d 字节", maxJSONBytes)
	}
	if doc.Format != fileFormat {
		return nil, corrupt("格式 %q，应为 %q", doc.Format, fileFormat)
	}
	if doc.Version != fileVersion {
		return nil, fmt.Errorf("模型文件格式版本 %d 不受支持（本程序支持 %d），请用本程序重新训练", doc.Version, fileVersion)
	}
	m := &Model{Meta: doc.Meta, opts: doc.Options}
	if err := m.checkMeta(); err != nil {
		return nil, corrupt("%v", err)
	}
	if err := checkOptions(doc); err != nil {
		return nil, err
	}
	if err := checkVocab(doc.Vocab, doc.VocabLen); err != nil {
		return nil, err
	}
	m.vocab = newVocabulary(doc.Vocab)
	if len(doc.Heads) != len(headSpecs) {
		return nil, corrupt("有 %d 个输出，应为 %d 个", len(doc.Heads), len(headSpecs))
	}
	dim := m.dim()
	for i, fh := range doc.Heads {
		h, err := decodeHead(fh, i, dim)
		if err != nil {
			return nil, err
		}
		m.heads = append(m.heads, h)
	}
	m.index()
	return m, nil
}

func checkOptions(doc fileDoc) error {
	o := doc.Options
	if !(o.L2 > 0) || math.IsInf(o.L2, 0) {
		return corrupt("L2 正则强度 %v 无效", o.L2)
	}
	fs := o.Features
	if !fs.Words && !fs.Bigrams && !fs.Rules && !fs.Numeric {
		return corrupt("没有启用任何特征")
	}
	if fs.MinDF < 0 || fs.MaxVocab < 0 {
		return corrupt("词表设置 min_df=%d max_vocab=%d 无效", fs.MinDF, fs.MaxVocab)
	}
	want := []string{}
	if fs.Numeric {
		want = numericFeatures
	}
	if !slices.Equal(doc.Numeric, want) {
		return corrupt("数值特征 %v 与本程序的 %v 不符", doc.Numeric, want)
	}
	return nil
}

func checkVocab(vocab []string, n int) error {
	if len(vocab) != n {
		return corrupt("词表有 %d 项，文件头写的是 %d 项", len(vocab), n)
	}
	for i, v := range vocab {
		if !strings.HasPrefix(v, prefixWord) && !strings.HasPrefix(v, prefixBigram) && !strings.HasPrefix(v, prefixRule) && !strings.HasPrefix(v, prefixChan) {
			return corrupt("词表第 %d 项 %q 的类型前缀未知", i+1, v)
		}
		if i > 0 && vocab[i-1] >= v {
			return corrupt("词表第 %d 项 %q 未按顺序排列或重复", i+1, v)
		}
	}
	return nil
}

func decodeHead(fh fileHead, i, dim int) (head, error) {
	spec := headSpecs[i]
	if fh.Name != spec.name || !slices.Equal(fh.Classes, spec.classes) {
		return head{}, corrupt("第 %d 个输出是 %s%v，本程序需要 %s%v", i+1, fh.Name, fh.Classes, spec.name, spec.classes)
	}
	k := len(spec.classes)
	if len(fh.Bias) != k {
		return head{}, corrupt("%s 的偏置有 %d 个，应为 %d 个", fh.Name, len(fh.Bias), k)
	}
	raw, err := base64.StdEncoding.DecodeString(fh.Weights)
	if err != nil {
		return head{}, corrupt("%s 的权重不是 base64（%v）", fh.Name, err)
	}
	if len(raw) != 4*k*dim {
		return head{}, corrupt("%s 的权重有 %d 字节，应为 %d×%d×4 = %d 字节", fh.Name, len(raw), k, dim, 4*k*dim)
	}
	h := head{name: spec.name, classes: spec.classes, w: make([]float32, k*dim), b: fh.Bias}
	for j := range h.w {
		h.w[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
	}
	for j, v := range h.w {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return head{}, corrupt("%s 的第 %d 个权重是 %v", fh.Name, j+1, v)
		}
	}
	for j, v := range h.b { // JSON has no NaN, but a bias may overflow float32
		if math.IsInf(float64(v), 0) {
			return head{}, corrupt("%s 的第 %d 个偏置是 %v", fh.Name, j+1, v)
		}
	}
	return h, nil
}
