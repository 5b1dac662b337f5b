package delivery

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/delivery/wecomfake"
)

// fastRetry retries at once, so tests do not wait.
var fastRetry = Retry{Attempts: 3, Initial: time.Millisecond, Max: time.Millisecond, Timeout: 5 * time.Second}

const robotKey = "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"

func newRobot(t *testing.T) (*wecomfake.Robot, *WeCom, *httptest.Server) {
	t.Helper()
	robot := &wecomfake.Robot{Key: robotKey}
	srv := httptest.NewServer(robot)
	t.Cleanup(srv.Close)
	w, err := NewWeCom("xuanchuan", srv.URL+"/cgi-bin/webhook/", robotKey, srv.Client(), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	return robot, w, srv
}

func TestWeComMarkdownAndFile(t *testing.T) {
	robot, w, _ := newRobot(t)
	docx := bytes.Repeat([]byte("PK\x03\x04"), 100)
	err := w.Send(context.Background(), Message{Subject: "医保舆情日报（2026年11月23日）", Text: "今日新增舆情 **3** 起，其中Ⅱ级 1 起。",
		Files: []File{{Name: "医保舆情日报（2026-11-23）.docx", Data: docx}}})
	if err != nil {
		t.Fatal(err)
	}
	got := robot.Messages()
	if len(got) != 2 {
		t.Fatalf("robot got %d messages, want markdown + file: %+v", len(got), got)
	}
	if got[0].Type != "markdown" || got[0].Content != "**医保舆情日报（2026年11月23日）**\n今日新增舆情 **3** 起，其中Ⅱ级 1 起。" {
		t.Errorf("markdown message = %+v", got[0])
	}
	if got[1].Type != "file" || got[1].FileName != "医保舆情日报（2026-11-23）.docx" || !bytes.Equal(got[1].FileData, docx) {
		t.Errorf("file message = %s %q (%d bytes)", got[1].Type, got[1].FileName, len(got[1].FileData))
	}
}

func TestWeComRetriesRateLimitThenSends(t *testing.T) {
	robot, w, _ := newRobot(t)
	robot.FailNext(wecomfake.CodeRateLimited, wecomfake.CodeBusy)
	if err := w.Send(context.Background(), Message{Text: "测试"}); err != nil {
		t.Fatal(err)
	}
	if n := robot.Requests(); n != 3 {
		t.Errorf("requests = %d, want 2 refused + 1 accepted", n)
	}
	if len(robot.Messages()) != 1 {
		t.Errorf("messages = %+v", robot.Messages())
	}
}

func TestWeComGivesUpAfterAttempts(t *testing.T) {
	robot, w, _ := newRobot(t)
	robot.FailNext(wecomfake.CodeRateLimited, wecomfake.CodeRateLimited, wecomfake.CodeRateLimited)
	err := w.Send(context.Background(), Message{Text: "测试"})
	if err == nil || !Transient(err) || !strings.Contains(err.Error(), "45009") || !strings.Contains(err.Error(), "已尝试 3 次") {
		t.Fatalf("err = %v, want a transient 45009 after 3 attempts", err)
	}
	if robot.Requests() != 3 || len(robot.Messages()) != 0 {
		t.Errorf("requests %d, messages %d", robot.Requests(), len(robot.Messages()))
	}
}

func TestWeComBadKeyIsNotRetriedAndNotLeaked(t *testing.T) {
	robot := &wecomfake.Robot{Key: robotKey}
	srv := httptest.NewServer(robot)
	defer srv.Close()
	w, err := NewWeCom("xinfang", srv.URL+"/cgi-bin/webhook/", "wrong-key-0123", srv.Client(), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Send(context.Background(), Message{Text: "测试"})
	if err == nil || Transient(err) || !strings.Contains(err.Error(), "93000") {
		t.Fatalf("err = %v, want a permanent 93000", err)
	}
	if robot.Requests() != 1 {
		t.Errorf("a refused key was tried %d times", robot.Requests())
	}
	if strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("error shows the key: %v", err)
	}
}

func TestWeComNetworkErrorHidesKey(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	w, err := NewWeCom("xuanchuan", url+"/cgi-bin/webhook/", robotKey, nil, fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Send(context.Background(), Message{Text: "测试"})
	if err == nil || !Transient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), robotKey) {
		t.Errorf("error shows the key: %v", err)
	}
}

