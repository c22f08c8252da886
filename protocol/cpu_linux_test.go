package protocol

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process used so far (every thread).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
