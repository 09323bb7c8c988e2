package mock

import "testing"

// cpuPerOp starts counting the process's CPU time; the returned func,
// called after the loop, reports it per op as cpu-ns/op. On a machine
// shared with other work, wall time per op (ns/op) counts the time this
// process waits for a core; CPU time counts only what it spends.
func cpuPerOp(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// CPUPerOp is cpuPerOp for the benchmarks of package mock_test.
var CPUPerOp = cpuPerOp
