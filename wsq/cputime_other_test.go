//go:build !unix

package wsq

import "time"

func cpuTime() time.Duration { return 0 }
