package report

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The tables of a report: every writer lays out the same tables from
// here (a page's tables, a workbook's sheets, a document's tables), so
// that the formats never disagree on a figure or a heading.

// CellKind says what a cell holds.
type CellKind int

// Cell kinds.
const (
	TextCell    CellKind = iota
	IntCell              // Number is a count
	PercentCell          // Number is a share, 0..1
	RatioCell            // Number is a ratio, one decimal
)

// Cell is one cell of a table: a number as a number (a workbook can sum
// it) and as the text a page shows.
type Cell struct {
	Kind   CellKind
	Text   string
	Number float64
}

// Table is one table of a report: its name (a workbook's sheet name),
// its Chinese column headings and its rows.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]Cell
}

func text(s string) Cell { return Cell{Text: s} }
func count(n int) Cell   { return Cell{Kind: IntCell, Number: float64(n), Text: fmt.Sprint(n)} }

// share is n of the whole as a percentage cell ("—" of nothing).
func share(v float64, ok bool) Cell {
	if !ok {
		return text("—")
	}
	return Cell{Kind: PercentCell, Number: v, Text: Percent(v)}
}

func shareOf(n, of int) Cell { return share(rate(n, of)) }

// durationCell is a mean time in Chinese ("3小时20分"; "—" of nothing).
func durationCell(d time.Duration, ok bool) Cell {
	if !ok {
		return text("—")
	}
	return text(taxonomy.Duration(d))
}

// changeCell is 环比 of n against prev as a signed share ("—" without a
// previous figure).
func changeCell(n, prev int) Cell {
	if prev == 0 {
		return text("—")
	}
	v := float64(n-prev) / float64(prev)
	c := Cell{Kind: PercentCell, Number: v, Text: Percent(v)}
	if v > 0 {
		c.Text = "+" + c.Text
	}
	return c
}

// Tables are the report's tables, in the order they are laid out.
func (r Report) Tables() []Table {
	if r.Incident != nil {
		return []Table{r.overviewTable(), r.daysTable(), r.sourcesTable(), r.stagesTable(), r.postsTable(), r.logTable()}
	}
	return []Table{r.overviewTable(), r.daysTable(), r.sourcesTable(), r.placesTable(), r.incidentsTable(),
		r.officesTable(), r.risingTable()}
}

func (r Report) overviewTable() Table {
	f := r.Figures
	if r.Incident != nil {
		return Table{Name: "概况", Columns: []string{"指标", "数值"}, Rows: [][]Cell{
			{text("关联帖子"), count(f.Collected)},
			{text("相关帖子"), count(f.Relevant)},
			{text("负面帖子"), count(f.Negative)},
			{text("负面占比"), shareOf(f.Negative, f.Relevant)},
		}}
	}
	row := func(name string, n, prev int) []Cell {
		return []Cell{text(name), count(n), count(prev), changeCell(n, prev)}
	}
	none := text("—")
	rows := [][]Cell{
		row("采集信息（条）", f.Collected, f.Previous.Collected),
		row("相关信息（条）", f.Relevant, f.Previous.Relevant),
		row("负面信息（条）", f.Negative, f.Previous.Negative),
		{text("负面占比"), shareOf(f.Negative, f.Relevant), shareOf(f.Previous.Negative, f.Previous.Relevant), none},
		row("新增事件（起）", f.NewIncidents[0], f.PreviousIncidents),
	}
	for _, l := range taxonomy.Levels {
		rows = append(rows, []Cell{text("其中" + l.Label() + "（起）"), count(f.NewIncidents[l]), none, none})
	}
	rows = append(rows,
		[]Cell{text("未办结事件（起，截至生成时）"), count(f.Open), none, none},
		[]Cell{text("有环节超期的未办结事件（起）"), count(f.Overdue), none, none})
	return Table{Name: "概况", Columns: []string{"指标", "本期", "上期", "环比"}, Rows: rows}
}

