package alerting

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

func TestLabelExcerpt(t *testing.T) {
	long := strings.Repeat("前文", 40) + "医保结算中断，联系电话13812345678，" + strings.Repeat("后文", 40)
	for _, tc := range []struct {
		name, body, term string
		want             string // exact, or "" to check only the properties below
		prefix, suffix   bool   // "…" expected at the start / end
		contains         string
	}{
		{name: "short body kept, whitespace collapsed", body: " 门诊  共济\n\t报销 ", want: "门诊 共济 报销"},
		{name: "short body masked", body: "电话 13812345678", want: "电话 138****5678"},
		{name: "long body centred on the term", body: long, term: "结算中断", prefix: true, suffix: true, contains: "医保结算中断，联系电话138****5678"},
		{name: "long body without term starts at the beginning", body: long, suffix: true, contains: "前文前文"},
		{name: "term near the end keeps a full window", body: strings.Repeat("甲", 200) + "挂床住院", term: "挂床住院", prefix: true, contains: "挂床住院"},
	} {
		got := LabelExcerpt(tc.body, tc.term)
		if tc.want != "" && got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			continue
		}
		if n := utf8.RuneCountInString(got); n > ExcerptRunes {
			t.Errorf("%s: %d runes, want at most %d", tc.name, n, ExcerptRunes)
		}
		if tc.want == "" && utf8.RuneCountInString(got) != ExcerptRunes {
			t.Errorf("%s: %d runes, a cut excerpt should use all %d", tc.name, utf8.RuneCountInString(got), ExcerptRunes)
		}
		if strings.HasPrefix(got, "…") != tc.prefix || strings.HasSuffix(got, "…") != tc.suffix {
			t.Errorf("%s: %q: ellipsis at start %v / end %v, want %v / %v", tc.name, got,
				strings.HasPrefix(got, "…"), strings.HasSuffix(got, "…"), tc.prefix, tc.suffix)
		}
		if !strings.Contains(got, tc.contains) {
			t.Errorf("%s: %q does not contain %q", tc.name, got, tc.contains)
		}
		if strings.Contains(got, "12345678") {
			t.Errorf("%s: %q leaks the phone number", tc.name, got)
		}
	}
}

// A number cut by the excerpt window must not escape the mask: masking
// happens on the whole body first.
func TestLabelExcerptMasksBeforeCutting(t *testing.T) {
	body := strings.Repeat("字", ExcerptRunes-6) + "13812345678" + strings.Repeat("尾", 30)
	got := LabelExcerpt(body, "")
	if strings.Contains(got, "13812") || !strings.Contains(got, "138*") {
		t.Errorf("excerpt %q leaks part of the phone number", got)
	}
}

// detailSource serves open incidents and their details, counting the
// detail reads.
type detailSource struct {
	incs    []model.Incident
	details map[string]store.IncidentDetail
	reads   int
	fail    bool
}

func (d *detailSource) OpenIncidents(context.Context) ([]model.Incident, error) { return d.incs, nil }

func (d *detailSource) IncidentDetail(_ context.Context, number string) (store.IncidentDetail, error) {
	d.reads++
	if d.fail {
		return store.IncidentDetail{}, errors.New("database is locked")
	}
	det, ok := d.details[number]
	if !ok {
		return store.IncidentDetail{}, store.ErrNotFound
	}
	return det, nil
}

