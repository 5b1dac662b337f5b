package demo

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// messagesPerPage keeps the message board at two pages by the end of the
// release, like the forum.
const messagesPerPage = 10

type govRow struct {
	ID       int
	Title    string
	Author   string
	Dept     string
	Date     string
	Posted   string
	Answered bool
	Lines    []string
	Answer   []string
	AnswerAt string
}

func (f *Forum) govRow(p *post, t time.Time) govRow {
	r := govRow{
		ID: p.id, Title: p.Title, Author: p.Author, Dept: p.Dept,
		Date:   p.postedAt.In(cst).Format("2006-01-02"),
		Posted: p.postedAt.In(cst).Format(detailTime),
		Lines:  strings.Split(p.Body, "\n"),
	}
	if p.answered(t) {
		r.Answered = true
		r.Answer = strings.Split(p.Answer, "\n")
		r.AnswerAt = p.postedAt.Add(p.AnswerAfter).In(cst).Format(detailTime)
	}
	return r
}

func (f *Forum) serveGovList(w http.ResponseWriter, r *http.Request) {
	t := f.now()
	var rows []govRow
	answered := 0
	for _, p := range f.visiblePosts(boardGov, t) {
		row := f.govRow(p, t)
		if row.Answered {
			answered++
		}
		rows = append(rows, row)
	}
	pages := max(1, (len(rows)+messagesPerPage-1)/messagesPerPage)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 || page > pages {
		page = 1
	}
	lo, hi := (page-1)*messagesPerPage, min(page*messagesPerPage, len(rows))
	var pageLinks []int
	for i := 1; i <= pages; i++ {
		pageLinks = append(pageLinks, i)
	}
	writeUTF8(w, http.StatusOK, govTmpl, "list", map[string]any{
		"Rows": rows[lo:hi], "Total": len(rows), "Answered": answered,
		"Page": page, "Pages": pages, "PageLinks": pageLinks, "Next": page + 1, "HasNext": page < pages,
	})
}

func (f *Forum) serveGovShow(w http.ResponseWriter, r *http.Request) {
	t := f.now()
	id, _ := strconv.Atoi(r.URL.Query().Get("id"))
	p := f.lookup(boardGov, id, t)
	if p == nil {
		writeUTF8(w, http.StatusNotFound, govTmpl, "notfound", nil)
		return
	}
	writeUTF8(w, http.StatusOK, govTmpl, "show", f.govRow(p, t))
}

