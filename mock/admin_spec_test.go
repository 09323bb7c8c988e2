package mock_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// TestAdminAnswersConformToSpec sends every admin route of both ports, over
// loopback, in the states that give each of its documented answers, and
// validates every answer against openapi/admin.yaml.
func TestAdminAnswersConformToSpec(t *testing.T) {
	spec := admintest.Load(t)
	m, err := mock.New(mock.Options{Seed: 7, Records: 3})
	if err != nil {
		t.Fatal(err)
	}
	coreSrv, csoSrv := httptest.NewServer(m.CoreHandler()), httptest.NewServer(m.SourcingHandler())
	defer coreSrv.Close()
	defer csoSrv.Close()
	code := m.Integrations()[0].Code

	send := func(t *testing.T, base, method, path string, body any, want int) []byte {
		t.Helper()
		return doJSON(t, spec, base, method, path, body, want)
	}
	api := func(t *testing.T, base, method, path string, body any, want int) {
		t.Helper()
		doJSON(t, nil, base, method, path, body, want)
	}

	ports := map[string]string{"core": coreSrv.URL, "sourcing": csoSrv.URL}
	for name, base := range ports {
		t.Run(name, func(t *testing.T) {
			send(t, base, "POST", "/_mock/reset", nil, 200)
			send(t, base, "GET", "/_mock/health", nil, 200)
			// Empty, then with entries: an alert and journaled requests.
			send(t, base, "GET", "/_mock/alerts", nil, 200)
			send(t, base, "GET", "/_mock/requests", nil, 200)
			api(t, coreSrv.URL, "POST", "/api/integration_errors/create_alert", map[string]any{
				"contact-alert-type": "Technical", "status": "error", "integration": map[string]any{"code": code},
			}, 201)
			api(t, coreSrv.URL, "GET", "/api/integration_errors?limit=1&status=error", nil, 200)
			api(t, csoSrv.URL, "GET", "/api/events?limit=1", nil, 200)
			if got := send(t, base, "GET", "/_mock/alerts", nil, 200); !bytes.Contains(got, []byte(`"record-id"`)) {
				t.Fatalf("no alert recorded: %s", got)
			}
			if got := send(t, base, "GET", "/_mock/requests", nil, 200); !bytes.Contains(got, []byte(`"query":"limit=1`)) {
				t.Fatalf("no journaled request with a query: %s", got)
			}
			send(t, base, "GET", "/_mock/requests?api=core&method=GET&path=/api/integration_errors&status=200", nil, 200)
			send(t, base, "GET", "/_mock/requests?status=abc", nil, 200)
			send(t, base, "DELETE", "/_mock/requests", nil, 204)
			// The SFTP route, before and after a server is attached.
			send(t, base, "POST", "/_mock/sftp/outgoing/Invoices", nil, 404)
		})
	}

	srv, err := sftpd.New(sftpd.Config{StateDir: t.TempDir(), Seed: 7, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	m.AttachSFTP(srv)
	for _, base := range ports {
		if got := send(t, base, "POST", "/_mock/sftp/outgoing/Invoices", nil, 201); !bytes.Contains(got, []byte("/Outgoing/Invoices/")) {
			t.Errorf("no outgoing path: %s", got)
		}
		send(t, base, "POST", "/_mock/sftp/outgoing/Nonsense", nil, 404)
	}

	t.Run("unknown admin route", func(t *testing.T) {
		resp, err := http.Get(coreSrv.URL + "/_mock/nonsense")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		if resp.StatusCode != 404 {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
		if err := spec.ValidateError(buf.Bytes()); err != nil {
			t.Error(err)
		}
	})
}

// doJSON sends a JSON request and checks its status; with a spec, it also
// validates the answer against admin.yaml.
func doJSON(t *testing.T, spec *admintest.Spec, base, method, path string, body any, want int) []byte {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var resp *http.Response
	var got []byte
	if spec != nil {
		resp, got = spec.Do(t, http.DefaultClient, req)
	} else {
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		got = buf.Bytes()
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, got)
	}
	return got
}
