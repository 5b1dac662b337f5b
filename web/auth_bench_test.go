package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
	"github.com/yuqing-bureau/yuqing/web"
)

// BenchmarkAuthenticatedDetail measures one logged-in detail page request:
// session lookup, per-request template binding and rendering.
func BenchmarkAuthenticatedDetail(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "y.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := incident.New(st, incident.DefaultPolicy(), time.Now, nil)
	p := model.Post{Source: "bbs", URL: "http://bbs/1", Title: "康福医院骗保", Body: "有人组织骗保，电话13812345678", FetchedAt: time.Now()}
	if _, err := st.SavePost(ctx, &p); err != nil {
		b.Fatal(err)
	}
	var out incident.Outcome
	if err := st.InTx(ctx, func(tx store.Tx) error {
		out, err = svc.File(ctx, tx, p, model.Grade{PostID: p.ID, RulesVersion: "v", Relevant: true, Category: "institution",
			Level: 2, Score: 3, GradedAt: time.Now()})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	a := auth.New(auth.Options{Store: st, Hash: cheapHash})
	if _, err := a.AddUser(ctx, auth.Actor{Name: "bench"}, "wang", "王科员", auth.RoleHandler, "wang-password"); err != nil {
		b.Fatal(err)
	}
	con, err := web.New(web.Options{Store: st, Workflow: svc, Auth: a})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(con.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if _, err := c.PostForm(srv.URL+"/login", url.Values{"username": {"wang"}, "password": {"wang-password"}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		resp, err := c.Get(srv.URL + "/incidents/" + out.Incident.Number)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", resp.StatusCode, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
