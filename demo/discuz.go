package demo

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// discuzBoard is one board (版块) of the Discuz! forum.
type discuzBoard struct {
	FID   int
	Key   string // board key in posts.yaml
	Name  string
	Intro string
}

var discuzBoards = []discuzBoard{
	{FID: 2, Key: boardBBS2, Name: "民生杂谈", Intro: "岚川百姓身边事，有话好好说"},
	{FID: 41, Key: boardBBS41, Name: "就医问药", Intro: "看病、买药、报销经验交流"},
}

// threadsPerPage is small so that the boards have a second page and the
// crawler's next-page handling is exercised.
const threadsPerPage = 10

// discuzTypes maps thread types (主题分类) to Discuz typeids.
var discuzTypes = map[string]int{"公告": 1, "求助": 2, "闲聊": 3, "吐槽": 4, "曝光": 5, "维权": 6, "转帖": 7, "招聘": 8}

func boardByFid(fid int) (discuzBoard, bool) {
	for _, b := range discuzBoards {
		if b.FID == fid {
			return b, true
		}
	}
	return discuzBoard{}, false
}

func boardByKey(key string) discuzBoard {
	for _, b := range discuzBoards {
		if b.Key == key {
			return b
		}
	}
	return discuzBoard{}
}

// uid derives a stable fake member id from a user name.
func uid(name string) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 1000 + int(h.Sum32()%89000)
}

const (
	listTime   = "2006-01-02 15:04"
	detailTime = "2006-01-02 15:04:05"
)

// serveDiscuz dispatches forum.php?mod=... like Discuz does.
func (f *Forum) serveDiscuz(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("mod") {
	case "forumdisplay":
		f.serveForumDisplay(w, r)
	case "viewthread":
		f.serveViewThread(w, r)
	case "":
		f.serveForumIndex(w, r)
	default:
		f.discuzMessage(w, http.StatusNotFound, "抱歉，您访问的页面不存在")
	}
}

type threadRow struct {
	TID        int
	FID        int
	Sticky     bool
	Type       string
	TypeID     int
	Title      string
	Author     string
	UID        int
	Posted     string
	Replies    int
	Views      int
	LastAuthor string
	LastPost   string
}

func (f *Forum) threadRow(b discuzBoard, p *post, t time.Time) threadRow {
	n := p.replies(t)
	last, lastAt := p.Author, p.postedAt
	if n > 0 {
		last = "岚川网友" + strconv.Itoa(uid(p.Key)%900+100)
		if len(p.Comments) > 0 {
			last = p.Comments[len(p.Comments)-1].Author
		}
		lastAt = p.postedAt.Add(p.Age * 2 / 3)
		if p.grown(t) > 0 {
			lastAt = t.Add(-13 * time.Second)
		}
	}
	return threadRow{
		TID: p.id, FID: b.FID, Sticky: p.Sticky, Type: p.Type, TypeID: discuzTypes[p.Type],
		Title: p.Title, Author: p.Author, UID: uid(p.Author),
		Posted: p.postedAt.In(cst).Format(listTime), Replies: n, Views: p.views(t),
		LastAuthor: last, LastPost: lastAt.In(cst).Format(listTime),
	}
}

