package report

import (
	"html/template"
	"io"
)

// The printable page: one self-contained file (no script, no font, no
// image fetched; the charts are inline SVG), in Chinese, that reads on a
// 360 px phone and prints on A4.

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"svg":      func(c Chart) template.HTML { return template.HTML(c.SVG()) }, // escaped by package chart
	"dateTime": DateTime,
	"numeric":  func(c Cell) bool { return c.Kind != TextCell },
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{margin:0 auto;max-width:960px;padding:16px;color:#1f2933;background:#fff;line-height:1.7;
font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;font-size:15px}
h1{font-size:22px;text-align:center;margin:8px 0}
h2{font-size:17px;border-left:4px solid #0b4f8a;padding-left:8px;margin:24px 0 8px}
.meta{text-align:center;color:#52606d;font-size:13px;margin:0 0 16px}
.summary p{text-indent:2em;margin:6px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
.charts figure{margin:0;border:1px solid #e4e7eb;padding:6px}
.charts svg{width:100%;height:auto;display:block}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #cbd2d9;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f4f8;white-space:nowrap}
td.n{text-align:right;white-space:nowrap}
td:first-child{white-space:nowrap}
.empty{color:#52606d}
footer{margin-top:24px;color:#52606d;font-size:12px;text-align:center}
@media (max-width:480px){body{padding:8px;font-size:14px}h1{font-size:18px}}
@media print{
@page{size:A4;margin:15mm}
body{max-width:none;padding:0;font-size:11pt}
.scroll{overflow:visible}
h2{break-after:avoid}
figure,tr{break-inside:avoid}
.charts{grid-template-columns:1fr 1fr}
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">统计时段：{{.Period.Name}}{{if not .Period.Until.IsZero}}（截至 {{dateTime .Period.Until}}）{{end}} · 生成时间：{{dateTime .BuiltAt}}</p>
<section class="summary">
<h2>综述</h2>
{{range .Summary}}<p>{{.}}</p>
{{end}}</section>
{{with .Charts}}<section>
<h2>图表</h2>
<div class="charts">
{{range .}}<figure>{{svg .}}</figure>
{{end}}</div>
</section>
{{end}}{{range .Tables}}<section>
<h2>{{.Name}}</h2>
{{if .Rows}}<div class="scroll"><table>
<thead><tr>{{range .Columns}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if numeric .}} class="n"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{else}}<p class="empty">本期无数据。</p>
{{end}}</section>
{{end}}<footer>本报告由医保舆情监测系统生成，个人信息已脱敏。</footer>
</body>
</html>
`))

// htmlReport is what the page template lays out.
type htmlReport struct {
	Report
	Tables []Table
}

// writeHTML writes the printable page.
func writeHTML(w io.Writer, rep Report) error {
	return htmlPage.Execute(w, htmlReport{Report: rep, Tables: rep.Tables()})
}
