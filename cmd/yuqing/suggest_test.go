package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// TestRulesSuggestCommand: with a model trained on the shipped rules,
// `rules suggest` lists the labelled and stored posts where rules and
// model part ways, the model's terms per category and band, and a rules
// snippet that loads when pasted into rules.yaml. Without a model it says
// what to do.
func TestRulesSuggestCommand(t *testing.T) {
	dir := layout(t)
	data := writeTiny(t)
	// More rows, with words no shipped rule has (挂面, 粮油, 钓鱼), so the
	// model learns some of its own.
	var more strings.Builder
	for i := range 4 {
		fmt.Fprintf(&more, `{"id":"g%d","platform":"tieba","title":"药店让刷医保卡买挂面","body":"定点药店刷医保卡买挂面和粮油%s","relevant":true,"category":"institution","level":3,"sentiment":"negative"}`+"\n", i, strings.Repeat("，又是挂面", i))
		fmt.Fprintf(&more, `{"id":"f%d","platform":"tieba","title":"周末去水库钓鱼","body":"钓鱼的人很多%s","relevant":false,"category":"","level":0,"sentiment":"positive"}`+"\n", i, strings.Repeat("，钓鱼真好", i))
	}
	if err := os.WriteFile(data, []byte(tinyLabeled+more.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(dir, "rules.yaml")
	shippedRules, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	// The shipped rules without their model first.
	noModel := bytes.Replace(shippedRules, []byte("\n  model: model/yuqing.model.gz\n"), []byte("\n"), 1)
	if bytes.Equal(noModel, shippedRules) {
		t.Fatal("the shipped rules name no model/yuqing.model.gz; update the test")
	}
	if err := os.WriteFile(rules, noModel, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"rules", "suggest", "-rules", rules, "-data", data}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "options.model") || !strings.Contains(errb.String(), "yuqing train") {
		t.Fatalf("without a model: exit %d, stderr %s", code, errb.String())
	}
	if code := run([]string{"train", "-rules", rules, "-data", data, "-out", filepath.Join(dir, "model", "y.model")}, nil, &out, &errb); code != 0 {
		t.Fatalf("train: %s", errb.String())
	}
	base, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rules, bytes.Replace(base, []byte("\noptions:\n"), []byte("\noptions:\n  model: model/y.model\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "yuqing.yaml")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, bytes.Replace(cfg, []byte("path: ../data/yuqing.db"), []byte("path: y.db"), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	// The store holds a post the rules find relevant without voting for a
	// category, so the model gives it one, with a phone number in its title.
	ctx := context.Background()
	eng, err := classifier.Load(rules, filepath.Join(dir, "dict"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := model.Post{Source: "bbs", URL: "http://bbs/1", Title: "说说医保 13812345678", Body: "大家怎么看", FetchedAt: time.Now()}
	res := eng.Grade(grader.ClassifierPost(p, grader.SourceGrading{Weight: 1}, store.Engagement{}))
	if res.DecidedBy == classifier.DecidedByRules && !res.Review {
		t.Fatalf("the model had no say on the stored post: %+v", res)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SavePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(tx store.Tx) error { return tx.SaveGrade(ctx, grader.ToGrade(p.ID, res, time.Now(), false)) }); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out.Reset()
	errb.Reset()
	if code := run([]string{"rules", "suggest", "-config", cfgFile, "-data", data, "-top", "5"}, nil, &out, &errb); code != 0 {
		t.Log(out.String())
		t.Fatalf("rules suggest exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"规则建议：规则 " + rules, "【规则与模型意见不一的标注帖子】" + data + " 共 16 条",
		"以来研判时由模型参与定级或标为疑似的已存帖子】读取已研判帖子 1 条，其中 1 条（只读）",
		"帖子 1（bbs）说说医保 138****5678", "【模型权重高而规则尚未包含的词】（每类最多 5 个",
		"    定点机构管理：挂面（+", "较大（Ⅲ级）：挂面（+", "按类别：", "    参保服务：", "    系统技术：", "按严重程度：", "    重大（Ⅰ/Ⅱ级）：", "【可粘贴到 rules.yaml 的规则片段】",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "13812345678") {
		t.Error("a phone number left the store unmasked")
	}
	if regexp.MustCompile(`\d+h\d*m?|720h`).MatchString(text) {
		t.Errorf("a Go duration in the output:\n%s", text)
	}
	// Every listed term is new to the rules, and the snippet loads.
	at := strings.Index(text, "【可粘贴到 rules.yaml 的规则片段】\n")
	if at < 0 {
		t.Fatal("no snippet")
	}
	snippet := text[at+len("【可粘贴到 rules.yaml 的规则片段】\n"):]
	terms := regexp.MustCompile(`([^、：\s（]+)（\+\d+\.\d\d）`).FindAllStringSubmatch(text, -1)
	if len(terms) == 0 {
		t.Fatalf("no terms listed:\n%s", text)
	}
	have := map[string]bool{}
	for _, k := range eng.RuleTerms() {
		have[k] = true
	}
	for _, m := range terms {
		if have[m[1]] {
			t.Errorf("%q is a rule term already", m[1])
		}
		if !strings.Contains(snippet, m[1]) {
			t.Errorf("%q listed but not in the snippet", m[1])
		}
	}
	pasted := filepath.Join(dir, "pasted.yaml")
	if err := os.WriteFile(pasted, append(base, snippet...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := classifier.Load(pasted, filepath.Join(dir, "dict"), nil); err != nil {
		t.Errorf("the pasted snippet does not load: %v\n%s", err, snippet)
	}
	// And `yuqing check` accepts the configuration with it, model and all.
	withModel, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rules, append(withModel, snippet...), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"check", "-config", cfgFile}, nil, &out, &errb); code != 0 {
		t.Errorf("check with the snippet pasted: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"rules", "suggest", "-rules", rules, "-top", "0"}, nil, &out, &errb); code != 2 {
		t.Errorf("-top 0: exit %d", code)
	}
}
