package report

import (
	"html/template"
	"io"
)

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1>{{range .Summary}}<p>{{.}}</p>{{end}}</body></html>
`))

// writeHTML writes a printable page.
func writeHTML(w io.Writer, rep Report) error { return htmlPage.Execute(w, rep) }
