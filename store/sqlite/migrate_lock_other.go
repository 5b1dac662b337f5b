//go:build !unix

package sqlite

import "context"

// lockInit is a no-op where flock is missing: concurrent first opens of one
// database are then the operator's to avoid.
func lockInit(context.Context, string) (func(), error) { return func() {}, nil }
