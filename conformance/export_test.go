package conformance

import (
	"context"
	"time"
)

// WithClock makes the run's token source read the time from now, so that
// a test can move it past a token's expiry.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithSleep makes the run's pacing wait with sleep, so that a test can
// record the waits instead of waiting.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(c *config) { c.sleep = sleep }
}
