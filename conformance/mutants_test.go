package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/conformance"
)

// A mutant is the mock with one violation of the contract injected by a
// test-only middleware. Each must be caught by the check named in want; the
// lenient ones, where the spec says the documents are uncertain, must be
// caught by a should-level check only, and the run must still pass.
type mutant struct {
	name string
	// core and sourcing wrap the mock's handlers (nil: unchanged).
	core, sourcing func(next http.Handler) http.Handler
	// want is the check expected to catch the violation.
	want string
	// lenient says the violation is where the spec is lenient: no
	// must-level check may fail.
	lenient bool
	// auth runs the mutant on the mock with authentication on, with client
	// credentials and the Sourcing key.
	auth bool
}

// zoneSuffix is the Z or offset that ends a datetime.
var zoneSuffix = regexp.MustCompile(`(Z|[+-]\d\d:\d\d)$`)

func TestMutantsAreCaught(t *testing.T) {
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			wrap := func(core, sourcing http.Handler) (http.Handler, http.Handler) {
				if m.core != nil {
					core = m.core(core)
				}
				if m.sourcing != nil {
					sourcing = m.sourcing(sourcing)
				}
				return core, sourcing
			}
			var target conformance.Target
			if m.auth {
				target = serveAuthMock(t, wrap)
			} else {
				target = serveMock(t, wrap)
			}
			// Only the expected check runs, to keep the test fast; but the
			// checks that judge responses need every check of the resource
			// to produce them, and a lenient mutant must be run against
			// every check of its resource to show that none fails.
			only := "^" + regexp.QuoteMeta(m.want) + "$"
			if resource, aspect, _ := strings.Cut(m.want, "."); m.lenient ||
				strings.HasPrefix(aspect, "response.") || strings.HasPrefix(aspect, "error-format.") || strings.HasPrefix(aspect, "bulk-shape.") {
				only = "^" + regexp.QuoteMeta(resource) + `\.`
			}
			target.Only = regexp.MustCompile(only)
			report, err := conformance.Check(t.Context(), target)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			failed := failedIDs(report)
			if !slices.Contains(failed, m.want) {
				t.Fatalf("%s was not caught by %s; failed checks: %v%s", m.name, m.want, failed, describeFailures(report))
			}
			res := result(t, report, m.want)
			if len(res.Problems) == 0 || res.Message == "" {
				t.Errorf("%s failed without a problem to show: %+v", m.want, res)
			}
			switch {
			case m.lenient && !report.Passed():
				t.Errorf("a violation where the spec is lenient failed must-level checks:%s", describeFailures(report))
			case res.Level == conformance.Must && report.Passed():
				t.Errorf("the run passed though the must-level %s failed", m.want)
			}
			t.Logf("caught by %v", failed)
		})
	}
}

