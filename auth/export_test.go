package auth

// Hooks for the external tests: the limiter map is not visible through the
// HTTP API.

// SetMaxLimiters changes how many rate-limit buckets a keeps.
func SetMaxLimiters(a *Authority, n int) {
	a.limits.mu.Lock()
	defer a.limits.mu.Unlock()
	a.limits.max = n
}

// Limiters returns how many rate-limit buckets a keeps.
func Limiters(a *Authority) int { return a.limits.size() }
