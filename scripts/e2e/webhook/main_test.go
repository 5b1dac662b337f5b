package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRecorderAppendsOneLinePerNotification(t *testing.T) {
	var buf bytes.Buffer
	clock := time.UnixMilli(1_700_000_000_000)
	rec := &recorder{w: &buf, now: func() time.Time { clock = clock.Add(time.Second); return clock }, log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	payloads := []string{
		`{"version":"4","status":"firing","receiver":"yuqing-duty","alerts":[{"labels":{"number":"YQ-1"}}]}`,
		`{"version":"4","status":"resolved","receiver":"yuqing-ops","alerts":[]}`,
	}
	for i, p := range payloads {
		resp, err := http.Post(srv.URL+"/yuqing-duty", "application/json", strings.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("payload %d: status %d", i, resp.StatusCode)
		}
	}
	for _, bad := range []struct{ method, body string }{{"POST", "not json"}, {"GET", ""}} {
		req, _ := http.NewRequest(bad.method, srv.URL, strings.NewReader(bad.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("%s %q: status %d, want an error", bad.method, bad.body, resp.StatusCode)
		}
	}

	sc := bufio.NewScanner(&buf)
	var got []record
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if len(got) != len(payloads) {
		t.Fatalf("recorded %d lines, want %d (rejected requests must not be recorded)", len(got), len(payloads))
	}
	for i, r := range got {
		var a, b any
		_ = json.Unmarshal(r.Payload, &a)
		_ = json.Unmarshal([]byte(payloads[i]), &b)
		if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
			t.Errorf("line %d payload = %s, want %s", i, ja, jb)
		}
		if want := int64(1_700_000_000_000 + (i+1)*1000); r.ReceivedMS != want {
			t.Errorf("line %d received_ms = %d, want %d", i, r.ReceivedMS, want)
		}
		if r.Path != "/yuqing-duty" {
			t.Errorf("line %d path = %q", i, r.Path)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRobotRecordsAcceptedMessages(t *testing.T) {
	var buf bytes.Buffer
	rec := &recorder{w: &buf, now: time.Now, log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(rec.robot("robot-key-1"))
	defer srv.Close()
	for _, key := range []string{"wrong-key-1", "robot-key-1"} {
		resp, err := http.Post(srv.URL+"/cgi-bin/webhook/send?key="+key, "application/json",
			strings.NewReader(`{"msgtype":"markdown","markdown":{"content":"**【舆情告警】**"}}`))
		if err != nil {
			t.Fatal(err)
		}
		var reply struct{ ErrCode int }
		json.NewDecoder(resp.Body).Decode(&reply)
		resp.Body.Close()
		if want := map[string]int{"wrong-key-1": 93000, "robot-key-1": 0}[key]; reply.ErrCode != want {
			t.Errorf("key %s: errcode %d, want %d", key, reply.ErrCode, want)
		}
	}
	var r record
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		t.Fatalf("recorded %q: %v", buf.String(), err)
	}
	if r.Path != "/cgi-bin/webhook/send" || !strings.Contains(string(r.Payload), `"content":"**【舆情告警】**"`) {
		t.Errorf("record %s %s", r.Path, r.Payload)
	}
}
