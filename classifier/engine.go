// Package classifier owns grading: it segments Chinese posts with gse (the
// embedded simplified dictionary plus the bureau's domain dictionary in
// configs/dict/), evaluates the operator-written keyword rules of
// configs/rules.yaml on token boundaries, and returns an explained verdict:
// relevant or not, one of the six categories, a level 1-4, every term that
// fired with its byte offsets in the original text, and the rules version.
//
// An Engine is immutable after Load and safe for concurrent use; a
// Classifier holds the current Engine and swaps in a new one on reload.
// gse's own dictionary is loaded once per process and never modified; each
// Engine lays its domain words over it (segment.go), so a reload, even one
// that changes the dictionary, takes milliseconds and nothing is ever
// modified while another goroutine cuts with it.
package classifier

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
	"github.com/yuqing-bureau/yuqing/learn"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Post is what the classifier grades.
type Post struct {
	Title, Body  string
	Source       string  // source name
	SourceWeight float64 // 0 means 1
	// Channel is the kind of channel the post comes from
	// (taxonomy.Channels; a labelled row's platform), "" when unknown: a
	// feature of the learned model.
	Channel     string
	Replies     int
	Views       int
	Reposts     int
	PublishedAt time.Time
	// Typical engagement of the source (the daemon uses the median of its
	// recent posts); 0 means unknown. Relative engagement tiers compare a
	// post with these, because 200 replies is a storm on a county message
	// board and nothing on a national forum.
	TypicalReplies float64
	TypicalViews   float64
	TypicalReposts float64
	// Search asks for Result.SearchText: the store's search text, taken
	// from the tokens grading cut anyway instead of segmenting again.
	Search bool
}

// Result is the explained verdict on one post: the store's Grade, and
// what only grading needs.
type Result struct {
	// Grade is the verdict as the store keeps it; PostID and GradedAt are
	// the caller's to set (grader.ToGrade). Its Sentiment is a fired
	// rule's (a rule with a sentiment effect), else the model's, "" when
	// neither speaks; its Information is set for a relevant neutral or
	// positive 一般 post the model is fairly sure is not a complaint
	// (taxonomy.IsInformation and informationMaxNegative), or, without a
	// model, one a rule's sentiment makes so.
	model.Grade
	// CutShort is set when the time budget ran out before the whole body
	// was read: the verdict comes from the title and the first part of the
	// body, which the first reason names.
	CutShort bool `json:"-"`
	// Words are the post's tokens as grading segmented them, set only when
	// the post is relevant: incident grouping uses them instead of
	// segmenting the text again. Not part of the verdict; never stored.
	Words *model.Words `json:"-"`
	// SearchText is the post's search text (as Engine.SearchText gives
	// it) when Post.Search asked for it.
	SearchText string `json:"-"`
}

// Token is one gse token with byte offsets into the original text.
type Token struct {
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	// Parts, for a domain word gse alone would cut, are its pieces: terms
	// match on them too (报销 inside 医保报销).
	Parts []string `json:"parts,omitempty"`
}

// Engine is one loaded rule set with its domain dictionary. Immutable.
type Engine struct {
	seg     *segmenter
	fold    foldTable
	rules   *compiled
	match   *matcher
	rank    map[taxonomy.Category]int
	tiers   []int
	version string
	// model is the learned half of grading (options.model), nil when the
	// rules grade alone.
	model   *learn.Model
	scratch sync.Pool // *gradeScratch: buffers for one Grade
}

// Load reads rulesFile and the *.txt dictionaries in dictDir (may be ""),
// validates everything and lays the domain words over gse's dictionary
// (loaded on the first Load in the process, ~2 s). Errors name file:line.
func Load(rulesFile, dictDir string, logger *slog.Logger) (*Engine, error) {
	return load(rulesFile, dictDir, logger, true)
}

// LoadRules is Load without the model options.model names: the rules as
// training sees them. Training must not depend on the model it replaces,
// which may be missing, corrupt or trained on rules since removed.
func LoadRules(rulesFile, dictDir string, logger *slog.Logger) (*Engine, error) {
	return load(rulesFile, dictDir, logger, false)
}

