package report

import (
	"fmt"
	"io"
)

// writeDOCX writes a Word document. The docx branch replaces this file
// with the real writer.
func writeDOCX(io.Writer, Report) error {
	return fmt.Errorf("%w：Word（docx）版式尚未完成，请先选用 xlsx 或 html", ErrNoWriter)
}
