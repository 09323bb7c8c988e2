package mock

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/internal/tenant"
	"github.com/coupakit/coupakit/openapi"
)

// testAPIs builds a mock and returns its two APIs as the pipeline sees them,
// built as New builds them (newAPIs).
func testAPIs(t *testing.T, opts Options) (*Mock, *api, *api) {
	t.Helper()
	m, err := New(opts)
	require.NoError(t, err)
	coreVal, err := openapi.CoreValidator()
	require.NoError(t, err)
	csoVal, err := openapi.SourcingValidator()
	require.NoError(t, err)
	c, s, err := m.newAPIs(coreVal, csoVal)
	require.NoError(t, err)
	return m, c, s
}

// seen is a handler that notes the request it got and answers 299.
type seen struct {
	r    *http.Request
	body string
}

func (s *seen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.r = r
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		s.body = string(b)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(299)
	_, _ = io.WriteString(w, `{"id":7,"status":"error"}`+"\n")
}

// through sends a request through layers in front of a seen handler.
func through(layers []layer, method, target, body string, header ...string) (*httptest.ResponseRecorder, *seen) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	s := &seen{}
	rec := httptest.NewRecorder()
	chain(s, layers).ServeHTTP(rec, req)
	return rec, s
}

func TestRouteLayer(t *testing.T) {
	_, c, s := testAPIs(t, Options{})
	for _, tc := range []struct {
		a              *api
		method, target string
		op, resource   string
		err            error
	}{
		{c, "GET", "/api/integration_errors/3", "showIntegrationError", "integration-error", nil},
		{c, "POST", "/api/integration_history_records/acknowledge", "acknowledgeIntegrationHistoryRecords", "integration-history-record", nil},
		{c, "PUT", "/api/integration_runs/1/fail", "failIntegrationRun", "integration-run", nil},
		{s, "PUT", "/api/events", "updateEvents", "event", nil},
		{c, "DELETE", "/api/integrations/1", "", "", openapi.ErrMethodNotAllowed},
		{c, "GET", "/api/events", "", "", openapi.ErrNoOperation},
		{c, "GET", "/_mock/health", "", "", openapi.ErrNoOperation},
	} {
		rec, got := through([]layer{tc.a.route}, tc.method, tc.target, "")
		require.Equal(t, 299, rec.Code, "the route layer never answers itself")
		rt := RouteOf(got.r.Context())
		require.NotNil(t, rt, "%s %s", tc.method, tc.target)
		assert.Equal(t, tc.a.name, rt.API)
		assert.Equal(t, tc.op, rt.OperationID(), "%s %s", tc.method, tc.target)
		assert.Equal(t, tc.resource, rt.Resource, "%s %s", tc.method, tc.target)
		assert.Equal(t, tc.err, rt.Err, "%s %s", tc.method, tc.target)
	}
	assert.Nil(t, RouteOf(httptest.NewRequest("GET", "/", nil).Context()), "no route outside the pipeline")
}

