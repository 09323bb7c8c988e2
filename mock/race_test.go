//go:build race

package mock

// raceEnabled: the race detector is on, under which sync.Pool drops items
// at random, so that pooled work (json.Valid's scanner) allocates.
const raceEnabled = true
