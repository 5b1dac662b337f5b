package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// weekly is a week's report as Build leaves it: written by hand so that
// the writers' tests do not depend on counting (the store's contract
// tests check Build's figures).
func weekly() report.Report {
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, cst)
	built := time.Date(2026, 12, 7, 8, 0, 0, 0, cst)
	var days []report.Day
	for i := range 7 {
		days = append(days, report.Day{Start: from.AddDate(0, 0, i), Collected: 100 + 10*i, Graded: 100 + 10*i, Relevant: 20 + i,
			Negative: 5 + i%3, Categories: map[taxonomy.Category]int{taxonomy.Reimbursement: 15, taxonomy.Policy: 5 + i},
			Levels: [5]int{0, 0, 1, 4, 15 + i}, Sentiments: [3]int{5 + i%3, 15 + i - i%3, 0}})
	}
	rep := report.Report{Kind: report.Weekly, Title: "医保舆情周报（2026年11月30日—12月6日）",
		Period: report.Period{From: from, Days: 7}, BuiltAt: built, Days: days,
		Summary: []string{"本周共监测到医保相关舆情信息161条，环比增长15%；其中负面42条，占26.1%；共采集各类信息910条。",
			"新增事件3起，其中重大（Ⅱ级）1起、一般（Ⅳ级）2起，环比下降25%。"},
		Figures: report.Figures{Collected: 910, Relevant: 161, Negative: 42, Previous: report.Totals{Collected: 800, Relevant: 140, Negative: 40},
			NewIncidents: [5]int{3, 0, 1, 0, 2}, PreviousIncidents: 4, Open: 2, Overdue: 1},
		Sources: []report.Share{{Key: "岚川论坛", Posts: 600, Relevant: 120, Negative: 30}, {Key: "12345热线", Posts: 310, Relevant: 41, Negative: 12}},
		Places:  []report.Share{{Key: "岚北区", Relevant: 30}, {Key: "白沙县", Relevant: 0}},
		Incidents: []report.IncidentLine{
			{Number: "YQ-20261201-0001", Title: "住院报销<迟迟>不到账，电话138****5678", Category: taxonomy.Reimbursement, Level: taxonomy.LevelII,
				Status: "已签收", Progress: "待跟进回复", Office: "信访科", FirstSeenAt: from.Add(33 * time.Hour), Posts: 12,
				Overdue: []string{"跟进回复超期未完成"}},
			{Number: "YQ-20261203-0002", Title: "门诊统筹政策咨询", Category: taxonomy.Policy, Level: taxonomy.LevelIV, Suspected: true,
				Status: "已办结", Progress: "已办结", FirstSeenAt: from.Add(80 * time.Hour), Posts: 2},
		},
		IncidentTotal: 3,
		Offices: []report.Handling{
			{HandlingCount: store.HandlingCount{Office: "信访科", Incidents: 2, AckDue: 1, AckOnTime: 1, FollowUpDue: 2, FollowUpOnTime: 1,
				Overdue: 1, Acked: 2, AckTime: 200 * time.Minute, Closed: 1, CloseTime: 26 * time.Hour}},
			{HandlingCount: store.HandlingCount{Office: "宣传科"}},
			{HandlingCount: store.HandlingCount{Office: "合计", Incidents: 2, AckDue: 1, AckOnTime: 1, FollowUpDue: 2, FollowUpOnTime: 1,
				Overdue: 1, Acked: 2, AckTime: 200 * time.Minute, Closed: 1, CloseTime: 26 * time.Hour}},
		},
		Rising: []report.Rising{{Term: "断缴", Recent: 12, PerDay: 0.5, Ratio: 4.2}},
	}
	f := report.PostFigures{Days: days, Sources: rep.Sources, Places: rep.Places}
	rep.Charts = f.ChartList(nil, report.Links{})
	return rep
}