func TestAdminLayer(t *testing.T) {
	m, c, _ := testAPIs(t, Options{Auth: &auth.Config{}})
	rec, got := through([]layer{m.admin(c)}, "GET", "/_mock/health", "")
	assert.Equal(t, 200, rec.Code)
	assert.Nil(t, got.r, "admin routes leave the pipeline")
	rec, got = through([]layer{m.admin(c)}, "POST", "/oauth2/token", "grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 401, rec.Code, "the token endpoint answers: no client given")
	assert.Nil(t, got.r)
	rec, got = through([]layer{m.admin(c)}, "GET", "/api/integrations", "")
	assert.Equal(t, 299, rec.Code)
	assert.NotNil(t, got.r, "API routes go on")

	m, c, _ = testAPIs(t, Options{})
	_, got = through([]layer{m.admin(c)}, "POST", "/oauth2/token", "")
	assert.NotNil(t, got.r, "without authentication there is no token endpoint")
}

func TestAnswerXMLLayer(t *testing.T) {
	_, c, s := testAPIs(t, Options{})
	rec, _ := through([]layer{c.route, c.answerXML}, "GET", "/api/integration_errors/7", "")
	assert.Equal(t, 299, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml"), rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), `<integration-error>`)
	assert.Contains(t, rec.Body.String(), `<id type="integer">7</id>`)

	rec, _ = through([]layer{c.route, c.answerXML}, "GET", "/api/integration_errors/7", "", "Accept", "application/json;q=0.9, application/xml;q=0.1")
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"), "quality values count")

	rec, _ = through([]layer{s.route, s.answerXML}, "GET", "/api/events", "")
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"), "the Sourcing API answers JSON only")
}

func TestAuthenticateLayer(t *testing.T) {
	m, c, s := testAPIs(t, Options{})
	next := &seen{}
	assert.Same(t, next, m.authenticate(c)(next).(*seen), "no authentication: the layer is not there")

	m, c, s = testAPIs(t, Options{Auth: &auth.Config{}})
	rec, got := through([]layer{m.authenticate(c)}, "GET", "/api/integrations", "")
	assert.Equal(t, 401, rec.Code)
	assert.Nil(t, got.r)
	rec, _ = through([]layer{m.authenticate(s)}, "GET", "/api/events", "")
	assert.Equal(t, 401, rec.Code)
	assert.Contains(t, rec.Body.String(), "X-CSO-API-KEY")
	rec, got = through([]layer{m.authenticate(s)}, "GET", "/api/events", "", "X-CSO-API-KEY", auth.DefaultCSOAPIKey)
	assert.Equal(t, 299, rec.Code)
	assert.NotNil(t, got.r)
}

func TestReadXMLLayer(t *testing.T) {
	_, c, s := testAPIs(t, Options{})
	body := `<?xml version="1.0"?><integration-error><status>error</status><document-id type="integer">5</document-id></integration-error>`
	rec, got := through([]layer{c.route, c.readXML}, "POST", "/api/integration_errors", body, "Content-Type", "application/xml")
	assert.Equal(t, 299, rec.Code)
	assert.Equal(t, "application/json", got.r.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"status":"error","document-id":5}`, got.body)

	rec, _ = through([]layer{c.route, c.readXML}, "POST", "/api/integration_errors", "<integration-error><status>", "Content-Type", "application/xml")
	assert.Equal(t, 400, rec.Code)
	assert.Contains(t, rec.Body.String(), `"integration-error"`)

	_, got = through([]layer{s.route, s.readXML}, "POST", "/api/events", body, "Content-Type", "application/xml")
	assert.Equal(t, body, got.body, "the Sourcing API leaves XML to the validator's 415")
}

func TestValidateLayer(t *testing.T) {
	_, c, _ := testAPIs(t, Options{})
	for _, tc := range []struct {
		method, target, body, contentType string
		status                            int
		want                              string
	}{
		{"GET", "/api/nothing", "", "", 404, `{"errors":{"request":["no operation matches GET /api/nothing"]}}`},
		{"DELETE", "/api/integrations/1", "", "", 405, `{"errors":{"request":["DELETE is not allowed on /api/integrations/1"]}}`},
		{"GET", "/api/integration_errors/x", "", "", 400, `{"errors":{"integration-error":["id: \"x\" is not a valid integer"]}}`},
		{"POST", "/api/integrations", `{}`, "text/csv", 415, `{"errors":{"integration":["Content-Type \"text/csv\" is not supported; send application/json or application/xml"]}}`},
		{"POST", "/api/integration_errors", `{"contact-alert-type":"technical"}`, "application/json", 400, ""},
	} {
		rec, got := through([]layer{c.route, c.validate}, tc.method, tc.target, tc.body, "Content-Type", tc.contentType)
		assert.Equal(t, tc.status, rec.Code, "%s %s", tc.method, tc.target)
		assert.Nil(t, got.r, "a refused request never reaches the handler")
		if tc.want != "" {
			assert.JSONEq(t, tc.want, rec.Body.String())
		} else {
			assert.Contains(t, rec.Body.String(), `contact-alert-type: \"technical\" is not an allowed value`)
		}
	}
	rec, got := through([]layer{c.route, c.validate}, "GET", "/api/integration_errors?status=error", "")
	assert.Equal(t, 299, rec.Code)
	assert.Equal(t, "error", queryOf(got.r.Context()).Get("status"), "the list handlers find the query in the context")
}

func TestProjectLayerOnlyWhereTaken(t *testing.T) {
	_, c, s := testAPIs(t, Options{})
	next := &seen{}
	assert.Same(t, next, s.project(next).(*seen), "the Sourcing API takes no return_object")
	rec, _ := through([]layer{c.route, c.project}, "GET", "/api/integration_errors/7?return_object=limited", "")
	assert.JSONEq(t, `{"id":7}`, rec.Body.String())
}