var mutants = []mutant{
	// One mutant at least per check family (TestEveryCheckFamilyHasAMutant).
	{
		name: "index not ordered by id",
		core: onResponse(route("GET", `/api/integrations`), func(_ *http.Request, status int, body any) (int, any) {
			if a, ok := body.([]any); ok {
				slices.Reverse(a)
			}
			return status, body
		}),
		want: "integrations.list",
	},
	{
		name: "a page past the end answered 404",
		core: onResponse(route("GET", `/api/integration_runs`), func(r *http.Request, status int, body any) (int, any) {
			if r.URL.Query().Get("offset") == "1000000000" {
				return http.StatusNotFound, map[string]any{"errors": map[string]any{"integration-run": []any{"No results"}}}
			}
			return status, body
		}),
		want: "integration_runs.list.past-end",
	},
	{
		name: "limit=0 accepted",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) {
			if q.Get("limit") == "0" {
				q.Set("limit", "1")
			}
		}),
		want: "integration_errors.list.bad-parameter",
	},
	{
		name: "show answers another record",
		core: onResponse(route("GET", `/api/integrations/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m != nil && status == 200 {
				m["id"] = 987654
			}
			return status, body
		}),
		want: "integrations.show",
	},
	{
		name: "show of an unknown id answered 200",
		core: onResponse(route("GET", `/api/integration_history_records/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusNotFound {
				return http.StatusOK, map[string]any{}
			}
			return status, body
		}),
		want: "integration_history_records.show.not-found",
	},
	{
		name: "show of a malformed id answered 404, as Coupa may",
		core: onResponse(route("GET", `/api/integrations/abc`), func(_ *http.Request, status int, body any) (int, any) {
			return http.StatusNotFound, map[string]any{"errors": map[string]any{"integration": []any{"Not found"}}}
		}),
		want: "integrations.show.bad-id", lenient: true,
	},
	{
		name: "XML errors without an error element",
		core: onXML(func(_ *http.Request, status int, body string) (int, string) {
			if status >= 400 {
				return status, "<errors></errors>"
			}
			return status, body
		}),
		want: "integration_errors.xml.errors",
	},
	{
		// Dropping an unknown element is what Coupa does, and the check
		// takes it; keeping it is not.
		name: "unknown element kept and shown",
		core: onResponse(route("GET", `/api/integration_runs/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if o := obj(body); o != nil && status == http.StatusOK {
				o["statut"] = "error"
			}
			return status, body
		}),
		want: "integration_runs.create.unknown-element",
	},
	{
		name: "create_alert drops an element",
		core: onRequest(route("POST", `/api/integration_errors/create_alert`), func(_ *http.Request, body any) { delete(obj(body), "status") }),
		want: "integration_errors.create-alert",
	},
	{
		name: "an allowed value refused (Both)",
		core: onRequest(route("POST", `/api/integration_history_records`), func(_ *http.Request, body any) {
			if obj(body)["contact-alert-type"] == "Both" {
				obj(body)["contact-alert-type"] = "both"
			}
		}),
		want: "integration_history_records.enum.contact-alert-type",
	},
	{
		name: "400 without the allowed values",
		core: onResponse(route("POST", `/api/integrations`), func(_ *http.Request, status int, body any) (int, any) {
			if errs, ok := obj(body)["errors"].(map[string]any); ok && status == http.StatusBadRequest {
				for k, v := range errs {
					list, _ := v.([]any)
					for i, m := range list {
						msg, _ := m.(string)
						msg, _, _ = strings.Cut(msg, "; allowed values")
						list[i] = msg
					}
					errs[k] = list
				}
			}
			return status, body
		}),
		want: "integrations.enum.direction.message", lenient: true,
	},
	{
		name: "PUT ignores an element",
		core: onRequest(route("PUT", `/api/integrations/\d+`), func(_ *http.Request, body any) { delete(obj(body), "description") }),
		want: "integrations.update.put",
	},
	{
		name: "PATCH ignores an element",
		core: onRequest(route("PATCH", `/api/integration_history_records/\d+`), func(_ *http.Request, body any) { delete(obj(body), "document-status") }),
		want: "integration_history_records.update.patch",
	},
	{
		name: "update of an unknown id answered 200",
		core: onResponse(route("PUT", `/api/integration_runs/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusNotFound {
				return http.StatusOK, map[string]any{}
			}
			return status, body
		}),
		want: "integration_runs.update.not-found",
	},
	{
		name: "unresolve does not change resolved",
		core: actionAsShow(`^(/api/integration_history_records/\d+)/unresolve$`),
		want: "integration_history_records.unresolve",
	},
	{
		name: "create_alert_and_mark_exported not marked exported",
		core: onResponse(route("POST", `/api/integration_history_records/create_alert_and_mark_exported`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m != nil && m["exported"] != nil {
				m["exported"] = false
			}
			return status, body
		}),
		want: "integration_history_records.create-alert-and-mark-exported",
	},
	{
		name: "mark_exported answers in id order",
		core: onResponse(route("POST", `/api/integration_history_records/mark_exported`), func(_ *http.Request, status int, body any) (int, any) {
			if a, ok := body.([]any); ok {
				slices.Reverse(a)
			}
			return status, body
		}),
		want: "integration_history_records.mark-exported",
	},
	{
		name: "acknowledge answers in id order",
		core: onResponse(route("POST", `/api/integration_history_records/acknowledge`), func(_ *http.Request, status int, body any) (int, any) {
			if a, ok := body.([]any); ok {
				slices.Reverse(a)
			}
			return status, body
		}),
		want: "integration_history_records.acknowledge",
	},
	{
		name: "acknowledge of an unknown id answered 200",
		core: onResponse(route("POST", `/api/integration_history_records/acknowledge`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusNotFound {
				return http.StatusOK, []any{}
			}
			return status, body
		}),
		want: "integration_history_records.acknowledge.unknown-id",
	},
	{
		name: "a new run is running",
		core: onResponse(route("POST", `/api/integration_runs`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m != nil && status == http.StatusCreated {
				m["status"] = "running"
			}
			return status, body
		}),
		want: "integration_runs.create.pending",
	},
	{
		name: "an alert error loses its run",
		core: onRequest(route("POST", `/api/integration_errors/create_alert`), func(_ *http.Request, body any) {
			delete(obj(body), "integration-run")
			delete(obj(body), "integration-run-id")
		}),
		want: "integration_runs.lifecycle",
	},
	{
		name: "a new event not in state Setup",
		sourcing: onRequest(route("POST", `/api/events`), func(_ *http.Request, body any) {
			items, _ := obj(body)["events"].([]any)
			for _, it := range items {
				if m := obj(it); m != nil && m["state"] == nil {
					m["state"] = "Active"
				}
			}
		}),
		want: "events.create.default-state",
	},
	{
		name: "updated miscounted",
		sourcing: onResponse(route("PUT", `/api/events`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["updated"] != nil {
				m["updated"] = 1
			}
			return status, body
		}),
		want: "events.update.bulk",
	},
	{
		name:     "single-event PUT ignores an element",
		sourcing: onRequest(route("PUT", `/api/events/\d+`), func(_ *http.Request, body any) { delete(obj(body), "description") }),
		want:     "events.update.one",
	},
	{
		name: "a bulk update whose every item fails answered 200",
		sourcing: onResponse(route("PUT", `/api/events`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusBadRequest {
				return http.StatusOK, map[string]any{"updated": 0, "result": []any{}}
			}
			return status, body
		}),
		want: "events.update.all-invalid",
	},
	{
		name: "deleted miscounted",
		sourcing: onResponse(route("DELETE", `/api/events`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["deleted"] != nil {
				m["deleted"] = 1
			}
			return status, body
		}),
		want: "events.delete.bulk",
	},
	{
		name:     "bulk delete not lenient for an unknown id",
		sourcing: refuseBulk("DELETE", func(it map[string]any) bool { return it["id"] == "1000000000000000001" }),
		want:     "events.delete.lenient",
	},
	{
		name: "a bulk delete whose every item fails answered 200",
		sourcing: onResponse(route("DELETE", `/api/events`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusBadRequest {
				return http.StatusOK, map[string]any{"deleted": 0, "result": []any{}}
			}
			return status, body
		}),
		want: "events.delete.all-invalid",
	},
	{
		name: "DELETE of an unknown id answered 200",
		sourcing: onResponse(route("DELETE", `/api/events/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusNotFound {
				return http.StatusOK, map[string]any{"deleted": 0}
			}
			return status, body
		}),
		want: "events.delete.not-found",
	},
	{
		name: "+05:30 read as UTC",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) {
			for k, vs := range q {
				if strings.HasPrefix(k, "updated-at[") && strings.HasSuffix(vs[0], "+05:30") {
					q.Set(k, strings.TrimSuffix(vs[0], "+05:30")+"Z")
				}
			}
		}),
		want: "integration_errors.list.filter-datetime-offsets",
	},
	{
		name: "-07:00 dropped (read as UTC)",
		core: onQuery(route("GET", `/api/integration_history_records`), func(q url.Values) {
			for k, vs := range q {
				if strings.HasPrefix(k, "updated-at[") && strings.HasSuffix(vs[0], "-07:00") {
					q.Set(k, strings.TrimSuffix(vs[0], "-07:00"))
				}
			}
		}),
		want: "integration_history_records.list.filter-datetime-offsets",
	},
	{
		name: "resolved=false still lists resolved records",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) {
			if q.Get("resolved") == "false" {
				q.Del("resolved")
			}
		}),
		want: "integration_errors.chain",
	},
	{
		name:     "Sourcing filter on a changed state ignored",
		sourcing: onQuery(route("GET", `/api/events`), func(q url.Values) { q.Del("state") }),
		want:     "events.chain",
	},
	{
		name:     "bulk update not lenient for an item without id",
		sourcing: refuseBulk("PUT", func(it map[string]any) bool { return it["id"] == nil }),
		want:     "events.update.lenient.no-id",
	},
	{
		name:     "bulk update not lenient for an unknown id",
		sourcing: refuseBulk("PUT", func(it map[string]any) bool { return it["id"] == "1000000000000000001" }),
		want:     "events.update.lenient.unknown-id",
	},
	{
		name:     "bulk delete not lenient for an item without id",
		sourcing: refuseBulk("DELETE", func(it map[string]any) bool { return it["id"] == nil }),
		want:     "events.delete.lenient.no-id",
	},
	{
		name:     "bulk delete not lenient for an id that is not one",
		sourcing: refuseBulk("DELETE", func(it map[string]any) bool { return it["id"] == "coupakit-not-an-id" }),
		want:     "events.delete.lenient.invalid",
	},
	{
		name: "a deleted event deleted again",
		sourcing: func(next http.Handler) http.Handler {
			var mu sync.Mutex
			deleted := map[string]*httptest.ResponseRecorder{}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "DELETE" || !regexp.MustCompile(`^/api/events/\d+$`).MatchString(r.URL.Path) {
					next.ServeHTTP(w, r)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if rec := deleted[r.URL.Path]; rec != nil {
					replay(w, rec)
					return
				}
				rec := record(next, r, nil)
				if rec.Code == http.StatusOK {
					deleted[r.URL.Path] = rec
				}
				replay(w, rec)
			})
		},
		want: "events.delete.use-after",
	},
	{
		name: "maxLength not enforced (long external-id truncated)",
		core: onRequest(route("POST", `/api/integration_errors`), func(_ *http.Request, body any) {
			if v, ok := obj(body)["external-id"].(string); ok && len(v) > 255 {
				obj(body)["external-id"] = v[:255]
			}
		}),
		want: "integration_errors.input.external-id",
	},
	{
		name: "maxLength off by one (255 characters refused)",
		core: onRequest(route("POST", `/api/integration_history_records`), func(_ *http.Request, body any) {
			if v, ok := obj(body)["document-status"].(string); ok && len(v) == 255 {
				obj(body)["document-status"] = v + "x"
			}
		}),
		want: "integration_history_records.input.document-status",
	},
	{
		name: "maxLength not enforced on update",
		core: onRequest(route("PATCH", `/api/integration_errors/\d+`), func(_ *http.Request, body any) {
			if v, ok := obj(body)["status"].(string); ok && len(v) > 255 {
				obj(body)["status"] = v[:255]
			}
		}),
		want: "integration_errors.input.status",
	},
	{
		name: "nested maxLength not enforced (long response-code truncated)",
		core: onRequest(route("POST", `/api/integration_errors`), func(_ *http.Request, body any) {
			eachNested(body, "responses", func(item map[string]any) {
				if v, ok := item["response-code"].(string); ok && len(v) > 255 {
					item["response-code"] = v[:255]
				}
			})
		}),
		want: "integration_errors.input.responses.response-code",
	},
	{
		name: "nested maxLength not enforced on update (long response-code truncated)",
		core: onRequest(route("", `/api/integration_history_records/\d+`), func(r *http.Request, body any) {
			if r.Method == http.MethodGet {
				return
			}
			eachNested(body, "responses", func(item map[string]any) {
				if v, ok := item["response-code"].(string); ok && len(v) > 255 {
					item["response-code"] = v[:255]
				}
			})
		}),
		want: "integration_history_records.input.responses.response-code",
	},
	{
		name: "nested maxLength off by one (a contact name of 255 characters refused)",
		core: onRequest(route("POST", `/api/integrations`), func(_ *http.Request, body any) {
			eachNested(body, "contacts", func(item map[string]any) {
				if v, ok := item["name"].(string); ok && len(v) == 255 {
					item["name"] = v + "x"
				}
			})
		}),
		want: "integrations.input.contacts.name",
	},
	{
		name: "nested enum not enforced (a contact's contact-alert-type outside the set replaced)",
		core: onRequest(route("POST", `/api/integrations`), func(_ *http.Request, body any) {
			eachNested(body, "contacts", func(item map[string]any) {
				if v, ok := item["contact-alert-type"].(string); ok && !slices.Contains([]string{"Technical", "Functional", "Both"}, v) {
					item["contact-alert-type"] = "Technical"
				}
			})
		}),
		want: "integrations.input.contacts.contact-alert-type",
	},
	{
		name: "nested pattern not enforced (a currency outside the pattern replaced)",
		sourcing: onRequest(route("POST", `/api/events`), func(_ *http.Request, body any) {
			items, _ := obj(body)["events"].([]any)
			for _, it := range items {
				eachNested(it, "settings", func(item map[string]any) {
					if v, ok := item["currency"].(string); ok && !regexp.MustCompile(`^[A-Z]{3}$`).MatchString(v) {
						item["currency"] = "USD"
					}
				})
			}
		}),
		want: "events.input.settings.currency",
	},
	{
		// Casting a number for a string element to its digits is what
		// Rails does, and the check takes it; another value is not.
		name: "a number for a string cast to another value (Sourcing name)",
		sourcing: onRequest(route("POST", `/api/events`), func(_ *http.Request, body any) {
			items, _ := obj(body)["events"].([]any)
			for _, it := range items {
				if n, ok := obj(it)["name"].(float64); ok {
					obj(it)["name"] = "#" + strconv.FormatFloat(n, 'f', -1, 64)
				}
			}
		}),
		want: "events.input.name",
	},
	{
		name: "required output element dropped",
		core: onResponse(route("GET", `/api/integration_errors/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			delete(obj(body), "contact-alert-type")
			return status, body
		}),
		want: "integration_errors.response.showIntegrationError",
	},
	{
		name: "enum value outside the set in a response",
		sourcing: onResponse(route("GET", `/api/events/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["state"] != nil {
				m["state"] = "Einrichtung"
			}
			return status, body
		}),
		want: "events.response.showEvent",
	},
	{
		name: "null value",
		core: onResponse(route("GET", `/api/integration_history_records/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m != nil && status == 200 {
				m["document-status"] = nil
			}
			return status, body
		}),
		want: "integration_history_records.response.showIntegrationHistoryRecord",
	},
	{
		name: "null value where the schema allows any element",
		sourcing: onResponse(route("GET", `/api/events/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m != nil && status == 200 {
				m["settings"] = map[string]any{"currency": "EUR", "approver": nil}
			}
			return status, body
		}),
		want: "events.response.showEvent",
	},
	{
		name: "datetime with fractional seconds",
		core: onResponse(route("GET", `/api/integration_errors/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["created-at"] != nil {
				m["created-at"] = zoneSuffix.ReplaceAllString(m["created-at"].(string), ".123456$1")
			}
			return status, body
		}),
		want: "integration_errors.response.showIntegrationError",
	},
	{
		name: "unknown integration accepted",
		core: onRequest(route("POST", `/api/integration_history_records`), func(_ *http.Request, body any) {
			if in, ok := obj(body)["integration"].(map[string]any); ok && strings.HasPrefix(fmt.Sprint(in["code"]), "COUPAKIT-NO-SUCH") {
				delete(obj(body), "integration")
			}
		}),
		want: "integration_history_records.create.unknown-integration",
	},
	{
		name: "undocumented status",
		core: onResponse(route("POST", `/api/integration_errors`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusCreated {
				status = http.StatusOK
			}
			return status, body
		}),
		want: "integration_errors.response.createIntegrationError",
	},
	{
		name: "undocumented content type",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "GET" && r.URL.Path == "/api/integration_errors" {
					w = &contentTypeWriter{ResponseWriter: w, ct: "text/plain; charset=utf-8"}
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "integration_errors.response.listIntegrationErrors",
	},
	{
		name: "required input not enforced",
		core: onRequest(route("POST", `/api/integration_history_records`), func(r *http.Request, body any) {
			if m := obj(body); m != nil && m["document-type"] == nil {
				m["document-type"] = "InvoiceHeader"
			}
		}),
		want: "integration_history_records.create.required.document-type",
	},
	{
		name: "400 that does not name the element",
		core: onResponse(route("POST", `/api/integration_errors`), func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusBadRequest {
				body = map[string]any{"errors": map[string]any{"integration-error": []any{"invalid request"}}}
			}
			return status, body
		}),
		want: "integration_errors.create.required.contact-alert-type",
	},
	{
		name: "rejected create stored anyway",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || r.URL.Path != "/api/integration_errors" {
					next.ServeHTTP(w, r)
					return
				}
				data, _ := io.ReadAll(r.Body)
				rec := record(next, r, data)
				if rec.Code == http.StatusBadRequest {
					var m map[string]any
					if json.Unmarshal(data, &m) == nil {
						m["contact-alert-type"], m["document-type"] = "Technical", "InvoiceHeader"
						fixed, _ := json.Marshal(m)
						record(next, r, fixed)
					}
				}
				replay(w, rec)
			})
		},
		want: "integration_errors.enum.document-type.invalid",
	},
	{
		name: "invalid enum accepted (case and spaces folded)",
		sourcing: onRequest(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/events") }, func(_ *http.Request, body any) {
			fold := func(m map[string]any) {
				if s, ok := m["state"].(string); ok {
					for _, v := range []string{"Setup", "Active", "Terminated"} {
						if strings.EqualFold(strings.TrimSpace(s), v) {
							m["state"] = v
						}
					}
				}
			}
			m := obj(body)
			fold(m)
			if items, ok := m["events"].([]any); ok {
				for _, it := range items {
					fold(obj(it))
				}
			}
		}),
		want: "events.enum.state.invalid",
	},
	{
		name: "output-only element writable (resolved)",
		core: func(next http.Handler) http.Handler {
			item := regexp.MustCompile(`^/api/integration_errors/\d+$`)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if (r.Method != "PUT" && r.Method != "PATCH") || !item.MatchString(r.URL.Path) {
					next.ServeHTTP(w, r)
					return
				}
				data, _ := io.ReadAll(r.Body)
				var m map[string]any
				_ = json.Unmarshal(data, &m)
				rec := record(next, r, data)
				if v, ok := m["resolved"].(bool); ok && rec.Code == http.StatusOK {
					action := "/unresolve"
					if v {
						action = "/resolve"
					}
					ar := httptest.NewRequest("PUT", r.URL.Path+action, nil)
					ar.Header = r.Header.Clone()
					rec = record(next, ar, nil)
				}
				replay(w, rec)
			})
		},
		want: "integration_errors.readonly.resolved",
	},
	{
		name: "resolve does not change resolved",
		core: actionAsShow(`^(/api/integration_errors/\d+)/resolve$`),
		want: "integration_errors.resolve",
	},
	{
		name: "limit ignored",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) { q.Del("limit") }),
		want: "integration_errors.list.limit",
	},
	{
		name: "limit not capped at 50",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
				if r.Method != "GET" || r.URL.Path != "/api/integration_history_records" || limit <= 50 {
					next.ServeHTTP(w, r)
					return
				}
				// Page through the mock to serve more than 50 records.
				offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
				var all []any
				for len(all) < limit {
					pr := r.Clone(r.Context())
					pr.URL.RawQuery = url.Values{"limit": {"50"}, "offset": {strconv.Itoa(offset + len(all))}}.Encode()
					var page []any
					_ = json.Unmarshal(record(next, pr, nil).Body.Bytes(), &page)
					if len(page) == 0 {
						break
					}
					all = append(all, page...)
				}
				writeJSON(w, http.StatusOK, all[:min(limit, len(all))])
			})
		},
		want: "integration_history_records.list.limit-cap",
	},
	{
		name:     "offset ignored",
		sourcing: onQuery(route("GET", `/api/events`), func(q url.Values) { q.Del("offset") }),
		want:     "events.list.offset",
	},
	{
		name: "unknown filter ignored",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) { q.Del("statut") }),
		want: "integration_errors.list.filter-invalid",
	},
	{
		name:     "filter ignored",
		sourcing: onQuery(route("GET", `/api/events`), func(q url.Values) { q.Del("state") }),
		want:     "events.list.filter",
	},
	{
		name:     "bulk update not lenient",
		sourcing: allOrNothing,
		want:     "events.update.lenient",
	},
	{
		name: "lenient create without the failed item's index",
		sourcing: onResponse(route("POST", `/api/events`), func(_ *http.Request, status int, body any) (int, any) {
			if items, ok := obj(body)["result"].([]any); ok {
				for _, it := range items {
					delete(obj(it), "index")
				}
			}
			return status, body
		}),
		want: "events.create.lenient",
	},
	{
		name: "added miscounted",
		sourcing: onResponse(route("POST", `/api/events`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["added"] != nil {
				m["added"] = 1
			}
			return status, body
		}),
		want: "events.create",
	},
	{
		name: "translated key (Name)",
		sourcing: onResponse(route("GET", `/api/events/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["name"] != nil {
				m["Name"] = m["name"]
				delete(m, "name")
			}
			return status, body
		}),
		want: "events.response.showEvent",
	},
	{
		name: "event-number reused",
		sourcing: onResponse(route("GET", `/api/events(/\d+)?`), func(_ *http.Request, status int, body any) (int, any) {
			m := obj(body)
			if m["event-number"] != nil {
				m["event-number"] = 7
			}
			if items, ok := m["events"].([]any); ok {
				for _, it := range items {
					obj(it)["event-number"] = 7
				}
			}
			return status, body
		}),
		want: "events.event-number",
	},
	{
		name: "delete does nothing",
		sourcing: func(next http.Handler) http.Handler {
			item := regexp.MustCompile(`^/api/events/\d+$`)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "DELETE" && item.MatchString(r.URL.Path) {
					writeJSON(w, http.StatusOK, map[string]any{"result": []any{map[string]any{"type": "event.deleted.logMsg", "description": "The event was deleted."}}, "deleted": 1})
					return
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "events.delete.one",
	},
	{
		name: "market-id changeable",
		sourcing: onRequest(route("PUT", `/api/events/\d+`), func(_ *http.Request, body any) {
			// Drop market-id so the mock does not refuse the change, as a
			// server that ignores the rule would accept it.
			delete(obj(body), "market-id")
		}),
		want: "events.readonly.market-id",
	},
	{
		name: "mark_exported not all or nothing",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || r.URL.Path != "/api/integration_history_records/mark_exported" {
					next.ServeHTTP(w, r)
					return
				}
				var body struct{ IDs []int64 }
				data, _ := io.ReadAll(r.Body)
				_ = json.Unmarshal(data, &body)
				var last *httptest.ResponseRecorder
				for _, id := range body.IDs {
					one, _ := json.Marshal(map[string]any{"ids": []int64{id}})
					if rec := record(next, r, one); rec.Code != http.StatusOK || last == nil {
						last = rec
					}
				}
				if last.Code == http.StatusOK {
					last = record(next, r, data)
				}
				replay(w, last)
			})
		},
		want: "integration_history_records.mark-exported.unknown-id",
	},
	{
		name: "updated-at frozen",
		core: onResponse(route("", `/api/integration_errors.*`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["created-at"] != nil {
				m["updated-at"] = m["created-at"]
			}
			return status, body
		}),
		want: "integration_errors.update.updated-at",
	},
	{
		name: "text/plain accepted as JSON",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
					r.Header.Set("Content-Type", "application/json")
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "integration_errors.create.media-type",
	},
	// The query language.
	{
		name: "filter operator ignored ([contains])",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) {
			for k := range q {
				if strings.HasSuffix(k, "[contains]") {
					q.Del(k)
				}
			}
		}),
		want: "integration_errors.list.operators",
	},
	{
		// [gt] on a datetime shown at the operand's second may take the
		// record or not (a server may keep fractions of a second), so
		// the mutant drops what [gt_or_eq] must take.
		name: "[gt_or_eq] treated as [gt]",
		core: onQuery(route("GET", `/api/integration_history_records`), func(q url.Values) {
			for k, v := range q {
				if strings.HasSuffix(k, "[gt_or_eq]") {
					q.Del(k)
					q[strings.TrimSuffix(k, "[gt_or_eq]")+"[gt]"] = v
				}
			}
		}),
		want: "integration_history_records.list.filter-datetime",
	},
	{
		name: "underscores not accepted in element names",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k := range r.URL.Query() {
					name, _, _ := strings.Cut(k, "[")
					if r.URL.Path == "/api/integration_errors" && strings.Contains(name, "_") && name != "order_by" && name != "return_object" {
						writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"integration-error": []any{"unknown element " + name}}})
						return
					}
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "integration_errors.list.operators",
	},
	{
		name: "nested filter ignored (integration[code])",
		core: onQuery(route("GET", `/api/integration_history_records`), func(q url.Values) {
			for k := range q {
				if strings.HasPrefix(k, "integration[") {
					q.Del(k)
				}
			}
		}),
		want: "integration_history_records.list.filter-nested",
	},
	{
		name: "date alone read as local midnight (+05:00)",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) {
			for k, v := range q {
				if len(v) == 1 && len(v[0]) == len("2006-01-02") && strings.Count(v[0], "-") == 2 {
					q.Set(k, v[0]+"T00:00:00+05:00")
				}
			}
		}),
		want: "integration_errors.list.filter-datetime",
	},
	{
		name: "unknown operator ignored",
		core: onQuery(route("GET", `/api/integration_runs`), func(q url.Values) {
			for k := range q {
				if strings.HasSuffix(k, "[like]") {
					q.Del(k)
				}
			}
		}),
		want: "integration_runs.list.operator-invalid",
	},
	{
		name: "order_by ignored",
		core: onQuery(route("GET", `/api/integration_errors`), func(q url.Values) { q.Del("order_by") }),
		want: "integration_errors.list.order",
	},
	{
		name: "Sourcing operator ignored ([in])",
		sourcing: onQuery(route("GET", `/api/events`), func(q url.Values) {
			for k := range q {
				if strings.HasSuffix(k, "[in]") {
					q.Del(k)
				}
			}
		}),
		want: "events.list.operators",
	},
	{
		name:     "Sourcing unknown filter ignored",
		sourcing: onQuery(route("GET", `/api/events`), func(q url.Values) { q.Del("statut") }),
		want:     "events.list.filter-invalid",
	},

	// Projection.
	{
		name: "return_object ignored",
		core: onQuery(route("GET", `/api/integration_errors(/\d+)?`), func(q url.Values) { q.Del("return_object") }),
		want: "integration_errors.return-object",
	},
	{
		name: "return_object ignored on create",
		core: onQuery(route("POST", `/api/integrations`), func(q url.Values) { q.Del("return_object") }),
		want: "integrations.return-object.write",
	},
	{
		name: "fields ignored",
		core: onQuery(route("GET", `/api/integration_history_records(/\d+)?`), func(q url.Values) { q.Del("fields") }),
		want: "integration_history_records.fields",
	},

	// XML.
	{
		name: "XML without nil elements",
		core: onXML(func(_ *http.Request, status int, body string) (int, string) {
			return status, nilElement.ReplaceAllString(body, "")
		}),
		want: "integration_errors.xml.show",
	},
	{
		name: "XML with the wrong root element",
		core: onXML(func(r *http.Request, status int, body string) (int, string) {
			return status, strings.ReplaceAll(body, "integration-history-record>", "integration_history_record>")
		}),
		want: "integration_history_records.xml.show",
	},
	{
		name: "XML list without type=\"array\"",
		core: onXML(func(_ *http.Request, status int, body string) (int, string) {
			return status, strings.Replace(body, `<integrations type="array">`, `<integrations>`, 1)
		}),
		want: "integrations.xml.list",
	},
	{
		name: "XML datetime typed as a string",
		core: onXML(func(_ *http.Request, status int, body string) (int, string) {
			return status, strings.ReplaceAll(body, ` type="dateTime"`, "")
		}),
		want: "integration_runs.xml.show",
	},
	{
		name: "XML projection with nil elements not asked for",
		core: onXML(func(r *http.Request, status int, body string) (int, string) {
			if r.URL.Query().Has("fields") || r.URL.Query().Has("return_object") {
				body = strings.Replace(body, "<id ", `<document-status nil="true"/><id `, 1)
			}
			return status, body
		}),
		want: "integration_errors.xml.projection",
	},
	{
		name: "XML no results answered 200",
		core: onXML(func(_ *http.Request, status int, body string) (int, string) {
			if status == http.StatusNotFound && strings.Contains(body, "No results match") {
				status = http.StatusOK
			}
			return status, body
		}),
		want: "integration_errors.xml.no-results",
	},
	{
		name: "JSON when no Accept header is sent",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Accept") == "" {
					r.Header.Set("Accept", "application/json")
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "integration_errors.xml.default",
	},
	{
		name: "XML request bodies refused",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.Header.Get("Content-Type"), "application/xml") {
					writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"errors": map[string]any{"integration": []any{"send application/json"}}})
					return
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "integrations.xml.request",
	},
	{
		name: "Sourcing answers XML when asked",
		sourcing: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "GET" || !strings.Contains(r.Header.Get("Accept"), "xml") {
					next.ServeHTTP(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><events type="array"></events>`)
			})
		},
		want: "events.format.json-only",
	},

	// Integrations and runs.
	{
		name: "integration code not unique",
		core: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || r.URL.Path != "/api/integrations" {
					next.ServeHTTP(w, r)
					return
				}
				data, _ := io.ReadAll(r.Body)
				rec := record(next, r, data)
				if rec.Code == http.StatusBadRequest && strings.Contains(rec.Body.String(), "code") {
					// Stored under another code, as a server without the
					// rule would store the duplicate.
					var m map[string]any
					_ = json.Unmarshal(data, &m)
					m["code"] = fmt.Sprint(m["code"]) + "-duplicate"
					fixed, _ := json.Marshal(m)
					rec = record(next, r, fixed)
				}
				replay(w, rec)
			})
		},
		want: "integrations.create.unique.code",
	},
	{
		name: "run action not changing status (pause)",
		core: actionAsShow(`^(/api/integration_runs/\d+)/pause$`),
		want: "integration_runs.action.pause",
	},
	{
		name: "ended run still changes",
		core: func(next http.Handler) http.Handler {
			action := regexp.MustCompile(`^/api/integration_runs/\d+/(run|pending|pause|success|fail)$`)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "PUT" || !action.MatchString(r.URL.Path) {
					next.ServeHTTP(w, r)
					return
				}
				data, _ := io.ReadAll(r.Body)
				rec := record(next, r, data)
				if rec.Code == http.StatusBadRequest {
					writeJSON(w, http.StatusOK, json.RawMessage(record(next, httptest.NewRequest("GET", path.Dir(r.URL.Path), nil), nil).Body.Bytes()))
					return
				}
				replay(w, rec)
			})
		},
		want: "integration_runs.action.ended",
	},
	{
		name: "reference to a missing run accepted",
		core: onRequest(route("POST", `/api/integration_errors`), func(_ *http.Request, body any) {
			if fmt.Sprint(obj(body)["integration-run-id"]) == "9.007199254740991e+15" {
				delete(obj(body), "integration-run-id")
			}
		}),
		want: "integration_errors.create.unknown-run",
	},
	{
		name: "integration-run not read as integration-run-id",
		core: onRequest(route("POST", `/api/integration_history_records`), func(_ *http.Request, body any) {
			delete(obj(body), "integration-run")
		}),
		want: "integration_history_records.create.integration-run",
	},

	// Authentication.
	{
		name: "show answers without a token",
		core: withTokenWhen(func(r *http.Request) bool {
			return r.Method == "GET" && r.Header.Get("Authorization") == "" && regexp.MustCompile(`^/api/integrations/\d+$`).MatchString(r.URL.Path)
		}),
		want: "auth.required",
		auth: true,
	},
	{
		name: "authentication ignored on one operation (unresolve)",
		core: withTokenWhen(func(r *http.Request) bool {
			return r.Method == "PUT" && r.Header.Get("Authorization") == "" && strings.HasSuffix(r.URL.Path, "/unresolve")
		}),
		want: "auth.required",
		auth: true,
	},
	{
		name: "Sourcing authentication ignored on one operation (bulk delete)",
		sourcing: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "DELETE" && r.Header.Get("X-Cso-Api-Key") == "" && r.URL.Path == "/api/events" {
					r = r.Clone(r.Context())
					r.Header.Set("X-Cso-Api-Key", auth.DefaultCSOAPIKey)
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "events.auth",
		auth: true,
	},
	{
		name: "forged token accepted",
		core: withTokenWhen(func(r *http.Request) bool {
			return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer eyJhbGciOiJub25l")
		}),
		want: "auth.invalid-token",
		auth: true,
	},
	{
		name: "X-COUPA-API-KEY accepted",
		core: withTokenWhen(func(r *http.Request) bool {
			return r.Header.Get("X-Coupa-Api-Key") != "" && r.Header.Get("Authorization") == ""
		}),
		want: "auth.api-key",
		auth: true,
	},
	{
		name: "403 answered as 200 (scope not enforced)",
		core: func(next http.Handler) http.Handler {
			full := withTokenWhen(func(*http.Request) bool { return true })(next)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				data, _ := io.ReadAll(r.Body)
				rec := record(next, r, data)
				if rec.Code == http.StatusForbidden {
					rec = record(full, r, data)
				}
				replay(w, rec)
			})
		},
		want: "auth.scope.read",
		auth: true,
	},
	{
		name: "403 without the scope it needs",
		core: onResponse(func(*http.Request) bool { return true }, func(_ *http.Request, status int, body any) (int, any) {
			if status == http.StatusForbidden {
				body = map[string]any{"errors": map[string]any{"authorization": []any{"forbidden"}}}
			}
			return status, body
		}),
		want: "auth.scope.write",
		auth: true,
	},
	{
		name: "token_type not bearer",
		core: onResponse(route("POST", `/oauth2/token`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["token_type"] != nil {
				m["token_type"] = "mac"
			}
			return status, body
		}),
		want: "auth.token",
		auth: true,
	},
	{
		name: "Sourcing without X-CSO-API-KEY answered",
		sourcing: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "GET" && r.Header.Get("X-Cso-Api-Key") == "" && strings.HasPrefix(r.URL.Path, "/api/events/") {
					r = r.Clone(r.Context())
					r.Header.Set("X-Cso-Api-Key", auth.DefaultCSOAPIKey)
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "events.auth",
		auth: true,
	},
	{
		name: "429 without Retry-After",
		core: func(next http.Handler) http.Handler {
			var once sync.Once
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				throttle := false
				once.Do(func() { throttle = true })
				if throttle {
					writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": map[string]any{"request": []any{"slow down"}}})
					return
				}
				next.ServeHTTP(w, r)
			})
		},
		want: "auth.rate-limit",
	},

	// Where the spec is lenient: caught at should level, and the run passes.
	{
		name:     "Sourcing errors in XML, as the page says",
		sourcing: xmlErrors,
		want:     "events.error-format.createEvents",
		lenient:  true,
	},
	{
		name: "single-event PUT answers the event, not the bulk shape",
		sourcing: func(next http.Handler) http.Handler {
			item := regexp.MustCompile(`^/api/events/\d+$`)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "PUT" || !item.MatchString(r.URL.Path) {
					next.ServeHTTP(w, r)
					return
				}
				data, _ := io.ReadAll(r.Body)
				rec := record(next, r, data)
				if rec.Code == http.StatusOK {
					rec = record(next, httptest.NewRequest("GET", r.URL.Path, nil), nil)
				}
				replay(w, rec)
			})
		},
		want:    "events.bulk-shape.updateEvent",
		lenient: true,
	},
}

