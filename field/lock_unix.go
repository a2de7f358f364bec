//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package field

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, waiting for it; closing f releases it.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }
