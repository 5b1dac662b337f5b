package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/demo"
	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// startDaemon runs the daemon on cfgFile and returns its address and a stop
// function that waits for an orderly shutdown.
func startDaemon(t *testing.T, cfgFile string) (string, func()) {
	t.Helper()
	return startDaemonLog(t, cfgFile, io.Discard)
}

// startDaemonLog is startDaemon with the daemon's log written to logw.
func startDaemonLog(t *testing.T, cfgFile string, logw io.Writer) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{ConfigFile: cfgFile, Listen: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(logw, nil)), Ready: func(a string) { ready <- a },
			Demo: func(ctx context.Context, a *auth.Service) error {
				return EnsureAccount(ctx, a, auth.Actor{Name: "test"}, "tester", "测试员", auth.RoleOperator, "tester-password")
			}})
	}()
	select {
	case addr := <-ready:
		if cfg, err := config.Load(cfgFile); err == nil && cfg.Metrics.Token != "" {
			metricsTokens.Store(addr, cfg.Metrics.Token)
		}
		return addr, func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("daemon did not stop within 30 s")
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("daemon did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("daemon did not start within 60 s")
	}
	return "", nil
}

// metricsTokens holds the /metrics token of each daemon startDaemon
// started (by address), for fetch.
var metricsTokens sync.Map