func load(rulesFile, dictDir string, logger *slog.Logger, withModel bool) (*Engine, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	began := time.Now()
	data, err := yamlfile.Read(rulesFile)
	if err != nil {
		return nil, err
	}
	f := defaultRulesFile()
	doc, err := yamlfile.Decode(rulesFile, data, &f)
	if err != nil {
		return nil, err
	}
	fold := newFoldTable(f.Options.Traditional)
	cp, err := compileRules(doc, &f, fold)
	if err != nil {
		return nil, err
	}
	h := newVersionHash(data)
	words, err := readDicts(dictDir, f.Options.DictFreq, fold, h)
	if err != nil {
		return nil, err
	}
	var model *learn.Model
	if withModel {
		if model, err = loadModel(rulesFile, doc, &f, h); err != nil {
			return nil, err
		}
	}
	e := &Engine{
		fold:    fold,
		rules:   cp,
		match:   newMatcher(cp.terms),
		rank:    cp.categoryRank(),
		tiers:   sortedTierIdx(cp.opts.Engagement),
		version: versionOf(h),
		model:   model,
	}
	e.scratch.New = func() any { return &gradeScratch{mark: make([]bool, len(cp.rules)), seen: map[uint64]struct{}{}} }
	if e.seg, err = newSegmenter(words); err != nil {
		return nil, err
	}
	if len(cp.unused) > 0 {
		logger.Warn("规则文件中有未被任何规则引用的词组", "rules_file", rulesFile, "groups", strings.Join(cp.unused, ","))
	}
	logger.Info("规则已加载", "rules_file", rulesFile, "dict_dir", dictDir, "version", e.version,
		"rules", len(cp.rules), "terms", len(cp.terms), "dict_words", len(words),
		"model", f.Options.Model, "took", time.Since(began).Round(time.Millisecond))
	return e, nil
}

// newVersionHash starts the rules version: the rules bytes, then each
// dictionary file's name and bytes (readDicts adds those).
func newVersionHash(rules []byte) hash.Hash {
	h := sha256.New()
	h.Write(rules)
	return h
}

func versionOf(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil))[:16] }

// dictWord is one line of a domain dictionary. The part of speech is read
// for the format's sake; the cut does not use it.
type dictWord struct {
	text, pos string
	freq      float64
}

// readDicts reads every *.txt in dir in name order: "词 [词频] [词性]" per
// line, # starts a comment. The bytes go into h for the rules version.
func readDicts(dir string, defFreq float64, fold foldTable, h io.Writer) ([]dictWord, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("%s: 无法列出词典文件: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%s: 词典目录不可用: %w", dir, err)
	}
	sort.Strings(files)
	var out []dictWord
	var errs []error
	for _, file := range files {
		data, err := yamlfile.Read(file)
		if err != nil {
			return nil, err
		}
		h.Write([]byte(filepath.Base(file)))
		h.Write([]byte{0})
		h.Write(data)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for ln := 1; sc.Scan(); ln++ {
			line := sc.Text()
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			w := dictWord{text: fold.foldString(fields[0]), freq: defFreq}
			if len(fields) > 3 {
				errs = append(errs, fmt.Errorf("%s:%d: 格式应为「词 [词频] [词性]」，多了 %d 列", file, ln, len(fields)-3))
				continue
			}
			if len(fields) >= 2 {
				v, err := strconv.ParseFloat(fields[1], 64)
				if err != nil || v <= 0 {
					errs = append(errs, fmt.Errorf("%s:%d: 词频 %q 必须是正数", file, ln, fields[1]))
					continue
				}
				w.freq = v
			}
			if len(fields) == 3 {
				w.pos = fields[2]
			}
			out = append(out, w)
		}
		if err := sc.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: 读取失败: %w", file, err))
		}
	}
	return out, errors.Join(errs...)
}

// Version is the hex hash of the rules file, dictionary and model bytes:
// every grade records one version for rules and model together.
func (e *Engine) Version() string { return e.version }

// NamedRule is a rule's id and the Chinese name staff read (RuleName).
type NamedRule struct{ ID, Name string }

