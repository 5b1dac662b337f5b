package incident_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

var (
	engOnce sync.Once
	eng     *classifier.Engine
	engErr  error
)

// gseWords is the daemon's tokenizer: the shipped rules' gse segmenter.
func gseWords(t testing.TB) incident.Tokenizer {
	t.Helper()
	engOnce.Do(func() {
		eng, engErr = classifier.Load(filepath.Join("..", "configs", "rules.yaml"), filepath.Join("..", "configs", "dict"), nil)
	})
	if engErr != nil {
		t.Fatal(engErr)
	}
	return func(s string) []string {
		var out []string
		for _, tok := range eng.Segment(s) {
			out = append(out, tok.Text)
		}
		return out
	}
}

const (
	kangfuTitle = "康福医院组织老人挂床住院套取医保基金"
	kangfuBody  = "岚川市康福医院最近组织村里的老人去住院，人不用在医院，床位挂着就行，每人给两百元购物卡，" +
		"医保卡交给医院刷。我们村已经有十几个老人被拉去了，这是明目张胆的骗保，希望医保局严查。"
)

func TestSimHashNearDuplicates(t *testing.T) {
	tok := gseWords(t)
	a := incident.SimHash(tok(kangfuTitle + kangfuBody))
	if d := incident.Distance(a, incident.SimHash(tok(kangfuTitle+kangfuBody))); d != 0 {
		t.Fatalf("same text distance %d", d)
	}
	edited := strings.Replace(kangfuBody, "十几个", "二十多个", 1) + "（转自岚川论坛）"
	if d := incident.Distance(a, incident.SimHash(tok(kangfuTitle+edited))); d > 3 {
		t.Errorf("lightly edited repost at distance %d, want ≤ 3", d)
	}
	other := incident.SimHash(tok("异地就医备案后结算失败" + "在省外住院，出院时医院说备案信息查不到，只能全额自费，回来手工报销要等三个月。"))
	if d := incident.Distance(a, other); d <= 10 {
		t.Errorf("unrelated post at distance %d", d)
	}
}

func TestEntitiesAndKeyTerms(t *testing.T) {
	toks := gseWords(t)(kangfuTitle + kangfuBody)
	ents := incident.Entities(toks)
	if !contains(ents, "康福医院") {
		t.Errorf("entities %q lack 康福医院", ents)
	}
	terms := incident.KeyTerms(toks, ents)
	for _, stop := range []string{"医保", "希望", "我们", "老人"} {
		if contains(terms, stop) {
			t.Errorf("key terms %q keep stop word %s", terms, stop)
		}
	}
	if !contains(terms, "挂床住院") || !contains(terms, "骗保") {
		t.Errorf("key terms %q lack 挂床住院/骗保", terms)
	}
}

