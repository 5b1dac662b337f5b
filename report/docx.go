package report

import (
	"fmt"
	"io"

	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/report/internal/docx"
)

// The Word document offices pass upward: the title, the summary, each
// chart as an image with its Chinese title under it, and every table of
// Tables, on A4 in the fonts of official documents.

// chartWidthCM is how wide a chart is on the page: the text's width.
const chartWidthCM = docx.TextWidthCM

// writeDOCX writes the Word document, its charts drawn in the first CJK
// font found on the usual Debian paths (chart.FindFont).
func writeDOCX(w io.Writer, rep Report) error {
	font, err := chart.FindFont("")
	if err != nil {
		return err
	}
	return WriteDOCX(w, rep, font)
}

// WriteDOCX writes rep as a Word document with its charts drawn in font:
// for a caller that loaded the configured font (config report_font).
func WriteDOCX(w io.Writer, rep Report, font *chart.Font) error {
	d := docx.New(rep.Title, rep.BuiltAt, docx.DefaultFonts())
	d.Title(rep.Title)
	meta := "统计时段：" + rep.Period.Name()
	if !rep.Period.Until.IsZero() {
		meta += "（截至 " + DateTime(rep.Period.Until) + "）"
	}
	d.Caption(meta + "　生成时间：" + DateTime(rep.BuiltAt))

	section := 0
	heading := func(s string) {
		section++
		d.Heading(1, chineseNumber(section)+"、"+s)
	}
	heading("综述")
	for _, p := range rep.Summary {
		d.Paragraph(p)
	}
	if len(rep.Charts) > 0 {
		heading("图表")
		for i, c := range rep.Charts {
			drawing, ok := c.Drawing()
			if !ok {
				return fmt.Errorf("图表「%s」的样式 %q 未知", c.Title, c.Style)
			}
			img, err := drawing.PNG(font)
			if err != nil {
				return fmt.Errorf("绘制图表「%s」: %w", c.Title, err)
			}
			if err := d.Image(img, chartWidthCM, drawing.Desc); err != nil {
				return fmt.Errorf("图表「%s」: %w", c.Title, err)
			}
			d.Caption(fmt.Sprintf("图%d　%s", i+1, c.Title))
		}
	}
	heading("数据表")
	for i, t := range rep.Tables() {
		d.Heading(2, "（"+chineseNumber(i+1)+"）"+t.Name)
		if len(t.Rows) == 0 {
			d.Paragraph("本期无数据。")
			continue
		}
		rows := make([][]string, len(t.Rows))
		right := make([]bool, len(t.Columns))
		for r, row := range t.Rows {
			rows[r] = make([]string, len(row))
			for c, cell := range row {
				rows[r][c] = cell.Text
				if cell.Kind != TextCell && c < len(right) {
					right[c] = true
				}
			}
		}
		d.Table(t.Columns, rows, right)
	}
	d.Note("本报告由医保舆情监测系统生成，个人信息已脱敏。")
	return d.Write(w)
}

// chineseNumber writes 1..99 in Chinese numerals, as headings number
// their sections (一、二、…十一、).
func chineseNumber(n int) string {
	digits := []rune("零一二三四五六七八九")
	if n < 1 || n > 99 {
		return fmt.Sprint(n)
	}
	if n < 10 {
		return string(digits[n])
	}
	s := ""
	if n >= 20 {
		s = string(digits[n/10])
	}
	s += "十"
	if n%10 != 0 {
		s += string(digits[n%10])
	}
	return s
}

// Writer writes reports with what a format needs beyond the report: the
// font of the DOCX's chart images, loaded once from the configured file
// (config report_font, chart.FindFont). Its zero value writes as Write.
type Writer struct {
	Font *chart.Font // nil: found on the usual Debian paths at each DOCX
}

// Write writes rep in format f.
func (wr Writer) Write(w io.Writer, rep Report, f Format) error {
	if f != DOCX || wr.Font == nil {
		return Write(w, rep, f)
	}
	if err := WriteDOCX(w, rep, wr.Font); err != nil {
		return fmt.Errorf("写出%s报告（%s）: %w", rep.Kind.Title(), f, err)
	}
	return nil
}