// RuleNames lists the rules that have a Chinese name, in file order:
// alerts, like the console, name a rule so, not by its id.
func (e *Engine) RuleNames() []NamedRule {
	var out []NamedRule
	for i := range e.rules.rules {
		if name := e.RuleName(e.rules.rules[i].id); name != "" {
			out = append(out, NamedRule{ID: e.rules.rules[i].id, Name: name})
		}
	}
	return out
}

// segChunk is how much text, in bytes, is cut at a time. A long text is
// cut chunk by chunk: the time budget of a grade is checked between chunks,
// and the shortest path restarts at each chunk's end, which keeps its
// float32 distances small. A chunk ends after a sentence end or line
// break where one is near (where gse's whole-text cut falls too, as no
// word spans it), so texts up to this size are cut exactly as before and
// longer ones nearly so.
const segChunk = 16 << 10

// tokens segments folded text into byte spans, appending to buf[:0], and
// the domain words' inner boundaries to inner[:0]. Once deadline (if not
// zero) has passed it stops after the chunk in hand; cut is where it
// stopped, len(s) when it cut everything.
func (e *Engine) tokens(s string, buf [][2]int, inner []int, deadline time.Time) (toks [][2]int, in []int, cut int) {
	toks, in = buf[:0], inner[:0]
	for cut < len(s) {
		end := chunkEnd(s, cut)
		toks, in = e.seg.appendSpans(s[cut:end], cut, toks, in)
		cut = end
		if !deadline.IsZero() && cut < len(s) && time.Now().After(deadline) {
			break
		}
	}
	return toks, in, cut
}

// chunkEnd returns where the chunk of s that starts at from ends: after
// the first sentence end or line break past segChunk bytes, or, in text
// with none within another segChunk bytes, at the next rune start.
func chunkEnd(s string, from int) int {
	if len(s)-from <= segChunk {
		return len(s)
	}
	at := from + segChunk
	for i, r := range s[at:min(len(s), at+segChunk)] {
		switch r {
		case '\n', '。', '！', '？', '；', '!', '?':
			return at + i + utf8.RuneLen(r)
		}
	}
	for at < len(s) && !utf8.RuneStart(s[at]) {
		at++
	}
	return at
}

// Segment returns the tokens of text as matching sees them, with offsets
// and text from the original (e.g. traditional) string.
func (e *Engine) Segment(text string) []Token {
	n := e.fold.normalize(text)
	toks, inner, _ := e.tokens(n.s, nil, nil, time.Time{})
	out := make([]Token, 0, len(toks))
	eachToken(n, toks, inner, func(a, b int, part bool) {
		if part {
			t := &out[len(out)-1]
			t.Parts = append(t.Parts, text[a:b])
			return
		}
		out = append(out, Token{Text: text[a:b], Start: a, End: b})
	})
	return out
}

// eachToken calls f with the span in the original text of each token of
// n, then, for a domain word gse alone would cut, with each of its parts
// (part set): the one walk of the tokens both Segment and the model's
// features (Engine.Example) use.
func eachToken(n normText, toks [][2]int, inner []int, f func(a, b int, part bool)) {
	for _, t := range toks {
		a, b := n.origSpan(t[0], t[1])
		f(a, b, false)
		from := t[0]
		for ; len(inner) > 0 && inner[0] < t[1]; inner = inner[1:] {
			pa, pb := n.origSpan(from, inner[0])
			f(pa, pb, true)
			from = inner[0]
		}
		if from != t[0] { // the last piece
			pa, pb := n.origSpan(from, t[1])
			f(pa, pb, true)
		}
	}
}

// RuleName is the Chinese name staff see for the rule with the id (its
// `name`, else the head of its note); "" for an unknown rule or one with
// neither, which a page then names generically.
func (e *Engine) RuleName(id string) string {
	for i := range e.rules.rules {
		if r := &e.rules.rules[i]; r.id == id {
			if name, ok := strings.CutPrefix(r.label, "「"); ok {
				return strings.TrimSuffix(name, "」")
			}
			return ""
		}
	}
	return ""
}
