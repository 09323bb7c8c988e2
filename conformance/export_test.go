package conformance

import "time"

// WithClock makes the run's token source read the time from now, so that
// a test can move it past a token's expiry.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }
