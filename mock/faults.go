package mock

import (
	"bytes"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/internal/faults"
	"github.com/coupakit/coupakit/internal/wire"
)

// Faults and latency: the types of package faults, named here so that Go
// code outside this module can build rules (mock.Options, coupakittest).
type (
	// FaultRule is a fault rule, as POST /_mock/faults takes it.
	FaultRule = faults.Rule
	// FaultMatch says which API requests a rule applies to.
	FaultMatch = faults.Match
	// FaultKind is a fault that breaks the answer instead of giving a
	// status.
	FaultKind = faults.Kind
	// FaultView is a rule as GET /_mock/faults lists it, with its counts.
	FaultView = faults.View
	// Latency is the global latency of PUT /_mock/settings.
	Latency = faults.Settings
	// AppliedFault is what a rule or the global latency did to a request,
	// as its journal entry shows it.
	AppliedFault = faults.Applied
)

// The faults a rule may inject (FaultRule.Fault).
const (
	// FaultReset closes the connection at once, with a TCP reset.
	FaultReset = faults.Reset
	// FaultEmpty closes the connection without an answer.
	FaultEmpty = faults.Empty
	// FaultTruncate sends the headers and half the body, then closes.
	FaultTruncate = faults.Truncate
	// FaultSlowBody drips the body over the rule's delay.
	FaultSlowBody = faults.SlowBody
)

// ParseFault reads a rule in the form of `serve --fault`:
// "GET /api/integration_errors status=503 times=2".
func ParseFault(s string) (FaultRule, error) { return faults.ParseFlag(s) }

// LoadFaults reads the rules and the latency of a `serve --faults` file
// (JSON or YAML: a list of rules, or {"faults": [...], "settings": {...}});
// latency is nil when the file sets none.
func LoadFaults(name string) (rules []FaultRule, latency *Latency, err error) {
	f, err := faults.LoadFile(name)
	return f.Faults, f.Settings, err
}

// newFaults builds the fault engine of a mock: its start-up rules and
// latency from opts, its rules checked against the APIs' operations.
func newFaults(opts Options, docs map[string]*openapi3.T) (*faults.Engine, error) {
	return faults.New(faults.Options{
		Seed:     opts.Seed,
		Rules:    opts.Faults,
		Settings: opts.Latency,
		Checker: faults.Checker{
			APIs: []string{coreAPI, sourcingAPI},
			Operation: func(id string) bool {
				return findOperation(docs[coreAPI], id) != nil || findOperation(docs[sourcingAPI], id) != nil
			},
		},
	})
}

// faultLayer applies the fault rules and the global latency. It sits
// inside the journal, whose writer unwraps to the connection (a reset or
// empty fault takes it over) and which marks what was applied, and outside
// the format layer, whose buffering writer cannot be taken over: the
// answers of status faults are written here in the format the client
// asked for.
func (m *Mock) faultLayer(a *api) layer {
	hooks := faults.Hooks{
		Describe: func(r *http.Request) (string, string) {
			if rt := RouteOf(r.Context()); rt != nil {
				return rt.API, rt.OperationID()
			}
			return a.name, ""
		},
		Error: a.faultError,
		// The journal's report rides in the route (journal.go).
		Report: func(r *http.Request) *faults.Report {
			if rt := RouteOf(r.Context()); rt != nil {
				return &rt.faults
			}
			return nil
		},
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.faultsFor(r).Serve(hooks, next, w, r)
		})
	}
}

// faultsFor is the fault engine that applies to an API request: its
// tenant's.
func (m *Mock) faultsFor(r *http.Request) *faults.Engine { return m.tenantOf(r.Context()).faults }

// adminFaults is the fault engine an admin request of /_mock/faults and
// /_mock/settings manages; with tenants, the one of its ?tenant= (an
// unknown tenant is answered here, with false).
func (m *Mock) adminFaults(w http.ResponseWriter, r *http.Request) (*faults.Engine, bool) {
	td, ok := m.adminLookup(w, r)
	if !ok {
		return nil, false
	}
	return td.faults, true
}

// faultError answers a status fault with the API's own error body: Coupa's
// XML errors when the Core API's client does not prefer JSON, the JSON
// error body about the routed resource otherwise.
func (a *api) faultError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if a.xml && wire.Negotiate(r.Header.Get("Accept")) != wire.JSON {
		var buf bytes.Buffer
		if err := coupaxml.EncodeErrors(&buf, []string{msg}); err == nil {
			writeXML(w, status, buf.Bytes())
			return
		}
	}
	writeErrors(w, status, resourceOf(r), msg)
}

// AddFault adds a fault rule after the others, as POST /_mock/faults does.
func (m *Mock) AddFault(r FaultRule) (FaultView, error) { return m.def.faults.Add(r) }

// Faults lists the fault rules with their counts, as GET /_mock/faults.
func (m *Mock) Faults() []FaultView { return m.def.faults.Rules() }

// ClearFaults removes every fault rule (the latency stays).
func (m *Mock) ClearFaults() { m.def.faults.Clear() }

// SetLatency sets the global latency, as PUT /_mock/settings does.
func (m *Mock) SetLatency(l Latency) error { return m.def.faults.SetSettings(l) }