func TestPipelineChangesNoSpec(t *testing.T) {
	v, err := openapi.CoreValidator()
	require.NoError(t, err)
	before := v.Doc().Servers
	_, c, _ := testAPIs(t, Options{})
	through([]layer{c.route, c.answerXML, c.readXML, c.validate, c.project}, "GET", "http://example.test/api/integration_errors/1", "")
	assert.Equal(t, before, v.Doc().Servers)
}

func TestTenantNameLayer(t *testing.T) {
	m, c, _ := testAPIs(t, Options{})
	layers := []layer{m.tenantName(c), c.route}
	for _, tc := range []struct {
		target, header, name string
	}{
		{"/api/integration_errors/3", "", ""},
		{"/t/acme/api/integration_errors/3", "", "acme"},
		{"/api/integration_errors/3", "beta", "beta"},
		{"/t/acme/api/integration_errors/3", "acme", "acme"},
	} {
		rec, got := through(layers, "GET", tc.target, "", tenant.Header, tc.header)
		require.Equal(t, 299, rec.Code, "%s %q", tc.target, tc.header)
		assert.Equal(t, "/api/integration_errors/3", got.r.URL.Path, "the prefix comes off the path")
		assert.Equal(t, tc.name, tenant.Name(got.r.Context()), "%s %q", tc.target, tc.header)
		assert.Equal(t, "showIntegrationError", RouteOf(got.r.Context()).OperationID(), "the route layer sees the path without the prefix")
	}

	for _, tc := range []struct {
		target, header, msg string
	}{
		{"/t/-acme/api/integration_errors/3", "", `tenant "-acme": a tenant name is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or a digit`},
		{"/api/integration_errors/3", "a b", `tenant "a b": a tenant name is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or a digit`},
		{"/t/acme/api/integration_errors/3", "beta", `the path names tenant "acme" and the X-Coupakit-Tenant header "beta": name one`},
	} {
		rec, got := through(layers, "GET", tc.target, "", tenant.Header, tc.header)
		assert.Equal(t, 400, rec.Code, "%s %q", tc.target, tc.header)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		assert.JSONEq(t, `{"errors":{"tenant":[`+strconv.Quote(tc.msg)+`]}}`, rec.Body.String())
		assert.Nil(t, got.r, "a badly named tenant goes no further")
	}
}

func TestTenantLayer(t *testing.T) {
	m, c, _ := testAPIs(t, Options{Seed: 1, Records: 1, MaxTenants: 1})
	layers := []layer{m.tenantName(c), m.tenantLayer(c)}

	rec, got := through(layers, "GET", "/api/integrations", "")
	require.Equal(t, 299, rec.Code)
	assert.Nil(t, got.r.Context().Value(tenantKey{}), "the default tenant rides in no context")
	assert.Same(t, m.def, m.tenantOf(got.r.Context()))

	_, ok := m.lookupTenant("acme")
	require.False(t, ok)
	rec, got = through(layers, "GET", "/t/acme/api/integrations", "")
	require.Equal(t, 299, rec.Code)
	td := m.tenantOf(got.r.Context())
	assert.Equal(t, "acme", td.name)
	assert.NotSame(t, m.def, td)
	assert.NotSame(t, m.def.state.Load(), td.state.Load(), "a tenant has its own records")
	made, ok := m.lookupTenant("acme")
	require.True(t, ok, "made on first use")
	assert.Same(t, td, made)

	_, got = through(layers, "GET", "/api/integrations", "", tenant.Header, "acme")
	assert.Same(t, td, m.tenantOf(got.r.Context()), "the next request finds the same tenant")

	rec, got = through(layers, "GET", "/t/beta/api/integrations", "")
	assert.Equal(t, 429, rec.Code, "one tenant too many")
	assert.JSONEq(t, `{"errors":{"tenant":["too many tenants: at most 1; delete some with DELETE /_mock/tenants/{name}, or start with a higher --max-tenants"]}}`, rec.Body.String())
	assert.Nil(t, got.r)
	_, ok = m.lookupTenant("beta")
	assert.False(t, ok, "a refused tenant is not made")

	// After the route layer, as in the pipeline, the tenant rides in the
	// route, the default tenant's too, and no context is made for it; a
	// context made from the request's later still finds it.
	layers = []layer{m.tenantName(c), c.route, m.tenantLayer(c)}
	_, got = through(layers, "GET", "/t/acme/api/integrations", "")
	require.NotNil(t, RouteOf(got.r.Context()))
	assert.Same(t, td, RouteOf(got.r.Context()).tenant)
	assert.Nil(t, got.r.Context().Value(tenantKey{}))
	type laterKey struct{}
	assert.Same(t, td, m.tenantOf(context.WithValue(got.r.Context(), laterKey{}, 1)))
	_, got = through(layers, "GET", "/api/integrations", "")
	assert.Same(t, m.def, RouteOf(got.r.Context()).tenant)
	assert.Same(t, m.def, m.tenantOf(got.r.Context()))
}

