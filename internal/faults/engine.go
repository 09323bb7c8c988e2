package faults

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// Options configure an Engine. The zero value is usable: seed 0, no rules,
// no latency, any API name and operation accepted.
type Options struct {
	// Seed makes probabilities and jitter deterministic.
	Seed int64
	// Rules are the start-up rules (serve --fault, --faults, the mock's
	// options); Reset puts them back.
	Rules []Rule
	// Settings is the start-up global latency; Reset puts it back.
	Settings Settings
	// Checker validates every rule added.
	Checker Checker
}

// Engine holds the fault rules and the global latency. It is safe for
// concurrent use; its Middleware reads them without locks.
type Engine struct {
	opts   Options
	mu     sync.Mutex // serialises changes; readers use snap
	nextID int64
	snap   atomic.Pointer[snapshot]
	seq    atomic.Uint64 // requests that drew global jitter
}

// snapshot is an immutable list of rules and the settings, replaced as a
// whole on every change.
type snapshot struct {
	rules    []*rule
	settings Settings
	index    *index // index.go
}

// rule is a compiled rule with its counts.
type rule struct {
	id      int64
	r       Rule
	prob    float64
	prefix  string // the literal start of a glob path, for a quick refusal
	glob    bool
	matched atomic.Int64
	fired   atomic.Int64
}

// New builds an engine with opts's start-up rules and settings; a rule or
// settings that do not validate are an error naming the rule.
func New(opts Options) (*Engine, error) {
	e := &Engine{opts: opts}
	if err := opts.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("faults: settings: %w", err)
	}
	for i, r := range opts.Rules {
		if err := opts.Checker.Validate(r); err != nil {
			return nil, fmt.Errorf("faults: rule %d: %w", i+1, err)
		}
	}
	e.Reset()
	return e, nil
}

// Reset puts the start-up rules (with new ids from 1 and counts at zero)
// and settings back.
func (e *Engine) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextID = 0
	rules := make([]*rule, 0, len(e.opts.Rules))
	for _, r := range e.opts.Rules {
		e.nextID++
		rules = append(rules, compile(e.nextID, r))
	}
	e.seq.Store(0)
	e.snap.Store(newSnapshot(rules, e.opts.Settings))
}

func compile(id int64, r Rule) *rule {
	c := &rule{id: id, r: r, prob: 1}
	if r.Probability != nil {
		c.prob = *r.Probability
	}
	c.r.Probability = &c.prob
	if i := strings.IndexAny(r.Match.Path, `*?[\`); i >= 0 {
		c.glob, c.prefix = true, r.Match.Path[:i]
	}
	return c
}

// Add validates r and appends it to the rules; it returns the rule as
// stored.
func (e *Engine) Add(r Rule) (View, error) {
	if err := e.opts.Checker.Validate(r); err != nil {
		return View{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextID++
	c := compile(e.nextID, r)
	old := e.snap.Load()
	rules := append(append(make([]*rule, 0, len(old.rules)+1), old.rules...), c)
	e.snap.Store(newSnapshot(rules, old.settings))
	return c.view(), nil
}

// ErrNotFound is Delete's error for an id no rule has.
var ErrNotFound = errors.New("no such fault rule")

// Delete removes the rule with id.
func (e *Engine) Delete(id int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.snap.Load()
	rules := make([]*rule, 0, len(old.rules))
	for _, c := range old.rules {
		if c.id != id {
			rules = append(rules, c)
		}
	}
	if len(rules) == len(old.rules) {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	e.snap.Store(newSnapshot(rules, old.settings))
	return nil
}

// Clear removes every rule (the settings stay).
func (e *Engine) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.snap.Store(newSnapshot(nil, e.snap.Load().settings))
}

// Rules lists the rules in the order they are tried, with their counts.
func (e *Engine) Rules() []View {
	snap := e.snap.Load()
	out := make([]View, 0, len(snap.rules))
	for _, c := range snap.rules {
		out = append(out, c.view())
	}
	return out
}

// Settings returns the global latency in force.
func (e *Engine) Settings() Settings { return e.snap.Load().settings }

// SetSettings validates s and puts it in force.
func (e *Engine) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.snap.Load()
	e.snap.Store(&snapshot{rules: old.rules, settings: s, index: old.index})
	return nil
}

func (c *rule) view() View {
	fired := c.fired.Load()
	return View{ID: c.id, Rule: c.r, Matched: c.matched.Load(), Fired: fired, Retired: c.r.Times > 0 && fired >= int64(c.r.Times)}
}

// matches reports whether the request passes the rule's match; describe
// gives the request's API and operation, and is called only when the rule
// needs them.
func (c *rule) matches(method, p string, describe func() (string, string)) bool {
	m := &c.r.Match
	if m.Method != "" && m.Method != method {
		return false
	}
	if m.Path != "" {
		if !c.glob {
			if m.Path != p {
				return false
			}
		} else if !strings.HasPrefix(p, c.prefix) {
			return false
		} else if ok, _ := path.Match(m.Path, p); !ok {
			return false
		}
	}
	if m.API != "" || m.Operation != "" {
		api, op := describe()
		if (m.API != "" && m.API != api) || (m.Operation != "" && m.Operation != op) {
			return false
		}
	}
	return true
}

// fire counts a match and reports whether the rule applies to it, and the
// match's number (from 1) for its draws.
func (c *rule) fire(seed int64) (bool, uint64) {
	if c.r.Times > 0 && c.fired.Load() >= int64(c.r.Times) {
		return false, 0 // retired: no longer counts matches
	}
	n := c.matched.Add(1)
	if n <= int64(c.r.After) {
		return false, uint64(n)
	}
	if c.prob < 1 && draw(seed, c.id, uint64(n), 0) >= c.prob {
		return false, uint64(n)
	}
	for {
		f := c.fired.Load()
		if c.r.Times > 0 && f >= int64(c.r.Times) {
			return false, uint64(n)
		}
		if c.fired.CompareAndSwap(f, f+1) {
			return true, uint64(n)
		}
	}
}

// draw is a deterministic number in [0, 1) from the seed, a rule, the
// match's number and a salt (splitmix64).
func draw(seed, id int64, n, salt uint64) float64 {
	x := uint64(seed) ^ uint64(id)*0x9e3779b97f4a7c15 ^ n*0xbf58476d1ce4e5b9 ^ salt*0x94d049bb133111eb
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// jitter returns a draw in [0, max] milliseconds.
func jitter(seed, id int64, n uint64, max int) int {
	if max <= 0 {
		return 0
	}
	return int(draw(seed, id, n, 1) * float64(max+1))
}