// special is a 专报 as Build leaves it.
func special() report.Report {
	rep := weekly()
	first := time.Date(2026, 12, 1, 9, 0, 0, 0, cst)
	rep.Kind, rep.Title, rep.Places, rep.Rising, rep.Offices, rep.Incidents = report.Special, "医保舆情专报（YQ-20261201-0001）", nil, nil, nil, nil
	rep.Days, rep.Period = rep.Days[1:3], report.Period{From: rep.Days[1].Start, Days: 2, Until: first.Add(30 * time.Hour)}
	cs := report.PostFigures{Days: rep.Days, Sources: rep.Sources}.ChartList(nil, report.Links{})
	rep.Charts = []report.Chart{cs[0], cs[3], cs[4]}
	rep.Summary = []string{"事件YQ-20261201-0001“住院报销<迟迟>不到账”，Ⅱ级 重大，医保报销类，2026年12月1日 09:00首次发现（岚川论坛）。",
		"当前状态：已签收，当前环节：待跟进回复，承办科室：信访科；签收已按时完成，跟进回复已超时 6小时0分。"}
	line := weekly().Incidents[0]
	rep.Incident = &report.IncidentReport{Incident: line, Reply: "您好，已核实办理。",
		Stages: []report.StageLine{{Name: "签收", Due: first.Add(30 * time.Minute), Done: first.Add(20 * time.Minute), State: "已按时完成"},
			{Name: "跟进回复", Due: first.Add(24 * time.Hour), State: "已超时 6小时0分"}},
		Posts: []report.PostLine{{At: first, Source: "岚川论坛", Title: line.Title, Excerpt: "患者张**住院两个月……", URL: "http://bbs.example/t/1",
			Level: taxonomy.LevelII, Sentiment: "负面"}},
		Log: []report.LogLine{{At: first, Name: "登记", Actor: "系统"}, {At: first.Add(20 * time.Minute), Name: "签收", Actor: "王五", Note: "已联系医院"}}}
	return rep
}

// TestHTMLGolden: the printable pages of a week's report and of a 专报
// are exactly as their files under testdata/ (go test -update rewrites
// them; open them in a browser, at phone width and in print preview,
// before committing).
func TestHTMLGolden(t *testing.T) {
	for name, rep := range map[string]report.Report{"weekly.html": weekly(), "special.html": special()} {
		var b bytes.Buffer
		if err := report.Write(&b, rep, report.HTML); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from %s (go test -update to accept)", name, path)
		}
	}
}

// TestHTMLSelfContained: the page fetches nothing, runs no script, draws
// every chart inline, escapes text and fits a phone.
func TestHTMLSelfContained(t *testing.T) {
	var b strings.Builder
	if err := report.Write(&b, weekly(), report.HTML); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", " src=", "@import", "url(", "https://", "<迟迟>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if strings.Count(page, "http://") != strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("page links out")
	}
	for _, want := range []string{`<meta name="viewport" content="width=device-width, initial-scale=1">`, "@media print",
		"&lt;迟迟&gt;", "<h2>科室处置</h2>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg "); n != 6 {
		t.Errorf("%d charts inline, want 6", n)
	}
	if !strings.Contains(page, "<td>1小时40分</td>") || !strings.Contains(page, "<td>1天2小时</td>") {
		t.Error("mean times not in Chinese")
	}
}

// TestXLSX: the workbook opened again: a sheet per table with Chinese
// headings, counts and shares as numbers.
func TestXLSX(t *testing.T) {
	var b bytes.Buffer
	if err := report.Write(&b, weekly(), report.XLSX); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"概况", "每日", "来源", "区县", "事件", "科室处置", "上升词"}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	cells := map[string][2]string{ // sheet!cell: value, type
		"概况!A1": {"指标", "s"}, "概况!B2": {"910", "n"}, "概况!C3": {"140", "n"}, "概况!D3": {"0.15", "n"},
		"每日!A2": {"2026-11-30", "s"}, "每日!B8": {"160", "n"},
		"来源!A2": {"岚川论坛", "s"}, "来源!E2": {"0.745341614906832", "n"},
		"事件!B2": {"住院报销<迟迟>不到账，电话138****5678", "s"}, "事件!C3": {"Ⅳ级 一般（疑似）", "s"},
		"科室处置!C2": {"1", "n"}, "科室处置!G2": {"1小时40分", "s"}, "科室处置!C3": {"—", "s"},
		"上升词!A2": {"断缴", "s"}, "上升词!D2": {"4.2", "n"},
	}
	for ref, w := range cells {
		sheet, cell, _ := strings.Cut(ref, "!")
		got, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		typ, err := f.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		isNum := typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset && got != "" && w[1] == "n"
		if got != w[0] || isNum != (w[1] == "n") {
			t.Errorf("%s = %q (type %v), want %q (%s)", ref, got, typ, w[0], w[1])
		}
	}
}