func TestBodyGuardLayer(t *testing.T) {
	m, c, _ := testAPIs(t, Options{MaxBodyReaders: 1})
	require.Equal(t, 1, cap(m.bodySlots))
	held := -1
	probe := func(next http.Handler) http.Handler { // notes the slots taken while the request is in
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			held = len(m.bodySlots)
			next.ServeHTTP(w, r)
		})
	}
	rec, got := through([]layer{c.route, m.bodyGuard, probe}, "POST", "/api/integration_errors", `{"status":"error"}`, "Content-Type", "application/json")
	require.Equal(t, 299, rec.Code)
	assert.Equal(t, `{"status":"error"}`, got.body, "the body goes on whole")
	assert.Equal(t, 1, held, "a body holds a slot while it is read")
	assert.Zero(t, len(m.bodySlots), "and gives it back")
	assert.NotNil(t, RouteOf(got.r.Context()).body, "the guarded body rides on the route")

	// A handler that never reads the body: the slot comes back after it.
	unread := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			held = len(m.bodySlots)
			w.WriteHeader(http.StatusNoContent)
		})
	}
	rec, _ = through([]layer{m.bodyGuard, unread}, "POST", "/api/integration_errors", `{"status":"error"}`)
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, 1, held)
	assert.Zero(t, len(m.bodySlots), "the slot is given back after the handler, the body read or not")

	// The slots full: a request with a body is refused, one without goes
	// on. gone gives the request an ended context, as a client's that left
	// while waiting for a slot: refused at once, not after bodySlotWait.
	gone := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithCancel(r.Context())
			cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	m.bodySlots <- struct{}{}
	rec, got = through([]layer{gone, m.bodyGuard}, "POST", "/api/integration_errors", `{"status":"error"}`)
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	assert.Equal(t, "close", rec.Header().Get("Connection"))
	assert.JSONEq(t, `{"errors":{"request":["more than 1 request bodies are being received at once; retry later"]}}`, rec.Body.String())
	assert.Nil(t, got.r, "a refused body is never read")
	assert.Equal(t, 1, len(m.bodySlots), "a refused request takes no slot")
	rec, got = through([]layer{gone, m.bodyGuard}, "GET", "/api/integration_errors/1", "")
	assert.Equal(t, 299, rec.Code, "a request without a body needs no slot")
	assert.NotNil(t, got.r)

	// A request that waits gets the slot given back meanwhile.
	done := make(chan int)
	go func() {
		rec, _ := through([]layer{m.bodyGuard}, "POST", "/api/integration_errors", `{"status":"error"}`)
		done <- rec.Code
	}()
	time.Sleep(50 * time.Millisecond)
	<-m.bodySlots
	assert.Equal(t, 299, <-done, "a full house is waited on for a moment")
	assert.Zero(t, len(m.bodySlots))
}

