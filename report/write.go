package report

import (
	"errors"
	"fmt"
	"io"
)

// Format is a file format of a report.
type Format string

// Formats.
const (
	HTML Format = "html"
	DOCX Format = "docx"
	XLSX Format = "xlsx"
)

// Formats are the formats in the order they are offered.
var Formats = []Format{DOCX, XLSX, HTML}

// ParseFormat reads a format as the CLI and the console name it.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("未知报告格式 %q（可选 docx、xlsx、html）", s)
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	switch f {
	case HTML:
		return "text/html; charset=utf-8"
	case DOCX:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

// Ext is the format's file name extension, with its dot.
func (f Format) Ext() string { return "." + string(f) }

// writers are the writers of each format: the one place a format plugs
// in. Each lives in its own file (html.go, xlsx.go, docx.go).
var writers = map[Format]func(io.Writer, Report) error{
	HTML: writeHTML,
	XLSX: writeXLSX,
	DOCX: writeDOCX,
}

// ErrNoWriter reports a format no writer is built in for yet.
var ErrNoWriter = errors.New("暂不支持该报告格式")

// Write writes rep in format f.
func Write(w io.Writer, rep Report, f Format) error {
	write, ok := writers[f]
	if !ok {
		return fmt.Errorf("%w：%s", ErrNoWriter, f)
	}
	if err := write(w, rep); err != nil {
		return fmt.Errorf("写出%s报告（%s）: %w", rep.Kind.Title(), f, err)
	}
	return nil
}