func (f *Forum) serveForumDisplay(w http.ResponseWriter, r *http.Request) {
	t := f.now()
	q := r.URL.Query()
	fid, _ := strconv.Atoi(q.Get("fid"))
	b, ok := boardByFid(fid)
	if !ok {
		f.discuzMessage(w, http.StatusNotFound, "抱歉，指定的版块不存在")
		return
	}
	var sticky, normal []threadRow
	today := 0
	y, m, d := t.In(cst).Date()
	for _, p := range f.visiblePosts(b.Key, t) {
		row := f.threadRow(b, p, t)
		if p.Sticky {
			sticky = append(sticky, row)
			continue
		}
		normal = append(normal, row)
		if py, pm, pd := p.postedAt.In(cst).Date(); py == y && pm == m && pd == d {
			today++
		}
	}
	pages := max(1, (len(normal)+threadsPerPage-1)/threadsPerPage)
	page, _ := strconv.Atoi(q.Get("page"))
	page = min(max(page, 1), pages) // Discuz shows the last page for a page past the end
	lo, hi := (page-1)*threadsPerPage, min(page*threadsPerPage, len(normal))
	if page > 1 {
		sticky = nil // Discuz shows sticky threads on the first page only
	}
	var pageLinks []int
	for i := 1; i <= pages; i++ {
		pageLinks = append(pageLinks, i)
	}
	data := map[string]any{
		"Board": b, "Sticky": sticky, "Threads": normal[lo:hi], "Today": today, "Total": len(normal),
		"Page": page, "Pages": pages, "PageLinks": pageLinks,
		"Prev": page - 1, "Next": page + 1, "HasNext": page < pages,
		"Title": b.Name,
	}
	f.writeGBK(w, http.StatusOK, "forumdisplay", data)
}

type floor struct {
	PID    int
	Label  string
	Author string
	UID    int
	Posted string
	Full   string
	Lines  []string
}

func (f *Forum) serveViewThread(w http.ResponseWriter, r *http.Request) {
	t := f.now()
	tid, _ := strconv.Atoi(r.URL.Query().Get("tid"))
	var p *post
	for _, b := range discuzBoards {
		if p = f.lookup(b.Key, tid, t); p != nil {
			break
		}
	}
	if p == nil {
		f.discuzMessage(w, http.StatusNotFound, "抱歉，指定的主题不存在或已被删除或正在被审核")
		return
	}
	b := boardByKey(p.Board)
	labels := []string{"楼主", "沙发", "板凳", "地板"}
	pid := p.id*10 + 7
	floors := []floor{{
		PID: pid, Label: labels[0], Author: p.Author, UID: uid(p.Author),
		Posted: p.postedAt.In(cst).Format(listTime), Full: p.postedAt.In(cst).Format(detailTime),
		Lines: strings.Split(p.Body, "\n"),
	}}
	// Replies are spread over the time between posting and appearing.
	for i, c := range p.Comments {
		at := p.postedAt.Add(p.Age * time.Duration(i+1) / time.Duration(len(p.Comments)+1))
		label := fmt.Sprintf("%d#", i+2)
		if i+1 < len(labels) {
			label = labels[i+1]
		}
		floors = append(floors, floor{
			PID: pid + 3*(i+1) + i*i, Label: label, Author: c.Author, UID: uid(c.Author),
			Posted: at.In(cst).Format(listTime), Full: at.In(cst).Format(detailTime),
			Lines: strings.Split(c.Text, "\n"),
		})
	}
	data := map[string]any{
		"Board": b, "Post": f.threadRow(b, p, t), "Floors": floors,
		"Title": p.Title + " - " + b.Name,
	}
	f.writeGBK(w, http.StatusOK, "viewthread", data)
}

func (f *Forum) serveForumIndex(w http.ResponseWriter, _ *http.Request) {
	t := f.now()
	type boardInfo struct {
		Board   discuzBoard
		Threads int
		Posts   int
	}
	var boards []boardInfo
	for _, b := range discuzBoards {
		bi := boardInfo{Board: b}
		for _, p := range f.visiblePosts(b.Key, t) {
			bi.Threads++
			bi.Posts += 1 + p.replies(t)
		}
		boards = append(boards, bi)
	}
	f.writeGBK(w, http.StatusOK, "forumindex", map[string]any{"Boards": boards, "Title": "论坛"})
}

func (f *Forum) discuzMessage(w http.ResponseWriter, status int, msg string) {
	f.writeGBK(w, status, "message", map[string]any{"Message": msg, "Title": "提示信息"})
}

// writeGBK renders a Discuz page and sends it GBK-encoded with the charset
// declared only in <meta>, as many old boards do: a crawler that trusts the
// Content-Type header alone gets mojibake.
func (f *Forum) writeGBK(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := discuzTmpl.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "页面生成失败: "+err.Error(), http.StatusInternalServerError)
		return
	}
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		http.Error(w, "GBK 编码失败: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("X-Powered-By", "Discuz!")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

var discuzTmpl = template.Must(template.New("discuz").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).Parse(discuzTemplates))