func TestAdminGuardLayer(t *testing.T) {
	m, _, _ := testAPIs(t, Options{})
	next := &seen{}
	assert.Same(t, next, m.adminGuard(next).(*seen), "no admin token: the layer is not there")

	m, _, _ = testAPIs(t, Options{AdminToken: "s3cret"})
	const (
		noToken    = "the admin routes want the admin token: send Authorization: Bearer <token> (coupakit serve prints it at start)"
		wrongToken = "the admin token is wrong: send the one coupakit serve was given or printed at start"
	)
	for _, tc := range []struct {
		method, target, authz string
		refused               string // the 401's message; "" when the request goes on
	}{
		{"POST", "/_mock/reset", "", noToken},
		{"GET", "/_mock/requests", "Bearer wrong", wrongToken},
		{"GET", "/_mock/requests", "Bearer s3cret2", wrongToken},
		{"GET", "/_mock/requests", "Basic s3cret", wrongToken},
		{"GET", "/_mock/requests", "s3cret", wrongToken},
		{"GET", "/_mock", "", noToken},
		{"POST", "/_mock/health", "", noToken},
		{"GET", "/_mock/requests", "Bearer s3cret", ""},
		{"POST", "/_mock/reset", "bearer s3cret", ""},
		{"GET", "/_mock/health", "", ""},
		{"GET", "/api/integration_errors/1", "", ""},
		{"GET", "/_mockery", "", ""},
	} {
		rec, got := through([]layer{m.adminGuard}, tc.method, tc.target, "", "Authorization", tc.authz)
		if tc.refused == "" {
			assert.Equal(t, 299, rec.Code, "%s %s with %q", tc.method, tc.target, tc.authz)
			assert.NotNil(t, got.r)
			continue
		}
		assert.Equal(t, 401, rec.Code, "%s %s with %q", tc.method, tc.target, tc.authz)
		assert.Equal(t, `Bearer realm="coupakit-admin"`, rec.Header().Get("WWW-Authenticate"))
		assert.JSONEq(t, `{"errors":{"request":[`+strconv.Quote(tc.refused)+`]}}`, rec.Body.String())
		assert.Nil(t, got.r, "a refused admin request never reaches its route")
	}
}

func TestChangesLayer(t *testing.T) {
	m, c, _ := testAPIs(t, Options{})
	next := &seen{}
	assert.Same(t, next, m.changes(c)(next).(*seen), "no state file: the layer is not there")

	path := filepath.Join(t.TempDir(), "state.json")
	m, c, _ = testAPIs(t, Options{Seed: 1, Records: 1, StateFile: path})
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	// saved reports whether a save was scheduled since the last call: the
	// saver writes the file only when told of a change.
	saved := func() bool {
		t.Helper()
		require.NoError(t, m.saver.Flush())
		_, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return false
		}
		require.NoError(t, err)
		require.NoError(t, os.Remove(path))
		return true
	}
	require.True(t, saved(), "the first start writes the file")
	require.False(t, saved())

	layers := []layer{m.tenantName(c), m.tenantLayer(c), m.changes(c)}
	for _, tc := range []struct {
		method, target, header string
		save                   bool
	}{
		{"GET", "/api/integration_errors/1", "", false},
		{"HEAD", "/api/integration_errors/1", "", false},
		{"POST", "/t/acme/api/integration_errors", "", false},
		{"PUT", "/api/integration_errors/1", "acme", false},
		{"POST", "/api/integration_errors", "", true},
		{"PUT", "/api/integration_errors/1", "", true},
		{"DELETE", "/api/integration_errors/1", "", true},
	} {
		rec, _ := through(layers, tc.method, tc.target, "", tenant.Header, tc.header)
		require.Equal(t, 299, rec.Code)
		assert.Equal(t, tc.save, saved(), "%s %s, tenant %q", tc.method, tc.target, tc.header)
	}

	// The save is scheduled after the handler, so that it holds the change.
	during := true
	inside := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			during = saved()
		})
	}
	through(append(layers, inside), "POST", "/api/integration_errors", `{}`)
	assert.False(t, during, "no save scheduled while the handler runs")
	assert.True(t, saved())
}

