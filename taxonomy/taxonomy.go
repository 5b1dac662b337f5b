// Package taxonomy owns the bureau's fixed vocabulary: the six categories of
// the labeling guide and the four emergency levels. Everything that shows a
// category or a level to a person takes its words from here.
package taxonomy

import (
	"fmt"
	"time"
)

// Category is one of the guide's six categories, by its key: the key is
// what rules, the store, metrics and the classify output write; "" is no
// category (not relevant).
type Category string

// Category keys.
const (
	Enrollment    Category = "enrollment"
	Treatment     Category = "treatment"
	Reimbursement Category = "reimbursement"
	Institution   Category = "institution"
	Policy        Category = "policy"
	System        Category = "system"
)

// Categories lists the keys in the guide's order.
var Categories = []Category{Enrollment, Treatment, Reimbursement, Institution, Policy, System}

var categoryNames = map[Category]string{
	Enrollment:    "参保服务",
	Treatment:     "就医购药",
	Reimbursement: "医保报销",
	Institution:   "定点机构管理",
	Policy:        "政策执行",
	System:        "系统技术",
}

// Valid reports whether c is one of the six categories.
func (c Category) Valid() bool {
	_, ok := categoryNames[c]
	return ok
}

// Name returns the Chinese name of c (无关 for none), or the key itself.
func (c Category) Name() string {
	if n, ok := categoryNames[c]; ok {
		return n
	}
	if c == "" {
		return "无关"
	}
	return string(c)
}

// CategoryKeys are the keys of Categories, for messages listing them.
func CategoryKeys() []string {
	out := make([]string, len(Categories))
	for i, c := range Categories {
		out[i] = string(c)
	}
	return out
}

// Level is an emergency level: 1 is the most severe (特别重大), 4 the
// least (一般); 0 means not relevant.
type Level int

// Levels.
const (
	LevelNone   Level = 0
	LevelI      Level = 1
	LevelII     Level = 2
	LevelIII    Level = 3
	LevelIV     Level = 4
	LowestLevel       = LevelIV
)

// Levels lists the levels of relevant items, most severe first.
var Levels = []Level{LevelI, LevelII, LevelIII, LevelIV}

var levelNames = [...]string{"无关", "特别重大", "重大", "较大", "一般"}
var levelRoman = [...]string{"", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"}
var levelColors = [...]string{"", "red", "orange", "yellow", "blue"}
var levelColorNames = [...]string{"", "红色", "橙色", "黄色", "蓝色"}

// Valid reports whether l is a level of a relevant item (1-4).
func (l Level) Valid() bool { return l >= LevelI && l <= LevelIV }

// Name returns 特别重大/重大/较大/一般 (or 无关 for 0).
func (l Level) Name() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("等级%d", int(l))
	}
	return levelNames[l]
}

// Label returns the full label such as "Ⅱ级 重大".
func (l Level) Label() string {
	if !l.Valid() {
		return l.Name()
	}
	return levelRoman[l] + "级 " + levelNames[l]
}

// Roman returns Ⅰ..Ⅳ.
func (l Level) Roman() string {
	if !l.Valid() {
		return ""
	}
	return levelRoman[l]
}

// Color returns the warning colour key (red, orange, yellow, blue).
func (l Level) Color() string {
	if !l.Valid() {
		return ""
	}
	return levelColors[l]
}

// ColorName returns 红色/橙色/黄色/蓝色.
func (l Level) ColorName() string {
	if !l.Valid() {
		return ""
	}
	return levelColorNames[l]
}

// IsMajor reports whether l requires an immediate emergency response (Ⅱ and Ⅰ).
func (l Level) IsMajor() bool { return l == LevelI || l == LevelII }

// Duration says d the way staff read it on a page or in an alert
// ("2天3小时", "23小时57分", "不到1分钟"), never as a Go duration.
func Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d天%d小时", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d小时%d分", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%d分钟", mins)
	default:
		return "不到1分钟"
	}
}

// Sentiment keys (labelling guide section 4), as the model, the classify
// output and the store write them.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Sentiments lists the keys in the guide's order.
var Sentiments = []string{Negative, Neutral, Positive}

// SentimentName is the Chinese name staff see for a sentiment key.
func SentimentName(key string) string {
	switch key {
	case Negative:
		return "负面"
	case Neutral:
		return "中性"
	case Positive:
		return "正面"
	}
	return key
}

// Who decided a grade, as the classify output and the store write it.
const (
	DecidedByRules = "rules"       // the model changed nothing in the rules' verdict
	DecidedByModel = "model"       // relevance, category and level all came from the model
	DecidedByBoth  = "rules+model" // the model changed part of the rules' verdict
	DecidedByStaff = "staff"       // a handler entered the post by hand (补录漏报)
)

// DecidedByName is the Chinese name staff see for who decided a grade.
func DecidedByName(key string) string {
	switch key {
	case DecidedByRules:
		return "规则"
	case DecidedByModel:
		return "模型"
	case DecidedByBoth:
		return "规则与模型"
	case DecidedByStaff:
		return "人工"
	}
	return key
}

// IsInformation reports whether a relevant post of this level and
// sentiment is 舆情信息 rather than an incident (labelling guide section 5):
// a neutral or positive 一般 post, such as an official announcement, praise
// or a plain question. Anything of level Ⅲ or above, and anything
// negative or of unknown sentiment, is an incident.
func IsInformation(level Level, sentiment string) bool {
	return level == LevelIV && (sentiment == Neutral || sentiment == Positive)
}

// Channels are the kinds of channel a source can be, as the labelled data
// name them in `platform`: what people write there and how (a 留言板
// letter, a news report, a short-video comment) tells the learned model
// much about a post's tone. A source's `channel` is one of these keys.
var Channels = []struct{ Key, Name string }{
	{"gov_message_board", "政府留言板"},
	{"leader_board", "领导信箱"},
	{"hotline_12345", "12345热线工单"},
	{"discuz_forum", "本地论坛"},
	{"tieba", "贴吧"},
	{"weibo", "微博"},
	{"wechat_group", "微信群/QQ群"},
	{"news_report", "新闻报道"},
	{"news_comment", "新闻评论"},
	{"toutiao_comment", "今日头条评论"},
	{"douyin", "抖音"},
	{"kuaishou", "快手"},
	{"bilibili_comment", "B站评论"},
	{"xiaohongshu", "小红书"},
	{"zhihu", "知乎"},
	{"review_site", "点评网站"},
}

// ChannelName is the Chinese name of a channel key ("" if unknown).
func ChannelName(key string) string {
	for _, c := range Channels {
		if c.Key == key {
			return c.Name
		}
	}
	return ""
}
