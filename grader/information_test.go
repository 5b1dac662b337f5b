package grader

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// sentimentGrader grades every post relevant 一般 with the sentiment its
// title starts with and calls the neutral and positive ones information,
// as the classifier with a model would.
type sentimentGrader struct{}

func (sentimentGrader) Grade(p classifier.Post) classifier.Result {
	sent, _, _ := strings.Cut(p.Title, ":")
	return classifier.Result{Grade: model.Grade{Relevant: true, Category: "enrollment", Level: 4, Score: 2, RulesVersion: "t1",
		Sentiment: sent, DecidedBy: classifier.DecidedByBoth, Information: sent == "neutral" || sent == "positive"}}
}

// A neutral or positive 一般 post is 舆情信息 (stored, counted, no incident)
// unless its source files every relevant post; a negative one, or one of
// unknown sentiment, is an incident.
func TestInformationIsKeptApartFromIncidents(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, tc := range []struct{ source, title string }{
		{"news", "neutral:医保局启动城乡居民参保集中缴费"},
		{"news", "positive:点赞医保窗口服务"},
		{"news", "negative:参保缴费系统一直卡"},
		{"news", ":参保登记问题"},
		{"board", "neutral:请问新生儿怎么参保"},
	} {
		p := model.Post{Source: tc.source, URL: "http://x/" + string(rune('a'+i)), Title: tc.title, Body: "正文", FetchedAt: now}
		if _, err := st.SavePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	w := New(Options{Store: st, Grader: sentimentGrader{}, Incidents: incident.New(st, incident.DefaultPolicy(), func() time.Time { return now }, nil),
		Registerer: reg, Now: func() time.Time { return now }, Workers: 2,
		Source: func(name string) SourceGrading { return SourceGrading{Weight: 1, AllIncidents: name == "board"} }})
	if n, err := w.ProcessBatch(ctx); err != nil || n != 5 {
		t.Fatalf("ProcessBatch = %d, %v", n, err)
	}
	page, _ := st.Incidents(ctx, store.IncidentFilter{})
	incs := page.Incidents
	var titles []string
	for _, inc := range incs {
		titles = append(titles, inc.Title)
	}
	if len(incs) != 3 {
		t.Errorf("incidents %v, want the negative, the unknown and the board's question", titles)
	}
	infoPage, err := st.Posts(ctx, store.PostFilter{Scope: store.ScopeInformation})
	if err != nil || infoPage.Total != 2 {
		t.Fatalf("information = %d, %v", infoPage.Total, err)
	}
	for _, gp := range infoPage.Posts {
		if gp.Post.Source != "news" || gp.Grade.Sentiment == "negative" || gp.Grade.DecidedBy != classifier.DecidedByBoth {
			t.Errorf("information post %+v", gp)
		}
	}
	if got := testutil.ToFloat64(w.filed.WithLabelValues("information")); got != 2 {
		t.Errorf("information filings counted %v, want 2", got)
	}
	if got := testutil.ToFloat64(w.filed.WithLabelValues("created")); got != 3 {
		t.Errorf("created %v, want 3", got)
	}
}
