//go:build unix

package sqlite

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

// lockInit serialises the first steps of Open between processes opening one
// database file together (two daemons, a daemon and `yuqing user add`). The
// switch to WAL takes an exclusive lock that SQLite may refuse at once with
// SQLITE_BUSY, without waiting out busy_timeout, and goose checks the applied
// versions before it writes, so two first opens would both create the
// tables. It holds an exclusive flock on a file beside the database until
// release is called.
func lockInit(ctx context.Context, path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("打开迁移锁文件 %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		f.Close() // the pending flock fails or the lock goes with the descriptor
		return nil, ctx.Err()
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("锁定迁移锁文件 %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the flock
}
