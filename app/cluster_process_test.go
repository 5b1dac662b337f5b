package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
)

// daemonProcess is `yuqing run` as a process of its own.
type daemonProcess struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startProcesses starts n `yuqing run` processes of bin on cfgFile, each
// on a port of its own; they are stopped with SIGTERM when the test ends.
func startProcesses(t *testing.T, bin, cfgFile string, n int) []*daemonProcess {
	t.Helper()
	out := make([]*daemonProcess, n)
	for i := range out {
		logFile := filepath.Join(t.TempDir(), fmt.Sprintf("yuqing-%d.log", i))
		f, err := os.Create(logFile)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "run", "-config", cfgFile, "-listen", "127.0.0.1:0")
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &daemonProcess{cmd: cmd, log: logFile, done: make(chan struct{})}
		go func() {
			cmd.Wait()
			f.Close()
			close(p.done)
		}()
		out[i] = p
	}
	t.Cleanup(func() {
		for _, p := range out {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range out {
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				p.cmd.Process.Kill()
				t.Errorf("process %d did not stop within 30 s after SIGTERM", p.cmd.Process.Pid)
			}
			if t.Failed() {
				b, _ := os.ReadFile(p.log)
				t.Logf("log of process %d (last 2000 bytes):\n%s", p.cmd.Process.Pid, b[max(0, len(b)-2000):])
			}
		}
	})
	return out
}

// TestThreeProcessesFailover runs three `yuqing run` processes (the
// binary built from cmd/yuqing) on one PostgreSQL schema against six
// loopback news sites and kills the leader with SIGKILL, as a crash would:
// another process leads within the lease TTL, and every site whose host
// the killed one held is crawled again, by the others, within TTL + the
// sources' interval of the kill.
func TestThreeProcessesFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("three daemon processes and a crawl interval; skipped in -short mode")
	}
	const (
		beat     = 500 * time.Millisecond
		ttl      = 3 * time.Second
		interval = time.Minute // clusterFixture's (the crawler's least)
	)
	dsn := pgtest.Schema(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not on PATH: cannot build the binary")
	}
	bin := filepath.Join(t.TempDir(), "yuqing")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/yuqing-bureau/yuqing/cmd/yuqing").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sites := make([]*feedSite, 6)
	for i := range sites {
		sites[i] = newFeedSite(t, i, 1)
	}
	cfgFile := clusterFixture(t, dsn, sites, beat, ttl)
	st, err := postgres.OpenReadOnly(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	procs := startProcesses(t, bin, cfgFile, 3)
	byPID := map[int]*daemonProcess{}
	for _, p := range procs {
		byPID[p.cmd.Process.Pid] = p
	}

	// view reads who lives, who leads and who holds which host.
	type view struct {
		alive   map[string]model.Instance // by id
		leader  model.Instance
		leaders int
		holder  map[string]string // host → instance id
	}
	// (Before the first process has migrated the schema it fails.)
	tryRead := func() (view, error) {
		ctx := context.Background()
		now := time.Now()
		ins, err := st.Instances(ctx)
		if err != nil {
			return view{}, err
		}
		leases, err := st.Leases(ctx)
		if err != nil {
			return view{}, err
		}
		v := view{alive: map[string]model.Instance{}, holder: map[string]string{}}
		for _, in := range ins {
			if !in.Alive(now, ttl) {
				continue
			}
			v.alive[in.ID] = in
			if !in.LeaderSince.IsZero() {
				v.leader, v.leaders = in, v.leaders+1
			}
		}
		for _, l := range leases {
			if l.Held(now) {
				v.holder[l.Host] = l.Holder
			}
		}
		return v, nil
	}
	read := func() view {
		v, err := tryRead()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitUntil(t, 3*time.Minute, "three processes up, one leading, two hosts each, every feed fetched", func() bool {
		v, err := tryRead()
		if err != nil {
			return false
		}
		per := map[string]int{}
		for _, h := range v.holder {
			per[h]++
		}
		if len(v.alive) != 3 || v.leaders != 1 || len(per) != 3 {
			return false
		}
		for _, n := range per {
			if n != 2 {
				return false
			}
		}
		for _, s := range sites {
			if s.feedFetches() == 0 {
				return false
			}
		}
		return true
	})
	v := read()
	leader := byPID[v.leader.PID]
	if leader == nil {
		t.Fatalf("the leader's pid %d is none of the processes started", v.leader.PID)
	}
	var orphans []int // sites whose host the leader crawls
	fetched := map[int]int{}
	for i, s := range sites {
		if v.holder[s.host()] == v.leader.ID {
			orphans = append(orphans, i)
			fetched[i] = s.feedFetches()
		}
	}
	if len(orphans) != 2 {
		t.Fatalf("the leader holds %d hosts, want 2", len(orphans))
	}

	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-leader.done
	took := waitUntil(t, ttl, "another process leads after the leader was killed", func() bool {
		v := read()
		return v.leaders == 1 && v.leader.ID != "" && v.leader.PID != leader.cmd.Process.Pid && byPID[v.leader.PID] != nil
	})
	t.Logf("leader killed (SIGKILL): another process leads in %s (heartbeat %s, lease TTL %s)", took, beat, ttl)

	pending := map[int]bool{}
	for _, i := range orphans {
		pending[i] = true
	}
	waitUntil(t, ttl+interval+5*time.Second, "the killed leader's sites crawled again", func() bool {
		for i := range pending {
			if sites[i].feedFetches() > fetched[i] {
				t.Logf("site %d (the killed leader's) crawled again %s after the kill", i, time.Since(killed).Round(10*time.Millisecond))
				delete(pending, i)
			}
		}
		return len(pending) == 0
	})
	if since := time.Since(killed); since > ttl+interval {
		t.Errorf("the killed leader's sites were crawled again %s after the kill, want within TTL + interval (%s)", since, ttl+interval)
	}
	v = read()
	for _, i := range orphans {
		h := v.holder[sites[i].host()]
		if in, ok := v.alive[h]; !ok || h == "" || in.PID == leader.cmd.Process.Pid {
			t.Errorf("site %d's host is held by %q, want a live process other than the killed one", i, h)
		}
	}
}