// nilElement matches an XML element without a value.
var nilElement = regexp.MustCompile(`\s*<[a-z-]+( type="[a-z]+")? nil="true"/>`)

// onXML rewrites the XML answers of the Core API.
func onXML(change func(r *http.Request, status int, body string) (int, string)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			data, _ := io.ReadAll(r.Body)
			rec := record(next, r, data)
			if !strings.Contains(rec.Header().Get("Content-Type"), "xml") {
				replay(w, rec)
				return
			}
			status, body := change(r, rec.Code, rec.Body.String())
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		})
	}
}

// withTokenWhen lets the requests that match through with a token of every
// scope, as a server that forgot to check them would: the token comes from
// the mock's own token endpoint.
func withTokenWhen(match func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var once sync.Once
		var token string
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			once.Do(func() {
				form := url.Values{"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID}, "client_secret": {auth.DefaultClientSecret}}
				tr := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(form.Encode()))
				tr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, tr)
				var tok struct {
					AccessToken string `json:"access_token"`
				}
				_ = json.Unmarshal(rec.Body.Bytes(), &tok)
				token = tok.AccessToken
			})
			r = r.Clone(r.Context())
			r.Header.Del("X-Coupa-Api-Key")
			r.Header.Set("Authorization", "Bearer "+token)
			next.ServeHTTP(w, r)
		})
	}
}

