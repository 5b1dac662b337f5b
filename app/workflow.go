package app

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// segmentWords splits text as the current rules do, for
// incident grouping (SimHash and key terms).
func (d *Daemon) segmentWords(text string) []string { return segmentWords(d.cls, text) }

// segmentWords splits text as cls's current engine does into the
// tokens' texts: the same words the classifier hands incident filing in
// Result.Words.
func segmentWords(cls *classifier.Classifier, text string) []string {
	toks := cls.Engine().Segment(text)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

// checkWorkflow prints the handling settings `yuqing check` validated: the
// offices, the working-day stages and whether the holiday calendar covers
// this year.
func checkWorkflow(cfg *config.Config, out io.Writer) {
	fmt.Fprintf(out, "  承办科室：%s\n", strings.Join(cfg.Offices, "、"))
	l := cfg.Levels[taxonomy.LevelIV]
	fmt.Fprintf(out, "  调查核实 %d 个工作日、答复反馈 %d 个工作日（Ⅳ级）", l.InvestigateDays, l.FeedbackDays)
	switch {
	case cfg.CalendarFile == "":
		fmt.Fprintln(out, "；未配置工作日历，只按周末推算")
	case !cfg.Calendar.Covers(time.Now()):
		fmt.Fprintf(out, "；警告：工作日历 %s 未覆盖今年，节假日只按周末推算，请更新\n", cfg.CalendarFile)
	case !cfg.Calendar.CoversHorizon(time.Now()):
		fmt.Fprintf(out, "；警告：工作日历 %s 未覆盖今后 60 天（到 %s），其后的节假日和调休只按周末推算，"+
			"请按国务院办公厅公布的放假安排补充下一年\n", cfg.CalendarFile, time.Now().Add(calendar.Horizon).In(cfg.Location).Format("2006年1月2日"))
	default:
		fmt.Fprintf(out, "；工作日历 %s\n", cfg.CalendarFile)
	}
}
