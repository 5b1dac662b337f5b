package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
	"github.com/yuqing-bureau/yuqing/web"
)

// listFixture is setup with three configured sources of three platforms
// and two more incidents: a negative 12345 letter today (assigned to
// 信访科) and a positive news report three days ago.
type listFixture struct {
	*fixture
	letter, report string // incident numbers
}

func setupLists(t *testing.T) listFixture {
	t.Helper()
	f := setupOpts(t, nil, func(o *web.Options) {
		o.Sources = func() []web.SourceInfo {
			return []web.SourceInfo{{Name: "bbs", Title: "岚川论坛", Channel: "discuz_forum"},
				{Name: "12345", Title: "市民留言板", Channel: "gov_message_board"},
				{Name: "news", Title: "岚川新闻网", Channel: "news_report"}}
		}
	})
	ctx := context.Background()
	file := func(source, url, title, sentiment string, at time.Time) string {
		p := model.Post{Source: source, URL: url, Title: title, Body: title + "，请相关部门处理", FetchedAt: at}
		number := f.filePost(p, taxonomy.LevelIV, taxonomy.Reimbursement, nil)
		stored, _, err := f.st.PostByURL(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		// Graded again with a sentiment: the incident's sentiments follow.
		if err := f.st.InTx(ctx, func(tx store.Tx) error {
			return tx.SaveGrade(ctx, model.Grade{PostID: stored.ID, RulesVersion: "abc123", Relevant: true,
				Category: taxonomy.Reimbursement, Level: taxonomy.LevelIV, Sentiment: sentiment, GradedAt: at})
		}); err != nil {
			t.Fatal(err)
		}
		return number
	}
	lf := listFixture{fixture: f}
	lf.letter = file("12345", "http://12345/1", "异地就医备案办不下来", taxonomy.Negative, f.now)
	lf.report = file("news", "http://news/1", "我市门诊统筹报销比例提高", taxonomy.Positive, f.now.Add(-72*time.Hour))
	err := f.st.InTx(ctx, func(tx store.Tx) error {
		inc, err := tx.IncidentByNumber(ctx, lf.letter)
		if err != nil {
			return err
		}
		inc.Office, inc.AssignedAt = "信访科", f.now
		return tx.UpdateIncident(ctx, inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

var listedNumber = regexp.MustCompile(`<td class="num"><a href="/incidents/([^"]+)">`)

// TestIncidentListFilters: the incident list and its API filter by
// platform, sentiment, first-seen days, stage and 我的科室, keep the
// filters in the pager links, and refuse bad values with a Chinese 400.
func TestIncidentListFilters(t *testing.T) {
	f := setupLists(t)
	all := []string{f.major, f.minor, f.letter, f.report}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"channel=gov_message_board", []string{f.letter}},
		{"channel=discuz_forum&status=all", []string{f.major, f.minor}},
		{"channel=douyin", nil}, // a platform no source is of
		{"sentiment=positive", []string{f.report}},
		{"sentiment=negative&channel=gov_message_board", []string{f.letter}},
		{"from=2026-11-20&to=2026-11-20", []string{f.report}},
		{"from=2026-11-21", []string{f.major, f.minor, f.letter}},
		{"to=2026-11-22&status=all", []string{f.report}},
		{"stage=ack", all},
		{"stage=closed", nil},
	} {
		code, body := get(t, f.fixture, "/incidents?"+c.query)
		if code != http.StatusOK {
			t.Errorf("%s: status %d", c.query, code)
			continue
		}
		var got []string
		for _, m := range listedNumber.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if !sameSet(got, c.want) {
			t.Errorf("%s: listed %v, want %v", c.query, got, c.want)
		}
		var api struct {
			Incidents []struct{ Number string } `json:"incidents"`
			Total     int                       `json:"total"`
		}
		getJSON(t, f.fixture, "/api/v1/incidents?"+c.query, &api)
		got = got[:0]
		for _, i := range api.Incidents {
			got = append(got, i.Number)
		}
		if !sameSet(got, c.want) || api.Total != len(c.want) {
			t.Errorf("API %s: %v of %d, want %v", c.query, got, api.Total, c.want)
		}
	}

	// The filters stay in the pager's links.
	_, body := get(t, f.fixture, "/incidents?channel=discuz_forum&sentiment=&from=2026-11-01&limit=1")
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no next page of two incidents at one a page")
	}
	next, _ := url.Parse(html.UnescapeString(m[1]))
	if q := next.Query(); q.Get("channel") != "discuz_forum" || q.Get("from") != "2026-11-01" || q.Get("after") == "" {
		t.Errorf("next link %s drops the filters", m[1])
	}
	if !strings.Contains(body, `<details class="more-filters" open>`) || !strings.Contains(body, `value="2026-11-01"`) {
		t.Error("a set platform or day leaves 更多筛选 closed or empty")
	}

	// 我的科室: refused until the account has an office, then its incidents.
	code, body := get(t, f.fixture, "/incidents?mine=1")
	if code != http.StatusBadRequest || !strings.Contains(body, "还没有设置科室") {
		t.Errorf("mine=1 without an office: %d", code)
	}
	if err := f.auth.SetOffice(context.Background(), auth.Actor{Name: "admin"}, "wang", "信访科", []string{"信访科"}); err != nil {
		t.Fatal(err)
	}
	f.client = loginClient(t, f.srv, "wang", true)
	code, body = get(t, f.fixture, "/incidents?mine=1")
	got := listedNumber.FindAllStringSubmatch(body, -1)
	if code != http.StatusOK || len(got) != 1 || got[0][1] != f.letter || !strings.Contains(body, "我的科室（信访科）") {
		t.Errorf("mine=1 as 信访科: %d %v", code, got)
	}
	var me struct{ Office string }
	getJSON(t, f.fixture, "/api/v1/me", &me)
	if me.Office != "信访科" {
		t.Errorf("/api/v1/me office %q", me.Office)
	}

	for query, msg := range map[string]string{
		"channel=weixin":                "平台参数无效",
		"sentiment=angry":               "情感参数无效",
		"from=2026-13-01":               "起始日期格式",
		"to=yesterday":                  "截止日期格式",
		"from=2026-11-23&to=2026-11-22": "起始日期不能晚于截止日期",
		"stage=signed":                  "处置阶段参数无效",
		"mine=yes":                      "我的科室参数只能是 1",
		"mine=1&office=宣传科":             "请只选其一",
	} {
		if code, body := get(t, f.fixture, "/incidents?"+query); code != http.StatusBadRequest || !strings.Contains(body, msg) {
			t.Errorf("%s: %d, want 400 saying %s", query, code, msg)
		}
		var apiErr struct{ Error string }
		if code := getJSON(t, f.fixture, "/api/v1/incidents?"+query, &apiErr); code != http.StatusBadRequest || !strings.Contains(apiErr.Error, msg) {
			t.Errorf("API %s: %d %q, want 400 saying %s", query, code, apiErr.Error, msg)
		}
	}
}

// TestPostListFilters: the post list and its API take the same shared
// filters.
func TestPostListFilters(t *testing.T) {
	f := setupLists(t)
	for _, c := range []struct {
		query string
		want  []string // titles
	}{
		{"scope=all&channel=gov_message_board", []string{"异地就医备案办不下来"}},
		{"scope=all&sentiment=positive", []string{"我市门诊统筹报销比例提高"}},
		{"scope=incident&from=2026-11-20&to=2026-11-21", []string{"我市门诊统筹报销比例提高"}},
		{"scope=all&channel=news_report&sentiment=negative", nil},
	} {
		var api struct {
			Posts []struct{ Title string } `json:"information"`
		}
		if code := getJSON(t, f.fixture, "/api/v1/information?"+c.query, &api); code != http.StatusOK {
			t.Errorf("API %s: %d", c.query, code)
		}
		var got []string
		for _, p := range api.Posts {
			got = append(got, p.Title)
		}
		if !sameSet(got, c.want) {
			t.Errorf("API %s: %v, want %v", c.query, got, c.want)
		}
		code, body := get(t, f.fixture, "/information?"+c.query)
		for _, title := range []string{"异地就医备案办不下来", "我市门诊统筹报销比例提高"} {
			if shown := strings.Contains(body, title); code != http.StatusOK || shown != slices.Contains(c.want, title) {
				t.Errorf("%s: %d, %s shown %v", c.query, code, title, shown)
			}
		}
	}
	if code, body := get(t, f.fixture, "/information?sentiment=angry"); code != http.StatusBadRequest || !strings.Contains(body, "情感参数无效") {
		t.Errorf("bad sentiment: %d", code)
	}
}

// TestAdminSetsOffice: an admin sets an account's office from the account
// page, one of the configured offices only.
func TestAdminSetsOffice(t *testing.T) {
	f := setup(t)
	admin := loginClient(t, f.srv, "admin", true)
	if code, _, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/wang/office", "office=宣传科", nil); code != http.StatusSeeOther {
		t.Errorf("set office: %d", code)
	}
	if u, err := f.st.(store.AuthStore).UserByName(context.Background(), "wang"); err != nil || u.Office != "宣传科" {
		t.Errorf("office %q, %v", u.Office, err)
	}
	if code, body, _ := do(t, admin, "POST", f.srv.URL+"/admin/users/wang/office", "office=财务科", nil); code != http.StatusBadRequest ||
		!strings.Contains(body, "不在配置的承办科室") {
		t.Errorf("unknown office: %d", code)
	}
	_, body, _ := do(t, admin, "GET", f.srv.URL+"/admin/users", "", nil)
	if !strings.Contains(body, `<option value="宣传科" selected>`) {
		t.Error("the account page does not show wang's office")
	}
}

func sameSet(got, want []string) bool {
	return strings.Join(slices.Sorted(slices.Values(got)), " ") == strings.Join(slices.Sorted(slices.Values(want)), " ")
}

// getJSON decodes the JSON answer to GET path into v and returns its status.
func getJSON(t *testing.T, f *fixture, path string, v any) int {
	t.Helper()
	resp, err := f.client.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp.StatusCode
}
