package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// reportOptions name the fixture's sources and offices as a configuration would.
var reportOptions = report.Options{Location: t0.Location(), Offices: []string{"信访科", "宣传科", "医保科"},
	SourceTitle: func(name string) string {
		return map[string]string{"bbs": "岚川论坛", "tieba": "岚川贴吧", "12345": "12345热线", "news": "岚川新闻网"}[name]
	}}

// testReport: a day's report (日报) of the figures and handling fixtures,
// built from the store: its counts, 环比, new incidents, the handling
// rates and mean times per office, the top incidents (most severe
// first) and the summary's numbers; titles masked, sources by title.
func testReport(t *testing.T, s store.Store) {
	seedStatsPosts(t, s)
	seedHandling(t, s)
	ctx := context.Background()
	day := statsDay0.AddDate(0, 0, 2) // 2026-11-23, the day of the handling fixture
	rep, err := report.Build(ctx, s, report.Request{Kind: report.Daily, Date: day.Add(15 * time.Hour), Now: handlingNow}, reportOptions)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Title != "医保舆情日报（2026年11月23日）" || !rep.Period.From.Equal(day) || rep.Period.Days != 1 || !rep.Period.Until.IsZero() {
		t.Errorf("title %q, period %+v", rep.Title, rep.Period)
	}
	f := rep.Figures
	if f.Collected != 3 || f.Relevant != 2 || f.Negative != 1 || f.Previous != (report.Totals{Collected: 3, Relevant: 1}) {
		t.Errorf("figures %+v", f)
	}
	// Six incidents first seen on the day (one of them before the
	// handling fixture's span); at now five are open, three overdue.
	if f.NewIncidents != [5]int{6, 1, 3, 0, 2} || f.PreviousIncidents != 0 || f.Open != 5 || f.Overdue != 3 || rep.IncidentTotal != 6 {
		t.Errorf("incidents %+v, total %d", f, rep.IncidentTotal)
	}
	type office struct {
		name                   string
		incidents, overdue     int
		ack, followUp, closing string
		meanAck, meanClose     string
	}
	var got []office
	for _, h := range rep.Offices {
		got = append(got, office{h.Office, h.Incidents, h.Overdue, pct(h.AckRate()), pct(h.FollowUpRate()), pct(h.CloseRate()),
			dur(h.MeanAck()), dur(h.MeanClose())})
	}
	want := []office{
		{"信访科", 4, 3, "33.3%", "25%", "25%", "40分钟", "10小时0分"},
		{"宣传科", 1, 0, "100%", "100%", "100%", "30分钟", "2天0小时"},
		{"医保科", 0, 0, "—", "—", "—", "—", "—"},
		{"未分派", 1, 0, "—", "—", "0%", "—", "—"},
		{"合计", 6, 3, "50%", "40%", "33.3%", "37分钟", "1天5小时"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("offices\n got %v\nwant %v", got, want)
	}
	var levels []taxonomy.Level
	for _, l := range rep.Incidents {
		levels = append(levels, l.Level)
		if strings.Contains(l.Title, "13812345678") {
			t.Errorf("title not masked: %q", l.Title)
		}
	}
	if !slices.Equal(levels, []taxonomy.Level{1, 2, 2, 2, 4, 4}) || rep.Incidents[0].Status != "已办结" ||
		rep.Incidents[3].Overdue[0] != "跟进回复超时 1小时0分" || rep.Incidents[2].Progress != "待签收" {
		t.Errorf("incidents %+v", rep.Incidents)
	}
	var sources []string
	for _, sh := range rep.Sources {
		sources = append(sources, sh.Key)
	}
	if !slices.Equal(sources, []string{"12345热线", "岚川论坛", "岚川贴吧"}) {
		t.Errorf("sources %v", sources)
	}
	summary := strings.Join(rep.Summary, "\n")
	for _, w := range []string{"当日共监测到医保相关舆情信息2条，环比增长100%；其中负面1条，占50%；共采集各类信息3条。",
		"新增事件6起，其中特别重大（Ⅰ级）1起、重大（Ⅱ级）3起、一般（Ⅳ级）2起（上期为0）。截至2026年11月26日 09:30，未办结事件5起，其中3起有环节超期。",
		"本期新增事件签收及时率50%，跟进及时率40%，办结率33.3%，超期3起；平均签收用时37分钟，平均办结用时1天5小时。"} {
		if !strings.Contains(summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, summary)
		}
	}
	// The week of that day, not over at now: counted up to now, held
	// against the week before up to the same moment.
	week, err := report.Build(ctx, s, report.Request{Kind: report.Weekly, Date: day, Now: handlingNow}, reportOptions)
	if err != nil {
		t.Fatal(err)
	}
	if week.Title != "医保舆情周报（2026年11月23日—11月29日）" || week.Period.Days != 4 || !week.Period.Until.Equal(handlingNow) ||
		week.Figures.Collected != 4 || week.Figures.Relevant != 3 || week.Figures.Negative != 2 || week.Figures.Previous != (report.Totals{}) ||
		week.Figures.NewIncidents[0] != 7 || len(week.Days) != 4 {
		t.Errorf("week %q, period %+v, figures %+v", week.Title, week.Period, week.Figures)
	}
	if w := "本周（截至2026年11月26日 09:30）共监测到医保相关舆情信息3条（上期为0）；其中负面2条，占66.7%"; !strings.Contains(week.Summary[0], w) {
		t.Errorf("week's summary %q, want %q", week.Summary[0], w)
	}
	for _, f := range []report.Format{report.HTML, report.XLSX} {
		var b strings.Builder
		if err := report.Write(&b, rep, f); err != nil || b.Len() == 0 {
			t.Errorf("Write(%s) = %v", f, err)
		}
		if f == report.HTML && (strings.Contains(b.String(), "bbs") || strings.Contains(b.String(), "13812345678")) {
			t.Error("page names a source by its key or shows a phone number")
		}
	}
}

