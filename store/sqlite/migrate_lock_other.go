//go:build !unix

package sqlite

import (
	"context"
	"database/sql"
)

// fileLocker is a no-op where flock is missing: concurrent first opens of
// one database are then the operator's to avoid.
type fileLocker struct{ path string }

func (*fileLocker) SessionLock(context.Context, *sql.Conn) error   { return nil }
func (*fileLocker) SessionUnlock(context.Context, *sql.Conn) error { return nil }
