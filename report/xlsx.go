package report

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// The workbook: one sheet per table, Chinese headings on the first row
// (frozen), counts and shares as numbers a reader can sum and chart.

// writeXLSX writes the workbook.
func writeXLSX(w io.Writer, rep Report) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	for i, t := range rep.Tables() {
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), t.Name)
		} else {
			_, err = f.NewSheet(t.Name)
		}
		if err != nil {
			return fmt.Errorf("工作表%s: %w", t.Name, err)
		}
		if err := writeSheet(f, t, st); err != nil {
			return fmt.Errorf("工作表%s: %w", t.Name, err)
		}
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: rep.Title, Creator: "医保舆情监测系统", Language: "zh-CN"}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// xlsxStyles are the cell styles of a workbook.
type xlsxStyles struct{ header, percent, ratio int }

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F0F4F8"}}}); err != nil {
		return s, err
	}
	if s.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return s, err
	}
	s.ratio, err = f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	return s, err
}

// writeSheet writes t into its sheet through a stream writer (a month's
// tables are small, but a 专报 can hold thousands of posts).
func writeSheet(f *excelize.File, t Table, st xlsxStyles) error {
	sw, err := f.NewStreamWriter(t.Name)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	widths := make([]int, len(t.Columns))
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = excelize.Cell{Value: c, StyleID: st.header}
		widths[i] = displayWidth(c)
	}
	rows := [][]any{header}
	for _, r := range t.Rows {
		row := make([]any, len(r))
		for i, c := range r {
			switch c.Kind {
			case IntCell:
				row[i] = int64(c.Number)
			case PercentCell:
				row[i] = excelize.Cell{Value: c.Number, StyleID: st.percent}
			case RatioCell:
				row[i] = excelize.Cell{Value: c.Number, StyleID: st.ratio}
			default:
				row[i] = c.Text
			}
			if i < len(widths) {
				widths[i] = max(widths[i], min(displayWidth(c.Text), 60))
			}
		}
		rows = append(rows, row)
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, float64(w+2)); err != nil {
			return err
		}
	}
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// displayWidth is how many columns s takes: a Chinese character two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2e80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
