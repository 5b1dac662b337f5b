package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/store"
)

// TrainOptions configure `yuqing train`.
type TrainOptions struct {
	RulesFile string
	DictDir   string
	DataFiles []string
	OutFile   string
	// StoreConfig, when set, names the yuqing.yaml whose store's staff
	// labels (误报, 升级/降级, 类别更正, 确认, 补录漏报) are trained on
	// beside the data files (yuqing train -store).
	StoreConfig string
	// Command is the command line as typed; the model file records it so
	// anyone can reproduce the file.
	Command string
	L2      float64 // 0: learn.DefaultL2
	Out     io.Writer
}

// Train segments and rule-grades every labelled post, trains the model and
// writes it with the data hash and command line.
func Train(o TrainOptions) (*learn.Model, error) {
	if o.OutFile == "" {
		return nil, fmt.Errorf("请用 -out 指定模型文件")
	}
	eng, rows, sum, err := loadTrainingFrom(o.RulesFile, o.DictDir, o.DataFiles, o.StoreConfig)
	if err != nil {
		return nil, err
	}
	examples := toExamples(eng, rows)
	opts := learnOptions(o.L2)
	began := time.Now()
	m, err := learn.Train(examples, opts)
	if err != nil {
		return nil, err
	}
	took := time.Since(began)
	m.Meta.Command, m.Meta.DataSHA256 = o.Command, sum
	if err := m.SaveFile(o.OutFile); err != nil {
		return nil, err
	}
	st, err := os.Stat(o.OutFile)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "模型已写入 %s（%.1f KB）\n", o.OutFile, float64(st.Size())/1024)
	from := slices.Clone(o.DataFiles)
	if o.StoreConfig != "" {
		from = append(from, fmt.Sprintf("数据库中的人工标注 %d 条", countFile(rows, storeRowsFile)))
	}
	fmt.Fprintf(o.Out, "  训练样本 %d 条（%s），词表 %d 项，L2 %g，训练用时 %s\n",
		len(examples), strings.Join(from, "、"), m.VocabSize(), opts.L2, took.Round(time.Millisecond))
	fmt.Fprintf(o.Out, "  训练数据 SHA-256 %s\n  规则 %s（版本 %s）\n", sum, o.RulesFile, eng.Version())
	fmt.Fprintf(o.Out, "  折外效果请用 yuqing eval -cv 5 查看；在训练数据上的数字不能说明没见过的帖子\n")
	return m, nil
}

func learnOptions(l2 float64) learn.Options {
	opts := learn.DefaultOptions()
	if l2 != 0 { // a negative value reaches learn.Train, which refuses it
		opts.L2 = l2
	}
	return opts
}

// trainingRow is one labelled post with the sentiment classifier.Labeled
// does not carry, and the file it came from.
type trainingRow struct {
	classifier.Labeled
	Sentiment string
	File      string
}

// storeRowsFile is the File of training rows read from the store.
const storeRowsFile = "store"

func countFile(rows []trainingRow, file string) int {
	n := 0
	for _, r := range rows {
		if r.File == file {
			n++
		}
	}
	return n
}

// loadTrainingFrom is loadTraining plus, when storeConfig is set, the
// staff labels of that configuration's store; they go into the data hash
// after the files, in post id order.
func loadTrainingFrom(rulesFile, dictDir string, files []string, storeConfig string) (*classifier.Engine, []trainingRow, string, error) {
	if storeConfig == "" {
		return loadTraining(rulesFile, dictDir, files)
	}
	labelled, err := storeLabels(storeConfig)
	if err != nil {
		return nil, nil, "", err
	}
	if len(files) == 0 && len(labelled) == 0 {
		return nil, nil, "", fmt.Errorf("数据库中还没有人工标注，请用 -data 指定标注数据文件")
	}
	h := sha256.New()
	var eng *classifier.Engine
	var rows []trainingRow
	if len(files) > 0 {
		var sum string
		if eng, rows, sum, err = loadTraining(rulesFile, dictDir, files); err != nil {
			return nil, nil, "", err
		}
		h.Write([]byte(sum))
	} else if eng, err = loadRules(rulesFile, dictDir); err != nil {
		return nil, nil, "", err
	}
	h.Write([]byte("\x00store\x00"))
	enc := json.NewEncoder(h)
	for _, lp := range labelled {
		p, l := lp.Post, lp.Label
		row := trainingRow{Labeled: classifier.Labeled{ID: fmt.Sprintf("store-%d", p.ID),
			Post: classifier.Post{Title: p.Title, Body: p.Body, Source: p.Source,
				Replies: p.Replies, Views: p.Views, Reposts: p.Reposts, PublishedAt: p.PublishedAt},
			Relevant: l.Relevant, Category: l.Category, Level: l.Level},
			Sentiment: l.Sentiment, File: storeRowsFile}
		if err := enc.Encode([]any{row.ID, p.Title, p.Body, p.Replies, p.Views, p.Reposts, l.Relevant, l.Category, l.Level, l.Sentiment}); err != nil {
			return nil, nil, "", err
		}
		rows = append(rows, row)
	}
	return eng, rows, hex.EncodeToString(h.Sum(nil)), nil
}

