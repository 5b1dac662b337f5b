package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// TestReportCommand: `yuqing report` builds a week's report and a 专报
// from the configured database into files; bad flags say what is wrong
// and write nothing.
func TestReportCommand(t *testing.T) {
	dir := layout(t)
	cfg := filepath.Join(dir, "yuqing.yaml")
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "..", "data", "yuqing.db"), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai)
	p := &model.Post{Source: "bbs", URL: "http://bbs.example/t/1", Title: "住院报销不到账，电话13812345678", Body: "两个月了", FetchedAt: first}
	if _, err := st.SavePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	inc := model.Incident{Title: p.Title, Category: taxonomy.Reimbursement, Level: taxonomy.LevelII, Status: model.StatusOpen,
		Source: "bbs", FirstSeenAt: first, LastPostAt: first, PostCount: 1, AckDueAt: first.Add(30 * time.Minute),
		FollowUpDueAt: first.Add(2 * time.Hour), UpdatedAt: first}
	if err := st.InTx(ctx, func(tx store.Tx) error {
		g := model.Grade{PostID: p.ID, RulesVersion: "v1", Relevant: true, Category: taxonomy.Reimbursement, Level: taxonomy.LevelII,
			Sentiment: taxonomy.Negative, GradedAt: first}
		if err := tx.SaveGrade(ctx, g); err != nil {
			return err
		}
		if err := tx.CreateIncident(ctx, &inc); err != nil {
			return err
		}
		return tx.AttachPost(ctx, inc.ID, p.ID, "首发帖子", first)
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"report", "-config", cfg}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	page := filepath.Join(t.TempDir(), "周报.html")
	code, out, errs := cmd("-kind", "weekly", "-date", "2026-12-03", "-format", "html", "-out", page)
	if code != 0 || !strings.Contains(out, "已生成医保舆情周报（2026年11月30日—12月6日）") {
		t.Fatalf("weekly html: %d %s %s", code, out, errs)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{"本周共监测到医保相关舆情信息1条", "新增事件1起，其中重大（Ⅱ级）1起", inc.Number, "其他来源", "138****5678"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "13812345678") || strings.Contains(html, ">bbs<") {
		t.Error("page shows a phone number or a source key")
	}

	book := filepath.Join(t.TempDir(), "专报.xlsx")
	if code, _, errs := cmd("-kind", "incident", "-incident", inc.Number, "-format", "xlsx", "-out", book); code != 0 {
		t.Fatalf("incident xlsx: %d %s", code, errs)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("帖子", "C2"); v != "住院报销不到账，电话138****5678" {
		t.Errorf("专报 post title %q", v)
	}

	missing := filepath.Join(t.TempDir(), "none.docx")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-kind", "yearly", "-format", "html", "-out", missing}, 2, "未知报告类型"},
		{[]string{"-kind", "daily", "-format", "pdf", "-out", missing}, 2, "未知报告格式"},
		{[]string{"-kind", "daily", "-format", "html"}, 2, "-out"},
		{[]string{"-kind", "daily", "-date", "12/07", "-format", "html", "-out", missing}, 1, "日期"},
		{[]string{"-kind", "incident", "-format", "html", "-out", missing}, 1, "-incident"},
		{[]string{"-kind", "incident", "-incident", "YQ-20200101-0001", "-format", "html", "-out", missing}, 1, "不存在"},
	} {
		code, _, errs := cmd(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: %d %s, want %d %q", c.args, code, errs, c.code, c.msg)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a failed report left a file: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(missing)); len(entries) != 0 {
		t.Errorf("a failed report left %v", entries)
	}
}
