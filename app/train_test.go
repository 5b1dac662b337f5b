package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// loopRules know 医保 and nothing of 门特 (special outpatient care) or 透析.
const loopRules = `options:
  relevance_threshold: 2
  default_category: enrollment
rules:
  - id: core
    any: [医保]
    weight: 2
  - id: cat_reimb
    any: [报销]
    category: reimbursement
    votes: 1
`

// loopData is the labelled file the first model is trained on; no row
// speaks of 门特 or 透析.
const loopData = `{"id":"l01","platform":"weibo","title":"医保报销太慢","body":"住院报销材料交了两个月还没到账","relevant":true,"category":"reimbursement","level":4,"sentiment":"negative","why":""}
{"id":"l02","platform":"weibo","title":"医保报销进度","body":"报销拖了很久，窗口说在审核","relevant":true,"category":"reimbursement","level":4,"sentiment":"negative","why":""}
{"id":"l03","platform":"tieba","title":"新生儿医保怎么办","body":"孩子刚出生，医保参保去哪里办","relevant":true,"category":"enrollment","level":4,"sentiment":"neutral","why":""}
{"id":"l04","platform":"tieba","title":"灵活就业医保缴费","body":"灵活就业人员医保每年什么时候缴费","relevant":true,"category":"enrollment","level":4,"sentiment":"neutral","why":""}
{"id":"l05","platform":"weibo","title":"周末出游","body":"天气很好，去公园看花","relevant":false,"category":"","level":0,"sentiment":"positive","why":""}
{"id":"l06","platform":"weibo","title":"周末去哪","body":"公园的花开了，拍照很好看","relevant":false,"category":"","level":0,"sentiment":"positive","why":""}
{"id":"l07","platform":"tieba","title":"养老金涨了","body":"今年养老金涨了一点，晒一晒","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
{"id":"l08","platform":"tieba","title":"养老金调整","body":"退休的朋友养老金涨了多少","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
{"id":"l09","platform":"weibo","title":"招聘保安","body":"小区招聘保安，包吃住","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
{"id":"l10","platform":"weibo","title":"招聘司机","body":"公司招聘司机，待遇从优","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
{"id":"l11","platform":"tieba","title":"堵车","body":"早上又堵车了，上班迟到","relevant":false,"category":"","level":0,"sentiment":"negative","why":""}
{"id":"l12","platform":"tieba","title":"下雨","body":"下雨天路滑，大家小心","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
`

// TestStaffCorrectionsTeachTheModel is the learning loop end to end: the
// daemon grades posts about a matter its rules and model do not know as
// irrelevant; a handler enters them as missed (补录漏报); the model is
// retrained with the store's labels (yuqing train -store) and reloaded;
// a new post about the same matter is then graded relevant, in the
// handler's category, by the model.
func TestStaffCorrectionsTeachTheModel(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	rules, data, modelFile := filepath.Join(dir, "rules.yaml"), filepath.Join(dir, "data.jsonl"), filepath.Join(dir, "loop.model")
	os.WriteFile(rules, []byte(loopRules), 0o644)
	os.WriteFile(data, []byte(loopData), 0o644)
	if _, err := Train(TrainOptions{RulesFile: rules, DataFiles: []string{data}, OutFile: modelFile, Command: "yuqing train", Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(rules, []byte(strings.Replace(loopRules, "options:\n", "options:\n  model: loop.model\n", 1)), 0o644)
	cfg := filepath.Join(dir, "yuqing.yaml")
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("sources: []\n"), 0o644)
	os.WriteFile(cfg, []byte("store:\n  path: y.db\ngrader:\n  interval: 100ms\n"), 0o644)
	addr, stop := startDaemon(t, cfg)
	defer stop()

	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	missed := []*model.Post{
		{Source: "bbs", URL: "http://bbs/1", Title: "门特透析三个月批不下来", Body: "肾病透析办门特三个月了还没批，每周三次透析全自费"},
		{Source: "bbs", URL: "http://bbs/2", Title: "透析病人门特又被卡", Body: "透析病人的门特待遇又被卡了，窗口说材料不全"},
	}
	for _, p := range missed {
		if g := gradeOf(t, st, p); g.Relevant {
			t.Fatalf("before any correction %q was graded relevant (%+v): the test shows nothing", p.Title, g)
		}
	}
	svc := incident.New(st, incident.DefaultPolicy(), time.Now, nil)
	for _, p := range missed {
		if _, err := svc.FileMissed(ctx, "测试员", incident.Missed{URL: p.URL, Category: "treatment", Level: 4, Sentiment: "negative"}); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := Train(TrainOptions{RulesFile: rules, DataFiles: []string{data}, StoreConfig: cfg, OutFile: modelFile, Command: "yuqing train -store", Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, addr, "/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	g := gradeOf(t, st, &model.Post{Source: "bbs", URL: "http://bbs/3", Title: "门特透析报不了", Body: "门特透析的钱还是报不了，窗口让我们再等等"})
	if !g.Relevant || g.Category != "treatment" || g.DecidedBy != "model" {
		t.Errorf("after the correction and retraining a similar post was graded %+v", g)
	}
}

// gradeOf stores p for the running daemon and waits for its grade.
func gradeOf(t *testing.T, st store.Store, p *model.Post) model.Grade {
	t.Helper()
	ctx := context.Background()
	p.FetchedAt = time.Now()
	if _, err := st.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		gps, err := st.GradedPosts(ctx, time.Time{}, p.ID-1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(gps) == 1 && gps[0].Graded {
			return gps[0].Grade
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("post %q not graded within 20 s", p.Title)
	return model.Grade{}
}
