//go:build !race

package mock

// raceEnabled: the race detector is off (race_test.go).
const raceEnabled = false
