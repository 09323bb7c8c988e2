package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux architecture Go builds for).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time (user and system) a process has used so far;
// pid is a process id or "self".
func cpuTime(pid string) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStat(data)
}

// parseStat reads utime and stime, the 14th and 15th fields of a
// /proc/<pid>/stat line. The 2nd, the command, is in parentheses and may
// hold spaces or parentheses itself: the fields are counted after its
// last ')'.
func parseStat(data []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, errors.New("stat: no command field")
	}
	f := bytes.Fields(data[i+1:]) // f[0] is the 3rd field, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command, want at least 13", len(f))
	}
	var sum time.Duration
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat: CPU time %q", s)
		}
		sum += time.Duration(n) * clockTick
	}
	return sum, nil
}

// perRequest is the CPU time a process used during a load run, divided by
// the requests wrk counted.
func perRequest(before, after time.Duration, requests int) time.Duration {
	if requests <= 0 || after < before {
		return 0
	}
	return (after - before) / time.Duration(requests)
}

// burnSink keeps the burner's work from being optimised away.
var burnSink atomic.Uint64

// burnUnit is a fixed piece of CPU work: a few hundred nanoseconds of
// xorshift on one core, with no memory traffic and no allocation.
func burnUnit(x uint64) uint64 {
	for range 256 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// burner spends a chosen CPU time per call, in units whose cost it
// measured once, on a quiet machine, before any load: work, not a wait,
// so that a goroutine the scheduler takes off the CPU does not count the
// time it did not run.
type burner struct {
	unit time.Duration // the CPU time of one burnUnit
	d    atomic.Int64  // nanoseconds to spend per call; 0: none
}

// calibrate measures burnUnit: the fastest of a few rounds, the round the
// scheduler least interrupted.
func (b *burner) calibrate() {
	const units = 4000
	best := time.Duration(1<<63 - 1)
	x := uint64(88172645463325252)
	for range 7 {
		start := time.Now()
		for range units {
			x = burnUnit(x)
		}
		best = min(best, time.Since(start))
	}
	burnSink.Store(x)
	b.unit = max(best/units, time.Nanosecond)
}

// burn spends the CPU time set in d, and returns the units it ran.
func (b *burner) burn() int {
	n := int(time.Duration(b.d.Load()) / b.unit)
	x := uint64(n) | 1
	for range n {
		x = burnUnit(x)
	}
	burnSink.Add(x & 1)
	return max(n, 0)
}