// fetch GETs url, with the daemon's /metrics token when it has one.
func fetch(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok, ok := metricsTokens.Load(req.URL.Host); ok && req.URL.Path == "/metrics" {
		req.Header.Set("Authorization", "Bearer "+tok.(string))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// consoleSession logs in to the console as the test's operator and returns
// the client and the session's CSRF token.
func consoleSession(t *testing.T, addr string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm("http://"+addr+"/login", url.Values{"username": {"tester"}, "password": {"tester-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get("http://" + addr + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || me.CSRF == "" {
		t.Fatalf("login as tester: %d %v", resp.StatusCode, err)
	}
	return c, me.CSRF
}

// consoleGet logs in to the console as the test's operator and fetches path.
func consoleGet(t *testing.T, addr, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm("http://"+addr+"/login", url.Values{"username": {"tester"}, "password": {"tester-password"},
		"next": {path}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != strings.SplitN(path, "?", 2)[0] {
		t.Fatalf("login and GET %s: %d at %s", path, resp.StatusCode, resp.Request.URL)
	}
	return string(b)
}

var (
	infoRe    = regexp.MustCompile(`(?m)^yuqing_incident_info\{.*number="(YQ-\d{8}-\d{4})".*\} 1$`)
	crawledRe = regexp.MustCompile(`(?m)^yuqing_crawl_runs_total\{outcome="(?:success|not_modified)",source="([^"]+)"\} [1-9]`)
)

// demoSources is how many sources the demo configuration crawls.
var demoSources = bytes.Count(demo.SourcesYAML("http://x"), []byte("\n  - name:"))

// waitIncidents polls /metrics until at least sources sources have finished
// a crawl, the grading backlog is empty and the number of open incidents has
// stopped growing for a few seconds. Without the first condition a slow
// machine looks settled between two politely spaced requests; after a
// restart it is 0, because each source resumes its schedule from the store
// and its next crawl may be an interval away.
func waitIncidents(t *testing.T, addr string, min, sources int) []string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last []string
	stable := 0
	for time.Now().Before(deadline) {
		m := fetch(t, "http://"+addr+"/metrics")
		var nums []string
		for _, s := range infoRe.FindAllStringSubmatch(m, -1) {
			nums = append(nums, s[1])
		}
		crawled := map[string]bool{}
		for _, s := range crawledRe.FindAllStringSubmatch(m, -1) {
			crawled[s[1]] = true
		}
		if len(nums) >= min && len(nums) == len(last) && len(crawled) >= sources &&
			strings.Contains(m, "yuqing_grading_backlog 0") {
			stable++
			if stable >= 3 {
				return nums
			}
		} else {
			stable = 0
		}
		last = nums
		time.Sleep(time.Second)
	}
	t.Fatalf("open incidents did not settle (last %d, want ≥ %d)", len(last), min)
	return nil
}

func TestDemoPipelineEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline test skipped in -short mode")
	}
	demoPipeline(t, nil)
}

// TestDemoPipelineOnPostgres runs the same pipeline with the PostgreSQL
// store (a schema of its own; skipped without a server, required in CI).
func TestDemoPipelineOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline test skipped in -short mode")
	}
	dsn := pgtest.Schema(t)
	demoPipeline(t, func(cfg string) string {
		cfg = strings.Replace(cfg, "  driver: sqlite\n", "  driver: postgres\n", 1)
		return strings.Replace(cfg, `  dsn: ""`, "  dsn: "+dsn, 1)
	})
}

// demoPipeline runs the daemon on the sample forum (edit, when set, changes
// the yuqing.yaml the demo writes) and checks incidents, metrics, masking,
// the console, and that a restart files nothing twice.
func demoPipeline(t *testing.T, edit func(string) string) {
	// The sample forum with every post already released.
	start := time.Now().Add(-time.Hour)
	forum := httptest.NewServer(demo.NewForum(time.Now, start).Handler())
	defer forum.Close()
	dir := t.TempDir()
	if err := writeDemoConfig(dir, forum.URL, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	// Tests run against the repository's rules, not the embedded copy.
	os.RemoveAll(filepath.Join(dir, "dict"))
	if err := os.CopyFS(filepath.Join(dir, "dict"), os.DirFS(filepath.Join("..", "configs", "dict"))); err != nil {
		t.Fatal(err)
	}
	copyRules(t, filepath.Join(dir, "rules.yaml"))
	cfg := filepath.Join(dir, "yuqing.yaml")
	if edit != nil {
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		edited := edit(string(b))
		if edited == string(b) {
			t.Fatal("the configuration edit changed nothing")
		}
		if err := os.WriteFile(cfg, []byte(edited), 0o640); err != nil {
			t.Fatal(err)
		}
	}

	addr, stop := startDaemon(t, cfg)
	nums := waitIncidents(t, addr, 5, demoSources)
	metrics := fetch(t, "http://"+addr+"/metrics")
	if !regexp.MustCompile(`yuqing_incident_info\{[^}]*level="2"`).MatchString(metrics) {
		t.Error("no Ⅱ incident among the demo's incidents")
	}
	if !strings.Contains(metrics, `yuqing_incident_deadline_timestamp_seconds{number=`) {
		t.Error("no deadline series exported")
	}
	// The Chinese names the source and rule alerts show instead of keys.
	if n := len(regexp.MustCompile(`(?m)^yuqing_source_info\{source="[^"]+",title="[^"]*\p{Han}[^"]*"\} 1$`).FindAllString(metrics, -1)); n != demoSources {
		t.Errorf("yuqing_source_info: %d sources with a Chinese title, want %d", n, demoSources)
	}
	if !regexp.MustCompile(`(?m)^yuqing_rule_name_info\{name="标题出现医保核心词",rule="core_title"\} 1$`).MatchString(metrics) {
		t.Error("yuqing_rule_name_info does not name core_title by its Chinese name")
	}
	// The sample forum's posts carry fake phone and ID numbers; no incident
	// label may show them in full.
	phone := regexp.MustCompile(`(^|\D)1[3-9]\d{9}(\D|$)`)
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "yuqing_incident_info{") && phone.MatchString(line) {
			t.Errorf("incident label carries an unmasked number: %s", line)
		}
	}
	list := consoleGet(t, addr, "/incidents")
	for _, n := range nums {
		if !strings.Contains(list, n) {
			t.Errorf("console does not list %s", n)
		}
	}
	// One event, one incident: the citywide settlement outage, told on the
	// forum, the 12345 board and the news, names no common hospital; it is
	// one Ⅱ incident with its three posts.
	outage := regexp.MustCompile(`(?s)<tr class="level-orange">\s*<td class="num"><a href="/incidents/[^"]+">[^<]+</a></td>.{0,400}?全市医保都刷不了了.{0,200}?<td class="count">(\d+)</td>`)
	if m := outage.FindStringSubmatch(list); m == nil || m[1] != "3" {
		t.Errorf("the citywide outage is not one Ⅱ incident of three posts: %v", m)
	}
	for _, other := range []string{"全市医保结算中断，医院大厅大量群众滞留", "医保信息平台突发故障致全市结算中断"} {
		if strings.Contains(list, other) {
			t.Errorf("the outage post %q opened an incident of its own", other)
		}
	}
	// The overview (总览, the home page) of the demo's posts: six charts,
	// the districts of 岚川 among them.
	home := consoleGet(t, addr, "/")
	if n := strings.Count(home, `<svg xmlns="http://www.w3.org/2000/svg" class="chart"`); n != 6 ||
		!regexp.MustCompile(`<title>(岚北区|岚南区|川东区|临江区|白沙县|岚川高新区)：[1-9]\d* 条`).MatchString(home) {
		t.Errorf("the overview has %d charts, or no district named in a relevant post", n)
	}
	demoWeeklyReport(t, addr, cfg, start, len(nums))
	stop()

	// A restart on the same data crawls again and files nothing twice.
	addr, stop = startDaemon(t, cfg)
	defer stop()
	again := waitIncidents(t, addr, len(nums), 0)
	if len(again) != len(nums) {
		t.Errorf("after restart %d open incidents, before %d", len(again), len(nums))
	}
}

