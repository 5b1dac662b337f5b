//go:build unix

package cluster_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/cluster"
)

// guardDir is a temporary directory with an (empty) database y.db and two
// configuration files, a.yaml and b.yaml; paths resolved, as Guard names
// them.
func guardDir(t *testing.T) (db, cfgA, cfgB string) {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"y.db", "a.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "y.db"), filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
}

// held is the *HeldError err must be.
func held(t *testing.T, err error) *cluster.HeldError {
	t.Helper()
	h, ok := errors.AsType[*cluster.HeldError](err)
	if !ok || !errors.Is(err, cluster.ErrSecondInstance) {
		t.Fatalf("want a HeldError (ErrSecondInstance), got %v", err)
	}
	return h
}

func contains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// TestGuardRefusesSecondInstance: the holder's record (pid, listen
// address, configuration) names it in the refusal; another configuration
// is pointed to PostgreSQL, the same one to a reload.
func TestGuardRefusesSecondInstance(t *testing.T) {
	db, cfgA, cfgB := guardDir(t)
	release, err := cluster.Guard(db, cfgA, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	want := cluster.Holder{Host: host, PID: os.Getpid(), Listen: "127.0.0.1:8080", Config: cfgA}

	_, err = cluster.Guard(db, cfgB, "127.0.0.1:8081")
	if h := held(t, err); h.Holder != want || h.DB != db || h.Config != cfgB {
		t.Errorf("second Guard: %+v", h)
	}
	pid := strconv.Itoa(os.Getpid())
	contains(t, "refusal of another configuration", err.Error(), db, "进程 "+pid, "配置 "+cfgA, "监听 127.0.0.1:8080",
		"这份配置 "+cfgB+" 与它的配置不是同一个文件", "SQLite 只支持单实例运行", "PostgreSQL", "docs/deploy.md 第 7 节")

	_, err = cluster.Guard(db, cfgA, "127.0.0.1:8081")
	held(t, err)
	contains(t, "refusal of the same configuration", err.Error(), "同一份配置", "kill -HUP "+pid, "PostgreSQL")
	if strings.Contains(err.Error(), "不是同一个文件") {
		t.Errorf("the same configuration called another: %v", err)
	}

	if h := held(t, cluster.CheckGuard(db)); h.Holder != want || h.Config != "" {
		t.Errorf("CheckGuard while held: %+v", h)
	}
	release()
	if err := cluster.CheckGuard(db); err != nil {
		t.Errorf("CheckGuard after release: %v", err)
	}
	release, err = cluster.Guard(db, cfgB, "127.0.0.1:8081")
	if err != nil {
		t.Fatalf("Guard after release: %v", err)
	}
	release()
}

// TestHolderLoads: the same configuration file however named (symlink,
// relative path) is the holder's; another file, or the same path on
// another host, is not.
func TestHolderLoads(t *testing.T) {
	_, cfgA, cfgB := guardDir(t)
	dir := filepath.Dir(cfgA)
	link := filepath.Join(t.TempDir(), "yuqing.yaml")
	if err := os.Symlink(cfgA, link); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	h := cluster.Holder{Host: host, PID: 1, Listen: "x", Config: cfgA}
	t.Chdir(dir)
	for _, c := range []string{cfgA, link, "a.yaml", "./a.yaml"} {
		if same, known := h.Loads(c); !same || !known {
			t.Errorf("Loads(%s) = %v, %v; want the same file", c, same, known)
		}
	}
	for _, c := range []string{cfgB, "b.yaml", ""} {
		if same, known := h.Loads(c); same || !known {
			t.Errorf("Loads(%s) = %v, %v; want another file", c, same, known)
		}
	}
	other := h
	other.Host = host + "-other"
	if same, known := other.Loads(cfgA); same || !known {
		t.Errorf("a holder on another host Loads this host's file: %v, %v", same, known)
	}
	if same, known := (cluster.Holder{Host: host, PID: 1}).Loads(cfgA); same || known {
		t.Errorf("a holder without a recorded configuration: %v, %v", same, known)
	}
}

// holdOld holds the lock file of db as an older daemon did: its text
// written, the flock taken on a descriptor of its own.
func holdOld(t *testing.T, db, text string) {
	t.Helper()
	if err := os.WriteFile(db+".instance-lock", []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(db + ".instance-lock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
}

// TestGuardReadsOldRecord: a lock file written by a version that recorded
// no configuration still names its holder; whether a configuration is its
// own is then unknown.
func TestGuardReadsOldRecord(t *testing.T) {
	db, cfgA, _ := guardDir(t)
	holdOld(t, db, "主机 yq-a 上的进程 4242（监听 127.0.0.1:8080）\n")
	h := held(t, cluster.CheckGuard(db))
	if want := (cluster.Holder{Host: "yq-a", PID: 4242, Listen: "127.0.0.1:8080"}); h.Holder != want {
		t.Errorf("old record read as %+v", h.Holder)
	}
	if same, known := h.Holder.Loads(cfgA); same || known {
		t.Errorf("old record Loads = %v, %v; want unknown", same, known)
	}
	_, err := cluster.Guard(db, cfgA, "127.0.0.1:8081")
	held(t, err)
	contains(t, "refusal by an old holder", err.Error(), "主机 yq-a 上的进程 4242（监听 127.0.0.1:8080）使用", "SQLite 只支持单实例运行", "PostgreSQL")
	if strings.Contains(err.Error(), "同一份配置") || strings.Contains(err.Error(), "不是同一个文件") {
		t.Errorf("the refusal judged a configuration it cannot know: %v", err)
	}

	db2, _, _ := guardDir(t)
	holdOld(t, db2, "something else\n")
	if h := held(t, cluster.CheckGuard(db2)); h.Holder.String() != "something else" {
		t.Errorf("unreadable record named %q", h.Holder)
	}
	db3, _, _ := guardDir(t)
	holdOld(t, db3, "")
	if h := held(t, cluster.CheckGuard(db3)); h.Holder.String() != "未知实例" {
		t.Errorf("empty record named %q", h.Holder)
	}
}

// TestGuardResolvesDatabasePath: a configuration naming the database
// through a symlink (to the file or to its directory) meets the same lock
// as one naming it directly, and the refusal names the file itself.
func TestGuardResolvesDatabasePath(t *testing.T) {
	db, cfgA, cfgB := guardDir(t)
	links := t.TempDir()
	fileLink, dirLink := filepath.Join(links, "yuqing.db"), filepath.Join(links, "data")
	if err := os.Symlink(db, fileLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(db), dirLink); err != nil {
		t.Fatal(err)
	}
	release, err := cluster.Guard(fileLink, cfgA, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, p := range []string{db, filepath.Join(dirLink, "y.db")} {
		_, err = cluster.Guard(p, cfgB, "127.0.0.1:8081")
		if h := held(t, err); h.DB != db {
			t.Errorf("Guard(%s): refusal names the database %s, want %s", p, h.DB, db)
		}
		if h := held(t, cluster.CheckGuard(p)); h.Holder.Config != cfgA {
			t.Errorf("CheckGuard(%s): %+v", p, h)
		}
	}
}

// TestCheckGuardCreatesNothing: checking a database no daemon has run on
// leaves no lock file (one created by another user would keep the daemon
// out).
func TestCheckGuardCreatesNothing(t *testing.T) {
	db, _, _ := guardDir(t)
	if err := cluster.CheckGuard(db); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db + ".instance-lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CheckGuard left a lock file: %v", err)
	}
}

// TestGuardAfterSIGKILL: a daemon killed with SIGKILL leaves the lock
// file (and its record) behind, and the next start is not kept out.
func TestGuardAfterSIGKILL(t *testing.T) {
	if db := os.Getenv("YUQING_GUARD_CHILD"); db != "" {
		if _, err := cluster.Guard(db, os.Getenv("YUQING_GUARD_CONFIG"), "child"); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		return
	}
	db, cfgA, cfgB := guardDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestGuardAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "YUQING_GUARD_CHILD="+db, "YUQING_GUARD_CONFIG="+cfgA)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "locked") {
		t.Fatalf("child: %q", buf[:n])
	}
	_, err = cluster.Guard(db, cfgB, "parent")
	if h := held(t, err); h.Holder.PID != cmd.Process.Pid || h.Holder.Listen != "child" || h.Holder.Config != cfgA {
		t.Errorf("Guard while the child runs: %+v", h.Holder)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	release, err := cluster.Guard(db, cfgB, "parent")
	if err != nil {
		t.Fatalf("Guard after the holder was killed: %v", err)
	}
	release()
}