// TestJSONRoundTrip: a stored report reopens as it was built and writes
// the same page.
func TestJSONRoundTrip(t *testing.T) {
	for _, rep := range []report.Report{weekly(), special()} {
		data, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var back report.Report
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		if err := report.Write(&a, rep, report.HTML); err != nil {
			t.Fatal(err)
		}
		if err := report.Write(&b, back, report.HTML); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s: page differs after a JSON round trip", rep.Kind)
		}
	}
}

// TestFormatsAndKinds: names as the CLI takes them; DOCX says clearly
// that it is not there yet.
func TestFormatsAndKinds(t *testing.T) {
	for _, s := range []string{"daily", "weekly", "monthly", "incident"} {
		if k, err := report.ParseKind(s); err != nil || string(k) != s || k.Title() == s {
			t.Errorf("ParseKind(%q) = %v, %v", s, k, err)
		}
	}
	if _, err := report.ParseKind("yearly"); err == nil || !strings.Contains(err.Error(), "未知报告类型") {
		t.Errorf("ParseKind(yearly) = %v", err)
	}
	for _, s := range []string{"html", "xlsx", "docx"} {
		if f, err := report.ParseFormat(s); err != nil || f.Ext() != "."+s || f.ContentType() == "" {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := report.ParseFormat("pdf"); err == nil {
		t.Error("ParseFormat(pdf): no error")
	}
	if err := report.Write(&bytes.Buffer{}, weekly(), report.Format("pdf")); !errors.Is(err, report.ErrNoWriter) {
		t.Errorf("Write(pdf) = %v", err)
	}
}

// TestPeriods: a day, a Monday-to-Sunday week and a calendar month in the
// bureau's zone, whatever the zone of the date; one not over is counted
// up to now; one not begun is refused.
func TestPeriods(t *testing.T) {
	date := time.Date(2026, 12, 9, 17, 0, 0, 0, time.UTC) // Thursday 01:00 in Shanghai
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, cst)
	for _, c := range []struct {
		kind report.Kind
		from string
		days int
		name string
	}{
		{report.Daily, "2026-12-10", 1, "2026年12月10日"},
		{report.Weekly, "2026-12-07", 7, "2026年12月7日—12月13日"},
		{report.Monthly, "2026-12-01", 31, "2026年12月1日—12月31日"},
	} {
		p, err := report.Request{Kind: c.kind, Date: date, Now: now}.Period(cst)
		if err != nil || p.From.Format("2006-01-02") != c.from || p.From.Location() != cst || p.Days != c.days || p.Name() != c.name || !p.Until.IsZero() {
			t.Errorf("%s: %+v %q, %v", c.kind, p, p.Name(), err)
		}
	}
	feb, _ := report.Request{Kind: report.Monthly, Date: time.Date(2028, 2, 10, 0, 0, 0, 0, cst), Now: now.AddDate(2, 0, 0)}.Period(cst)
	if feb.Days != 29 {
		t.Errorf("February 2028: %d days", feb.Days)
	}
	mid := time.Date(2026, 12, 9, 12, 0, 0, 0, cst)
	p, err := report.Request{Kind: report.Weekly, Date: mid, Now: mid}.Period(cst)
	if _, berr := p.Buckets(); err != nil || berr != nil || p.Days != 3 || !p.Until.Equal(mid) {
		t.Errorf("week not over: %+v, %v, %v", p, err, berr)
	}
	// At a midnight the days before it are whole.
	p, err = report.Request{Kind: report.Monthly, Date: mid, Now: time.Date(2026, 12, 10, 0, 0, 0, 0, cst)}.Period(cst)
	if err != nil || p.Days != 9 || !p.Until.IsZero() {
		t.Errorf("month at a midnight: %+v, %v", p, err)
	}
	if _, err := (report.Request{Kind: report.Weekly, Date: mid.AddDate(0, 0, 7), Now: mid}).Period(cst); err == nil {
		t.Error("a week not begun: no error")
	}
	yearEnd, _ := report.Request{Kind: report.Weekly, Date: time.Date(2026, 12, 31, 0, 0, 0, 0, cst), Now: now}.Period(cst)
	if yearEnd.Name() != "2026年12月28日—2027年1月3日" {
		t.Errorf("week across a year: %q", yearEnd.Name())
	}
}
