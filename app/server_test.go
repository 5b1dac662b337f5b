package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServerClosesHostileConnections: 2,000 connections that never finish
// (half idle on keep-alive after one request, half sending a request body
// that never arrives) are all closed by the daemon's server within its
// configured timeouts, through a connection cap of 256, and the console
// answers afterwards.
func TestServerClosesHostileConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections to a real daemon (-short)")
	}
	const conns = 2000
	raiseFileLimit(t, 2*conns+256)
	dir := daemonDir(t, map[string]string{"yuqing.yaml": "store:\n  path: y.db\nconsole:\n" +
		"  read_timeout: 1s\n  write_timeout: 2s\n  conn_idle_timeout: 1s\n  max_connections: 256\n"})
	addr, stop := startDaemon(t, filepath.Join(dir, "yuqing.yaml"))
	defer stop()

	start := time.Now()
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { errs <- hostileConn(addr, i%2 == 0) })
	}
	wg.Wait()
	close(errs)
	closed := 0
	for err := range errs {
		if err == nil {
			closed++
		} else if conns-closed < 5 {
			t.Log(err)
		}
	}
	if closed != conns {
		t.Errorf("server closed %d of %d hostile connections", closed, conns)
	}
	t.Logf("%d hostile connections closed by the server in %s", closed, time.Since(start).Round(time.Millisecond))
	resp, err := http.Get("http://" + addr + "/-/healthy")
	if err != nil {
		t.Fatalf("after the hostile connections: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the hostile connections: /-/healthy %d", resp.StatusCode)
	}
}

// hostileConn opens one connection that holds on: idle, it reads one
// response and then waits on the keep-alive connection; otherwise it sends
// a login form's headers and 10 of its 1,000 bytes. It returns nil when
// the server closes the connection within a minute.
func hostileConn(addr string, idle bool) error {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	if idle {
		if _, err := io.WriteString(c, "GET /-/healthy HTTP/1.1\r\nHost: yuqing\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fmt.Errorf("idle connection, first response: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	} else if _, err := io.WriteString(c, "POST /login HTTP/1.1\r\nHost: yuqing\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=a"); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, br) // whatever the server answers, until it closes
	var ne net.Error
	switch {
	case err == nil, errors.Is(err, syscall.ECONNRESET):
		return nil
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("idle=%v: connection still open after a minute", idle)
	}
	return err
}

// raiseFileLimit makes sure the process may open n files (both ends of
// every loopback connection are ours), raising the soft limit up to the
// hard one, or skips the test.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("cannot read the open-file limit: %v", err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("open-file limit %d (hard %d) is below the %d this test needs; raise it with ulimit -n", lim.Cur, lim.Max, n)
	}
	old := lim
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("cannot raise the open-file limit to %d: %v", n, err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}