// storeLabels reads every staff label from the store of the configuration.
func storeLabels(configFile string) ([]store.LabeledPost, error) {
	cfg, err := config.Load(configFile)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return nil, fmt.Errorf("打开数据库读取人工标注: %w", err)
	}
	defer st.Close()
	var out []store.LabeledPost
	for after := int64(0); ; {
		page, err := st.Labels(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return out, nil
		}
		out = append(out, page...)
		after = page[len(page)-1].Post.ID
	}
}

// loadTraining loads the rules and reads every data file. sum is the
// SHA-256 over the files' bytes in the order given, each preceded by its
// length, so the same data named differently hash alike.
func loadTraining(rulesFile, dictDir string, files []string) (*classifier.Engine, []trainingRow, string, error) {
	if len(files) == 0 {
		return nil, nil, "", fmt.Errorf("请用 -data 指定至少一个标注数据文件")
	}
	eng, err := loadRules(rulesFile, dictDir)
	if err != nil {
		return nil, nil, "", err
	}
	rows, sum, err := readTrainingFiles(files)
	if err != nil {
		return nil, nil, "", err
	}
	return eng, rows, sum, nil
}

// readTrainingFiles reads labelled files in order, with the SHA-256 of
// their bytes (each prefixed by its length).
func readTrainingFiles(files []string) ([]trainingRow, string, error) {
	h := sha256.New()
	var rows []trainingRow
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, "", fmt.Errorf("读取标注数据: %w", err)
		}
		binary.Write(h, binary.BigEndian, uint64(len(data)))
		h.Write(data)
		r, err := readTrainingRows(f, data)
		if err != nil {
			return nil, "", err
		}
		rows = append(rows, r...)
	}
	return rows, hex.EncodeToString(h.Sum(nil)), nil
}

// readTrainingRows reads one labelled file with classifier.ReadLabeled
// (which validates it) and adds each row's sentiment, read from the same
// non-blank lines in the same order.
func readTrainingRows(file string, data []byte) ([]trainingRow, error) {
	items, err := classifier.ReadLabeled(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	rows := make([]trainingRow, 0, len(items))
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), classifier.MaxLineBytes+1)
	for lineNo := 1; sc.Scan(); lineNo++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l struct {
			ID        json.RawMessage `json:"id"`
			Sentiment string          `json:"sentiment"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s: 第 %d 行不是合法的 JSON: %w", file, lineNo, err)
		}
		i := len(rows)
		if i >= len(items) || strings.Trim(string(l.ID), `"`) != items[i].ID {
			return nil, fmt.Errorf("%s: 第 %d 行与标注条目对不上", file, lineNo)
		}
		switch l.Sentiment {
		case "", learn.Negative, learn.Neutral, learn.Positive:
		default:
			return nil, fmt.Errorf("%s: 第 %d 行（%s）：情感 %q 应为 negative、neutral 或 positive", file, lineNo, items[i].ID, l.Sentiment)
		}
		rows = append(rows, trainingRow{Labeled: items[i], Sentiment: l.Sentiment, File: file})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(rows) != len(items) {
		return nil, fmt.Errorf("%s: 读到 %d 条情感标注，而标注条目有 %d 条", file, len(rows), len(items))
	}
	return rows, nil
}

// toExamples turns labelled posts into learner examples, built the way
// grading builds the model's input (classifier.Engine.Example).
func toExamples(eng *classifier.Engine, rows []trainingRow) []learn.Example {
	out := make([]learn.Example, len(rows))
	for i, r := range rows {
		out[i] = eng.Example(r.Post)
		out[i].ID = r.ID
		out[i].Relevant, out[i].Category, out[i].Level, out[i].Sentiment = r.Relevant, r.Category, r.Level, r.Sentiment
	}
	return out
}
