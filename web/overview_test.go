package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/taxonomy"
	"github.com/yuqing-bureau/yuqing/web"
)

// seedOverview adds what the demo's forum gives an overview: ten ordinary
// days of two relevant posts (one naming 岚北区) and one irrelevant post
// each, and today six relevant posts about 断缴, the word that rises.
func seedOverview(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	n := 0
	add := func(at time.Time, relevant bool, sentiment, title, words string) {
		n++
		p := model.Post{Source: "bbs", URL: fmt.Sprintf("http://bbs/overview-%d", n), Title: title, Body: words, FetchedAt: at}
		if _, err := f.st.SavePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
		g := model.Grade{PostID: p.ID, RulesVersion: "v1", Relevant: relevant, GradedAt: at, Sentiment: sentiment}
		if relevant {
			g.Category, g.Level = taxonomy.Reimbursement, taxonomy.LevelIV
		}
		if err := f.st.InTx(ctx, func(tx store.Tx) error {
			if err := tx.SaveGrade(ctx, g); err != nil {
				return err
			}
			return tx.IndexPost(ctx, p.ID, p.ContentHash, title+" "+words)
		}); err != nil {
			t.Fatal(err)
		}
	}
	for d := 1; d <= 10; d++ {
		at := f.now.Add(-time.Duration(d)*24*time.Hour - time.Hour)
		add(at, true, taxonomy.Negative, "岚北区门诊报销", "门诊 报销 比例")
		add(at, true, taxonomy.Neutral, "住院报销", "住院 报销 材料")
		add(at, false, "", "周末去哪玩", "天气 不错")
	}
	for i := range 6 {
		add(f.now.Add(-time.Duration(i+1)*10*time.Minute), true, taxonomy.Negative, "医保断缴", "断缴 补缴 社保")
	}
}

