package proxy

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process used so far (user and system).
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per operation since start: on a
// machine shared with other work, wall time per operation says more about
// the neighbours than about the code.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N)/float64(time.Microsecond), "cpu-µs/op")
}
