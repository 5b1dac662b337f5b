package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// replayEngine is one store engine under the replay test: the store section
// of yuqing.yaml, how the daemon's side opens it, and a fingerprint of what
// the store holds, which replay must leave as it was.
type replayEngine struct {
	config      string
	open        func(ctx context.Context) (store.Store, error)
	fingerprint func(t *testing.T) string
}

func TestReplayShowsChangesWithoutTouchingTheStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "y.db")
	testReplay(t, dir, replayEngine{
		config: "store:\n  path: y.db\n",
		open: func(ctx context.Context) (store.Store, error) {
			return sqlite.Open(ctx, db, nil)
		},
		fingerprint: func(t *testing.T) string { return fmt.Sprintf("%x", fileSum(t, db)) },
	})
}

func TestReplayOnPostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	testReplay(t, t.TempDir(), replayEngine{
		config: "store:\n  driver: postgres\n  dsn: " + dsn + "\n",
		open: func(ctx context.Context) (store.Store, error) {
			return postgres.Open(ctx, dsn, nil)
		},
		fingerprint: func(t *testing.T) string {
			// Every row of every table in the test's schema, in order.
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.Query(`SELECT table_name FROM information_schema.tables
				WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
			if err != nil {
				t.Fatal(err)
			}
			var tables []string
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					t.Fatal(err)
				}
				tables = append(tables, name)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tables, "grades") || !slices.Contains(tables, "incidents") {
				t.Fatalf("tables %v", tables)
			}
			var sum strings.Builder
			for _, table := range tables {
				var h sql.NullString
				q := `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM "` + table + `" t`
				if err := db.QueryRow(q).Scan(&h); err != nil {
					t.Fatalf("%s: %v", table, err)
				}
				fmt.Fprintf(&sum, "%s=%s ", table, h.String)
			}
			return sum.String()
		},
	})
}

func testReplay(t *testing.T, dir string, e replayEngine) {
	ctx := context.Background()
	shipped := filepath.Join("..", "configs")
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join(shipped, "dict"))); err != nil {
		t.Fatal(err)
	}
	copyRules(t, filepath.Join(dir, "rules.yaml"))
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("sources: []\n"), 0o644)
	cfgFile := filepath.Join(dir, "yuqing.yaml")
	os.WriteFile(cfgFile, []byte(e.config), 0o644)

	// Grade three posts with the shipped rules, as the daemon would.
	eng, err := classifier.Load(filepath.Join(dir, "rules.yaml"), filepath.Join(dir, "dict"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []model.Post{
		{Title: "住院报销材料交上去两个月了还没到账", Body: "出院后把发票、费用清单都交到区医保中心手工报销，现在两个月了还没到账。"},
		{Title: "今年养老金涨了多少？晒一下", Body: "企业退休的，七月底补发到账了，我涨了63块。"},
		{Title: "医保电子凭证扫码一直失败", Body: "在药店买药用医保电子凭证扫码，提示网络异常。"},
	} {
		p.Source, p.URL = "bbs", "http://bbs/"+string(rune('a'+i))
		if _, err := st.SavePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	w := grader.New(grader.Options{Store: st, Grader: classifier.New(eng), Incidents: incident.New(st, incident.DefaultPolicy(), nil, nil),
		Registerer: prometheus.NewRegistry()})
	if n, err := w.ProcessBatch(ctx); err != nil || n != 3 {
		t.Fatalf("graded %d: %v", n, err)
	}
	st.Close()
	before := e.fingerprint(t)

	// The candidate raises every reimbursement complaint to Ⅱ.
	rules, _ := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	candidate := filepath.Join(dir, "candidate.yaml")
	os.WriteFile(candidate, append(rules, []byte(`
  - id: replay_test_raise
    any: [报销]
    level: {raise_to: 2}
`)...), 0o644)

	var out bytes.Buffer
	rep, err := Replay(ctx, ReplayOptions{ConfigFile: cfgFile, RulesFile: candidate, Since: time.Now().Add(-time.Hour), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Posts != 3 || len(rep.Changed) != 1 || rep.Changed[0].New.Level != 2 || rep.Changed[0].Old.Level == 2 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Incidents) != 1 || rep.Incidents[0].Number != rep.Changed[0].Incident || rep.Incidents[0].New.Level != 2 {
		t.Errorf("incident changes %+v", rep.Incidents)
	}
	if len(rep.RulesVersionOld) != 1 || rep.RulesVersionOld[0] != eng.Version() || rep.RulesVersionNew == eng.Version() {
		t.Errorf("versions old %v new %s", rep.RulesVersionOld, rep.RulesVersionNew)
	}
	if !strings.Contains(out.String(), "Ⅱ级 重大") || !strings.Contains(out.String(), rep.Changed[0].Incident) {
		t.Errorf("text report:\n%s", out.String())
	}
	if e.fingerprint(t) != before {
		t.Error("replay modified the database")
	}

	// The same rules change nothing; -json is machine-readable.
	out.Reset()
	if _, err := Replay(ctx, ReplayOptions{ConfigFile: cfgFile, RulesFile: filepath.Join(dir, "rules.yaml"), JSON: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	var js ReplayReport
	if err := json.Unmarshal(out.Bytes(), &js); err != nil || js.Posts != 3 || len(js.Changed) != 0 {
		t.Errorf("json report %+v, %v", js, err)
	}
}