func excerptLabels(t *testing.T, reg *prometheus.Registry) map[string]string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, mf := range mfs {
		if mf.GetName() != "yuqing_incident_info" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[label(m, "number")] = label(m, "excerpt")
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func TestExporterExcerptLabel(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	src := &detailSource{
		incs: incidents()[:2],
		details: map[string]store.IncidentDetail{
			"YQ-20261123-0001": {Posts: []store.IncidentPost{
				{Post: model.Post{Body: "转帖：后来的帖子"}, JoinedAt: at.Add(time.Hour)},
				{Post: model.Post{Body: "康福医院组织老人挂床住院，联系人13812345678。"}, JoinedAt: at,
					Grade: model.Grade{Matches: []model.Match{{Field: "title", Term: "医院"}, {Field: "body", Term: "挂床住院"}}}},
			}},
			"YQ-20261123-0002": {},
		},
	}
	reg := prometheus.NewRegistry()
	x, err := NewExporter(reg, src, Options{ConsoleURL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"YQ-20261123-0001": "康福医院组织老人挂床住院，联系人138****5678。", "YQ-20261123-0002": ""}
	for scrape := 1; scrape <= 3; scrape++ {
		got := excerptLabels(t, reg)
		if len(got) != len(want) {
			t.Fatalf("scrape %d: excerpts %v, want %v", scrape, got, want)
		}
		for n, w := range want {
			if got[n] != w {
				t.Errorf("scrape %d: excerpt of %s = %q, want %q (the first post, masked)", scrape, n, got[n], w)
			}
		}
	}
	if src.reads != 2 {
		t.Errorf("%d detail reads over 3 scrapes of 2 incidents, want 2 (cached per incident)", src.reads)
	}

	// A closed incident leaves the cache; failed reads are retried later,
	// and until then the new incident's info series waits.
	src.incs, src.fail = incidents()[1:3], true
	got := excerptLabels(t, reg)
	if _, out := got["YQ-20261123-0003"]; out || len(got) != 1 {
		t.Errorf("during a detail failure: %v, want only YQ-20261123-0002 (cached)", got)
	}
	src.fail = false
	src.details["YQ-20261123-0003"] = store.IncidentDetail{Posts: []store.IncidentPost{{Post: model.Post{Body: "已跟进"}}}}
	if got := excerptLabels(t, reg); got["YQ-20261123-0003"] != "已跟进" {
		t.Errorf("after the failure: %v", got)
	}
	x.excerpts.mu.Lock()
	_, kept := x.excerpts.m["YQ-20261123-0001"]
	cached := len(x.excerpts.m)
	x.excerpts.mu.Unlock()
	if kept || cached != 2 {
		t.Errorf("cache holds %d incidents (closed one kept: %v), want only the 2 open ones", cached, kept)
	}
}

// Hostile titles and bodies leave as plain, masked, bounded labels: no
// markup, no names after 患者/家属, no addresses, e-mail or WeChat ids.
func TestLabelsArePlainAndMasked(t *testing.T) {
	title := `<img src=x onerror=alert(1)>患者张某某&lt;b&gt;家属李四` + "\u202e" + `住人民路128号` + strings.Repeat("长", 80)
	body := "  <p>联系人王小明，vx: zhangsan01，邮箱 ws@163.com</p>\n<script>alert(1)</script>幸福小区3栋2单元501室"
	for _, got := range []string{LabelTitle(title), LabelExcerpt(body, "")} {
		for _, leak := range []string{"<", ">", "&lt;", "\u202e", "某某", "李四", "小明", "128", "zhangsan", "ws@", "501"} {
			if strings.Contains(got, leak) {
				t.Errorf("label %q contains %q", got, leak)
			}
		}
	}
	if got := LabelTitle(title); utf8.RuneCountInString(got) > 60 || !strings.HasPrefix(got, "患者张**") {
		t.Errorf("LabelTitle = %q", got)
	}
}

// A 5 MB body gives the same excerpt around its term as a short one: only
// a span around the term is cleaned and masked.
func TestLabelExcerptLongBody(t *testing.T) {
	filler := strings.Repeat("<p>患者张某某住在人民路128号</p>前文", 60000)
	body := filler + "医保结算中断，联系电话13812345678，" + filler
	got := LabelExcerpt(body, "结算中断")
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) != ExcerptRunes ||
		!strings.Contains(got, "医保结算中断，联系电话138****5678") || strings.ContainsAny(got, "<>") || strings.Contains(got, "128") {
		t.Errorf("excerpt of a %d-byte body: %q", len(body), got)
	}
}

func BenchmarkLabelExcerptLongBody(b *testing.B) {
	body := strings.Repeat("<p>患者张某某住在人民路128号 vx zs1988 13812345678</p>", 100000) + "挂床住院"
	for b.Loop() {
		LabelExcerpt(body, "挂床住院")
	}
}