// actionAsShow serves a PUT to an action whose path matches pattern as a
// GET of the record, the pattern's first group: an action that changes
// nothing.
func actionAsShow(pattern string) func(http.Handler) http.Handler {
	action := regexp.MustCompile(pattern)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m := action.FindStringSubmatch(r.URL.Path); m != nil && r.Method == "PUT" {
				r = r.Clone(r.Context())
				r.Method, r.URL.Path = "GET", m[1]
			}
			next.ServeHTTP(w, r)
		})
	}
}

// route matches requests by method (any when empty) and a path pattern.
func route(method, pattern string) func(*http.Request) bool {
	re := regexp.MustCompile("^" + pattern + "$")
	return func(r *http.Request) bool {
		return (method == "" || r.Method == method) && re.MatchString(r.URL.Path)
	}
}

// eachNested calls f with the object of body's element name, or with each
// object of it when it is an array.
func eachNested(body any, name string, f func(map[string]any)) {
	switch v := obj(body)[name].(type) {
	case map[string]any:
		f(v)
	case []any:
		for _, it := range v {
			if m, ok := it.(map[string]any); ok {
				f(m)
			}
		}
	}
}

// obj returns v as a JSON object, or an empty one.
func obj(v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		return map[string]any{}
	}
	return m
}

// record serves r with body through h and returns the response.
func record(h http.Handler, r *http.Request, body []byte) *httptest.ResponseRecorder {
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// replay writes a recorded response.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// onResponse rewrites the JSON responses of the matching requests.
func onResponse(match func(*http.Request) bool, change func(r *http.Request, status int, body any) (int, any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			data, _ := io.ReadAll(r.Body)
			rec := record(next, r, data)
			var body any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				replay(w, rec)
				return
			}
			status, body := change(r, rec.Code, body)
			writeJSON(w, status, body)
		})
	}
}

