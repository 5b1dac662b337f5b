package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The incident list holds any number of incidents: pages of 50 with a
// total, followed by keyset links to the last one, each incident once;
// the API pages the same way with next/after.
func TestIncidentListPages(t *testing.T) {
	f := setup(t)
	cats := taxonomy.Categories
	for i := range 118 {
		f.file(fmt.Sprintf("http://bbs/p%d", i), fmt.Sprintf("第%d号问题 事项%c%c", i, rune('甲'+i%10), rune('子'+i/10)),
			fmt.Sprintf("内容%d", i), taxonomy.LevelIV, cats[i%len(cats)], nil)
	}
	number := regexp.MustCompile(`<td class="num"><a href="/incidents/([^"]+)">`)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">下一页</a>`)
	seen := map[string]int{}
	path := "/incidents?status=all"
	for page := 1; ; page++ {
		code, body := get(t, f, path)
		if code != http.StatusOK {
			t.Fatalf("page %d: status %d", page, code)
		}
		shown := number.FindAllStringSubmatch(body, -1)
		for _, m := range shown {
			seen[m[1]]++
		}
		from := (page-1)*50 + 1
		if want := fmt.Sprintf("共 120 件，第 %d 页（第 %d–%d 件）", page, from, from+len(shown)-1); !strings.Contains(body, want) {
			t.Errorf("page %d lacks %q", page, want)
		}
		if page > 1 && !strings.Contains(body, ">回到第一页</a>") {
			t.Errorf("page %d has no way back to the first", page)
		}
		m := next.FindStringSubmatch(body)
		if m == nil {
			if page != 3 || len(shown) != 20 {
				t.Errorf("the list ends on page %d with %d incidents, want page 3 with 20", page, len(shown))
			}
			break
		}
		if len(shown) != 50 || page > 3 {
			t.Fatalf("page %d: %d incidents and a next page", page, len(shown))
		}
		path = html.UnescapeString(m[1])
		if !strings.Contains(path, "status=all") {
			t.Errorf("the next link drops the filter: %s", path)
		}
	}
	if len(seen) != 120 {
		t.Errorf("%d incidents listed, want 120", len(seen))
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", n, c)
		}
	}

	// The API: the same filters, next/after instead of pages.
	var got []string
	after, total := "", 0
	for range 10 {
		var body struct {
			Incidents []struct {
				Number   string `json:"number"`
				Category string `json:"category"`
			} `json:"incidents"`
			Total int    `json:"total"`
			Next  string `json:"next"`
		}
		resp, err := f.client.Get(f.srv.URL + "/api/v1/incidents?category=policy&limit=7&after=" + after)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("API page: %d, %v", resp.StatusCode, err)
		}
		for _, i := range body.Incidents {
			if i.Category != "policy" {
				t.Errorf("API filter let through %+v", i)
			}
			got = append(got, i.Number)
		}
		total = body.Total
		if after = body.Next; after == "" {
			break
		}
	}
	if total != 19 || len(got) != 19 { // i%6 == 4 for i < 118
		t.Errorf("API: %d policy incidents over the pages, total %d; want 19", len(got), total)
	}
	for _, c := range []struct{ query, want string }{
		{"offset=50", "offset 参数已停用"},
		{"after=garbage!", "分页位置无效"},
		{"sort=oldest", "排序参数无效"},
		{"overdue=yes", "逾期参数只能是 1"},
	} {
		resp, err := f.client.Get(f.srv.URL + "/api/v1/incidents?" + c.query)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: %d %q, want 400 %q", c.query, resp.StatusCode, e.Error, c.want)
		}
	}
	if code, body := get(t, f, "/incidents?after=garbage!"); code != http.StatusBadRequest || !strings.Contains(body, "分页位置无效，请回到第一页") {
		t.Errorf("page with a bad position: %d", code)
	}
}

// 只看逾期 lists the incidents with a stage past its deadline, the same
// ones the list marks as overdue.
func TestIncidentListOverdue(t *testing.T) {
	f := setup(t) // the Ⅱ incident's acknowledgement is overdue, the Ⅳ one's follow-up is not yet
	_, body := get(t, f, "/incidents?overdue=1")
	if !strings.Contains(body, f.major) || strings.Contains(body, f.minor) || !strings.Contains(body, "共 1 件") {
		t.Errorf("overdue list: major %v, minor %v", strings.Contains(body, f.major), strings.Contains(body, f.minor))
	}
}

