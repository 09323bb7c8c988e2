package mock_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
)

// drip opens a connection, sends a request's headers announcing a body of
// size bytes and only the first part of it, and returns the connection.
func drip(t *testing.T, srv *httptest.Server, method, path, contentType string, size int, part string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", method, path, contentType, size, part)
	return conn
}

// answer reads the status and body of the answer on conn, waiting at most
// 20 s (the test's body timeout is far shorter).
func answer(t *testing.T, conn net.Conn) (*http.Response, string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestSlowBodyTimesOut: a body that drips is answered 408 after the body
// timeout, JSON and XML, API and admin routes, and the connection closes.
func TestSlowBodyTimesOut(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 2, BodyTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups, not defers: the drips' connections close first, so that a
	// server that never answers them cannot hang Close.
	core := httptest.NewServer(m.CoreHandler())
	t.Cleanup(core.Close)
	cso := httptest.NewServer(m.SourcingHandler())
	t.Cleanup(cso.Close)
	tests := []struct {
		name             string
		srv              *httptest.Server
		method, path, ct string
		part             string
	}{
		{"json create", core, "POST", "/api/integration_errors", "application/json", `{"contact-alert-type":`},
		{"json update, nothing sent", core, "PUT", "/api/integration_errors/1", "application/json", ""},
		{"past the journal's 16 KiB", core, "POST", "/api/integration_errors", "application/json", `{"external-id":"` + strings.Repeat("a", 20000)},
		{"xml", core, "POST", "/api/integration_errors", "application/xml", "<integration-error><status>"},
		{"sourcing", cso, "PUT", "/api/events", "application/json", `{"events":[`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := drip(t, tt.srv, tt.method, tt.path, tt.ct, 1<<20, tt.part)
			resp, body := answer(t, conn)
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("status %d, want 408: %s", resp.StatusCode, body)
			}
			if !strings.Contains(body, "did not arrive within 300ms") {
				t.Errorf("body %s does not say why", body)
			}
			if !resp.Close {
				t.Error("the connection stays open after a 408")
			}
		})
	}
}

// TestSlowBodiesBounded: past MaxBodyReaders bodies being read at once, a
// request with a body is answered 503 with Retry-After; requests without a
// body still pass, and the slots come back.
func TestSlowBodiesBounded(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 2, MaxBodyReaders: 2, BodyTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.CoreHandler())
	t.Cleanup(srv.Close)
	c1 := drip(t, srv, "POST", "/api/integration_errors", "application/json", 100, "{")
	c2 := drip(t, srv, "POST", "/api/integration_errors", "application/json", 100, "{")
	post := func() *http.Response {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/integration_errors/1", strings.NewReader(`{"external-id":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var resp *http.Response
	for range 200 { // until both drips hold their slots
		if resp = post(); resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("third body: status %d, Retry-After %q; want 503 with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got, err := http.Get(srv.URL + "/api/integration_errors/1"); err != nil || got.StatusCode != http.StatusOK {
		t.Fatalf("a request without a body is refused too: %v %v", got, err)
	}
	c1.Close()
	c2.Close()
	for range 200 {
		if resp = post(); resp.StatusCode == http.StatusOK {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the drips left: status %d, want 200", resp.StatusCode)
	}
}

// TestAdminToken: with an admin token, every admin route but health wants
// it (401 as admin.yaml says), the APIs do not, and the right token passes.
func TestAdminToken(t *testing.T) {
	spec := admintest.Load(t)
	m, err := mock.New(mock.Options{Seed: 1, Records: 2, AdminToken: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()
	send := func(method, path, authz string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		return spec.Do(t, http.DefaultClient, req)
	}
	routes := [][2]string{{"POST", "/_mock/reset"}, {"GET", "/_mock/requests"}, {"DELETE", "/_mock/requests"}, {"GET", "/_mock/alerts"}, {"POST", "/_mock/sftp/outgoing/Invoices"}}
	for _, rt := range routes {
		for _, authz := range []string{"", "Bearer wrong", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token"} {
			resp, body := send(rt[0], rt[1], authz)
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %q: status %d, want 401 with WWW-Authenticate: %s", rt[0], rt[1], authz, resp.StatusCode, body)
			}
		}
	}
	if resp, body := send("GET", "/_mock/health", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("health wants the token: %d %s", resp.StatusCode, body)
	}
	if resp, body := send("GET", "/_mock/requests", "Bearer s3cret-token"); resp.StatusCode != http.StatusOK {
		t.Errorf("the right token is refused: %d %s", resp.StatusCode, body)
	}
	if resp, body := send("POST", "/_mock/reset", "bearer s3cret-token"); resp.StatusCode != http.StatusOK {
		t.Errorf("the scheme is case-insensitive: %d %s", resp.StatusCode, body)
	}
	resp, err := http.Get(srv.URL + "/api/integration_errors/1")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the API wants the admin token: %v %v", resp, err)
	}
	resp.Body.Close()
}
