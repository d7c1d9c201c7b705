//go:build unix

package api_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system: per
// request steadier than the wall time on a machine that other work shares.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
