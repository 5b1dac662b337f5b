//go:build unix

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"syscall"
)

// fileLocker serialises migrations between processes opening one database
// file together (two daemons, a daemon and `yuqing user add`): goose checks
// the applied versions before it writes, so two first opens would both
// create the tables. It holds an exclusive flock on a file beside the
// database while goose migrates.
type fileLocker struct {
	path string
	f    *os.File
}

func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return fmt.Errorf("打开迁移锁文件 %s: %w", l.path, err)
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		f.Close() // the pending flock fails or the lock goes with the descriptor
		return ctx.Err()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("锁定迁移锁文件 %s: %w", l.path, err)
	}
	l.f = f
	return nil
}

func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
