// Package tenant lets tests that run in parallel share one mock without
// cross-talk: a request names its tenant by a base-URL prefix
// (/t/{tenant}/api/..., /t/{tenant}/oauth2/token) or by the
// X-Coupakit-Tenant header, and a Registry holds each tenant's own state,
// created on first use.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	// Header names a request's tenant when its path has no /t/{tenant}/
	// prefix.
	Header = "X-Coupakit-Tenant"
	// Prefix starts a path that names its tenant: /t/{tenant}/api/...
	Prefix = "/t/"
	// DefaultMax is how many tenants a Registry holds unless told
	// otherwise (serve --max-tenants).
	DefaultMax = 1000
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports what is wrong with a tenant name, or nil: 1 to 64
// letters, digits, '_', '.' and '-', starting with a letter or a digit (the
// TenantName of openapi/admin.yaml).
func ValidName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("tenant %q: a tenant name is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or a digit", name)
	}
	return nil
}

// FromRequest finds r's tenant: "" (the default tenant) when r names none.
// A /t/{tenant} prefix is taken off the path of the request it returns, so
// that the layers after it see /api/...; a prefix and a header that name
// different tenants, or an invalid name, are an error.
func FromRequest(r *http.Request) (string, *http.Request, error) {
	header := r.Header.Get(Header)
	name, rest, prefixed := cut(r.URL.Path)
	if !prefixed {
		if header == "" {
			return "", r, nil
		}
		if err := ValidName(header); err != nil {
			return "", r, err
		}
		return header, r, nil
	}
	if err := ValidName(name); err != nil {
		return "", r, err
	}
	if header != "" && header != name {
		return "", r, fmt.Errorf("the path names tenant %q and the %s header %q: name one", name, Header, header)
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = rest
	if u.RawPath != "" {
		if _, rawRest, ok := cut(u.RawPath); ok {
			u.RawPath = rawRest
		}
	}
	r2.URL = &u
	return name, r2, nil
}

// cut splits /t/{name}/rest into name and /rest.
func cut(p string) (name, rest string, ok bool) {
	if !strings.HasPrefix(p, Prefix) {
		return "", p, false
	}
	name, rest, _ = strings.Cut(p[len(Prefix):], "/")
	return name, "/" + rest, true
}

type nameKey struct{}

// WithName returns ctx naming a tenant.
func WithName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, nameKey{}, name)
}

// Name returns the tenant a request's context names ("" for the default
// tenant).
func Name(ctx context.Context) string {
	n, _ := ctx.Value(nameKey{}).(string)
	return n
}

// Middleware is the pipeline layer that finds each request's tenant, takes
// its prefix off the path and puts its name in the context (see Name). A
// request naming a tenant badly is answered by refuse with 400 and a
// message, in the API's own format.
func Middleware(refuse func(w http.ResponseWriter, r *http.Request, status int, msg string)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name, r2, err := FromRequest(r)
			if err != nil {
				refuse(w, r, http.StatusBadRequest, err.Error())
				return
			}
			if name != "" {
				r2 = r2.WithContext(WithName(r2.Context(), name))
			}
			next.ServeHTTP(w, r2)
		})
	}
}

// ErrTooMany is Get's error when the registry is full.
var ErrTooMany = errors.New("too many tenants")

// Info describes a tenant, as GET /_mock/tenants lists it.
type Info struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Registry holds the state of each tenant, created on first use. It is safe
// for concurrent use; a tenant's state is created once, outside the
// registry's lock, so that creating one tenant does not hold up the others.
type Registry[T any] struct {
	max    int
	create func(name string) (T, error)
	now    func() time.Time

	mu    sync.Mutex
	items map[string]*entry[T]
}

type entry[T any] struct {
	ready   chan struct{}
	val     T
	err     error
	created time.Time
}

// NewRegistry returns a registry of at most max tenants (DefaultMax when 0)
// whose states create makes.
func NewRegistry[T any](max int, create func(name string) (T, error)) *Registry[T] {
	if max <= 0 {
		max = DefaultMax
	}
	return &Registry[T]{max: max, create: create, now: time.Now, items: map[string]*entry[T]{}}
}

// Get returns the tenant's state, creating it on first use; past the
// registry's maximum it returns ErrTooMany.
func (g *Registry[T]) Get(name string) (T, error) {
	g.mu.Lock()
	e, ok := g.items[name]
	if !ok {
		if len(g.items) >= g.max {
			g.mu.Unlock()
			var zero T
			return zero, fmt.Errorf("%w: at most %d; delete some with DELETE /_mock/tenants/{name}, or start with a higher --max-tenants", ErrTooMany, g.max)
		}
		e = &entry[T]{ready: make(chan struct{}), created: g.now().UTC()}
		g.items[name] = e
	}
	g.mu.Unlock()
	if !ok {
		e.val, e.err = g.create(name)
		if e.err != nil {
			g.mu.Lock()
			delete(g.items, name)
			g.mu.Unlock()
		}
		close(e.ready)
	}
	<-e.ready
	return e.val, e.err
}

// Lookup returns a tenant's state without creating it.
func (g *Registry[T]) Lookup(name string) (T, bool) {
	g.mu.Lock()
	e, ok := g.items[name]
	g.mu.Unlock()
	if !ok {
		var zero T
		return zero, false
	}
	<-e.ready
	return e.val, e.err == nil
}

// Delete removes a tenant; it reports whether there was one. Its next use
// creates it afresh.
func (g *Registry[T]) Delete(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.items[name]
	delete(g.items, name)
	return ok
}

// List describes the tenants, by name.
func (g *Registry[T]) List() []Info {
	g.mu.Lock()
	out := make([]Info, 0, len(g.items))
	for name, e := range g.items {
		out = append(out, Info{Name: name, CreatedAt: e.created})
	}
	g.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Each calls f for every tenant whose state is ready, by name (to reset
// them all, for example).
func (g *Registry[T]) Each(f func(name string, state T)) {
	for _, info := range g.List() {
		if v, ok := g.Lookup(info.Name); ok {
			f(info.Name, v)
		}
	}
}
