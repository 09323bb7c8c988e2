package proxy_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// checkAdmin sends an admin request and validates the answer against
// openapi/admin.yaml.
func checkAdmin(t *testing.T, spec *admintest.Spec, method, url string, wantStatus int) got {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := do(t, req)
	if g.status != wantStatus {
		t.Fatalf("%s %s: %d %s, want %d", method, url, g.status, g.body, wantStatus)
	}
	if err := spec.Validate(req, g.status, g.header, g.body); err != nil {
		t.Errorf("%s %s: %v\n%s", method, url, err, g.body)
	}
	return g
}

// TestAdminRoutes drives every admin route on both ports, validates each
// answer against openapi/admin.yaml, and checks what they say.
func TestAdminRoutes(t *testing.T) {
	router := admintest.Load(t)
	st := newMockStack(t, proxy.Options{})
	// One bad request, one good one.
	send(t, http.MethodGet, st.coreURL+"/api/integration_errors?statut=ouvert", http.Header{"Accept": {"application/json"}, "Authorization": {"Bearer secret-token"}}, nil)
	send(t, http.MethodGet, st.csoURL+"/api/events?limit=1", http.Header{"X-CSO-API-KEY": {"coupakit-cso-key"}}, nil)

	for _, base := range []string{st.coreURL, st.csoURL} {
		g := checkAdmin(t, router, http.MethodGet, base+"/_proxy/violations", http.StatusOK)
		var list proxy.ViolationList
		if err := json.Unmarshal(g.body, &list); err != nil {
			t.Fatal(err)
		}
		if list.Count != 1 || len(list.Violations) != 1 {
			t.Fatalf("violations: %s", g.body)
		}
		v := list.Violations[0]
		if v.Side != proxy.SideRequest || v.Rule != "request.filter" || v.Operation != "listIntegrationErrors" || !strings.Contains(v.Message, "statut") {
			t.Errorf("violation: %+v", v)
		}
		if strings.Contains(string(g.body), "secret-token") || v.Request.Header["Authorization"] != "[redacted]" {
			t.Errorf("credentials not redacted: %s", g.body)
		}
		if v.Response == nil || v.Response.Status != http.StatusUnauthorized {
			t.Errorf("response excerpt: %+v", v.Response)
		}
	}
	g := checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/violations?side=response", http.StatusOK)
	if !bytes.Contains(g.body, []byte(`"count":1,"violations":[]`)) {
		t.Errorf("side=response: %s", g.body)
	}
	checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/violations?side=both", http.StatusBadRequest)
	checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/violations?sort=id", http.StatusBadRequest)

	g = checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/report", http.StatusOK)
	for _, want := range []string{"FAIL  must   integration_errors.request.listIntegrationErrors", "request.filter", "curl -X GET '/api/integration_errors?statut=ouvert'", "[redacted]"} {
		if !strings.Contains(string(g.body), want) {
			t.Errorf("text report lacks %q:\n%s", want, g.body)
		}
	}
	if strings.Contains(string(g.body), "secret-token") {
		t.Error("the report shows the token")
	}
	g = checkAdmin(t, router, http.MethodGet, st.csoURL+"/_proxy/report?format=json", http.StatusOK)
	var rep struct {
		Passed bool `json:"passed"`
		Checks []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(g.body, &rep); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, c := range rep.Checks {
		statuses[c.ID] = c.Status
	}
	if rep.Passed || statuses["integration_errors.request.listIntegrationErrors"] != "fail" ||
		statuses["integration_errors.response.listIntegrationErrors"] != "pass" || statuses["events.request.listEvents"] != "pass" {
		t.Errorf("json report: %s", g.body)
	}
	g = checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/report?format=junit", http.StatusOK)
	var suites struct {
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(g.body, &suites); err != nil || suites.Failures != 1 {
		t.Errorf("junit report (%v): %s", err, g.body)
	}
	for format, wants := range map[string][]string{
		"html":     {"<!DOCTYPE html>", "integration_errors.request.listIntegrationErrors", "request.filter"},
		"markdown": {"integration_errors.request.listIntegrationErrors", "request.filter"},
	} {
		g = checkAdmin(t, router, http.MethodGet, st.csoURL+"/_proxy/report?format="+format, http.StatusOK)
		for _, want := range wants {
			if !strings.Contains(string(g.body), want) {
				t.Errorf("%s report lacks %q:\n%s", format, want, g.body)
			}
		}
		if strings.Contains(string(g.body), "secret-token") {
			t.Errorf("the %s report shows the token", format)
		}
	}
	checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/report?format=pdf", http.StatusBadRequest)

	checkAdmin(t, router, http.MethodDelete, st.csoURL+"/_proxy/violations", http.StatusNoContent)
	g = checkAdmin(t, router, http.MethodGet, st.coreURL+"/_proxy/violations", http.StatusOK)
	if !bytes.Contains(g.body, []byte(`"count":0`)) {
		t.Errorf("after DELETE: %s", g.body)
	}
	// An unknown admin route is the proxy's, not forwarded.
	req, _ := http.NewRequest(http.MethodGet, st.coreURL+"/_proxy/nothing", nil)
	if g := do(t, req); g.status != http.StatusNotFound || !bytes.Contains(g.body, []byte(`{"errors":{"proxy":[`)) {
		t.Errorf("unknown admin route: %d %s", g.status, g.body)
	} else if err := router.ValidateError(g.body); err != nil {
		t.Errorf("unknown admin route: %v", err)
	}
}

// TestMaxViolations: beyond MaxViolations violations are counted, not kept,
// and the report says so.
func TestMaxViolations(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 2})
	if err != nil {
		t.Fatal(err)
	}
	st := newStack(t, proxy.Options{MaxViolations: 2}, m.CoreHandler(), nil)
	for i := range 3 {
		send(t, http.MethodGet, st.coreURL+"/api/integration_errors?statut="+strconv.Itoa(i), http.Header{"Accept": {"application/json"}}, nil)
	}
	if n, vs := st.proxy.Count(), st.proxy.Violations(); n != 3 || len(vs) != 2 {
		t.Errorf("count %d, kept %d; want 3 and 2", n, len(vs))
	}
	var buf bytes.Buffer
	if err := st.proxy.WriteReport(&buf, "text"); err != nil || !strings.Contains(buf.String(), "(and 1 more problems)") {
		t.Errorf("report (%v):\n%s", err, buf.String())
	}
}