func TestFaultLayer(t *testing.T) {
	rule := FaultRule{Match: FaultMatch{Operation: "showIntegrationError"}, Status: 503, RetryAfter: 2}
	m, c, _ := testAPIs(t, Options{Faults: []FaultRule{rule}})
	var routed *Route
	probe := func(next http.Handler) http.Handler { // keeps the route, which the journal reads
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			routed = RouteOf(r.Context())
			next.ServeHTTP(w, r)
		})
	}
	layers := []layer{m.tenantName(c), c.route, m.tenantLayer(c), probe, m.faultLayer(c)}
	const msg = "Service Unavailable (injected by fault rule 1)"

	rec, got := through(layers, "GET", "/api/integration_errors/7", "", "Accept", "application/json")
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, "2", rec.Header().Get("Retry-After"))
	assert.JSONEq(t, `{"errors":{"integration-error":["`+msg+`"]}}`, rec.Body.String())
	assert.Nil(t, got.r, "a status fault answers itself")
	require.NotNil(t, routed.faults.Applied, "the route notes the fault for the journal")
	assert.Equal(t, AppliedFault{Rule: 1, Status: 503}, *routed.faults.Applied)

	rec, _ = through(layers, "GET", "/api/integration_errors/7", "")
	assert.Equal(t, 503, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml"), rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "<error>"+msg+"</error>", "the Core API's client gets Coupa's XML errors unless it prefers JSON")

	for _, target := range []string{"/api/integration_errors", "/api/integrations/1"} {
		rec, got = through(layers, "GET", target, "")
		assert.Equal(t, 299, rec.Code, "GET %s matches no rule", target)
		assert.NotNil(t, got.r)
		assert.Nil(t, routed.faults.Applied)
	}
	rec, _ = through(layers, "PUT", "/api/integration_errors/7", `{}`)
	assert.Equal(t, 299, rec.Code, "another operation on the same path")

	// The rules are the tenant's: one added to the default tenant is not
	// another's (the start-up rules are every tenant's).
	_, err := m.AddFault(FaultRule{Match: FaultMatch{Path: "/api/integrations/*"}, Status: 500})
	require.NoError(t, err)
	rec, _ = through(layers, "GET", "/api/integrations/1", "", "Accept", "application/json")
	assert.Equal(t, 500, rec.Code)
	rec, _ = through(layers, "GET", "/t/acme/api/integrations/1", "", "Accept", "application/json")
	assert.Equal(t, 299, rec.Code, "a named tenant has its own rules")
	rec, _ = through(layers, "GET", "/t/acme/api/integration_errors/7", "", "Accept", "application/json")
	assert.Equal(t, 503, rec.Code, "and the start-up ones")
}

func TestLenientLayer(t *testing.T) {
	const sloppy = `{"status":"error","document_type":"InvoiceHeader","comment":"x"}`
	fields := "/api/integration_errors?" + url.Values{"fields": {`["id","document_type"]`}}.Encode()
	orderBy := "/api/integration_errors?order_by=created_at"

	_, c, _ := testAPIs(t, Options{})
	layers := []layer{c.route, c.lenient}
	rec, got := through(layers, "POST", "/api/integration_errors", sloppy, "Content-Type", "application/json")
	require.Equal(t, 299, rec.Code)
	assert.Equal(t, []string{`element "document_type" read as "document-type"`, `unknown element "comment" ignored`}, rec.Header().Values(WarningHeader))
	assert.JSONEq(t, `{"status":"error","document-type":"InvoiceHeader"}`, got.body, "the body is rewritten as Coupa reads it")
	assert.Equal(t, int64(len(got.body)), got.r.ContentLength)

	const clean = `{"status":"error","document-type":"InvoiceHeader"}`
	rec, got = through(layers, "POST", "/api/integration_errors", clean, "Content-Type", "application/json")
	assert.Empty(t, rec.Header().Values(WarningHeader))
	assert.Equal(t, clean, got.body, "a body that needs no reading is left as sent")
	require.NotNil(t, RouteOf(got.r.Context()).decoded, "and its decoding is left for the validation layer")
	assert.NotNil(t, RouteOf(got.r.Context()).decoded.value, "a body short of a required element is decoded, for the validator's words")

	// A body the request checker passes, every element declared, is not
	// decoded at all; one with an undeclared element is read as before.
	const conforming = `{"status":"error","contact-alert-type":"Technical","integration":{"code":"X"}}`
	rec, got = through(layers, "POST", "/api/integration_errors", conforming, "Content-Type", "application/json")
	assert.Empty(t, rec.Header().Values(WarningHeader))
	assert.Equal(t, conforming, got.body)
	require.NotNil(t, RouteOf(got.r.Context()).decoded)
	assert.Nil(t, RouteOf(got.r.Context()).decoded.value, "checked on its bytes, undecoded")
	assert.True(t, RouteOf(got.r.Context()).decoded.checked)
	rec, got = through(layers, "POST", "/api/integration_errors", `{"status":"error","contact-alert-type":"Technical","integration":{"code":"X","colour":"red"}}`, "Content-Type", "application/json")
	assert.Equal(t, []string{`unknown element "integration.colour" ignored`}, rec.Header().Values(WarningHeader))
	assert.JSONEq(t, conforming, got.body)

	rec, got = through(layers, "GET", fields, "")
	require.Equal(t, 299, rec.Code)
	assert.Equal(t, []string{`fields: element "document_type" read as "document-type"`}, rec.Header().Values(WarningHeader))
	assert.Equal(t, `["id","document-type"]`, got.r.URL.Query().Get("fields"))
	rec, got = through(layers, "GET", orderBy, "")
	assert.Equal(t, []string{`order_by: element "created_at" read as "created-at"`}, rec.Header().Values(WarningHeader))
	assert.Equal(t, "created-at", got.r.URL.Query().Get("order_by"))

	rec, got = through(layers, "POST", "/api/nothing", sloppy, "Content-Type", "application/json")
	assert.Empty(t, rec.Header().Values(WarningHeader), "no operation, nothing to read against")
	assert.Equal(t, sloppy, got.body)

	// Strict: the body goes on as sent, for the validation layer's 400; a
	// respelt name in fields is refused here; order_by is read in both
	// spellings, as Coupa's own documentation writes it.
	_, c, _ = testAPIs(t, Options{Strict: true})
	layers = []layer{c.route, c.lenient}
	rec, got = through(layers, "POST", "/api/integration_errors", sloppy, "Content-Type", "application/json")
	assert.Equal(t, 299, rec.Code)
	assert.Empty(t, rec.Header().Values(WarningHeader))
	assert.Equal(t, sloppy, got.body)
	rec, got = through(layers, "GET", fields, "")
	assert.Equal(t, 400, rec.Code)
	assert.JSONEq(t, `{"errors":{"integration-error":["fields: document_type: is not an element of this resource"]}}`, rec.Body.String())
	assert.Nil(t, got.r)
	rec, got = through(layers, "GET", orderBy, "")
	assert.Equal(t, 299, rec.Code)
	assert.Equal(t, []string{`order_by: element "created_at" read as "created-at"`}, rec.Header().Values(WarningHeader))
	assert.Equal(t, "created-at", got.r.URL.Query().Get("order_by"))
}

