package chart

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// Font is the CJK font PNG draws text with: one face of a .ttf, .otf or
// .ttc file (x/image's sfnt reads TrueType and CFF outlines, so Noto CJK's
// collections work). Safe for concurrent use: each PNG makes its own face.
type Font struct {
	Path string // the file it was read from
	Name string // the face's full name, e.g. "Noto Sans CJK SC"
	f    *sfnt.Font
}

// cjkSample is text a font must draw for a Chinese chart: title words,
// full-width punctuation and digits.
const cjkSample = "医保舆情相关帖子按等级来源区县分布暂无数据（）：，0123456789"

// DefaultFontPaths are where Debian's CJK font packages put their files,
// in the order FindFont tries them: fonts-noto-cjk (what
// scripts/install-report-tools.sh installs), fonts-wqy-zenhei,
// fonts-droid-fallback. fonts-wqy-microhei's .ttc is not among them:
// x/image's sfnt rejects it ("invalid table offset").
func DefaultFontPaths() []string {
	return []string{
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
		"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
		"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
		"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	}
}

// ErrNoFont reports that no CJK font was found where FindFont looked.
var ErrNoFont = errors.New("未找到中文字体（报告图表需要）：请运行 scripts/install-report-tools.sh 安装 fonts-noto-cjk，或在 report_font 中指定字体文件")

// LoadFont reads the font file at path. Of a collection it takes the
// Simplified Chinese face (a name ending in "SC"), else the first that
// draws Chinese. It fails when no face draws every character of a
// Chinese chart.
func LoadFont(path string) (*Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("读取字体文件: %w", err)
	}
	c, err := opentype.ParseCollection(b)
	if err != nil {
		return nil, fmt.Errorf("字体文件 %s 无法解析: %w", path, err)
	}
	var found *Font
	var buf sfnt.Buffer
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil {
			return nil, fmt.Errorf("字体文件 %s 的第 %d 个字体无法解析: %w", path, i+1, err)
		}
		if missing := missingGlyph(f, &buf); missing != 0 {
			continue
		}
		name, _ := f.Name(&buf, sfnt.NameIDFull)
		if found == nil || strings.HasSuffix(name, " SC") && !strings.HasSuffix(found.Name, " SC") {
			found = &Font{Path: path, Name: name, f: f}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("字体文件 %s 不含中文字形", path)
	}
	return found, nil
}

// missingGlyph is the first character of cjkSample f has no glyph for (0:
// none missing).
func missingGlyph(f *sfnt.Font, buf *sfnt.Buffer) rune {
	for _, r := range cjkSample {
		if g, err := f.GlyphIndex(buf, r); err != nil || g == 0 {
			return r
		}
	}
	return 0
}

// FindFont loads the font at path, or with path "" the first of
// DefaultFontPaths that loads (ErrNoFont when none does).
func FindFont(path string) (*Font, error) {
	if path != "" {
		return LoadFont(path)
	}
	for _, p := range DefaultFontPaths() {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if f, err := LoadFont(p); err == nil {
			return f, nil
		}
	}
	return nil, ErrNoFont
}
