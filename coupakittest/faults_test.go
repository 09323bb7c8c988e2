package coupakittest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/coupakittest"
	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// TestKitFault: a rule from kit.Fault applies through the kit's client,
// times=1 retires it, and the journal marks it.
func TestKitFault(t *testing.T) {
	kit := coupakittest.New(t, coupakittest.WithRecords(2))
	rule := kit.Fault(mock.FaultRule{Match: mock.FaultMatch{Method: "GET", Path: "/api/integrations"}, Status: 503, Times: 1})
	var got []int
	for range 2 {
		req, _ := http.NewRequest("GET", kit.CoreURL+"/api/integrations", nil)
		req.Header.Set("Accept", "application/json")
		resp, err := kit.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if got[0] != 503 || got[1] != 200 {
		t.Fatalf("statuses %v, want 503 then 200", got)
	}
	j := kit.Requests()
	if len(j) != 2 || j[0].Fault == nil || j[0].Fault.Rule != rule.ID || j[1].Fault != nil {
		t.Fatalf("journal %+v", j)
	}
	start, err := mock.ParseFault("GET /api/integrations status=500")
	if err != nil {
		t.Fatal(err)
	}
	k2 := coupakittest.New(t, coupakittest.WithRecords(1), coupakittest.WithFaults(start))
	if f := k2.Mock.Faults(); len(f) != 1 || f[0].Status != 500 {
		t.Fatalf("start-up faults %+v", f)
	}
}

// fakeT notes the failures of a Verify that is meant to fail.
type fakeT struct {
	testing.TB
	errs []string
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Error(args ...any) { f.errs = append(f.errs, fmt.Sprint(args...)) }
func (f *fakeT) Errorf(s string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(s, args...))
}

// TestKitVerify: Verify passes on the exact count and otherwise fails the
// test, naming the closest requests and how they differ.
func TestKitVerify(t *testing.T) {
	kit := coupakittest.New(t, coupakittest.WithRecords(2))
	code := kit.Mock.Integrations()[0].Code
	body := fmt.Sprintf(`{"status":"error","contact-alert-type":"Technical","integration":{"code":%q}}`, code)
	req, _ := http.NewRequest("POST", kit.CoreURL+"/api/integration_errors", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := kit.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	match := mock.RequestMatch{Method: "POST", Path: "/api/integration_errors", Body: json.RawMessage(`{"integration":{"code":"` + code + `"}}`)}
	if !kit.Verify(t, match, 1) {
		t.Fatal("Verify failed on the one matching request")
	}
	ft := &fakeT{TB: t}
	if kit.Verify(ft, match, 2) || len(ft.errs) != 1 || !strings.Contains(ft.errs[0], "1 requests match") || !strings.Contains(ft.errs[0], "#1 POST /api/integration_errors -> 201") {
		t.Fatalf("Verify of 2: %q", ft.errs)
	}
	ft = &fakeT{TB: t}
	miss := mock.RequestMatch{Method: "POST", Path: "/api/integration_errors", Body: json.RawMessage(`{"status":"warning"}`)}
	if kit.Verify(ft, miss, 1) || len(ft.errs) != 1 || !strings.Contains(ft.errs[0], `body.status: want "warning", got "error"`) {
		t.Fatalf("Verify with a near miss: %q", ft.errs)
	}
	ft = &fakeT{TB: t}
	if kit.Verify(ft, mock.RequestMatch{Path: "api"}, 0) || len(ft.errs) != 1 || !strings.Contains(ft.errs[0], "path must start with /") {
		t.Fatalf("Verify of a bad match: %q", ft.errs)
	}
}

// TestSFTPFaultsThroughAdmin drives the SFTP faults through
// /_mock/sftp/faults, every answer validated against admin.yaml, and a
// real pkg/sftp client: a refused login, then a failed file recorded as an
// integration error of a failed run.
func TestSFTPFaultsThroughAdmin(t *testing.T) {
	spec := admintest.Load(t)
	kit := coupakittest.New(t, coupakittest.WithRecords(1))
	admin := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, kit.SourcingURL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, got := spec.Do(t, http.DefaultClient, req)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, got)
		}
		return got
	}
	admin("POST", "/_mock/sftp/faults", `{"kind": "refuse_login"}`, 201)
	admin("POST", "/_mock/sftp/faults", `{"kind": "fail_file", "folder": "Invoices", "message": "Disk full while importing"}`, 201)
	admin("POST", "/_mock/sftp/faults", `{"kind": "hold_folder"}`, 400)
	admin("POST", "/_mock/sftp/faults", `{"kind": "refuse_login", "fired": 3}`, 400)
	admin("DELETE", "/_mock/sftp/faults/99", "", 404)

	dial := func() (*sftp.Client, error) {
		conn, err := ssh.Dial("tcp", kit.SFTPAddr, &ssh.ClientConfig{
			User: kit.SFTPUser, Auth: []ssh.AuthMethod{ssh.Password(kit.SFTPPassword)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { conn.Close() })
		return sftp.NewClient(conn)
	}
	if _, err := dial(); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("first login: %v, want refused", err)
	}
	c := kit.SFTP()
	f, err := c.Create("/Incoming/Invoices/inv.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("Invoice Number*,Supplier*\r\nINV-1,Acme\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var errs []map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		req, _ := http.NewRequest("GET", kit.CoreURL+"/api/integration_errors?integration-filename=inv.csv", nil)
		req.Header.Set("Accept", "application/json")
		resp, err := kit.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		errs = nil
		_ = json.NewDecoder(resp.Body).Decode(&errs)
		resp.Body.Close()
		if len(errs) > 0 {
			break
		}
	}
	if len(errs) != 1 {
		t.Fatalf("integration errors for inv.csv: %v", errs)
	}
	data, _ := json.Marshal(errs[0])
	for _, want := range []string{`"response-code":"processing-failed"`, `"response-message":"Disk full while importing"`, `"code":"SFTP_INVOICES"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("integration error %s\nwant %s", data, want)
		}
	}
	var listed []sftpd.Fault
	if err := json.Unmarshal(admin("GET", "/_mock/sftp/faults", "", 200), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || !listed[0].Retired || listed[1].Fired != 1 {
		t.Fatalf("faults %+v", listed)
	}
	admin("DELETE", "/_mock/sftp/faults/1", "", 204)
	admin("DELETE", "/_mock/sftp/faults", "", 204)
	admin("POST", "/_mock/sftp/faults", `{"kind": "hold_folder", "folder": "Invoices"}`, 201)
	admin("POST", "/_mock/reset", "", 200)
	if got := admin("GET", "/_mock/sftp/faults", "", 200); string(bytes.TrimSpace(got)) != "[]" {
		t.Fatalf("faults after reset: %s", got)
	}
}

// getWithRetry is the code under test of the README's example: it retries
// a GET once after a 503.
func getWithRetry(c *http.Client, url string) (*http.Response, error) {
	resp, err := c.Get(url)
	if err == nil && resp.StatusCode == http.StatusServiceUnavailable {
		resp.Body.Close()
		time.Sleep(10 * time.Millisecond)
		resp, err = c.Get(url)
	}
	return resp, err
}

// TestRetriesOn503 is the README's example of faults and Verify.
func TestRetriesOn503(t *testing.T) {
	kit := coupakittest.New(t, coupakittest.WithRecords(1))
	kit.Fault(mock.FaultRule{Match: mock.FaultMatch{Method: "GET", Path: "/api/integrations"}, Status: 503, Times: 1})

	resp, err := getWithRetry(kit.HTTPClient(), kit.CoreURL+"/api/integrations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d after the retry", resp.StatusCode)
	}
	kit.Verify(t, mock.RequestMatch{Method: "GET", Path: "/api/integrations"}, 2) // the 503, then the retry
}