// writeUTF8 renders a page of the government or news site, which declare
// their charset properly.
func writeUTF8(w http.ResponseWriter, status int, tmpl *template.Template, name string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "页面生成失败: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var govTmpl = template.Must(template.New("gov").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} - 岚川市12345政务服务便民热线</title>
<style>
body{margin:0;font:14px/1.7 "Microsoft YaHei",sans-serif;color:#333;background:#f5f5f5}
.gov-head{background:#c8161d;color:#fff;padding:14px 0}.gov-head h1{margin:0;font-size:22px}.wrap{width:1000px;margin:0 auto}
.crumb{margin:10px 0;color:#666}.box{background:#fff;padding:16px 20px;margin-bottom:16px}
table.ly-list{width:100%;border-collapse:collapse}table.ly-list th{background:#f0f0f0}table.ly-list td,table.ly-list th{border-bottom:1px solid #e5e5e5;padding:8px;text-align:left}
.st-done{color:#2a8f2a}.st-wait{color:#c8161d}.pagination a,.pagination span{margin-right:8px}
.ly-meta span{margin-right:18px;color:#666}.ly-content{margin:16px 0;font-size:15px}.ly-reply{background:#f7f9fc;border-left:4px solid #2b6cb0;padding:10px 16px}
.gov-foot{text-align:center;color:#999;padding:20px 0;font-size:12px}
</style>
</head>
<body>
<div class="gov-head"><div class="wrap"><h1>岚川市人民政府 · 政民互动</h1><div>12345政务服务便民热线 · 市民留言板</div></div></div>
<div class="wrap">
{{end}}
{{define "foot"}}</div>
<div class="gov-foot">主办：岚川市人民政府办公室　承办：岚川市12345政务服务便民热线中心<br>本站为 yuqing 演示站点，内容均为虚构</div>
</body>
</html>{{end}}

{{define "list"}}{{template "head" "市民留言"}}
<div class="crumb">当前位置：首页 &gt; 政民互动 &gt; 市民留言</div>
<div class="box">
<div class="ly-tools">共 <b>{{.Total}}</b> 条留言，已回复 <b>{{.Answered}}</b> 条</div>
<table class="ly-list">
<thead><tr><th>留言编号</th><th>留言标题</th><th>受理单位</th><th>留言时间</th><th>办理状态</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="ly-row">
<td class="ly-no">LC{{.ID}}</td>
<td class="ly-title"><a href="show?id={{.ID}}" title="{{.Title}}" target="_blank">{{.Title}}</a></td>
<td class="ly-dept">{{.Dept}}</td>
<td class="ly-date">{{.Date}}</td>
<td class="ly-status">{{if .Answered}}<span class="st-done">已回复</span>{{else}}<span class="st-wait">未回复</span>{{end}}</td>
</tr>
{{end}}</tbody>
</table>
<div class="pagination">共 {{.Pages}} 页 {{range .PageLinks}}{{if eq . $.Page}}<span class="cur">{{.}}</span>{{else}}<a href="list?page={{.}}">{{.}}</a>{{end}} {{end}}{{if .HasNext}}<a href="list?page={{.Next}}" class="next-page">下一页</a>{{end}}</div>
</div>
{{template "foot"}}{{end}}

{{define "show"}}{{template "head" .Title}}
<div class="crumb">当前位置：首页 &gt; 政民互动 &gt; <a href="list">市民留言</a> &gt; 留言详情</div>
<div class="box ly-detail">
<h1 class="ly-subject">{{.Title}}</h1>
<div class="ly-meta"><span>留言编号：LC{{.ID}}</span><span>留言人：<span class="ly-author">{{.Author}}</span></span><span>留言时间：<span class="ly-time">{{.Posted}}</span></span><span>受理单位：{{.Dept}}</span><span>办理状态：{{if .Answered}}已回复{{else}}办理中{{end}}</span></div>
<div class="ly-content">
{{range .Lines}}<p>{{.}}</p>
{{end}}</div>
{{if .Answered}}<div class="ly-reply">
<h3>答复内容</h3>
<div class="reply-meta">答复单位：{{.Dept}}　答复时间：{{.AnswerAt}}</div>
<div class="reply-content">{{range .Answer}}<p>{{.}}</p>{{end}}</div>
</div>{{else}}<div class="ly-reply ly-noreply">该留言正在办理中，请耐心等待。</div>{{end}}
</div>
{{template "foot"}}{{end}}

{{define "notfound"}}{{template "head" "留言不存在"}}<div class="box">该留言不存在或尚未公开。</div>{{template "foot"}}{{end}}
`))

// ---------------------------------------------------------------- news

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language"`
	LastBuildDate string    `xml:"lastBuildDate"`
	TTL           int       `xml:"ttl"`
	Items         []rssItem `xml:"item"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	Description string  `xml:"description"`
	Category    string  `xml:"category"`
	PubDate     string  `xml:"pubDate"`
	GUID        rssGUID `xml:"guid"`
}

// serveRSS serves the news feed with Last-Modified, answering conditional
// requests with 304 as real feeds do. The date is when the newest item became
// visible, not its pubDate, so a newly released item is never hidden.
func (f *Forum) serveRSS(w http.ResponseWriter, r *http.Request) {
	t := f.now()
	items := f.visiblePosts(boardNews, t)
	modified := f.start
	for _, p := range items {
		if p.visibleAt.After(modified) {
			modified = p.visibleAt
		}
	}
	modified = modified.Truncate(time.Second)
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !modified.After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	base := "http://" + r.Host
	doc := rssDoc{Version: "2.0", Channel: rssChannel{
		Title:         "岚川新闻网 · 民生",
		Link:          base + "/news/",
		Description:   "岚川新闻网民生频道最新报道",
		Language:      "zh-cn",
		LastBuildDate: t.In(cst).Format(time.RFC1123Z),
		TTL:           10,
	}}
	for _, p := range items {
		link := base + postPath(p)
		doc.Channel.Items = append(doc.Channel.Items, rssItem{
			Title: p.Title, Link: link, Description: p.Body, Category: "民生",
			PubDate: p.postedAt.In(cst).Format(time.RFC1123Z),
			GUID:    rssGUID{IsPermaLink: "true", Value: link},
		})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		http.Error(w, "RSS 生成失败: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

func (f *Forum) serveArticle(w http.ResponseWriter, r *http.Request) {
	t := f.now()
	id, _ := strconv.Atoi(strings.TrimSuffix(r.PathValue("file"), ".html"))
	p := f.lookup(boardNews, id, t)
	if p == nil {
		writeUTF8(w, http.StatusNotFound, newsTmpl, "notfound", nil)
		return
	}
	writeUTF8(w, http.StatusOK, newsTmpl, "article", map[string]any{
		"Title": p.Title, "Source": p.Author, "Time": p.postedAt.In(cst).Format("2006-01-02 15:04"),
		"Lines": strings.Split(p.Body, "\n"),
	})
}

var newsTmpl = template.Must(template.New("news").Parse(`
{{define "article"}}<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}_岚川新闻网</title>
<style>body{font:16px/1.8 "Microsoft YaHei",sans-serif;width:760px;margin:20px auto;color:#222}.info{color:#888;font-size:13px}</style></head>
<body>
<div class="nav"><a href="/news/rss.xml">岚川新闻网</a> &gt; 民生</div>
<h1 class="article-title">{{.Title}}</h1>
<div class="info"><span class="pubtime">{{.Time}}</span>　来源：<span class="source">{{.Source}}</span></div>
<div class="article-content">{{range .Lines}}<p>{{.}}</p>{{end}}</div>
<div class="info">（演示站点，内容均为虚构）</div>
</body></html>{{end}}
{{define "notfound"}}<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>页面不存在_岚川新闻网</title></head><body>您访问的页面不存在。</body></html>{{end}}
`))

func (f *Forum) serveIndex(w http.ResponseWriter, _ *http.Request) {
	writeUTF8(w, http.StatusOK, indexTmpl, "index", nil)
}

var indexTmpl = template.Must(template.New("index").Parse(`{{define "index"}}<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>岚川市本地站点（yuqing 演示）</title>
<style>body{font:15px/1.8 "Microsoft YaHei",sans-serif;width:760px;margin:30px auto;color:#222}</style></head>
<body>
<h1>岚川市本地站点（演示）</h1>
<p>以下站点由 <code>yuqing demo</code> 在本机回环地址上模拟，城市、机构、人物、电话和证件号码均为虚构。帖子在演示开始后约两分钟内陆续出现。</p>
<ul>
<li><a href="/forum.php?mod=forumdisplay&fid=2">岚川论坛 · 民生杂谈</a>（Discuz! X3.4，GBK 编码）</li>
<li><a href="/forum.php?mod=forumdisplay&fid=41">岚川论坛 · 就医问药</a>（Discuz! X3.4，GBK 编码）</li>
<li><a href="/gov/liuyan/list">岚川市12345市民留言板</a></li>
<li><a href="/news/rss.xml">岚川新闻网 · 民生 RSS</a></li>
<li><a href="/robots.txt">robots.txt</a></li>
</ul>
</body></html>{{end}}`))