const discuzTemplates = `
{{define "head"}}<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="gbk">
<title>{{.Title}} - 岚川论坛 - Powered by Discuz!</title>
<meta name="keywords" content="岚川论坛,{{.Title}}" />
<meta name="description" content="岚川论坛 - 岚川人自己的网上家园" />
<meta name="generator" content="Discuz! X3.4" />
<meta name="author" content="Discuz! Team and Comsenz UI Team" />
<meta name="copyright" content="2001-2017 Comsenz Inc." />
<meta name="MSSmartTagsPreventParsing" content="True" />
<meta http-equiv="MSThemeCompatible" content="Yes" />
<style type="text/css">
body{font:12px/1.5 "Microsoft YaHei",SimSun,sans-serif;background:#f3f6f9;margin:0;color:#444}
a{color:#333;text-decoration:none}a:hover{text-decoration:underline}
.wp{width:960px;margin:0 auto}#hd{background:#2b7acd;color:#fff;padding:12px 0}#hd a{color:#fff}
#hd h2{margin:0;font-size:22px}#nv{margin-top:6px}#nv a{margin-right:18px}
#pt{margin:10px auto}.bm{background:#fff;border:1px solid #cdcdcd;margin-bottom:10px}
.bm_h{background:#f2f2f2;padding:6px 10px;border-bottom:1px solid #cdcdcd}h1.xs2{font-size:14px;margin:0}
table{width:100%;border-collapse:collapse}#threadlisttableid td,#threadlisttableid th{padding:6px 4px;border-bottom:1px dashed #ddd;text-align:left;font-weight:normal}
td.icn{width:25px}td.by{width:120px}td.num{width:70px}td.num em{display:block;color:#999;font-style:normal}
td.by em{display:block;color:#999;font-style:normal}.xi1{color:#f60}.xi2{color:#336699}
.pg a,.pg strong{display:inline-block;border:1px solid #ccc;padding:0 6px;margin-right:3px;background:#fff}.pg strong{background:#e5edf2}
.pls{width:160px;background:#e5edf2;vertical-align:top;padding:10px}.plc{padding:10px;vertical-align:top}
.t_f{font-size:14px;line-height:1.8}#postlist>div{border-bottom:4px solid #c2d5e3}.authi{color:#999}
#ft{color:#999;text-align:center;padding:20px 0}
</style>
</head>
<body id="nv_forum">
<div id="hd"><div class="wp"><h2><a href="./forum.php" title="岚川论坛">岚川论坛</a></h2>
<div id="nv"><a href="forum.php">论坛</a><a href="forum.php?mod=forumdisplay&amp;fid=2">民生杂谈</a><a href="forum.php?mod=forumdisplay&amp;fid=41">就医问药</a><a href="member.php?mod=logging&amp;action=login">登录</a><a href="member.php?mod=register">立即注册</a></div></div></div>
{{end}}

{{define "foot"}}
<div id="ft" class="wp cl">Powered by <strong>Discuz!</strong> <em>X3.4</em> &copy; 2001-2017 Comsenz Inc.<br />岚川论坛 岚ICP备00000000号（演示站点，内容均为虚构）</div>
</body>
</html>{{end}}

{{define "forumdisplay"}}{{template "head" .}}
<div id="pt" class="bm cl wp"><div class="z"><a href="./" class="nvhm" title="首页">岚川论坛</a> <em>&rsaquo;</em> <a href="forum.php">论坛</a> <em>&rsaquo;</em> <a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}">{{.Board.Name}}</a></div></div>
<div id="ct" class="wp cl">
<div class="bm bml pbn"><div class="bm_h cl"><h1 class="xs2"><a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}">{{.Board.Name}}</a> <span class="xs1 xw0 i">今日: <strong class="xi1">{{.Today}}</strong><span class="pipe">|</span>主题: <strong class="xi1">{{.Total}}</strong></span></h1></div>
<div class="bm_c cl pbn"><div>版块介绍: {{.Board.Intro}}</div></div></div>
<div id="pgt" class="bm bw0 pgs cl">{{template "pager" .}}<a id="newspecial" href="forum.php?mod=post&action=newthread&fid={{.Board.FID}}" title="发新帖">发新帖</a></div>
<div id="threadlist" class="tl bm bmw">
<div class="th"><table cellspacing="0" cellpadding="0"><tr><th colspan="2">标题</th><td class="by">作者</td><td class="num">回复/查看</td><td class="by">最后发表</td></tr></table></div>
<div class="bm_c">
<form method="post" autocomplete="off" name="moderate" id="moderate" action="forum.php?mod=topicadmin&action=moderate&fid={{.Board.FID}}&infloat=yes&nopost=yes">
<table summary="forum_{{.Board.FID}}" cellspacing="0" cellpadding="0" id="threadlisttableid">
{{range .Sticky}}<tbody id="stickthread_{{.TID}}">
{{template "row" .}}
</tbody>
{{end}}<tbody id="separatorline"><tr class="ts"><td>&nbsp;</td><th><a href="javascript:;" onclick="checkForumnew_btn('{{$.Board.FID}}')" title="查看更新" class="forumrefresh">版块主题</a></th><td>&nbsp;</td><td>&nbsp;</td><td>&nbsp;</td></tr></tbody>
{{range .Threads}}<tbody id="normalthread_{{.TID}}">
{{template "row" .}}
</tbody>
{{end}}</table>
</form>
</div>
</div>
<div class="bm bw0 pgs cl"><span id="fd_page_bottom">{{template "pager" .}}</span></div>
</div>
{{template "foot" .}}{{end}}

{{define "row"}}<tr>
<td class="icn"><a href="forum.php?mod=viewthread&tid={{.TID}}" title="{{if .Sticky}}全局置顶主题{{else}}有新回复{{end}} - 新窗口打开" target="_blank"><img src="static/image/common/{{if .Sticky}}pin_3.gif{{else}}folder_new.gif{{end}}" /></a></td>
<th class="{{if .Sticky}}common{{else}}new{{end}}">
<a class="tdpre y" href="javascript:void(0);" onclick="previewThread('{{.TID}}', 'normalthread_{{.TID}}');">预览</a>
{{if .Type}}<em>[<a href="forum.php?mod=forumdisplay&fid={{.FID}}&filter=typeid&typeid={{.TypeID}}">{{.Type}}</a>]</em> {{end}}<a href="forum.php?mod=viewthread&tid={{.TID}}" onclick="atarget(this)" class="s xst">{{.Title}}</a>
</th>
<td class="by">
<cite><a href="home.php?mod=space&uid={{.UID}}" c="1">{{.Author}}</a></cite>
<em><span>{{.Posted}}</span></em>
</td>
<td class="num"><a href="forum.php?mod=viewthread&tid={{.TID}}" class="xi2">{{.Replies}}</a><em>{{.Views}}</em></td>
<td class="by">
<cite><a href="home.php?mod=space&username={{.LastAuthor}}" c="1">{{.LastAuthor}}</a></cite>
<em><a href="forum.php?mod=redirect&tid={{.TID}}&goto=lastpost#lastpost">{{.LastPost}}</a></em>
</td>
</tr>{{end}}

{{define "pager"}}{{if gt .Pages 1}}<div class="pg">{{if gt .Page 1}}<a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}&page={{.Prev}}" class="prev">&nbsp;&nbsp;</a>{{end}}{{range .PageLinks}}{{if eq . $.Page}}<strong>{{.}}</strong>{{else}}<a href="forum.php?mod=forumdisplay&fid={{$.Board.FID}}&page={{.}}">{{.}}</a>{{end}}{{end}}<label><input type="text" name="custompage" class="px" size="2" title="输入页码，按回车快速跳转" value="{{.Page}}" /><span title="共 {{.Pages}} 页"> / {{.Pages}} 页</span></label>{{if .HasNext}}<a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}&page={{.Next}}" class="nxt">下一页</a>{{end}}</div>{{end}}{{end}}

{{define "viewthread"}}{{template "head" .}}
<div id="pt" class="bm cl wp"><div class="z"><a href="./" class="nvhm" title="首页">岚川论坛</a> <em>&rsaquo;</em> <a href="forum.php">论坛</a> <em>&rsaquo;</em> <a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}">{{.Board.Name}}</a> <em>&rsaquo;</em> <a href="forum.php?mod=viewthread&tid={{.Post.TID}}">{{.Post.Title}}</a></div></div>
<div id="ct" class="wp cl">
<div id="pgt" class="pgs mbm cl"><div class="pgt"></div><span class="y pgb"><a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}">返回列表</a></span></div>
<div id="postlist" class="pl bm">
<table cellspacing="0" cellpadding="0">
<tr>
<td class="pls ptn pbn"><div class="hm ptn"><span class="xg1">查看:</span> <span class="xi1">{{.Post.Views}}</span><span class="pipe">|</span><span class="xg1">回复:</span> <span class="xi1">{{.Post.Replies}}</span></div></td>
<td class="plc ptm pbn vwthd"><h1 class="ts">{{if .Post.Type}}<a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}&filter=typeid&typeid={{.Post.TypeID}}">[{{.Post.Type}}]</a> {{end}}<span id="thread_subject">{{.Post.Title}}</span></h1></td>
</tr>
</table>
{{range .Floors}}<div id="post_{{.PID}}">
<table id="pid{{.PID}}" class="plhin" summary="pid{{.PID}}" cellspacing="0" cellpadding="0">
<tr>
<td class="pls" rowspan="2"><div class="pi"><div class="authi"><a href="home.php?mod=space&uid={{.UID}}" target="_blank" class="xw1">{{.Author}}</a></div></div></td>
<td class="plc">
<div class="pi"><strong><a href="forum.php?mod=redirect&goto=findpost&ptid={{$.Post.TID}}&pid={{.PID}}" id="postnum{{.PID}}">{{.Label}}</a></strong>
<div class="pti"><div class="authi"><img class="authicn vm" id="authicon{{.PID}}" src="static/image/common/online_member.gif" /> <em id="authorposton{{.PID}}">发表于 <span title="{{.Full}}">{{.Posted}}</span></em><span class="pipe">|</span><a href="forum.php?mod=viewthread&tid={{$.Post.TID}}&page=1&authorid={{.UID}}" rel="nofollow">只看该作者</a></div></div></div>
<div class="pct"><div class="pcb"><div class="t_fsz">
<table cellspacing="0" cellpadding="0"><tr><td class="t_f" id="postmessage_{{.PID}}">
{{range $i, $l := .Lines}}{{if $i}}<br />
{{end}}{{$l}}{{end}}</td></tr></table>
</div></div></div>
</td></tr>
</table>
</div>
{{end}}<div id="postlistreply" class="pl"><div id="post_new" class="viewthread_table" style="display: none"></div></div>
</div>
</div>
{{template "foot" .}}{{end}}

{{define "forumindex"}}{{template "head" .}}
<div id="ct" class="wp cl"><div class="bm bmw"><div class="bm_h cl"><h2>岚川论坛</h2></div>
<table cellspacing="0" cellpadding="0" class="fl_tb">
{{range .Boards}}<tr><td class="fl_g"><dl><dt><a href="forum.php?mod=forumdisplay&fid={{.Board.FID}}">{{.Board.Name}}</a></dt><dd>{{.Board.Intro}}</dd><dd><em>主题: {{.Threads}}</em>, <em>帖数: {{.Posts}}</em></dd></dl></td></tr>
{{end}}</table></div></div>
{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}
<div id="ct" class="wp cl w"><div class="nfl"><div class="f_c altw"><div id="messagetext" class="alert_error"><p>{{.Message}}</p><p class="alert_btnleft"><a href="javascript:history.back()">[ 点击这里返回上一页 ]</a></p></div></div></div></div>
{{template "foot" .}}{{end}}
`
