//go:build unix

package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Guard takes the single-instance lock of the SQLite database at dbPath:
// an exclusive flock on a file beside it, held until release. The kernel
// drops the lock with the process, however it ends, so a daemon killed
// with SIGKILL never keeps the next one out; the file's text (who holds
// it) only names the holder in the error a second daemon gets.
func Guard(dbPath, listen string) (release func(), err error) {
	f, err := lockGuard(dbPath)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(describe(listen)+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		f.Close() // closing the descriptor releases the flock
	}, nil
}

// lockGuard opens and locks the lock file beside dbPath.
func lockGuard(dbPath string) (*os.File, error) {
	f, err := os.OpenFile(guardPath(dbPath), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("打开实例锁文件 %s: %w", guardPath(dbPath), err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder, _ := io.ReadAll(io.LimitReader(f, 1024))
			return nil, secondInstance(dbPath, string(holder))
		}
		return nil, fmt.Errorf("锁定实例锁文件 %s: %w", guardPath(dbPath), err)
	}
	return f, nil
}

// CheckGuard reports, without taking it, whether a daemon holds the
// single-instance lock of the SQLite database at dbPath (`yuqing check`).
func CheckGuard(dbPath string) error {
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		return nil // no database yet: nobody runs on it
	}
	f, err := lockGuard(dbPath)
	if err != nil {
		return err
	}
	return f.Close()
}
