package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// addInformation stores a post graded as 舆情信息 (neutral or positive 一般,
// filed into no incident) and returns its id.
func addInformation(t *testing.T, f *fixture, u, title, body, sentiment string) int64 {
	t.Helper()
	ctx := context.Background()
	p := model.Post{Source: "bbs", URL: u, Title: title, Body: body, FetchedAt: f.now}
	if _, err := f.st.SavePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if err := f.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, model.Grade{PostID: p.ID, RulesVersion: "abc123", Relevant: true, Category: taxonomy.Policy,
			Level: taxonomy.LevelIV, Sentiment: sentiment, DecidedBy: taxonomy.DecidedByBoth, Information: true, GradedAt: f.now}); err != nil {
			return err
		}
		return tx.IndexPost(ctx, p.ID, p.ContentHash, testSearchText(title, body))
	}); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// testSearchText stands in for the grader's segmentation (the console's
// tests load no dictionary; without one the console cuts a search at
// spaces): the text with the words the tests search for cut out as tokens.
func testSearchText(title, body string) string {
	text := title + " " + body
	for _, w := range []string{"长护险", "门诊共济", "报销", "断缴", "医保", "骗保"} {
		text = strings.ReplaceAll(text, w, " "+w+" ")
	}
	return strings.Join(strings.Fields(text), " ")
}

// fileSuspected files a Ⅱ post on which rules and model disagreed (疑似)
// and returns its incident number.
func fileSuspected(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	svc := incident.New(f.st, incident.DefaultPolicy(), func() time.Time { return f.now }, nil)
	p := model.Post{Source: "bbs", URL: "http://bbs/suspect", Title: "某药店刷医保卡换购日用品", Body: "有人在药店刷医保卡换购洗发水",
		FetchedAt: f.now}
	if _, err := f.st.SavePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	var out incident.Outcome
	if err := f.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, err = svc.File(ctx, tx, p, model.Grade{PostID: p.ID, RulesVersion: "abc123", Relevant: true,
			Category: taxonomy.Institution, Level: taxonomy.LevelII, Score: 2.5, Sentiment: taxonomy.Negative,
			DecidedBy: taxonomy.DecidedByBoth, Review: true, GradedAt: f.now})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !out.Incident.Suspected {
		t.Fatalf("a 疑似 grade opened an incident that is not suspected: %+v", out.Incident)
	}
	return out.Incident.Number
}

var titleCells = regexp.MustCompile(`<td class="title">`)

func TestInformationListsOnlyInformationAndMasks(t *testing.T) {
	f := setup(t)
	addInformation(t, f, "http://info/1", "市医保局发布门诊共济新政解读", "自2027年1月1日起，门诊费用纳入统筹基金支付。", taxonomy.Neutral)
	addInformation(t, f, "http://info/2", "感谢医保窗口热情服务 电话13812345678", "办事很快，点赞！联系我13812345678", taxonomy.Positive)
	code, page := get(t, f, "/information")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{"相关但中性或正面的一般信息（公告、政策解读、咨询、表扬），不需要 24 小时内回复",
		"共 2 条", "市医保局发布门诊共济新政解读", "138****5678", "中性", "正面", "岚川论坛", "政策",
		`href="http://info/1" rel="noreferrer"`, "登记为事件", `href="/missed?url=http%3a%2f%2finfo%2f1"`, `href="/information">舆情信息</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("information page lacks %q", want)
		}
	}
	if strings.Contains(page, "13812345678") {
		t.Error("information page shows an unmasked phone number")
	}
	if strings.Contains(page, "报销材料怎么交") || strings.Contains(page, "康福医院") {
		t.Error("information page lists posts of incidents")
	}
	// Newest first.
	if strings.Index(page, "感谢医保窗口") > strings.Index(page, "门诊共济新政") {
		t.Error("information not listed newest first")
	}

	viewer := loginClient(t, f.srv, "zhao", true)
	code, vpage, _ := do(t, viewer, "GET", f.srv.URL+"/information", "", nil)
	if code != 200 || !strings.Contains(vpage, "门诊共济新政") {
		t.Fatalf("viewer information page: %d", code)
	}
	if strings.Contains(vpage, "登记为事件") || strings.Contains(vpage, `href="/missed`) {
		t.Error("a viewer is offered 补录")
	}
}

