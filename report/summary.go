package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The summary (综述): paragraphs written from a report's figures, the
// way a bureau's staff would write them by hand.

// summarize writes the summary of a day's, week's or month's report.
func summarize(rep Report) []string {
	f := rep.Figures
	var out []string

	var b strings.Builder
	fmt.Fprintf(&b, "%s共监测到医保相关舆情信息%d条", periodWord(rep), f.Relevant)
	b.WriteString(change(f.Relevant, f.Previous.Relevant))
	if f.Relevant > 0 {
		fmt.Fprintf(&b, "；其中负面%d条，占%s", f.Negative, Percent(float64(f.Negative)/float64(f.Relevant)))
	}
	fmt.Fprintf(&b, "；共采集各类信息%d条。", f.Collected)
	out = append(out, b.String())

	b.Reset()
	if n := f.NewIncidents[0]; n == 0 {
		b.WriteString("本期未新增舆情事件")
	} else {
		fmt.Fprintf(&b, "新增事件%d起", n)
		var levels []string
		for _, l := range taxonomy.Levels {
			if c := f.NewIncidents[l]; c > 0 {
				levels = append(levels, fmt.Sprintf("%s（%s级）%d起", l.Name(), l.Roman(), c))
			}
		}
		if len(levels) > 0 {
			b.WriteString("，其中" + strings.Join(levels, "、"))
		}
	}
	b.WriteString(change(f.NewIncidents[0], f.PreviousIncidents))
	fmt.Fprintf(&b, "。截至%s，未办结事件%d起", DateTime(rep.BuiltAt), f.Open)
	if f.Overdue > 0 {
		fmt.Fprintf(&b, "，其中%d起有环节超期", f.Overdue)
	}
	b.WriteString("。")
	out = append(out, b.String())

	if total := rep.Offices[len(rep.Offices)-1]; total.Incidents > 0 {
		out = append(out, handlingSentence(total))
	}

	var parts []string
	if names := topShares(rep.Sources, 3); names != "" {
		parts = append(parts, "信息主要来自"+names)
	}
	if names := topShares(rep.Places, 3); names != "" {
		parts = append(parts, "涉及区县较多的是"+names)
	}
	if len(rep.Rising) > 0 {
		var terms []string
		for _, r := range rep.Rising[:min(len(rep.Rising), 5)] {
			terms = append(terms, "“"+r.Term+"”")
		}
		parts = append(parts, "热度上升较快的词有"+strings.Join(terms, "、"))
	}
	if len(parts) > 0 {
		out = append(out, strings.Join(parts, "；")+"。")
	}

	var major []string
	for _, l := range rep.Incidents {
		if l.Level.IsMajor() {
			major = append(major, fmt.Sprintf("%s“%s”（%s，%s）", l.Number, l.Title, l.Level.Label(), l.Progress))
		}
	}
	if len(major) > 0 {
		out = append(out, "需重点关注："+strings.Join(major, "；")+"。")
	}
	return out
}

// handlingSentence tells the handling statistics of h.
func handlingSentence(h Handling) string {
	var parts []string
	if r, ok := h.AckRate(); ok {
		parts = append(parts, "签收及时率"+Percent(r))
	}
	if r, ok := h.FollowUpRate(); ok {
		parts = append(parts, "跟进及时率"+Percent(r))
	}
	if r, ok := h.CloseRate(); ok {
		parts = append(parts, "办结率"+Percent(r))
	}
	parts = append(parts, fmt.Sprintf("超期%d起", h.Overdue))
	s := "本期新增事件" + strings.Join(parts, "，")
	var times []string
	if d, ok := h.MeanAck(); ok {
		times = append(times, "平均签收用时"+taxonomy.Duration(d))
	}
	if d, ok := h.MeanClose(); ok {
		times = append(times, "平均办结用时"+taxonomy.Duration(d))
	}
	if len(times) > 0 {
		s += "；" + strings.Join(times, "，")
	}
	return s + "。"
}

// periodWord opens the summary: 当日, 本周, 本月, and says when the period
// is not over.
func periodWord(rep Report) string {
	w := map[Kind]string{Daily: "当日", Weekly: "本周", Monthly: "本月"}[rep.Kind]
	if !rep.Period.Until.IsZero() {
		w += "（截至" + DateTime(rep.Period.Until) + "）"
	}
	return w
}

// change is 环比 of n against prev: "，环比增长12.5%", "，环比下降3%",
// "，与上期持平", or "（上期为0）".
func change(n, prev int) string {
	switch {
	case prev == 0 && n == 0:
		return "，与上期持平"
	case prev == 0:
		return "（上期为0）"
	case n == prev:
		return "，与上期持平"
	case n > prev:
		return "，环比增长" + Percent(float64(n-prev)/float64(prev))
	}
	return "，环比下降" + Percent(float64(prev-n)/float64(prev))
}

// topShares names up to n rows with posts: "岚川论坛（120条）、…".
func topShares(rows []Share, n int) string {
	var names []string
	for _, s := range rows {
		if s.Relevant > 0 && len(names) < n {
			names = append(names, fmt.Sprintf("%s（%d条）", s.Key, s.Relevant))
		}
	}
	return strings.Join(names, "、")
}

// Percent writes a share as a percentage with at most one decimal
// ("66.7%", "100%").
func Percent(v float64) string {
	s := fmt.Sprintf("%.1f", math.Round(v*1000)/10)
	return strings.TrimSuffix(s, ".0") + "%"
}

// DateTime writes a moment as staff read it: "2026年12月7日 09:30".
func DateTime(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), t.Format("15:04"))
}
