package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// TestReadyOnlyWhileTheDatabaseAnswers: /-/ready, the load balancer's
// check, answers 200 while the store answers, and 503 once the instance
// is stopping or its database no longer answers.
func TestReadyOnlyWhileTheDatabaseAnswers(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{}
	srv := httptest.NewServer(d.ready(st))
	defer srv.Close()
	check := func(what string, wantCode int, wantBody string) {
		t.Helper()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantCode || !strings.Contains(string(b), wantBody) {
			t.Errorf("%s: %d %q, want %d %q", what, resp.StatusCode, b, wantCode, wantBody)
		}
	}
	check("serving", http.StatusOK, "OK")
	d.stopping.Store(true)
	check("stopping", http.StatusServiceUnavailable, "正在停止")
	d.stopping.Store(false)
	st.Close()
	check("database closed", http.StatusServiceUnavailable, "数据库无应答")
}