// The printable 处置单 holds the incident's facts, deadlines, posts and
// log, with personal data masked even for a handler, who sees it in full
// on the page: a printed sheet leaves the system.
func TestPrintSheet(t *testing.T) {
	f := setup(t)
	mustStep(t, f, "/incidents/"+f.major+"/ack", url.Values{"note": {"已签收"}})
	_, detail := get(t, f, "/incidents/"+f.major)
	if !strings.Contains(detail, "13812345678") || !strings.Contains(detail, `href="/incidents/`+f.major+`/print"`) {
		t.Fatal("the handler's detail page shows no full text or no print link")
	}
	code, sheet := get(t, f, "/incidents/"+f.major+"/print")
	if code != http.StatusOK {
		t.Fatalf("print: %d", code)
	}
	for _, want := range []string{"医保舆情事件处置单", f.major, "Ⅱ级 重大", "签收", "跟进回复", "当前环节", "待跟进回复",
		"138****5678", "处置记录", "王科员", "经办人签字"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("sheet lacks %q", want)
		}
	}
	if strings.Contains(sheet, "13812345678") {
		t.Error("the printed sheet shows a phone number")
	}
	if code, _ := get(t, f, "/incidents/YQ-20000101-0001/print"); code != http.StatusNotFound {
		t.Errorf("sheet of an unknown incident: %d", code)
	}
}

// A handler merges two incidents about one event from the console (the
// step asks to confirm), and splits a post back out.
func TestMergeAndSplitForms(t *testing.T) {
	f := setup(t)
	_, page := get(t, f, "/incidents/"+f.minor)
	if !strings.Contains(page, `action="/incidents/`+f.minor+`/merge"`) || strings.Contains(page, `/split"`) {
		t.Fatal("the detail page lacks the merge form, or offers a split of a single post")
	}
	if code, body := postPage(t, f, "/incidents/"+f.minor+"/merge", url.Values{"target": {f.major}, "note": {"同一件事"}}); code != 400 ||
		!strings.Contains(body, "合并失败：请勾选「确认合并") {
		t.Errorf("merge without the confirmation: %d", code)
	}
	mustStep(t, f, "/incidents/"+f.minor+"/merge", url.Values{"target": {f.major}, "note": {"同一件事"}, "confirmed": {"1"}})
	d := detail(t, f, f.major)
	if len(d.Posts) != 2 || d.Incident.PostCount != 2 {
		t.Fatalf("after merge the target holds %d posts", len(d.Posts))
	}
	if _, page := get(t, f, "/incidents/"+f.minor); !strings.Contains(page, "合并至事件 "+f.major) {
		t.Error("the merged incident does not say where its posts went")
	}
	_, page = get(t, f, "/incidents/"+f.major)
	if !strings.Contains(page, "<strong>他案并入</strong>") || !strings.Contains(page, `action="/incidents/`+f.major+`/split"`) {
		t.Error("the target's log or split form is missing")
	}
	moved := d.Posts[1].Post.ID
	mustStep(t, f, "/incidents/"+f.major+"/split", url.Values{"post_id": {fmt.Sprint(moved)}, "note": {"不是同一件事"}})
	if d := detail(t, f, f.major); len(d.Posts) != 1 {
		t.Errorf("after split the incident holds %d posts", len(d.Posts))
	}
}

// From the post list a handler files a 舆情信息 post into an incident.
func TestAttachFromPostList(t *testing.T) {
	f := setup(t)
	id := addInformation(t, f, "http://info/a", "报销材料可以网上提交了吗", "听说住院报销材料可以在网上提交，有没有人试过？", taxonomy.Neutral)
	_, page := get(t, f, "/information")
	if !strings.Contains(page, fmt.Sprintf(`action="/posts/%d/attach"`, id)) {
		t.Fatal("the post list offers no way to file a post into an incident")
	}
	if code, body := postPage(t, f, fmt.Sprintf("/posts/%d/attach", id), url.Values{"target": {"YQ-20000101-0001"}, "note": {"x"}}); code != http.StatusNotFound ||
		!strings.Contains(body, "事件 YQ-20000101-0001 不存在") {
		t.Errorf("attach to an unknown incident: %d", code)
	}
	resp := post(t, f, fmt.Sprintf("/posts/%d/attach", id), url.Values{"target": {f.minor}, "note": {"同一报销问题"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), f.minor+"?done=attach") {
		t.Fatalf("attach: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	d := detail(t, f, f.minor)
	if len(d.Posts) != 2 || d.Incident.PostCount != 2 || lastEvent(d).Kind != "attached" {
		t.Errorf("after attach: %d posts, last event %+v", len(d.Posts), lastEvent(d))
	}
	if _, page := get(t, f, "/incidents/"+f.minor+"?done=attach"); !strings.Contains(page, "已完成「并入帖子」") {
		t.Error("no notice after attaching")
	}
}
