//go:build unix

package storetest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used (user and system, every
// thread): unlike the wall clock, it does not grow while other processes
// have the CPU. For SQLite, which runs in the process, it is the whole cost
// of a query; for PostgreSQL only the client's share.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
