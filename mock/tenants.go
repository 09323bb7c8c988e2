package mock

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/coupakit/coupakit/internal/faults"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/internal/tenant"
)

// tenantData is everything one tenant owns, and so everything that
// POST /_mock/reset?tenant= resets and DELETE /_mock/tenants/{name}
// removes (with the tenant's SFTP trees, which the SFTP server keeps:
// sftpd's tenants.go). It is the one place for per-tenant things: a new one (the
// tenant's fault rules and latency settings from internal/faults, for
// example) becomes a field here, is made in newTenant and put back in
// reset, and its layer reaches it with m.tenantOf(r.Context()).
//
// The default tenant (requests naming none) is m.def; the others live in
// m.tenants, made on first use from the same seed and fixtures, so that
// every tenant starts identical to a fresh server.
type tenantData struct {
	name    string // "" for the default tenant
	created time.Time
	state   atomic.Pointer[state] // records, alerts
	journal journal
	// faults are the tenant's fault rules and latency (faults.go).
	faults *faults.Engine
	// auth issues and checks the tenant's own tokens: a token from one
	// tenant is refused by another (each signs with its own secret). Nil
	// when the mock has no authentication.
	auth  *auth.Authority
	token http.Handler // the tenant's POST /oauth2/token
	// authed holds, by authenticate layer, the tenant's authentication in
	// front of the rest of the pipeline (see Mock.authenticate).
	authed sync.Map
}

type tenantKey struct{}

// tenantOf returns the tenant of a request: the one its route carries (the
// tenant layer sets it), else its context's (an SFTP session's, or a
// request outside the pipeline), else the default tenant.
func (m *Mock) tenantOf(ctx context.Context) *tenantData {
	if rt := RouteOf(ctx); rt != nil && rt.tenant != nil { // the tenant layer's, as a rule
		return rt.tenant
	}
	if td, ok := ctx.Value(tenantKey{}).(*tenantData); ok {
		return td
	}
	return m.def
}

// st returns the state of the request's tenant.
func (m *Mock) st(ctx context.Context) *state { return m.tenantOf(ctx).state.Load() }

// newTenant makes a tenant's data: its state fresh from the seed and the
// fixtures, an empty journal and, with authentication, its own authority.
func (m *Mock) newTenant(name string) (*tenantData, error) {
	td := &tenantData{name: name, created: m.now().UTC()}
	st, err := m.freshState()
	if err != nil {
		return nil, err
	}
	td.state.Store(st)
	if td.faults, err = newFaults(m.opts, m.docs); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	if m.opts.Auth == nil {
		return td, nil
	}
	if name == "" && m.auth != nil {
		td.auth = m.auth
	} else {
		cfg := *m.opts.Auth
		if len(cfg.Secret) > 0 { // deterministic, and different per tenant
			sum := sha256.Sum256(append(append([]byte{}, cfg.Secret...), "\x00tenant:"+name...))
			cfg.Secret = sum[:]
		}
		if td.auth, err = auth.New(cfg); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
	}
	td.token = td.auth.TokenHandler()
	return td, nil
}

// reset puts the tenant back to its start: records and alerts from the
// seed and fixtures, an empty journal. Its tokens stay valid.
func (m *Mock) resetTenant(td *tenantData) error {
	st, err := m.freshState()
	if err != nil {
		return err
	}
	td.state.Store(st)
	td.journal.clear()
	td.faults.Reset()
	if td == m.def {
		m.changed()
	}
	return nil
}

// lookupTenant finds a tenant by name ("" is the default) without making
// it.
func (m *Mock) lookupTenant(name string) (*tenantData, bool) {
	if name == "" {
		return m.def, true
	}
	return m.tenants.Lookup(name)
}

// getTenant finds a tenant by name, making it on first use.
func (m *Mock) getTenant(name string) (*tenantData, error) {
	if name == "" {
		return m.def, nil
	}
	return m.tenants.Get(name)
}

// tenantName is the outermost layer: it takes a /t/{tenant} prefix off the
// path (so that the route layer sees /api/...) and puts the name a prefix
// or the X-Coupakit-Tenant header gives in the context.
func (m *Mock) tenantName(a *api) layer {
	return tenant.Middleware(func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		writeErrors(w, status, "tenant", msg)
	})
}

// tenantLayer finds (or makes) the request's tenant and puts it in the
// context for the layers and handlers after it.
func (m *Mock) tenantLayer(a *api) layer {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			td := m.def
			if name := tenant.Name(r.Context()); name != "" {
				var err error
				if td, err = m.getTenant(name); err != nil {
					m.refuseTenant(w, err)
					return
				}
			}
			// The tenant rides in the route, which the request has, as a
			// rule: the context is not copied for it.
			if rt := RouteOf(r.Context()); rt != nil {
				rt.tenant = td
				next.ServeHTTP(w, r)
				return
			}
			if td == m.def {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, td)))
		})
	}
}

