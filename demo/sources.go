package demo

import "strings"

// sourcesTemplate is configs/sources.yaml for the sample sites; {{base}} is
// replaced by the loopback origin the demo listens on.
const sourcesTemplate = `# 数据源配置（yuqing demo 自动生成）
# 以下站点均为 yuqing demo 在本机回环地址上模拟的岚川市本地网站，内容虚构。
# 接入真实站点时，可参照本文件的写法为每个论坛、留言板、新闻源各写一段。
#
# 字段说明：
#   name       数据源标识，只能用小写字母、数字、- 和 _，不可重复
#   title      在控制台显示的中文名称
#   kind       html（列表页 + 详情页，用 CSS 选择器抽取）或 rss
#   url        入口地址（列表第一页或 RSS 地址）
#   interval   抓取间隔，最短 1m；演示环境用最短值，生产环境建议 5m 以上
#   delay      同一站点两次请求之间的间隔（礼貌抓取），最短 500ms
#   encoding   页面编码：auto（自动识别）| utf-8 | gb18030（GBK/GB2312 站点用它）
#   weight     来源权重，影响热度计算
#   channel    渠道类型（论坛 discuz_forum、政府留言板 gov_message_board、新闻报道 news_report 等），
#              学习模型据此区分同样的话在投诉信里和新闻里的语气
#   pages      每次最多翻几页列表
#   max_items  每次最多抓取多少条
#   list       列表页选择器：item 每条帖子，link 详情链接，其余为可选字段
#   detail     详情页选择器：body 必填，其余可选
sources:
  # Discuz! X3.4 论坛。该站只在 <meta charset="gbk"> 里声明编码，响应头不带 charset；
  # auto 会读取 <meta> 并校验解码结果。也可以显式写 gb18030（GBK 的超集）。
  - name: lanchuan-bbs
    title: 岚川论坛·民生杂谈
    kind: html
    channel: discuz_forum
    url: {{base}}/forum.php?mod=forumdisplay&fid=2
    interval: 1m
    delay: 500ms
    encoding: auto
    weight: 1.0
    pages: 3
    max_items: 50
    list:
      # 置顶帖（stickthread_）是版规公告，只抓普通主题
      item: "tbody[id^=normalthread]"
      link: "a.xst"
      title: "a.xst"
      time: "td.by em span"
      replies: "td.num a.xi2"
      views: "td.num em"
      # 每行有两个 td.by（作者、最后回复人），取第一个
      author: "td.by:nth-of-type(2) cite a"
      next: "a.nxt"
    detail:
      title: "#thread_subject"
      # 只取楼主的一楼，不把回帖混进正文
      body: "div#postlist > div[id^=post_]:first-of-type td[id^=postmessage]"
      time: "div#postlist > div[id^=post_]:first-of-type em[id^=authorposton] span"
      author: "div#postlist > div[id^=post_]:first-of-type td.pls div.authi a.xw1"

  - name: lanchuan-bbs-health
    title: 岚川论坛·就医问药
    kind: html
    channel: discuz_forum
    url: {{base}}/forum.php?mod=forumdisplay&fid=41
    interval: 1m
    delay: 500ms
    encoding: gb18030
    weight: 1.0
    pages: 3
    max_items: 50
    list:
      item: "tbody[id^=normalthread]"
      link: "a.xst"
      title: "a.xst"
      time: "td.by em span"
      replies: "td.num a.xi2"
      views: "td.num em"
      author: "td.by:nth-of-type(2) cite a"
      next: "a.nxt"
    detail:
      title: "#thread_subject"
      body: "div#postlist > div[id^=post_]:first-of-type td[id^=postmessage]"
      time: "div#postlist > div[id^=post_]:first-of-type em[id^=authorposton] span"
      author: "div#postlist > div[id^=post_]:first-of-type td.pls div.authi a.xw1"

  # 12345 市民留言板（UTF-8）。列表只有日期，精确到秒的留言时间在详情页；
  # 正文只取留言内容，不含部门答复。
  - name: lanchuan-12345
    title: 岚川市12345市民留言板
    kind: html
    channel: gov_message_board
    url: {{base}}/gov/liuyan/list
    interval: 1m
    delay: 500ms
    encoding: utf-8
    weight: 1.0
    pages: 3
    max_items: 50
    list:
      item: "table.ly-list tr.ly-row"
      link: "td.ly-title a"
      title: "td.ly-title a"
      time: "td.ly-date"
      next: "a.next-page"
    detail:
      title: "h1.ly-subject"
      body: "div.ly-content"
      time: "span.ly-time"
      author: "span.ly-author"

  # 新闻网 RSS 2.0（UTF-8），正文取自 <description>。
  - name: lanchuan-news
    title: 岚川新闻网·民生
    kind: rss
    channel: news_report
    url: {{base}}/news/rss.xml
    interval: 1m
    delay: 500ms
    encoding: auto
    weight: 1.0
    max_items: 50
`

// SourcesYAML returns a complete configs/sources.yaml document (Chinese
// comments) describing the sample sites, with all URLs under baseURL (e.g.
// "http://127.0.0.1:38211").
func SourcesYAML(baseURL string) []byte {
	return []byte(strings.ReplaceAll(sourcesTemplate, "{{base}}", strings.TrimRight(baseURL, "/")))
}
