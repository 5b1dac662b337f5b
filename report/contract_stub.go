package report

// TEMPORARY: the contract of report-api.md until the reportdoc branch is
// merged (this file is deleted by that merge).

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"time"
)

type Kind string

const (
	Daily   Kind = "daily"
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
	Special Kind = "incident"
)

func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case Daily, Weekly, Monthly, Special:
		return k, nil
	}
	return "", fmt.Errorf("未知的报告种类 %q", s)
}

func (k Kind) Title() string {
	return map[Kind]string{Daily: "日报", Weekly: "周报", Monthly: "月报", Special: "专报"}[k]
}

type Request struct {
	Kind     Kind
	Date     time.Time
	Incident string
	Now      time.Time
}

type Report struct {
	Kind    Kind
	Title   string
	Period  Period
	BuiltAt time.Time
	Summary []string
}


func Build(ctx context.Context, r Reader, req Request, o Options) (Report, error) {
	loc := req.Date.Location()
	y, m, d := req.Date.In(loc).Date()
	p := Period{From: time.Date(y, m, d, 0, 0, 0, 0, loc), Days: 1}
	switch req.Kind {
	case Weekly:
		p.From = p.From.AddDate(0, 0, -((int(p.From.Weekday()) + 6) % 7))
		p.Days = 7
	case Monthly:
		p.From = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		p.Days = p.From.AddDate(0, 1, 0).YearDay() - p.From.YearDay()
	}
	return Report{Kind: req.Kind, Title: "医保舆情" + req.Kind.Title() + "（" + p.From.Format("2006年1月2日") + "）",
		Period: p, BuiltAt: req.Now, Summary: []string{"本期共监测到医保相关舆情信息0条。"}}, nil
}

type Format string

const (
	HTML Format = "html"
	DOCX Format = "docx"
	XLSX Format = "xlsx"
)

func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case HTML, DOCX, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("未知的报告格式 %q", s)
}

func (f Format) ContentType() string {
	return map[Format]string{HTML: "text/html; charset=utf-8",
		DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[f]
}

func (f Format) Ext() string { return "." + string(f) }

var stubHTML = template.Must(template.New("r").Parse(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{{.Title}}</title><h1>{{.Title}}</h1>{{range .Summary}}<p>{{.}}</p>{{end}}</html>`))

func Write(w io.Writer, rep Report, f Format) error {
	switch f {
	case HTML:
		return stubHTML.Execute(w, rep)
	case XLSX:
		return json.NewEncoder(w).Encode(rep)
	}
	return fmt.Errorf("尚不支持 %s 格式", f)
}
