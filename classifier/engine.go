// Package classifier owns grading: it segments Chinese posts with gse (the
// embedded simplified dictionary plus the bureau's domain dictionary in
// configs/dict/), evaluates the operator-written keyword rules of
// configs/rules.yaml on token boundaries, and returns an explained verdict:
// relevant or not, one of the six categories, a level 1-4, every term that
// fired with its byte offsets in the original text, and the rules version.
//
// An Engine is immutable after Load and safe for concurrent use; a
// Classifier holds the current Engine and swaps in a new one on reload, so a
// reload never mutates a segmenter another goroutine is cutting with.
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
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/go-ego/gse"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// Post is what the classifier grades.
type Post struct {
	Title, Body  string
	Source       string  // source name
	SourceWeight float64 // 0 means 1
	Replies      int
	Views        int
	Reposts      int
	PublishedAt  time.Time
	// Typical engagement of the source (the daemon uses the median of its
	// recent posts); 0 means unknown. Relative engagement tiers compare a
	// post with these, because 200 replies is a storm on a county message
	// board and nothing on a national forum.
	TypicalReplies float64
	TypicalViews   float64
	TypicalReposts float64
}

// Match is one term occurrence that contributed to a verdict. Start and End
// are byte offsets into Field of the original (unconverted) text.
type Match struct {
	Rule  string `json:"rule"`
	Term  string `json:"term"`
	Field string `json:"field"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Result is the explained verdict on one post.
type Result struct {
	Relevant     bool
	Category     string
	Level        int
	Score        float64
	Matches      []Match
	Reasons      []string
	RulesVersion string
	// Words are the post's tokens as grading segmented them, set only when
	// the post is relevant: incident grouping uses them instead of
	// segmenting the text again. Not part of the verdict; never stored.
	Words *Words `json:"-"`
}

// Words are the tokens of a post's title and body, each the original text
// of one token: what Engine.Segment returns, without the offsets.
type Words struct {
	Title, Body []string
}

// Token is one gse token with byte offsets into the original text.
type Token struct {
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Engine is one loaded rule set with its own segmenter. Immutable.
type Engine struct {
	seg     *gse.Segmenter
	fold    foldTable
	rules   *compiled
	match   *matcher
	rank    map[string]int
	tiers   []int
	version string
	words   int
	scratch sync.Pool // *gradeScratch: buffers for one Grade
}

// Load reads rulesFile and the *.txt dictionaries in dictDir (may be ""),
// validates everything and builds a fresh segmenter. Errors name file:line.
func Load(rulesFile, dictDir string, logger *slog.Logger) (*Engine, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	began := time.Now()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		return nil, fmt.Errorf("%s: 无法读取规则文件: %w", rulesFile, err)
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
	dh := sha256.New() // the segmenter's inputs only: the cache key
	fmt.Fprintf(dh, "traditional=%v freq=%g\x00", f.Options.Traditional, f.Options.DictFreq)
	words, err := readDicts(dictDir, f.Options.DictFreq, fold, io.MultiWriter(h, dh))
	if err != nil {
		return nil, err
	}
	e := &Engine{
		fold:    fold,
		rules:   cp,
		match:   newMatcher(cp.terms),
		rank:    cp.categoryRank(),
		tiers:   sortedTierIdx(cp.opts.Engagement),
		version: versionOf(h),
		words:   len(words),
	}
	e.scratch.New = func() any { return &gradeScratch{mark: make([]bool, len(cp.rules))} }
	dictKey := versionOf(dh)
	seg, reused := segCache.get(dictKey)
	if !reused {
		if seg, err = newSegmenter(words); err != nil {
			return nil, err
		}
		segCache.put(dictKey, seg)
	}
	e.seg = seg
	if len(cp.unused) > 0 {
		logger.Warn("规则文件中有未被任何规则引用的词组", "rules_file", rulesFile, "groups", strings.Join(cp.unused, ","))
	}
	logger.Info("规则已加载", "rules_file", rulesFile, "dict_dir", dictDir, "version", e.version,
		"rules", len(cp.rules), "terms", len(cp.terms), "dict_words", len(words),
		"segmenter_reused", reused, "took", time.Since(began).Round(time.Millisecond))
	return e, nil
}

// newSegmenter loads gse's embedded dictionary and adds the domain words.
// The result is never modified again, so engines may share it.
func newSegmenter(words []dictWord) (*gse.Segmenter, error) {
	defer pauseGC()()
	seg := &gse.Segmenter{NotLoadHMM: true, SkipLog: true}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		return nil, fmt.Errorf("加载 gse 内置词典失败: %w", err)
	}
	for _, w := range words {
		// ReAddToken changes a word gse already knows (AddToken would be a
		// silent no-op); it fails on unknown words, which AddToken adds.
		add := seg.AddToken
		if _, _, ok := seg.Dict.Find([]byte(w.text)); ok {
			add = seg.ReAddToken
		}
		if err := add(w.text, w.freq, w.pos); err != nil {
			return nil, fmt.Errorf("%s:%d: 加入词典失败: %w", w.file, w.line, err)
		}
	}
	if len(words) > 0 {
		seg.CalcToken()
	}
	return seg, nil
}

// segCache lets a Load whose dictionaries are byte-for-byte those of an
// engine still alive share that engine's segmenter instead of loading gse
// again: a rules-only reload then takes milliseconds and allocates almost
// nothing, where a fresh segmenter costs ~2 s and ~130 MB (whose garbage
// collection is what slows concurrent grading during a reload). Weak
// pointers: the cache never keeps a segmenter alive by itself.
var segCache = segmenterCache{m: map[string]weak.Pointer[gse.Segmenter]{}}

type segmenterCache struct {
	mu sync.Mutex
	m  map[string]weak.Pointer[gse.Segmenter]
}

func (c *segmenterCache) get(key string) (*gse.Segmenter, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seg := c.m[key].Value(); seg != nil {
		return seg, true
	}
	delete(c.m, key)
	return nil, false
}

func (c *segmenterCache) put(key string, seg *gse.Segmenter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.m {
		if p.Value() == nil {
			delete(c.m, k)
		}
	}
	c.m[key] = weak.Make(seg)
}

// newVersionHash starts the rules version: the rules bytes, then each
// dictionary file's name and bytes (readDicts adds those).
func newVersionHash(rules []byte) hash.Hash {
	h := sha256.New()
	h.Write(rules)
	return h
}

func versionOf(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil))[:16] }

type dictWord struct {
	text, pos, file string
	freq            float64
	line            int
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
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: 无法读取词典: %w", file, err)
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
			w := dictWord{text: fold.foldString(fields[0]), freq: defFreq, file: file, line: ln}
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

// Version is the hex hash of the rules file and dictionary bytes.
func (e *Engine) Version() string { return e.version }

// tokens segments folded text into byte spans, appending to buf[:0].
func (e *Engine) tokens(s string, buf [][2]int) [][2]int {
	if s == "" {
		return nil
	}
	segs := e.seg.Segment([]byte(s))
	out := slices.Grow(buf[:0], len(segs))
	for _, sg := range segs {
		out = append(out, [2]int{sg.Start(), sg.End()})
	}
	return out
}

// Segment returns the tokens of text as matching sees them, with offsets
// and text from the original (e.g. traditional) string.
func (e *Engine) Segment(text string) []Token {
	n := e.fold.normalize(text)
	toks := e.tokens(n.s, nil)
	out := make([]Token, 0, len(toks))
	for _, t := range toks {
		a, b := n.origSpan(t[0], t[1])
		out = append(out, Token{Text: text[a:b], Start: a, End: b})
	}
	return out
}

// gcPause counts builds in progress across every engine in the process.
var gcPause struct {
	sync.Mutex
	n       int
	percent int
}

// pauseGC turns the garbage collector off until the returned func is
// called. Building gse's dictionary makes large non-preemptible copies; a
// collection starting meanwhile stops every other goroutine until the copy
// ends, which stalled grading for 150-300 ms per dictionary reload. With no
// collection during the ~2 s build, grading never waits. The setting is
// process-wide, hence the count.
func pauseGC() (resume func()) {
	gcPause.Lock()
	if gcPause.n == 0 {
		gcPause.percent = debug.SetGCPercent(-1)
	}
	gcPause.n++
	gcPause.Unlock()
	return func() {
		gcPause.Lock()
		gcPause.n--
		if gcPause.n == 0 {
			// Collect once more while the collector is still off, so the
			// pacer restarts from the real live heap. Restoring the old
			// setting straight away left the heap far past its goal, and
			// the next goroutine to allocate (the first grade on the new
			// engine) paid 40-130 ms of GC assist.
			runtime.GC()
			debug.SetGCPercent(gcPause.percent)
		}
		gcPause.Unlock()
	}
}
