package classifier

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
)

// classifyIn is one input line of `yuqing classify`.
type classifyIn struct {
	ID     json.RawMessage `json:"id"`
	Title  *string         `json:"title"`
	Body   *string         `json:"body"`
	Source string          `json:"source"`
	// Platform is the channel (taxonomy.Channels), as the labelled data
	// name it.
	Platform    string `json:"platform"`
	URL         string `json:"url"`
	Replies     int    `json:"replies"`
	Views       int    `json:"views"`
	Reposts     int    `json:"reposts"`
	PublishedAt string `json:"published_at"`
}

// classifyOut is one output line; field order is the documented one.
type classifyOut struct {
	ID       json.RawMessage `json:"id"`
	Relevant bool            `json:"relevant"`
	Category string          `json:"category"`
	Level    int             `json:"level"`
	Score    float64         `json:"score"`
	Matches  []model.Match   `json:"matches"`
	// With a model (options.model) only, so that the output of the rules
	// alone stays what it was.
	Sentiment *string `json:"sentiment,omitempty"`
	DecidedBy *string `json:"decided_by,omitempty"`
	Review    *bool   `json:"review,omitempty"`
}

// MaxLineBytes bounds one input line of classify and eval: a post of this
// size is far beyond any page the crawler keeps, and grading holds several
// times a line's size in memory.
const MaxLineBytes = 4 << 20

// errLineTooLong reports a line over MaxLineBytes; the rest of it was read
// and dropped, so the next line is read normally.
var errLineTooLong = fmt.Errorf("该行超过 %d MiB，已跳过", MaxLineBytes>>20)

// readLine returns the next line of r (with its newline, if any), holding at
// most max bytes of it: a longer line is consumed to its end and reported as
// errLineTooLong. err is io.EOF after the last line.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(frag) > max {
				tooLong, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, tooLong, err
		}
	}
}

// Classify is the body of `yuqing classify`: JSON lines of posts on in, one
// JSON line of verdict per good input line on out, in order. A malformed
// line, or one over MaxLineBytes, is reported on errOut with its line number
// and skipped; bad is the number of such lines.
func Classify(ctx context.Context, e *Engine, in io.Reader, out, errOut io.Writer) (bad int, err error) {
	r := bufio.NewReaderSize(in, 64*1024)
	w := bufio.NewWriter(out)
	defer w.Flush()
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		line, tooLong, rerr := readLine(r, MaxLineBytes)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return bad, fmt.Errorf("第 %d 行读取失败: %w", lineNo, rerr)
		}
		if tooLong {
			bad++
			fmt.Fprintf(errOut, "第 %d 行%v\n", lineNo, errLineTooLong)
		} else if len(bytes.TrimSpace(line)) > 0 {
			p, id, perr := parseClassifyLine(line)
			if perr != nil {
				bad++
				fmt.Fprintf(errOut, "第 %d 行格式错误，已跳过：%v\n", lineNo, perr)
			} else {
				res := e.Grade(p)
				o := classifyOut{ID: id, Relevant: res.Relevant, Category: res.Category, Level: res.Level,
					Score: res.Score, Matches: res.Matches}
				if e.HasModel() {
					o.Sentiment, o.DecidedBy, o.Review = &res.Sentiment, &res.DecidedBy, &res.Review
				}
				if o.Matches == nil {
					o.Matches = []model.Match{}
				}
				b, merr := json.Marshal(o)
				if merr != nil {
					return bad, fmt.Errorf("第 %d 行结果编码失败: %w", lineNo, merr)
				}
				w.Write(b)
				if werr := w.WriteByte('\n'); werr != nil {
					return bad, fmt.Errorf("写出结果失败: %w", werr)
				}
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return bad, fmt.Errorf("写出结果失败: %w", err)
	}
	return bad, nil
}

func parseClassifyLine(line []byte) (Post, json.RawMessage, error) {
	var in classifyIn
	if err := json.Unmarshal(line, &in); err != nil {
		return Post{}, nil, fmt.Errorf("不是合法的 JSON 对象（%v）", err)
	}
	id := bytes.TrimSpace(in.ID)
	if len(id) == 0 || string(id) == "null" {
		return Post{}, nil, errors.New("缺少 id")
	}
	if id[0] != '"' && id[0] != '-' && (id[0] < '0' || id[0] > '9') {
		return Post{}, nil, errors.New("id 必须是字符串或数字")
	}
	if in.Title == nil && in.Body == nil {
		return Post{}, nil, errors.New("title 和 body 至少要有一个")
	}
	p := Post{Source: in.Source, Channel: in.Platform, Replies: in.Replies, Views: in.Views, Reposts: in.Reposts}
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Body != nil {
		p.Body = *in.Body
	}
	if in.PublishedAt != "" {
		t, err := time.Parse(time.RFC3339, in.PublishedAt)
		if err != nil {
			return Post{}, nil, fmt.Errorf("published_at %q 不是 RFC 3339 时间", in.PublishedAt)
		}
		p.PublishedAt = t
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, id); err != nil {
		return Post{}, nil, fmt.Errorf("id 无法解析: %w", err)
	}
	return p, buf.Bytes(), nil
}