// refuseTenant answers a tenant that cannot be made.
func (m *Mock) refuseTenant(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, tenant.ErrTooMany) {
		status = http.StatusTooManyRequests
	}
	writeErrors(w, status, "tenant", err.Error())
}

// adminTenant names the tenant an admin request is about: the tenant query
// parameter, else the /t/{tenant} prefix or the X-Coupakit-Tenant header;
// "" for the default tenant. Two different names are an error.
func adminTenant(r *http.Request) (string, error) {
	fromPath := tenant.Name(r.Context())
	q := r.URL.Query()
	if !q.Has("tenant") {
		return fromPath, nil
	}
	name := q.Get("tenant")
	if err := tenant.ValidName(name); err != nil {
		return "", err
	}
	if fromPath != "" && fromPath != name {
		return "", fmt.Errorf("the query names tenant %q and the path or the %s header %q: name one", name, tenant.Header, fromPath)
	}
	return name, nil
}

// adminLookup finds the tenant of an admin request, answering 400 or 404
// itself when there is none.
func (m *Mock) adminLookup(w http.ResponseWriter, r *http.Request) (*tenantData, bool) {
	name, err := adminTenant(r)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "tenant", err.Error())
		return nil, false
	}
	td, ok := m.lookupTenant(name)
	if !ok {
		writeErrors(w, http.StatusNotFound, "tenant", fmt.Sprintf("no tenant %q: a tenant is made by its first API request", name))
		return nil, false
	}
	return td, true
}

// tenantInfo is a tenant as GET /_mock/tenants lists it.
type tenantInfo struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Requests  int       `json:"requests"`
}

func (m *Mock) listTenants(w http.ResponseWriter, r *http.Request) {
	out := []tenantInfo{}
	m.tenants.Each(func(name string, td *tenantData) {
		out = append(out, tenantInfo{Name: name, CreatedAt: td.created, Requests: td.journal.len()})
	})
	writeJSON(w, http.StatusOK, out)
}

func (m *Mock) deleteTenant(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := tenant.ValidName(name); err != nil {
		writeErrors(w, http.StatusBadRequest, "tenant", err.Error())
		return
	}
	if !m.DeleteTenant(name) {
		writeErrors(w, http.StatusNotFound, "tenant", fmt.Sprintf("no tenant %q", name))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (m *Mock) serveReset(w http.ResponseWriter, r *http.Request) {
	var err error
	if r.URL.Query().Has("tenant") || tenant.Name(r.Context()) != "" {
		td, ok := m.adminLookup(w, r)
		if !ok {
			return
		}
		err = m.resetTenant(td)
	} else {
		// The whole mock: every tenant, and the SFTP faults all share.
		err = m.resetAll()
		m.resetSFTPFaults()
	}
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, "request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

// resetAll resets every tenant.
func (m *Mock) resetAll() error {
	err := m.resetTenant(m.def)
	m.tenants.Each(func(_ string, td *tenantData) {
		if e := m.resetTenant(td); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// DeleteTenant removes a tenant and all it holds (records, journal,
// alerts, tokens); its next use makes it afresh. It reports whether there
// was one.
func (m *Mock) DeleteTenant(name string) bool {
	if name == "" || !m.tenants.Delete(name) {
		return false
	}
	m.outgoing.mu.RLock()
	d := m.outgoing.dropper
	m.outgoing.mu.RUnlock()
	if td, ok := d.(interface{ DeleteTenant(string) }); ok {
		td.DeleteTenant(name) // the tenant's SFTP trees
	}
	return true
}

// OpenTenant makes a tenant ready for use (on its first use) or reports
// why it cannot be: an invalid name, too many tenants. The SFTP server asks
// it at every <user>+<tenant> login (sftpd.Config.Tenant).
func (m *Mock) OpenTenant(name string) error {
	if err := tenant.ValidName(name); err != nil {
		return err
	}
	_, err := m.getTenant(name)
	return err
}

// ResetTenant puts one tenant ("" for the default) back to its start; it
// reports whether there was one.
func (m *Mock) ResetTenant(name string) bool {
	td, ok := m.lookupTenant(name)
	if ok {
		_ = m.resetTenant(td)
	}
	return ok
}

// TenantRequests returns a tenant's journal ("" for the default tenant's),
// oldest first; nil for a tenant never used.
func (m *Mock) TenantRequests(name string) []Request {
	td, ok := m.lookupTenant(name)
	if !ok {
		return nil
	}
	return td.journal.all()
}