// demoWeeklyReport builds the demo week's 周报 with the console's form,
// as an operator does, and downloads it, and writes it again as `yuqing
// report` does beside the running daemon: each Word document has a
// picture for each of its six charts, and each workbook's 概况 counts the
// week's relevant posts and, as new incidents, the open incidents the
// daemon exports (all filed since started, unless a week began between).
func demoWeeklyReport(t *testing.T, addr, cfgFile string, started time.Time, incidents int) {
	t.Helper()
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(cfg.Location)
	c, csrf := consoleSession(t, addr)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequest("POST", "http://"+addr+"/reports",
		strings.NewReader(url.Values{"kind": {"weekly"}, "date": {now.Format(time.DateOnly)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/reports/\d+$`).MatchString(loc) {
		t.Fatalf("building the demo's 周报: %d to %q", resp.StatusCode, loc)
	}
	fromConsole := func(f report.Format) []byte {
		resp, err := c.Get("http://" + addr + loc + "/" + string(f))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("downloading the 周报 as %s: %d %s", f, resp.StatusCode, b)
		}
		return b
	}
	fromCommand := func(f report.Format) []byte {
		out := filepath.Join(t.TempDir(), "周报"+f.Ext())
		if err := Report(context.Background(), ReportOptions{ConfigFile: cfgFile, Kind: report.Weekly, Date: now.Format(time.DateOnly),
			Format: f, OutFile: out, Now: time.Now(), Out: io.Discard}); err != nil {
			t.Fatalf("yuqing report -format %s: %v", f, err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, fontErr := chart.FindFont(cfg.ReportFont)
	if fontErr != nil && os.Getenv("YUQING_REQUIRE_REPORT_TOOLS") == "1" {
		t.Fatalf("YUQING_REQUIRE_REPORT_TOOLS=1 but no CJK font: %v", fontErr)
	}
	for name, write := range map[string]func(report.Format) []byte{"the console's": fromConsole, "yuqing report's": fromCommand} {
		xlsx, err := excelize.OpenReader(bytes.NewReader(write(report.XLSX)))
		if err != nil {
			t.Fatalf("%s 周报 workbook: %v", name, err)
		}
		relevant, _ := xlsx.GetCellValue("概况", "B3")
		filed, _ := xlsx.GetCellValue("概况", "B6")
		xlsx.Close()
		if n, err := strconv.Atoi(relevant); err != nil || n == 0 {
			t.Errorf("%s 周报 counts %q relevant posts", name, relevant)
		}
		if isoWeek(started.In(cfg.Location)) == isoWeek(now) && filed != strconv.Itoa(incidents) {
			t.Errorf("%s 周报 counts %s new incidents, the daemon exports %d open", name, filed, incidents)
		}
		if fontErr != nil {
			t.Logf("%s Word 周报 not checked: no CJK font (scripts/install-report-tools.sh installs one): %v", name, fontErr)
			continue
		}
		docx := write(report.DOCX)
		z, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
		if err != nil {
			t.Fatalf("%s Word 周报 is not a zip: %v", name, err)
		}
		images := 0
		for _, f := range z.File {
			if strings.HasPrefix(f.Name, "word/media/") && strings.HasSuffix(f.Name, ".png") {
				images++
			}
		}
		if images != 6 {
			t.Errorf("%s Word 周报 has %d chart pictures, want 6", name, images)
		}
	}
}

// isoWeek is t's ISO year and week as one number.
func isoWeek(t time.Time) int {
	y, w := t.ISOWeek()
	return y*100 + w
}

// copyRules copies the shipped rules.yaml to to, with the model it names
// (model/ beside it).
func copyRules(t *testing.T, to string) {
	t.Helper()
	copyFile(t, filepath.Join("..", "configs", "rules.yaml"), to)
	model := filepath.Join(filepath.Dir(to), "model")
	os.RemoveAll(model)
	if err := os.CopyFS(model, os.DirFS(filepath.Join("..", "configs", "model"))); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A second demo finds the sample forum's port taken and takes a free one
// instead of failing.
func TestDemoForumFallsBackToAFreePort(t *testing.T) {
	first, err := listenForum("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	taken := first.Addr().String()
	second, err := listenForum(taken)
	if err != nil {
		t.Fatalf("port %s taken: %v", taken, err)
	}
	defer second.Close()
	if second.Addr().String() == taken || !strings.HasPrefix(second.Addr().String(), "127.0.0.1:") {
		t.Errorf("second forum listens on %s (first on %s)", second.Addr(), taken)
	}
	if _, err := listenForum("nowhere:x"); err == nil || !strings.Contains(err.Error(), "示例论坛监听 nowhere:x") {
		t.Errorf("bad address: %v", err)
	}
}

// TestDemoConfigNamesPlaces: the demo's configuration lists the districts
// of 岚川, for the overview's share of each, and keeps the shipped report
// schedules with every receiver disabled: the demo sends nothing.
func TestDemoConfigNamesPlaces(t *testing.T) {
	dir := t.TempDir()
	if err := writeDemoConfig(dir, "http://127.0.0.1:1", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "yuqing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Places, demo.Places) {
		t.Errorf("demo places %q, want %q", cfg.Places, demo.Places)
	}
	if len(cfg.Reports.Schedules) == 0 {
		t.Error("the demo schedules no report")
	}
	for _, r := range cfg.Delivery.Receivers {
		if r.Enabled {
			t.Errorf("the demo's receiver %s is enabled", r.Name)
		}
	}
}
