//go:build !unix

package cluster

// Guard is a no-op where flock is missing: a second daemon on one SQLite
// database is then the operator's to avoid.
func Guard(dbPath, configFile, listen string) (release func(), err error) { return func() {}, nil }

// CheckGuard finds nothing where flock is missing.
func CheckGuard(dbPath string) error { return nil }