func TestWeComContextEndsRetries(t *testing.T) {
	robot, _, srv := newRobot(t)
	robot.FailNext(wecomfake.CodeBusy, wecomfake.CodeBusy, wecomfake.CodeBusy)
	slow := Retry{Attempts: 3, Initial: time.Hour, Max: time.Hour, Timeout: 5 * time.Second}
	w, _ := NewWeCom("xuanchuan", srv.URL+"/cgi-bin/webhook/", robotKey, srv.Client(), slow)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := w.Send(ctx, Message{Text: "测试"})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "停止重试") {
		t.Fatalf("err = %v, want the retry stopped by the context", err)
	}
	if robot.Requests() != 1 {
		t.Errorf("requests = %d", robot.Requests())
	}
}

func TestWeComRefusesFileOutsideLimits(t *testing.T) {
	robot, w, _ := newRobot(t)
	err := w.Send(context.Background(), Message{Text: "测试", Files: []File{{Name: "空.docx", Data: []byte("PK")}}})
	if err == nil || !strings.Contains(err.Error(), "6 字节到 20 MB") {
		t.Fatalf("err = %v", err)
	}
	if robot.Requests() != 0 {
		t.Errorf("sent %d requests for a message that cannot be delivered whole", robot.Requests())
	}
}

func TestWeComLongTextInParts(t *testing.T) {
	robot, w, _ := newRobot(t)
	var b strings.Builder
	for i := 0; b.Len() < 3*MarkdownLimit; i++ {
		b.WriteString("事件编号：YQ-20261123-0001，标题：全市医保都刷不了了，来源：岚川论坛·民生杂谈\n")
	}
	if err := w.Send(context.Background(), Message{Subject: "长消息", Text: b.String()}); err != nil {
		t.Fatal(err)
	}
	got := robot.Messages()
	if len(got) < 3 || len(got) > maxParts {
		t.Fatalf("%d parts", len(got))
	}
	var joined strings.Builder
	for i, m := range got {
		head := "（第 " + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(got)) + " 段）\n"
		if !strings.HasPrefix(m.Content, head) {
			t.Errorf("part %d starts %q", i+1, m.Content[:min(40, len(m.Content))])
		}
		joined.WriteString(strings.TrimPrefix(m.Content, head) + "\n")
	}
	if want := "**长消息**\n" + b.String(); joined.String() != want {
		t.Errorf("parts do not add up to the text")
	}
}

func TestSplitMarkdown(t *testing.T) {
	short := "一行\n两行"
	if got := SplitMarkdown(short+"\n", 100); len(got) != 1 || got[0] != short {
		t.Errorf("short text: %q", got)
	}
	// One line longer than a part is cut at character boundaries.
	long := strings.Repeat("医", 500) // 1500 bytes
	parts := SplitMarkdown(long, 300)
	var all strings.Builder
	for _, p := range parts {
		if len(p) > 300 || !utf8.ValidString(p) {
			t.Fatalf("part of %d bytes, valid %v", len(p), utf8.ValidString(p))
		}
		_, body, _ := strings.Cut(p, "\n")
		all.WriteString(body)
	}
	if len(parts) != maxParts || !strings.HasSuffix(parts[maxParts-1], cutNote) {
		t.Fatalf("%d parts, want %d with the last cut off: %q", len(parts), maxParts, parts[len(parts)-1])
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(all.String(), cutNote)) {
		t.Error("parts are not the text's beginning")
	}
}

// FuzzSplitMarkdown: whatever the text, every part fits a robot message
// and is valid UTF-8 when the text is, and a text that fits is sent whole.
func FuzzSplitMarkdown(f *testing.F) {
	f.Add("**【舆情告警】**\n事件编号：YQ-20261123-0001\n", 200)
	f.Add(strings.Repeat("医保", 100), 200)
	f.Add(strings.Repeat("a\n", 400), 200)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < 200 || limit > 8192 {
			return
		}
		parts := SplitMarkdown(text, limit)
		if len(parts) == 0 || len(parts) > maxParts {
			t.Fatalf("%d parts", len(parts))
		}
		for _, p := range parts {
			if len(p) > limit {
				t.Fatalf("part of %d bytes over %d", len(p), limit)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p) {
				t.Fatalf("invalid UTF-8 part %q", p)
			}
		}
		if trimmed := strings.TrimRight(text, "\n"); len(trimmed) <= limit && parts[0] != trimmed {
			t.Fatalf("a text that fits was changed")
		}
	})
}
