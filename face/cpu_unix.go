//go:build unix

package face

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user and system, all threads), or 0 if
// the system does not say. Evaluate reports it beside wall time because a busy machine
// inflates wall time but not the work done.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