func TestEntitiesJoinSplitNames(t *testing.T) {
	tok := gseWords(t)
	for text, want := range map[string]string{
		"在枫源市肿瘤医院化疗":           "枫源市肿瘤医院",
		"岚川市人民医院拒绝医保结算":        "岚川市人民医院",
		"城关镇卫生院不给刷医保卡":         "城关镇卫生院",
		"人民路店惠民堂大药房串换药品":       "惠民堂大药房",
		"我们村里的老人去了康福医院":        "康福医院",
		"石屋村村民反映":              "石屋村",
		"东湖社区卫生服务中心收费":         "东湖社区卫生服务中心",
		"鹤汀市安泰康复医院成批虚假住院":      "鹤汀市安泰康复医院",
		"交给医院刷卡，去医保局办事大厅，住在农村": "",
		"枫源一民营医院被曝组织老人住院":      "",
	} {
		got := incident.Entities(tok(text))
		if want == "" && len(got) != 0 || want != "" && !contains(got, want) {
			t.Errorf("Entities(%s) = %q, want %q", text, got, want)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func setupGse(t *testing.T) (store.Store, *incident.Service, *clock) {
	return setupWith(t, gseWords(t))
}

func TestNearDuplicateJoinsFirstPostsIncident(t *testing.T) {
	st, svc, c := setupGse(t)
	a := savePost(t, st, "http://bbs/a", kangfuTitle, kangfuBody, c.t)
	first := file(t, st, svc, a, 3, "institution")
	c.t = c.t.Add(2 * time.Hour)
	// A repost with another title and a few words changed: neither the
	// content hash nor the title key matches.
	b := savePost(t, st, "http://weibo/b", "转：村里老人被拉去挂床", strings.Replace(kangfuBody, "十几个", "二十多个", 1), c.t)
	out := file(t, st, svc, b, 3, "institution")
	if !out.Joined || out.Incident.Number != first.Incident.Number {
		t.Fatalf("near-duplicate not joined: %+v", out)
	}
	d, _ := st.IncidentDetail(context.Background(), first.Incident.Number)
	if !strings.Contains(d.Posts[1].Reason, "SimHash 海明距离") || d.Incident.PostCount != 2 {
		t.Errorf("reason %q, posts %d", d.Posts[1].Reason, d.Incident.PostCount)
	}
}

func TestSameEventJoinsWithReason(t *testing.T) {
	st, svc, c := setupGse(t)
	a := savePost(t, st, "http://bbs/a", kangfuTitle, kangfuBody, c.t)
	first := file(t, st, svc, a, 3, "institution")
	c.t = c.t.Add(5 * time.Hour)
	b := savePost(t, st, "http://news/b", "记者调查：康福医院挂床住院骗保 老人领购物卡",
		"本报记者走访发现，康福医院存在挂床住院现象，多名老人称住院期间从未在病房过夜，医院按人头发放购物卡。", c.t)
	out := file(t, st, svc, b, 2, "institution")
	if !out.Joined || out.Incident.Number != first.Incident.Number {
		t.Fatalf("same-event post not joined: %+v", out)
	}
	if !out.Raised || out.Incident.Level != 2 {
		t.Errorf("a Ⅱ post should raise the incident: %+v", out.Incident)
	}
	d, _ := st.IncidentDetail(context.Background(), first.Incident.Number)
	if r := d.Posts[1].Reason; !strings.Contains(r, "同一事件：同涉「康福医院") || !strings.Contains(r, "共同关键词") {
		t.Errorf("reason %q", r)
	}
	// A post about another hospital stays apart.
	other := savePost(t, st, "http://bbs/c", "仁和医院挂床住院", "仁和医院也有老人住院不在床的情况，购物卡照发。", c.t)
	if out := file(t, st, svc, other, 3, "institution"); !out.Created {
		t.Errorf("post about another institution joined %s", out.Incident.Number)
	}
}

func TestBurstRaisesLevelOnce(t *testing.T) {
	st, svc, c := setup(t)
	var number string
	raised := 0
	for i := range 7 {
		p := savePost(t, st, "http://bbs/"+string(rune('a'+i)), "报销款三个月还没到账怎么回事", "住院报销材料交了三个月，款还没到。", c.t)
		out := file(t, st, svc, p, 4, "reimbursement")
		if i == 0 {
			number = out.Incident.Number
		}
		if out.Raised {
			raised++
			if i != 4 {
				t.Errorf("raised at post %d, want at the 5th", i+1)
			}
		}
		c.t = c.t.Add(time.Hour)
	}
	d, _ := st.IncidentDetail(context.Background(), number)
	if raised != 1 || d.Incident.Level != 3 {
		t.Fatalf("raised %d times, level %d", raised, d.Incident.Level)
	}
	var notes []string
	for _, e := range d.Events {
		if e.Kind == model.EventLevelChanged {
			notes = append(notes, e.Note)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "24小时内相关帖子达 5 条") || !strings.Contains(notes[0], "升为Ⅲ级") {
		t.Errorf("level events %q", notes)
	}
}

func TestSameEventAcrossPlatformsMatchesNameWithoutRegion(t *testing.T) {
	st, svc, c := setupGse(t)
	a := savePost(t, st, "http://bbs/a", "实名举报鹤汀市安泰康复医院成批虚假住院骗取医保基金",
		"本人2024年3月至2025年在鹤汀市安泰康复医院做护工，亲眼看到医院组织附近村里老人办理虚假住院，人不在病房，每人每天发五十元，医保统筹基金照常结算。", c.t)
	first := file(t, st, svc, a, 2, "institution")
	c.t = c.t.Add(3 * time.Hour)
	b := savePost(t, st, "http://weibo/b", "",
		"#鹤汀安泰康复医院虚假住院# 网友爆料：安泰康复医院组织老人挂名住院，每天给五十元，医保基金被套取，卫健和医保部门快查查！", c.t)
	out := file(t, st, svc, b, 2, "institution")
	if !out.Joined || out.Incident.Number != first.Incident.Number {
		t.Fatalf("weibo post about the same hospital not joined: %+v", out)
	}
	// Past the event window, a new post opens its own incident.
	c.t = c.t.Add(49 * time.Hour)
	late := savePost(t, st, "http://weibo/c", "", "安泰康复医院又被曝光组织老人虚假住院，每天五十元。", c.t)
	if out := file(t, st, svc, late, 2, "institution"); out.Joined {
		t.Errorf("post outside the event window joined %s: %+v", out.Incident.Number, out)
	}
}

func TestShortPostsAreNeverNearDuplicates(t *testing.T) {
	st, svc, c := setupGse(t)
	a := savePost(t, st, "http://weibo/a", "", "医保卡丢了咋办", c.t)
	b := savePost(t, st, "http://weibo/b", "", "医保卡丢了怎么补", c.t)
	if fp := svc.Fingerprint(a); fp.SimHash != 0 {
		t.Errorf("short post has SimHash %x", fp.SimHash)
	}
	first := file(t, st, svc, a, 4, "enrollment")
	if out := file(t, st, svc, b, 4, "enrollment"); out.Incident.Number == first.Incident.Number {
		t.Errorf("two short posts grouped: %+v", out)
	}
}

// TestFilingAgainAndAfterClose: a repost joins its incident once (filing
// it again, a retried grade, changes nothing), and once the incident is
// closed the next repost opens a new one.
func TestFilingAgainAndAfterClose(t *testing.T) {
	st, _, c := setup(t)
	policy := incident.DefaultPolicy()
	policy.Location = cst
	svc := incident.New(st, policy, c.now, gseWords(t))
	ctx := context.Background()
	fileRow := func(p model.Post) incident.Outcome {
		t.Helper()
		var out incident.Outcome
		g := model.Grade{PostID: p.ID, RulesVersion: "v1", Relevant: true, Category: "institution", Level: 3, GradedAt: c.t}
		if err := st.InRowTx(ctx, func(tx store.Tx) (err error) {
			out, err = svc.File(ctx, tx, p, g)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := savePost(t, st, "http://bbs/a", kangfuTitle, kangfuBody, c.t)
	b := savePost(t, st, "http://weibo/b", "转：村里老人被拉去挂床", strings.Replace(kangfuBody, "十几个", "二十多个", 1), c.t)
	first := fileRow(a)
	if !first.Created {
		t.Fatalf("first post: %+v; want created", first)
	}
	if out := fileRow(b); !out.Joined || out.Incident.Number != first.Incident.Number {
		t.Fatalf("near-duplicate: %+v; want joined", out)
	}
	if again := fileRow(b); again.Joined || again.Created || again.Incident.PostCount != 2 {
		t.Errorf("second filing of the same post: %+v", again)
	}
	if _, err := svc.Acknowledge(ctx, first.Incident.Number, "王科员", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, first.Incident.Number, "王科员", "已查处"); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Hour)
	e := savePost(t, st, "http://news/e", "再转：老人挂床住院", strings.Replace(kangfuBody, "两百元", "五百元", 1), c.t)
	if out := fileRow(e); !out.Created {
		t.Errorf("repost of a closed incident: %+v, want a new incident", out)
	}
}

// An area-wide matter names no hospital or village to share: posts whose
// title puts it across the whole city, of one category, with key terms in
// common, are one incident; the same scope in another category, or a
// "全市" deep in the text, is not.
func TestAreaWideEventJoins(t *testing.T) {
	st, svc, c := setupGse(t)
	forum := savePost(t, st, "http://bbs/outage", "全市医保都刷不了了？医院门诊大厅挤满了人",
		"在医院排了一个多小时，所有收费窗口都刷不了医保，屏幕上写着医保结算服务暂停。药店也刷不了，说全市都不行。", c.t)
	first := file(t, st, svc, forum, 2, taxonomy.System)
	c.t = c.t.Add(20 * time.Minute)
	letter := savePost(t, st, "http://12345/outage", "全市医保结算中断，门诊大厅大量群众滞留",
		"今天上午起医保无法结算，收费窗口告知全市定点医院、药店均无法刷卡，门诊大厅滞留群众数百人，请紧急处理。", c.t)
	out := file(t, st, svc, letter, 2, taxonomy.System)
	if !out.Joined || out.Incident.Number != first.Incident.Number {
		t.Fatalf("the board's letter about the citywide outage opened %s, want it in %s", out.Incident.Number, first.Incident.Number)
	}
	d, _ := st.IncidentDetail(context.Background(), first.Incident.Number)
	if r := d.Posts[1].Reason; !strings.Contains(r, "同一事件：同涉「全市范围·系统技术」") || !strings.Contains(r, "共同关键词") {
		t.Errorf("reason %q", r)
	}
	price := savePost(t, st, "http://news/price", "全市居民医保缴费标准上调",
		"明年起全市城乡居民医保个人缴费标准上调，窗口和线上均可缴费，医保结算不受影响。", c.t)
	if out := file(t, st, svc, price, 4, taxonomy.Policy); !out.Created {
		t.Errorf("a citywide matter of another category joined %s", out.Incident.Number)
	}
	deep := savePost(t, st, "http://bbs/deep", "门诊刷卡排队太久",
		"今天在医院收费窗口排了很久，门诊大厅人多，结算慢。听说下个月全市医院都要换新的结算窗口。", c.t)
	if out := file(t, st, svc, deep, 4, taxonomy.System); !out.Created {
		t.Errorf("a post with 全市 deep in its text joined the outage %s", out.Incident.Number)
	}
}

// Grouping must not join posts about different matters. Every relevant
// labelled post of ../shared/data is filed within one window, in file
// order; a join of two posts that are not about one matter (the data hold
// a few: a letter sent twice, a bureau's statement on a reported leak) is
// a wrong join. The rate is printed and must stay small.
func TestWrongJoinRateOnLabelledPosts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "data", "*.jsonl"))
	if len(files) == 0 {
		t.Skip("labelled data not found in ../shared/data")
	}
	st, svc, c := setupGse(t)
	filed, joined := 0, 0
	var joins []string
	firstOf := map[string]string{} // incident number → the labelled post that opened it
	// Posts about one matter, read as such: the same letter sent twice, a
	// report and the bureau's statement on it.
	sameMatter := map[string]bool{"r-b5aea08cec9c→r-72dcc68f803c": true, "r-994431457782→r-0dea6a7b0153": true, "c051→c025": true}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var row struct {
				ID, Title, Body string
				Relevant        bool
				Category        taxonomy.Category
				Level           taxonomy.Level
			}
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("%s:%d: %v", f, i+1, err)
			}
			if !row.Relevant || !row.Level.Valid() {
				continue
			}
			c.t = c.t.Add(time.Minute)
			p := savePost(t, st, "http://labelled/"+filepath.Base(f)+"/"+row.ID, row.Title, row.Body, c.t)
			out := file(t, st, svc, p, row.Level, row.Category)
			filed++
			if pair := row.ID + "→" + firstOf[out.Incident.Number]; out.Joined && !sameMatter[pair] {
				joined++
				joins = append(joins, pair)
			} else if !out.Joined {
				firstOf[out.Incident.Number] = row.ID
			}
		}
	}
	rate := float64(joined) / float64(filed)
	t.Logf("wrong-join rate on labelled posts: %d of %d (%.1f%%): %v", joined, filed, 100*rate, joins)
	if rate > 0.015 {
		t.Errorf("%d of %d labelled posts joined another matter's incident (%.1f%%), want at most 1.5%%: %v", joined, filed, 100*rate, joins)
	}
}
