//go:build unix

package iris

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the process so far. Evaluate and the
// benchmarks report rates per CPU second besides wall-clock ones because the machine may be
// shared.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
