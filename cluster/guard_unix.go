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
// an exclusive flock on a file beside it (the database's path resolved, so
// two configurations naming it through a symlink meet at one lock), held
// until release. The kernel drops the lock with the process, however it
// ends, so a daemon killed with SIGKILL never keeps the next one out. The
// file records the holder (host, pid, listen address and configFile) for
// the refusal a second daemon gets and for `yuqing check`.
func Guard(dbPath, configFile, listen string) (release func(), err error) {
	db := resolvePath(dbPath)
	f, err := os.OpenFile(guardPath(db), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("打开实例锁文件 %s: %w", guardPath(db), err)
	}
	if err := lockGuard(f, db, configFile); err != nil {
		f.Close()
		return nil, err
	}
	// Written before the old text is cut, so a reader never finds the
	// file empty while it is held.
	rec := self(configFile, listen).record()
	if _, err := f.WriteAt(rec, 0); err == nil {
		_ = f.Truncate(int64(len(rec)))
	}
	return func() {
		_ = f.Truncate(0)
		f.Close() // closing the descriptor releases the flock
	}, nil
}

// lockGuard flocks the open lock file of db, or returns the *HeldError
// naming the daemon that holds it to the one with configFile.
func lockGuard(f *os.File, db, configFile string) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		text, _ := io.ReadAll(io.LimitReader(f, 4096))
		return &HeldError{DB: db, Holder: parseHolder(string(text)), Config: configFile}
	}
	if err != nil {
		return fmt.Errorf("锁定实例锁文件 %s: %w", guardPath(db), err)
	}
	return nil
}

// CheckGuard reports, without keeping it, whether a daemon holds the
// single-instance lock of the SQLite database at dbPath: a *HeldError
// (ErrSecondInstance) naming it, or nil. It creates nothing: a lock file
// that a check run as another user left behind would keep the daemon out.
func CheckGuard(dbPath string) error {
	db := resolvePath(dbPath)
	f, err := os.Open(guardPath(db))
	if errors.Is(err, os.ErrNotExist) {
		return nil // no daemon has run on it yet
	}
	if err != nil {
		return fmt.Errorf("打开实例锁文件 %s: %w", guardPath(db), err)
	}
	defer f.Close()
	return lockGuard(f, db, "")
}
