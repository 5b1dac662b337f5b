package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/learn"
)

// tinyLabeled is a small labelled file in the shared data format.
const tinyLabeled = `{"id":"t1","platform":"weibo","title":"医保电子凭证扫码一直失败","body":"在药店扫码提示网络异常，气死了","replies":3,"views":100,"reposts":0,"relevant":true,"category":"system","level":4,"sentiment":"negative","why":""}
{"id":"t2","platform":"weibo","title":"今年养老金涨了多少","body":"企业退休的晒一下","replies":1,"views":20,"reposts":0,"relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
{"id":"t3","platform":"tieba","title":"小区保安招聘","body":"包吃住","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
{"id":"t4","platform":"tieba","title":"请问异地就医怎么备案","body":"在外地住院，医保报销需要先备案吗？","relevant":true,"category":"reimbursement","level":4,"sentiment":"neutral","why":""}
{"id":"t5","platform":"weibo","title":"某医院骗保团伙被查","body":"成批虚假住院套取医保基金，已上热搜","replies":5000,"views":900000,"reposts":3000,"relevant":true,"category":"institution","level":2,"sentiment":"negative","why":""}
{"id":"t6","platform":"weibo","title":"感谢医保局","body":"门诊报销很快到账了，点赞","relevant":true,"category":"reimbursement","level":4,"sentiment":"positive","why":""}
{"id":"t7","platform":"tieba","title":"周末去哪玩","body":"天气不错去爬山","relevant":false,"category":"","level":0,"sentiment":"positive","why":""}
{"id":"t8","platform":"tieba","title":"多人医保卡被停","body":"我们厂几十个人的医保断缴了，多次反映无果","replies":80,"relevant":true,"category":"enrollment","level":3,"sentiment":"negative","why":""}
`