// onRequest rewrites the JSON bodies of the matching requests.
func onRequest(match func(*http.Request) bool, change func(r *http.Request, body any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) || r.Body == nil {
				next.ServeHTTP(w, r)
				return
			}
			data, _ := io.ReadAll(r.Body)
			var body any
			if err := json.Unmarshal(data, &body); err == nil {
				change(r, body)
				data, _ = json.Marshal(body)
			}
			replay(w, record(next, r, data))
		})
	}
}

// onQuery rewrites the query of the matching requests.
func onQuery(match func(*http.Request) bool, change func(url.Values)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				q := r.URL.Query()
				change(q)
				r = r.Clone(r.Context())
				r.URL.RawQuery = q.Encode()
			}
			next.ServeHTTP(w, r)
		})
	}
}

// contentTypeWriter answers with another Content-Type.
type contentTypeWriter struct {
	http.ResponseWriter
	ct string
}

func (w *contentTypeWriter) WriteHeader(status int) {
	w.Header().Set("Content-Type", w.ct)
	w.ResponseWriter.WriteHeader(status)
}

// allOrNothing applies a bulk update item by item and stops at the first
// failure, answering 400: the opposite of the spec's lenient bulk update.
func allOrNothing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PUT" || r.URL.Path != "/api/events" {
			next.ServeHTTP(w, r)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var body struct{ Events []json.RawMessage }
		if json.Unmarshal(data, &body) != nil || len(body.Events) < 2 {
			replay(w, record(next, r, data))
			return
		}
		for _, it := range body.Events {
			one, _ := json.Marshal(map[string]any{"events": []json.RawMessage{it}})
			if rec := record(next, r, one); rec.Code != http.StatusOK {
				replay(w, rec)
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"result": []any{map[string]any{"type": "api.put.updated", "description": fmt.Sprintf("%d objects updated.", len(body.Events))}}, "updated": len(body.Events)})
	})
}