func pct(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return report.Percent(v)
}

func dur(d time.Duration, ok bool) string {
	if !ok {
		return "—"
	}
	return taxonomy.Duration(d)
}

// testSpecialReport: a 专报 of an incident filed in the store: its days
// from first seen to now, its post by source title, its deadlines judged
// at now, its log with Chinese names, notes masked.
func testSpecialReport(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := post(1)
	p.FetchedAt = t0
	mustSave(t, s, p)
	g := grade(p, taxonomy.LevelII)
	g.Sentiment = taxonomy.Negative
	inc := fileNew(t, s, p, g, t0)
	inc.AckDueAt, inc.AckedAt, inc.Status = t0.Add(30*time.Minute), t0.Add(10*time.Minute), model.StatusAcknowledged
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UpdateIncident(ctx, inc); err != nil {
			return err
		}
		for _, e := range []model.Event{{At: t0, Kind: model.EventCreated, Actor: "system"},
			{At: t0.Add(10 * time.Minute), Kind: model.EventAcknowledged, Actor: "王五", Note: "已联系患者，电话13812345678"}} {
			e.IncidentID = inc.ID
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(30 * time.Hour)
	rep, err := report.Build(ctx, s, report.Request{Kind: report.Special, Incident: inc.Number, Now: now}, reportOptions)
	if err != nil {
		t.Fatal(err)
	}
	ir := rep.Incident
	if ir == nil || rep.Title != "医保舆情专报（"+inc.Number+"）" || rep.Period.Days != 2 || !rep.Period.Until.Equal(now) ||
		rep.Figures.Collected != 1 || rep.Figures.Negative != 1 {
		t.Fatalf("report %q, period %+v, figures %+v", rep.Title, rep.Period, rep.Figures)
	}
	var stages, log []string
	for _, st := range ir.Stages {
		stages = append(stages, st.Name+"："+st.State)
	}
	for _, e := range ir.Log {
		log = append(log, e.Name+"/"+e.Actor+"/"+e.Note)
	}
	if !slices.Equal(stages, []string{"签收：已按时完成", "跟进回复：已超时 6小时0分"}) {
		t.Errorf("stages %v", stages)
	}
	if !slices.Equal(log, []string{"登记/系统/", "签收/王五/已联系患者，电话138****5678"}) {
		t.Errorf("log %v", log)
	}
	if len(ir.Posts) != 1 || ir.Posts[0].Source != "岚川论坛" || ir.Posts[0].Sentiment != "负面" || ir.Incident.Status != "已签收" {
		t.Errorf("posts %+v, incident %+v", ir.Posts, ir.Incident)
	}
	if !strings.Contains(strings.Join(rep.Summary, ""), "共关联帖子1条，其中负面1条") {
		t.Errorf("summary %q", rep.Summary)
	}
	if _, err := report.Build(ctx, s, report.Request{Kind: report.Special, Incident: "YQ-20200101-0001", Now: now}, reportOptions); err == nil ||
		!strings.Contains(err.Error(), "不存在") {
		t.Errorf("unknown incident: %v", err)
	}
}
