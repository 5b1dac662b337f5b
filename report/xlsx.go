package report

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// writeXLSX writes a workbook.
func writeXLSX(w io.Writer, rep Report) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "概况"); err != nil {
		return err
	}
	if err := f.SetCellStr("概况", "A1", rep.Title); err != nil {
		return err
	}
	_, err := f.WriteTo(w)
	return err
}