func writeTiny(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "labeled.jsonl")
	if err := os.WriteFile(data, []byte(tinyLabeled), 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTrainCommandReproducible: training twice on the same file gives the
// same bytes, and the file records the command and the data's hash.
func TestTrainCommandReproducible(t *testing.T) {
	data := writeTiny(t)
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	model := filepath.Join(t.TempDir(), "model", "yuqing.model")
	args := []string{"train", "-rules", rules, "-data", data, "-out", model}
	var first []byte
	for i := 0; i < 2; i++ {
		var out, errb bytes.Buffer
		if code := run(args, nil, &out, &errb); code != 0 {
			t.Fatalf("train exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), "模型已写入 "+model) || !strings.Contains(out.String(), "训练样本 8 条") {
			t.Errorf("train output:\n%s", out.String())
		}
		b, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Fatal("a second training on the same data wrote a different file")
		}
	}
	m, err := learn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if want := "yuqing " + strings.Join(args, " "); m.Meta.Command != want {
		t.Errorf("recorded command %q, want %q", m.Meta.Command, want)
	}
	if len(m.Meta.DataSHA256) != 64 || m.Meta.Rows != 8 {
		t.Errorf("meta %+v", m.Meta)
	}

	// Other data, another hash.
	other := writeTiny(t)
	if err := os.WriteFile(other, []byte(strings.Replace(tinyLabeled, "气死了", "太慢了", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"train", "-rules", rules, "-data", other, "-out", model}, nil, &out, &errb); code != 0 {
		t.Fatalf("train exit %d: %s", code, errb.String())
	}
	m2, err := learn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Meta.DataSHA256 == m.Meta.DataSHA256 {
		t.Error("different data, same hash")
	}
}

// TestTrainWithoutModelFile: the rules may name a model that is missing
// (or stale): training reads the rules alone, so it can replace it.
func TestTrainWithoutModelFile(t *testing.T) {
	data := writeTiny(t)
	dir := layout(t)
	os.RemoveAll(filepath.Join(dir, "model"))
	model := filepath.Join(dir, "model", "yuqing.model.gz")
	var out, errb bytes.Buffer
	if code := run([]string{"train", "-rules", filepath.Join(dir, "rules.yaml"), "-data", data, "-out", model}, nil, &out, &errb); code != 0 {
		t.Fatalf("train with the model file missing: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"check", "-config", filepath.Join(dir, "yuqing.yaml")}, nil, &out, &errb); code != 0 {
		t.Errorf("check after training the missing model: exit %d: %s", code, errb.String())
	}
}

// TestTrainCommandRejectsBadSentiment: a sentiment outside the three
// values is an error naming the file and the row.
func TestTrainCommandRejectsBadSentiment(t *testing.T) {
	data := writeTiny(t)
	if err := os.WriteFile(data, []byte(strings.Replace(tinyLabeled, `"sentiment":"positive"`, `"sentiment":"happy"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"train", "-rules", filepath.Join("..", "..", "configs", "rules.yaml"), "-data", data,
		"-out", filepath.Join(t.TempDir(), "m")}, nil, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), data) || !strings.Contains(errb.String(), "t6") {
		t.Errorf("exit %d, stderr %s", code, errb.String())
	}
}

// TestEvalCVCommand: -cv prints the model's out-of-fold figures beside the
// rules' for all rows, each file and each platform.
func TestEvalCVCommand(t *testing.T) {
	data := writeTiny(t)
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "-cv", "2", "-rules", rules, "-data", data, "-json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("eval -cv exit %d: %s", code, errb.String())
	}
	var got struct {
		Folds   int `json:"folds"`
		Results []struct {
			Name      string `json:"name"`
			N         int    `json:"n"`
			Model     struct{ N int }
			Rules     struct{ N int }
			Combined  struct{ N int }
			Sentiment struct{ Total int } `json:"model_sentiment"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var names []string
	for _, r := range got.Results {
		names = append(names, r.Name)
		if r.Model.N != r.N || r.Rules.N != r.N || r.Combined.N != r.N || r.Sentiment.Total != r.N {
			t.Errorf("%s: n %d, model %d, rules %d, combined %d, sentiment %d", r.Name, r.N, r.Model.N, r.Rules.N, r.Combined.N, r.Sentiment.Total)
		}
	}
	if want := []string{"合计", data, "平台 tieba", "平台 weibo"}; got.Folds != 2 || strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("folds %d, sets %q, want %q", got.Folds, names, want)
	}
	out.Reset()
	if code := run([]string{"eval", "-cv", "2", "-rules", rules, "-data", data}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "模型（折外）") || !strings.Contains(out.String(), "规则与模型合并") || !strings.Contains(out.String(), "情感混淆") {
		t.Errorf("eval -cv text exit %d:\n%s", code, out.String())
	}
	if code := run([]string{"eval", "-cv", "20", "-rules", rules, "-data", data}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "不够分成 20 折") {
		t.Errorf("20 folds over 8 rows: exit %d, %s", code, errb.String())
	}
}

// TestEvalCVTrainOnly: -train-only rows train every fold's model and are
// in no figure (not counted, no set of their own); a train-only id that is
// also evaluated is refused, and -train-only without -cv is a usage error.
func TestEvalCVTrainOnly(t *testing.T) {
	data := writeTiny(t)
	rules := filepath.Join("..", "..", "configs", "rules.yaml")
	extra := filepath.Join(t.TempDir(), "corpus.jsonl")
	corpus := `{"id":"x1","platform":"douyin","title":"","body":"医保报销两个月还没到账，打电话也没人管","relevant":true,"category":"reimbursement","level":4,"sentiment":"negative","why":""}
{"id":"x2","platform":"douyin","title":"","body":"社区门口新开了一家面馆","relevant":false,"category":"","level":0,"sentiment":"neutral","why":""}
`
	if err := os.WriteFile(extra, []byte(corpus), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "-cv", "2", "-rules", rules, "-data", data, "-train-only", extra, "-json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("eval -cv -train-only exit %d: %s", code, errb.String())
	}
	var got struct {
		Rows    int `json:"train_only_rows"`
		Results []struct {
			Name string `json:"name"`
			N    int    `json:"n"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got.Rows != 2 || len(got.Results) == 0 || got.Results[0].N != 8 {
		t.Errorf("train-only rows %d, results %+v; want 2 train-only and 8 evaluated", got.Rows, got.Results)
	}
	for _, r := range got.Results {
		if r.Name == extra || r.Name == "平台 douyin" {
			t.Errorf("a set of train-only rows was reported: %+v", r)
		}
	}
	clash := filepath.Join(t.TempDir(), "clash.jsonl")
	if err := os.WriteFile(clash, []byte(strings.Replace(corpus, `"x1"`, `"t1"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := run([]string{"eval", "-cv", "2", "-rules", rules, "-data", data, "-train-only", clash}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), `"t1"`) || !strings.Contains(errb.String(), clash) {
		t.Errorf("a train-only id also evaluated: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"eval", "-rules", rules, "-data", data, "-train-only", extra}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-cv") {
		t.Errorf("-train-only without -cv: exit %d, %s", code, errb.String())
	}
}
