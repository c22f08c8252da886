package protocolbench

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time this process used so far (every thread).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure turns on allocation reporting, sets the bytes per operation and
// reports the process's CPU time per operation as cpu-ns/op: on a machine
// shared with other work, ns/op (wall time) includes waiting for a CPU,
// cpu-ns/op does not (it does include the library's own goroutines and the
// garbage collector).
func measure(b *testing.B, bytes int) {
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
	start := cpuTime()
	b.Cleanup(func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	})
	b.ResetTimer()
}