// xmlErrors answers the Sourcing API's errors in XML, as the vendor's page
// says it does.
func xmlErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		rec := record(next, r, data)
		if rec.Code < 400 {
			replay(w, rec)
			return
		}
		var body struct{ Errors map[string][]string }
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		var b strings.Builder
		b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>")
		for _, msgs := range body.Errors {
			for _, m := range msgs {
				b.WriteString("<error>" + strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(m) + "</error>")
			}
		}
		b.WriteString("</errors>\n")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, b.String())
	})
}

// refuseBulk makes a bulk request of the Sourcing API with method fail as
// a whole, 400, when one of its items matches: a server that is not
// lenient for that kind of failing item.
func refuseBulk(method string, match func(item map[string]any) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			data, _ := io.ReadAll(r.Body)
			var body struct{ Events []map[string]any }
			if r.Method == method && r.URL.Path == "/api/events" && json.Unmarshal(data, &body) == nil && slices.ContainsFunc(body.Events, match) {
				writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"event": []any{"the request failed"}}})
				return
			}
			replay(w, record(next, r, data))
		})
	}
}

// checkFamily is the family of a check ID: its aspect, without the
// resource and without the element or operation it is about
// ("integration_errors.enum.document-type.invalid" is "enum.invalid").
func checkFamily(id string) string {
	_, aspect, _ := strings.Cut(id, ".")
	parts := strings.Split(aspect, ".")
	switch {
	case parts[0] == "enum" && len(parts) > 2:
		return "enum." + parts[len(parts)-1]
	case slices.Contains([]string{"enum", "readonly", "input", "response", "error-format", "bulk-shape", "action"}, parts[0]):
		return parts[0]
	case parts[0] == "create" && len(parts) > 2 && (parts[1] == "required" || parts[1] == "unique"):
		return "create." + parts[1]
	}
	return aspect
}

// TestEveryCheckFamilyHasAMutant shows that the mutation tests keep at
// least one mutant per family of checks: a family no mutant fails could
// pass a wrong server unnoticed.
func TestEveryCheckFamilyHasAMutant(t *testing.T) {
	target := serveMock(t, nil)
	target.ReadOnly = true
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	caught := map[string]bool{}
	for _, m := range mutants {
		caught[checkFamily(m.want)] = true
	}
	families := map[string][]string{}
	for _, res := range report.Results {
		families[checkFamily(res.ID)] = append(families[checkFamily(res.ID)], res.ID)
	}
	for fam, ids := range families {
		if !caught[fam] {
			t.Errorf("no mutant is caught by a check of the family %s (%s)", fam, strings.Join(ids, ", "))
		}
	}
	if len(families) < 80 {
		t.Errorf("%d families of checks; the suite has lost some", len(families))
	}
}
