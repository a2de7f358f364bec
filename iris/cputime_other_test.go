//go:build !unix

package iris

import "time"

func processCPU() time.Duration { return 0 }