func TestAnswersLayer(t *testing.T) {
	m, c, _ := testAPIs(t, Options{Records: 10})
	calls, kept := 0, false
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		body := []byte(`{"id":7,"call":` + strconv.Itoa(calls) + "}\n")
		if keep := RouteOf(r.Context()).keep; keep != nil {
			kept = true
			keep(http.StatusOK, body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	send := func(method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		chain(handler, []layer{m.tenantName(c), c.route, m.tenantLayer(c), c.answers}).ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		return rec
	}

	// A read is kept the second time it misses, and answered by the layer
	// from then on, without the handler.
	for i, want := range []string{`"call":1`, `"call":2`, `"call":2`, `"call":2`} {
		rec := send("GET", "/api/integration_errors/7")
		assert.Equal(t, 200, rec.Code)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		assert.Contains(t, rec.Body.String(), want, "read %d", i+1)
		assert.Equal(t, i >= 1, kept, "read %d: the handler is asked to keep its answer from the second miss", i+1)
	}
	assert.Equal(t, 2, calls)

	// Another query, another read.
	assert.Contains(t, send("GET", "/api/integration_errors/7?fields=%5B%22id%22%5D").Body.String(), `"call":3`)

	// A change to the state: the kept answer is no longer used.
	m.def.state.Load().gen.Add(1)
	assert.Contains(t, send("GET", "/api/integration_errors/7").Body.String(), `"call":4`)

	// Writes, reads no operation matches and another tenant's reads
	// are not answered from the default tenant's cache.
	kept = false
	for range 3 {
		send("PUT", "/api/integration_errors/7")
	}
	assert.False(t, kept, "a write is never kept")
	before := calls
	for range 3 {
		send("GET", "/api/nothing_here")
	}
	assert.Equal(t, before+3, calls, "a request no operation matches goes on to the handler")
	assert.Contains(t, send("GET", "/t/acme/api/integration_errors/7").Body.String(), `"call":`+strconv.Itoa(calls))

	// With the cache off, every read reaches the handler.
	m.noAnswerCache = true
	before = calls
	for range 3 {
		send("GET", "/api/integration_errors/8")
	}
	assert.Equal(t, before+3, calls)
}