// overviewServer is the console of f with the districts 岚北区 and 白沙县
// configured, and a client of wang's on it.
func overviewServer(t *testing.T, f *fixture) (*httptest.Server, *http.Client) {
	t.Helper()
	con, err := web.New(web.Options{Store: f.st, Now: func() time.Time { return f.now }, Location: cst, Auth: f.auth,
		SourceTitle: func(string) string { return "岚川论坛" }, Places: func() []string { return []string{"白沙县", "岚北区"} }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	t.Cleanup(srv.Close)
	return srv, loginClient(t, srv, "wang", true)
}

// TestOverview: "/" is the overview: today's, 7 days' and 30 days' posts,
// the open incidents by level (each a link to its list), the incident
// that needs action now, six charts drawn on the server, the districts
// and the rising word; titles are masked.
func TestOverview(t *testing.T) {
	f := setup(t)
	seedOverview(t, f)
	srv, client := overviewServer(t, f)
	code, body, _ := do(t, client, "GET", srv.URL+"/", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /: %d", code)
	}
	// Today: the fixture's two incidents' posts and the six 断缴 posts, all
	// relevant and negative; 30 days: and the 30 of the ordinary days.
	row := func(name string, collected, relevant int, share string) *regexp.Regexp {
		return regexp.MustCompile(`<th scope="row">` + name + `</th>\s*<td><a href="/information\?scope=all" title="全部帖子">` +
			fmt.Sprint(collected) + `</a></td>\s*<td><a href="/information\?scope=relevant" title="相关帖子">` +
			fmt.Sprint(relevant) + `</a></td>\s*<td title="负面 \d+ 条">` + share + `</td>`)
	}
	for _, re := range []*regexp.Regexp{row("今日", 8, 8, "100%"), row("近7日", 26, 20, "70%"), row("近30日", 38, 28, "64%")} {
		if !re.MatchString(body) {
			t.Errorf("overview lacks %s", re)
		}
	}
	for _, want := range []string{
		`<nav>` + "\n" + `    <a href="/">总览</a>`,
		`<a href="/incidents">2 件</a>`,
		`<a href="/incidents?level=2"><span class="badge orange">Ⅱ级 重大</span> 1 件</a>`,
		`<a href="/incidents?level=4"><span class="badge blue">Ⅳ级 一般</span> 1 件</a>`,
		`<a href="/incidents?overdue=1">1 件</a>`, "签收逾期 1 件",
		`<a href="/incidents/` + f.major + `">`, "已超时 30分钟",
		`<title>每日采集与相关帖子</title>`, `<title>相关帖子（按等级）</title>`, `<title>区县分布（相关帖子）</title>`,
		"岚北区：10 条", "白沙县：0 条", `断缴</a>`, "6 帖，平日每天 0.0 帖",
		"138****5678",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %s", want)
		}
	}
	if n := strings.Count(body, `<svg xmlns="http://www.w3.org/2000/svg" class="chart"`); n != 6 {
		t.Errorf("%d charts, want 6", n)
	}
	if strings.Contains(body, "13812345678") || strings.Contains(body, "<script") {
		t.Error("the overview shows an unmasked phone number or a script")
	}
	// The minor incident is due in 22 hours: not urgent.
	if strings.Contains(body, `<a href="/incidents/`+f.minor+`">`) {
		t.Error("an incident due in 22 hours is listed as needing action now")
	}
}

// TestOverviewCountsAgainAfterAMinute: the post figures are reused for a
// minute, then counted again; the incidents are counted every time.
func TestOverviewCountsAgainAfterAMinute(t *testing.T) {
	f := setup(t)
	srv, client := overviewServer(t, f)
	today := regexp.MustCompile(`<th scope="row">今日</th>\s*<td><a [^>]*>(\d+)</a></td>`)
	count := func() string {
		_, body, _ := do(t, client, "GET", srv.URL+"/", "", nil)
		return today.FindStringSubmatch(body)[1] + " " + regexp.MustCompile(`<a href="/incidents">(\d+) 件</a>`).FindStringSubmatch(body)[1]
	}
	if got := count(); got != "2 2" {
		t.Fatalf("posts and incidents today: %s, want 2 2", got)
	}
	f.file("http://bbs/3", "又一条", "药店刷卡", 3, "institution", nil)
	if got := count(); got != "2 3" {
		t.Errorf("within the minute: %s, want the posts as counted, the incidents afresh (2 3)", got)
	}
	f.now = f.now.Add(time.Minute)
	if got := count(); got != "3 3" {
		t.Errorf("a minute later: %s, want 3 3", got)
	}
}

// TestOverviewCountsAgainWhileNothingRelevant: while no post is relevant
// (a new installation, the demo's first seconds) the figures are counted
// at every visit, so that the first relevant posts show at once.
func TestOverviewCountsAgainWhileNothingRelevant(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), cst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, now: time.Date(2026, 11, 23, 10, 0, 0, 0, cst), auth: newAuth(t, st)}
	srv, client := overviewServer(t, f)
	today := regexp.MustCompile(`<th scope="row">今日</th>\s*<td><a [^>]*>(\d+)</a></td>\s*<td><a [^>]*>(\d+)</a></td>`)
	count := func() string {
		_, body, _ := do(t, client, "GET", srv.URL+"/", "", nil)
		m := today.FindStringSubmatch(body)
		return m[1] + " " + m[2]
	}
	if got := count(); got != "0 0" {
		t.Fatalf("posts collected and relevant today: %s, want 0 0", got)
	}
	seedOverview(t, f) // today: six relevant posts
	if got := count(); got != "6 6" {
		t.Errorf("within the minute of an empty count: %s, want the posts counted afresh (6 6)", got)
	}
}

// TestOverviewNeedsLogin: the home page is for staff only.
func TestOverviewNeedsLogin(t *testing.T) {
	f := setup(t)
	code, _, h := do(t, &http.Client{CheckRedirect: noRedirect}, "GET", f.srv.URL+"/", "", nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/login?next=%2F" {
		t.Errorf("anonymous GET /: %d → %q", code, h.Get("Location"))
	}
}