func TestInformationSearchAndPages(t *testing.T) {
	f := setup(t)
	for i := range 53 {
		addInformation(t, f, fmt.Sprintf("http://info/%d", i), fmt.Sprintf("医保政策问答第%02d期", i), "异地就医备案怎么办理", taxonomy.Neutral)
	}
	addInformation(t, f, "http://info/special", "长护险试点扩面公告", "长期护理保险试点扩大到全市", taxonomy.Neutral)

	_, first := get(t, f, "/information")
	if n := len(titleCells.FindAllString(first, -1)); n != 50 {
		t.Errorf("first page lists %d posts, want 50", n)
	}
	next := regexp.MustCompile(`href="(/information\?after=[^"]+&amp;page=2)" rel="next">下一页`).FindStringSubmatch(first)
	if !strings.Contains(first, "共 54 条") || next == nil || strings.Contains(first, "回到第一页") ||
		!strings.Contains(first, "长护险试点扩面公告") {
		t.Fatal("first page: count, next link or newest post wrong")
	}
	_, second := get(t, f, strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := len(titleCells.FindAllString(second, -1)); n != 4 {
		t.Errorf("second page lists %d posts, want 4", n)
	}
	if !strings.Contains(second, `href="/information">回到第一页</a>`) || strings.Contains(second, "下一页") ||
		!strings.Contains(second, "医保政策问答第00期") || strings.Contains(second, "长护险") || !strings.Contains(second, "第 51–54 条") {
		t.Error("second page: links or rows wrong")
	}

	_, found := get(t, f, "/information?q="+url.QueryEscape("长护险"))
	if n := len(titleCells.FindAllString(found, -1)); n != 1 || !strings.Contains(found, "共 1 条") ||
		!strings.Contains(found, `value="长护险"`) || !strings.Contains(found, "<mark>长护险</mark>试点扩面公告") {
		t.Errorf("search lists %d posts", n)
	}
	_, none := get(t, f, "/information?q="+url.QueryEscape("没有这个词"))
	if !strings.Contains(none, "共 0 条") || !strings.Contains(none, "没有包含「没有这个词」的帖子") {
		t.Error("empty search result not said")
	}
	for _, bad := range []string{"?after=x", "?scope=nope", "?level=9", "?q=" + url.QueryEscape("，。")} {
		if code, _ := get(t, f, "/information"+bad); code != 400 {
			t.Errorf("%s: %d", bad, code)
		}
	}
}

// TestPostListScopesAndSearch: the 范围 filter lists every post, the
// relevant, the incidents' (linked to their incident) or the irrelevant
// ones; a two-character word is found in any of them and marked in the
// title and in the excerpt, which starts near it in a long body.
func TestPostListScopesAndSearch(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	addInformation(t, f, "http://info/1", "门诊共济新政解读", "门诊费用纳入统筹基金支付，报销比例提高。", taxonomy.Neutral)
	noise := &model.Post{Source: "bbs", URL: "http://bbs/noise", Title: "周末去哪玩", FetchedAt: f.now,
		Body: strings.Repeat("天气很好，出去走走。", 20) + "顺便问下医保断缴了怎么补，电话13812345678"}
	if _, err := f.st.SavePost(ctx, noise); err != nil {
		t.Fatal(err)
	}
	if err := f.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveGrade(ctx, model.Grade{PostID: noise.ID, RulesVersion: "abc123", GradedAt: f.now}); err != nil {
			return err
		}
		return tx.IndexPost(ctx, noise.ID, noise.ContentHash, testSearchText(noise.Title, noise.Body))
	}); err != nil {
		t.Fatal(err)
	}
	// The fixture's two incident posts were graded before search existed.
	if err := f.st.InTx(ctx, func(tx store.Tx) error {
		for _, u := range []string{"http://bbs/1", "http://bbs/2"} {
			p, _, err := f.st.PostByURL(ctx, u)
			if err != nil {
				return err
			}
			if err := tx.IndexPost(ctx, p.ID, p.ContentHash, testSearchText(p.Title, p.Body)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		query       string
		want, avoid []string
	}{
		{"", []string{"共 1 条", "门诊共济新政解读"}, []string{"周末去哪玩", "报销材料怎么交"}},
		{"?scope=all", []string{"共 4 条", "门诊共济新政解读", "周末去哪玩", "报销材料怎么交", "不相关", "已立案",
			`href="/incidents/` + f.minor + `">` + f.minor + `</a>`}, nil},
		{"?scope=relevant", []string{"共 3 条", "门诊共济新政解读", "报销材料怎么交"}, []string{"周末去哪玩"}},
		{"?scope=incident", []string{"共 2 条", "康福医院", "报销材料怎么交"}, []string{"门诊共济", "周末去哪玩"}},
		{"?scope=irrelevant", []string{"共 1 条", "周末去哪玩"}, []string{"门诊共济", "报销材料怎么交"}},
		{"?scope=all&level=2", []string{"共 1 条", "康福医院"}, []string{"报销材料怎么交"}},
		{"?scope=all&category=reimbursement", []string{"共 1 条", "报销材料怎么交"}, []string{"康福医院"}},
		{"?scope=all&q=" + url.QueryEscape("报销"), []string{"共 2 条", "<mark>报销</mark>材料怎么交",
			"<mark>报销</mark>比例提高"}, []string{"周末去哪玩", "康福医院"}},
		{"?scope=all&q=" + url.QueryEscape("断缴"), []string{"共 1 条", "医保<mark>断缴</mark>了怎么补", "138****5678"},
			[]string{"13812345678", "门诊共济", "天气很好，出去走走。天气很好，出去走走。天气很好"}},
		{"?scope=all&q=" + url.QueryEscape("断缴 报销"), []string{"共 0 条"}, nil},
		{"?q=" + url.QueryEscape("断缴"), []string{"共 0 条"}, nil},
	} {
		code, page := get(t, f, "/information"+c.query)
		if code != 200 {
			t.Errorf("%s: status %d", c.query, code)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: page lacks %q", c.query, w)
			}
		}
		for _, a := range c.avoid {
			if strings.Contains(page, a) {
				t.Errorf("%s: page shows %q", c.query, a)
			}
		}
	}
}

func TestMissedFormFilesAnIncident(t *testing.T) {
	f := setup(t)
	code, page := get(t, f, "/missed?url="+url.QueryEscape("https://weibo.example/123"))
	if code != 200 || !strings.Contains(page, `value="https://weibo.example/123"`) || !strings.Contains(page, `<option value="manual" selected>人工补录</option>`) ||
		!strings.Contains(page, ">未判断</option>") || !strings.Contains(page, ">Ⅲ级 较大</option>") || !strings.Contains(page, ">参保服务</option>") {
		t.Fatalf("补录 form: %d", code)
	}
	if _, list := get(t, f, "/incidents"); !strings.Contains(list, `href="/missed">补录漏报</a>`) {
		t.Error("no 补录漏报 link for a handler")
	}
	resp := post(t, f, "/missed", url.Values{"url": {""}, "source": {"manual"}, "title": {"医保卡被冒用"},
		"body": {"我的医保卡在外地被人刷了三千元，电话13912345678"}, "category": {string(taxonomy.Institution)}, "level": {"3"},
		"sentiment": {taxonomy.Negative}, "note": {"市民来电"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("补录: status %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	number, ok := strings.CutPrefix(strings.TrimSuffix(loc, "#log"), "/incidents/")
	if !ok || !strings.HasSuffix(loc, "#log") {
		t.Fatalf("redirect to %q", loc)
	}
	d := detail(t, f, number)
	if d.Incident.Level != 3 || d.Incident.Category != taxonomy.Institution || len(d.Posts) != 1 {
		t.Fatalf("filed incident %+v", d.Incident)
	}
	p := d.Posts[0]
	if p.Post.Source != incident.ManualSource || p.Grade.DecidedBy != taxonomy.DecidedByStaff || p.Grade.Sentiment != taxonomy.Negative {
		t.Errorf("filed post %+v grade %+v", p.Post, p.Grade)
	}
	if e := lastEvent(d); e.Kind != model.EventMissedFiled || e.Actor != "王科员（wang）" {
		t.Errorf("event %+v", e)
	}
	_, page = get(t, f, "/incidents/"+number)
	for _, want := range []string{"人工补录", "判定：人工", "情感：负面", "<strong>补录漏报</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("detail of the filed incident lacks %q", want)
		}
	}
	if strings.Contains(page, "规则版本 staff") || strings.Contains(page, "manual:") {
		t.Error("detail shows internal keys of a hand-entered post")
	}
	if rows := auditRows(t, f.auth.Store(), "incident.missed"); len(rows) != 1 || rows[0].Target != number || !rows[0].OK {
		t.Errorf("audit rows %+v", rows)
	}

	// An information post, named by its address alone, becomes an incident
	// and leaves the 舆情信息 list.
	addInformation(t, f, "http://info/praise", "窗口服务好", "点赞", taxonomy.Positive)
	mustStep(t, f, "/missed", url.Values{"url": {"http://info/praise"}, "source": {"manual"}, "category": {string(taxonomy.Policy)},
		"level": {"4"}, "sentiment": {""}})
	if _, info := get(t, f, "/information"); strings.Contains(info, "窗口服务好") || !strings.Contains(info, "共 0 条") {
		t.Error("a filed information post is still listed")
	}
}

func TestMissedFormRefusals(t *testing.T) {
	f := setup(t)
	cases := []struct {
		name string
		form url.Values
		want string
	}{
		{"empty", url.Values{"title": {"只有标题"}, "category": {string(taxonomy.Treatment)}, "level": {"4"}, "note": {"保留的说明"}},
			"补录失败：请粘贴帖子正文"},
		{"unknown url", url.Values{"url": {"http://nowhere/9"}, "category": {string(taxonomy.Treatment)}, "level": {"4"}},
			"补录失败：系统没有采集过这个网址"},
		{"filed", url.Values{"url": {"http://bbs/1"}, "category": {string(taxonomy.Treatment)}, "level": {"4"}},
			"补录失败：该帖子已在事件中 " + f.major},
		{"level", url.Values{"body": {"正文"}, "category": {string(taxonomy.Treatment)}, "level": {""}}, "补录失败：等级只能是"},
		{"category", url.Values{"body": {"正文"}, "category": {""}, "level": {"4"}}, "补录失败：请选择类别"},
		{"sentiment", url.Values{"body": {"正文"}, "category": {string(taxonomy.Treatment)}, "level": {"4"}, "sentiment": {"angry"}},
			"补录失败：情感只能是"},
		{"source", url.Values{"body": {"正文"}, "source": {"nosuch"}, "category": {string(taxonomy.Treatment)}, "level": {"4"}},
			"补录失败：请选择配置中的来源"},
	}
	for _, c := range cases {
		code, page := postPage(t, f, "/missed", c.form)
		if code != 400 || !strings.Contains(page, c.want) {
			t.Errorf("%s: status %d, page lacks %q", c.name, code, c.want)
		}
		if c.form.Get("category") == string(taxonomy.Treatment) && !strings.Contains(page, `<option value="treatment" selected>`) {
			t.Errorf("%s: the category entered is not kept", c.name)
		}
	}
	_, page := postPage(t, f, "/missed", cases[0].form)
	if !strings.Contains(page, `value="只有标题"`) || !strings.Contains(page, `value="保留的说明"`) || !strings.Contains(page, `<option value="4" selected>`) {
		t.Error("refused form lost what was entered")
	}
	if _, page := postPage(t, f, "/missed", cases[2].form); !strings.Contains(page, `href="/incidents/`+f.major+`"`) {
		t.Error("no link to the incident the post is already in")
	}
	if code, page := postPage(t, f, "/missed", url.Values{"body": {strings.Repeat("a", 1<<20+1)}, "category": {string(taxonomy.Treatment)},
		"level": {"4"}}); code != 400 || !strings.Contains(page, "过长（最多 1 MB）") {
		t.Errorf("over-long body: %d", code)
	}
	incs, err := f.st.Incidents(context.Background(), store.IncidentFilter{})
	if err != nil || len(incs.Incidents) != 2 {
		t.Errorf("refusals created incidents: %d, %v", len(incs.Incidents), err)
	}

	viewer := loginClient(t, f.srv, "zhao", true)
	if code, _, _ := do(t, viewer, "GET", f.srv.URL+"/missed", "", nil); code != http.StatusForbidden {
		t.Errorf("viewer GET /missed: %d", code)
	}
	if code, _, _ := do(t, viewer, "POST", f.srv.URL+"/missed", "body=x&category=policy&level=4", nil); code != http.StatusForbidden {
		t.Errorf("viewer POST /missed: %d", code)
	}
}

func TestSuspectedIncidentConfirmForm(t *testing.T) {
	f := setup(t)
	number := fileSuspected(t, f)
	_, list := get(t, f, "/incidents")
	if strings.Count(list, `<span class="badge suspected"`) != 1 {
		t.Error("the list does not mark exactly the suspected incident")
	}
	_, page := get(t, f, "/incidents/"+number)
	for _, want := range []string{"疑似重大舆情：规则与模型对是否达到Ⅱ级以上意见不一，已按Ⅱ级处置，请核实后确认或降级",
		`action="/incidents/` + number + `/confirm"`, "情感：负面", "判定：规则与模型", `<strong class="suspected">疑似</strong>`} {
		if !strings.Contains(page, want) {
			t.Errorf("suspected detail lacks %q", want)
		}
	}
	_, minor := get(t, f, "/incidents/"+f.minor)
	if strings.Contains(minor, "/confirm\"") || strings.Contains(minor, "疑似") || strings.Contains(minor, "情感：") || strings.Contains(minor, "判定：") {
		t.Error("a plain incident shows 疑似, 情感 or 判定")
	}
	if code, body := postPage(t, f, "/incidents/"+f.minor+"/confirm", url.Values{"note": {"x"}}); code != 400 ||
		!strings.Contains(body, "确认疑似失败：事件不是疑似，无需确认") {
		t.Errorf("confirm of a plain incident: %d", code)
	}
	mustStep(t, f, "/incidents/"+number+"/confirm", url.Values{"note": {"已核实，确系重大"}})
	d := detail(t, f, number)
	if d.Incident.Suspected || d.Incident.Level != 2 || lastEvent(d).Kind != model.EventConfirmed || lastEvent(d).Actor != "王科员（wang）" {
		t.Errorf("after confirm: %+v, %+v", d.Incident, lastEvent(d))
	}
	_, page = get(t, f, "/incidents/"+number)
	if !strings.Contains(page, "<strong>确认疑似</strong>") || strings.Contains(page, "疑似重大舆情") || strings.Contains(page, "/confirm\"") {
		t.Error("confirmed incident still shown as suspected")
	}
	viewer := loginClient(t, f.srv, "zhao", true)
	for _, a := range []string{"confirm", "category"} {
		if code, _, _ := do(t, viewer, "POST", f.srv.URL+"/incidents/"+f.minor+"/"+a, "note=x&category=policy", nil); code != http.StatusForbidden {
			t.Errorf("viewer %s: %d", a, code)
		}
	}
}

func TestCategoryForm(t *testing.T) {
	f := setup(t)
	_, page := get(t, f, "/incidents/"+f.minor)
	if !strings.Contains(page, `action="/incidents/`+f.minor+`/category"`) || !strings.Contains(page, `<option value="reimbursement" selected>`) {
		t.Fatal("no category form with the current category")
	}
	for _, c := range []struct{ cat, note, want string }{
		{string(taxonomy.Policy), "", "更正类别失败：请填写原因"},
		{string(taxonomy.Reimbursement), "x", "更正类别失败：类别未变化"},
		{"weather", "x", "更正类别失败：请选择类别"},
	} {
		code, body := postPage(t, f, "/incidents/"+f.minor+"/category", url.Values{"category": {c.cat}, "note": {c.note}})
		if code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s/%q: status %d, lacks %q", c.cat, c.note, code, c.want)
		}
	}
	mustStep(t, f, "/incidents/"+f.minor+"/category", url.Values{"category": {string(taxonomy.Policy)}, "note": {"问的是政策"}})
	d := detail(t, f, f.minor)
	if d.Incident.Category != taxonomy.Policy || lastEvent(d).Kind != model.EventCategoryChanged {
		t.Errorf("after category change: %+v", d.Incident)
	}
	_, page = get(t, f, "/incidents/"+f.minor)
	if !strings.Contains(page, "<strong>更正类别</strong>") || !strings.Contains(page, "问的是政策") {
		t.Error("category change not in the log")
	}
	labels, err := f.st.Labels(context.Background(), 0, 10)
	if err != nil || len(labels) != 1 || labels[0].Label.Origin != store.LabelCategory || labels[0].Label.Category != taxonomy.Policy {
		t.Errorf("labels %+v, %v", labels, err)
	}
}

func TestConfirmAndCategoryThroughAPI(t *testing.T) {
	f := setup(t)
	number := fileSuspected(t, f)
	api := f.srv.URL + "/api/v1/incidents/"
	code, body, _ := do(t, f.client, "GET", api+number, "", nil)
	var got struct {
		Incident struct {
			Suspected bool   `json:"suspected"`
			Category  string `json:"category"`
		} `json:"incident"`
		Posts []struct {
			Sentiment string `json:"sentiment"`
			DecidedBy string `json:"decided_by"`
			Review    bool   `json:"review"`
		} `json:"posts"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("GET: %d %v", code, err)
	}
	if !got.Incident.Suspected || len(got.Posts) != 1 || got.Posts[0].Sentiment != "negative" ||
		got.Posts[0].DecidedBy != "rules+model" || !got.Posts[0].Review {
		t.Errorf("API detail %+v", got)
	}
	if code, body, _ := do(t, f.client, "POST", api+f.minor+"/confirm", `{"note":"x"}`, nil); code != 409 || !strings.Contains(body, "事件不是疑似") {
		t.Errorf("confirm of a plain incident: %d %s", code, body)
	}
	if code, body, _ := do(t, f.client, "POST", api+number+"/confirm", `{"note":"核实无误"}`, nil); code != 200 || strings.Contains(body, `"suspected"`) {
		t.Errorf("confirm: %d %s", code, body)
	}
	if code, body, _ := do(t, f.client, "POST", api+number+"/category", `{"category":"nope","note":"x"}`, nil); code != 409 || !strings.Contains(body, "请选择类别") {
		t.Errorf("bad category: %d %s", code, body)
	}
	if code, body, _ := do(t, f.client, "POST", api+number+"/category", `{"category":"treatment","note":"是就医问题"}`, nil); code != 200 ||
		!strings.Contains(body, `"category": "treatment"`) {
		t.Errorf("category: %d %s", code, body)
	}
	d := detail(t, f, number)
	if d.Incident.Suspected || d.Incident.Category != taxonomy.Treatment {
		t.Errorf("after API actions: %+v", d.Incident)
	}
}

func TestInformationThroughAPI(t *testing.T) {
	f := setup(t)
	addInformation(t, f, "http://info/1", "市医保局发布门诊共济新政解读", "自2027年1月1日起，门诊费用纳入统筹基金支付。", taxonomy.Neutral)
	addInformation(t, f, "http://info/2", "感谢医保窗口热情服务 电话13812345678", "办事很快，点赞！联系我13812345678", taxonomy.Positive)
	api := f.srv.URL + "/api/v1/information"
	code, body, _ := do(t, f.client, "GET", api+"?limit=1", "", nil)
	var got struct {
		Total       int `json:"total"`
		Information []struct {
			Title, Excerpt, Sentiment, URL string
		} `json:"information"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("GET: %d %v %s", code, err, body)
	}
	if got.Total != 2 || len(got.Information) != 1 || got.Information[0].URL != "http://info/2" ||
		got.Information[0].Title != "感谢医保窗口热情服务 电话138****5678" || got.Information[0].Sentiment != "positive" ||
		strings.Contains(body, "13812345678") {
		t.Errorf("API information %s", body)
	}
	if code, body, _ := do(t, f.client, "GET", api+"?q="+url.QueryEscape("门诊共济"), "", nil); code != 200 || !strings.Contains(body, `"total": 1`) {
		t.Errorf("search: %d %s", code, body)
	}
	if code, body, _ := do(t, f.client, "GET", api+"?scope=all&limit=1", "", nil); code != 200 || !strings.Contains(body, `"total": 4`) ||
		!strings.Contains(body, `"next": "`) {
		t.Errorf("every post: %d %s", code, body)
	}
	if code, _, _ := do(t, f.client, "GET", api+"?offset=1", "", nil); code != 400 {
		t.Errorf("offset: %d", code)
	}
	if code, _, _ := do(t, f.client, "GET", api+"?limit=0", "", nil); code != 400 {
		t.Errorf("limit=0: %d", code)
	}
}