func (r Report) daysTable() Table {
	t := Table{Name: "每日", Columns: []string{"日期", "采集", "相关", "负面"}}
	for _, c := range taxonomy.Categories {
		t.Columns = append(t.Columns, c.Name())
	}
	for _, l := range taxonomy.Levels {
		t.Columns = append(t.Columns, l.Label())
	}
	for _, s := range taxonomy.Sentiments {
		t.Columns = append(t.Columns, taxonomy.SentimentName(s))
	}
	for _, d := range r.Days {
		row := []Cell{text(d.Start.Format("2006-01-02")), count(d.Collected), count(d.Relevant), count(d.Negative)}
		for _, c := range taxonomy.Categories {
			row = append(row, count(d.Categories[c]))
		}
		for _, l := range taxonomy.Levels {
			row = append(row, count(d.Levels[l]))
		}
		for i := range taxonomy.Sentiments {
			row = append(row, count(d.Sentiments[i]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (r Report) sourcesTable() Table {
	t := Table{Name: "来源", Columns: []string{"来源", "采集", "相关", "负面", "相关占比"}}
	for _, s := range r.Sources {
		t.Rows = append(t.Rows, []Cell{text(s.Key), count(s.Posts), count(s.Relevant), count(s.Negative),
			shareOf(s.Relevant, r.Figures.Relevant)})
	}
	return t
}

func (r Report) placesTable() Table {
	t := Table{Name: "区县", Columns: []string{"区县", "相关", "相关占比"}}
	for _, p := range r.Places {
		t.Rows = append(t.Rows, []Cell{text(p.Key), count(p.Relevant), shareOf(p.Relevant, r.Figures.Relevant)})
	}
	return t
}

var incidentColumns = []string{"编号", "标题", "等级", "类别", "首次发现", "帖子", "承办科室", "状态", "当前环节", "超期情况"}

func incidentRow(l IncidentLine) []Cell {
	level := l.Level.Label()
	if l.Suspected {
		level += "（疑似）"
	}
	office, overdue := l.Office, "无"
	if office == "" {
		office = NotAssigned
	}
	if len(l.Overdue) > 0 {
		overdue = strings.Join(l.Overdue, "、")
	}
	return []Cell{text(l.Number), text(l.Title), text(level), text(l.Category.Name()), text(DateTime(l.FirstSeenAt)),
		count(l.Posts), text(office), text(l.Status), text(l.Progress), text(overdue)}
}

func (r Report) incidentsTable() Table {
	t := Table{Name: "事件", Columns: incidentColumns}
	for _, l := range r.Incidents {
		t.Rows = append(t.Rows, incidentRow(l))
	}
	return t
}

func (r Report) officesTable() Table {
	t := Table{Name: "科室处置", Columns: []string{"科室", "新增事件", "签收及时率", "跟进及时率", "办结率", "超期数",
		"平均签收用时", "平均办结用时"}}
	for _, h := range r.Offices {
		t.Rows = append(t.Rows, []Cell{text(h.Office), count(h.Incidents), share(h.AckRate()), share(h.FollowUpRate()),
			share(h.CloseRate()), count(h.Overdue), durationCell(h.MeanAck()), durationCell(h.MeanClose())})
	}
	return t
}

func (r Report) risingTable() Table {
	t := Table{Name: "上升词", Columns: []string{"词", "本期帖子", "此前日均", "上升倍数"}}
	for _, w := range r.Rising {
		t.Rows = append(t.Rows, []Cell{text(w.Term), count(w.Recent), ratio(w.PerDay), ratio(w.Ratio)})
	}
	return t
}

func ratio(v float64) Cell { return Cell{Kind: RatioCell, Number: v, Text: fmt.Sprintf("%.1f", v)} }

func (r Report) stagesTable() Table {
	t := Table{Name: "处置时限", Columns: []string{"环节", "期限", "完成时间", "状态"}}
	for _, s := range r.Incident.Stages {
		done := "—"
		if !s.Done.IsZero() {
			done = DateTime(s.Done)
		}
		t.Rows = append(t.Rows, []Cell{text(s.Name), text(DateTime(s.Due)), text(done), text(s.State)})
	}
	return t
}

func (r Report) postsTable() Table {
	t := Table{Name: "帖子", Columns: []string{"发现时间", "来源", "标题", "等级", "情感倾向", "摘要", "链接"}}
	for _, p := range r.Incident.Posts {
		level := "—"
		if p.Level.Valid() {
			level = p.Level.Label()
		}
		t.Rows = append(t.Rows, []Cell{text(DateTime(p.At)), text(p.Source), text(p.Title), text(level),
			text(cmp.Or(p.Sentiment, "—")), text(p.Excerpt), text(p.URL)})
	}
	return t
}

func (r Report) logTable() Table {
	t := Table{Name: "处置记录", Columns: []string{"时间", "事项", "操作人", "说明"}}
	for _, e := range r.Incident.Log {
		t.Rows = append(t.Rows, []Cell{text(DateTime(e.At)), text(e.Name), text(e.Actor), text(e.Note)})
	}
	return t
}
