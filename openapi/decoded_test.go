package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/internal/wire"
	"github.com/coupakit/coupakit/openapi"
)

// TestValidateRequestDecoded: checking a body as decoded answers exactly
// as ValidateRequest, which reads and decodes it: the same error, worded
// the same, and the request left the same (body, length, query), for good
// and bad bodies, bad parameters, other media types and empty bodies.
func TestValidateRequestDecoded(t *testing.T) {
	core, err := openapi.CoreValidator()
	if err != nil {
		t.Fatal(err)
	}
	cso, err := openapi.SourcingValidator()
	if err != nil {
		t.Fatal(err)
	}
	good := `{"contact-alert-type":"Technical","status":"error","integration":{"code":"X"},"responses":[{"response-code":"200"}]}`
	tests := []struct {
		name            string
		v               *openapi.Validator
		method, target  string
		contentType     string
		body            string
		wantErr         bool
		wantFromDecoded bool // the answer comes from the decoded value alone
	}{
		{"good create", core, "POST", "/api/integration_errors", "application/json", good, false, true},
		{"good with charset", core, "POST", "/api/integration_errors", "application/json; charset=utf-8", good, false, true},
		{"good update", core, "PUT", "/api/integration_errors/7", "application/json", `{"status":"resolved"}`, false, true},
		{"good with query", core, "POST", "/api/integration_errors?return_object=shallow", "application/json", good, false, true},
		{"bad query, good body", core, "POST", "/api/integration_errors?return_object=deepest", "application/json", good, true, true},
		{"bad id, good body", core, "PUT", "/api/integration_errors/x", "application/json", `{"status":"resolved"}`, true, true},
		{"bad enum", core, "POST", "/api/integration_errors", "application/json", `{"contact-alert-type":"technical"}`, true, false},
		{"missing required", core, "POST", "/api/integration_errors", "application/json", `{"status":"error"}`, true, false},
		{"wrong types", core, "POST", "/api/integration_errors", "application/json", `{"contact-alert-type":"Technical","integration-run-id":"10","exported":"yes","external-id":4711}`, true, false},
		{"unknown element", core, "POST", "/api/integration_errors", "application/json", `{"contact-alert-type":"Technical","comment":"x"}`, true, false},
		{"bad body and bad query", core, "POST", "/api/integration_errors?return_object=deepest", "application/json", `{"contact-alert-type":1}`, true, false},
		{"not an object", core, "POST", "/api/integration_errors", "application/json", `[1,2]`, true, false},
		{"null", core, "POST", "/api/integration_errors", "application/json", `null`, true, false},
		{"read-only id", core, "POST", "/api/integration_errors", "application/json", `{"id":5,"contact-alert-type":"Technical"}`, false, true},
		{"other media type", core, "POST", "/api/integration_errors", "application/merge-patch+json", good, true, false},
		{"no media type", core, "POST", "/api/integration_errors", "", good, true, false},
		{"empty body", core, "POST", "/api/integration_errors", "application/json", ``, true, false},
		{"white space body", core, "POST", "/api/integration_errors", "application/json", "  \n", true, false},
		{"good events", cso, "POST", "/api/events", "application/json", `{"events":[{"name":"x","market-id":"9220538753220565329"}]}`, false, true},
		{"bad events", cso, "POST", "/api/events", "application/json", `{"events":[{"name":1}]}`, true, false},
		{"good event update", cso, "PUT", "/api/events/9220538753220565329", "application/json", `{"name":"Renamed"}`, false, true},
	}
	ctx := context.Background()
	// Each case with the value decoded, and without (nil: the body is
	// checked on its bytes, and decoded only when that is unsure).
	for _, tt := range tests {
		for _, undecoded := range []bool{false, true} {
			name := tt.name
			if undecoded {
				name += ", undecoded"
			}
			t.Run(name, func(t *testing.T) {
				whole := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
				decoded := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
				if tt.contentType != "" {
					whole.Header.Set("Content-Type", tt.contentType)
					decoded.Header.Set("Content-Type", tt.contentType)
				}
				m, err := tt.v.Route(whole)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.v.ValidateRequest(ctx, whole, m, openapi.RequestOptions{})
				if (want != nil) != tt.wantErr {
					t.Fatalf("ValidateRequest: %v, want an error %v", want, tt.wantErr)
				}
				var value any
				if !undecoded {
					dec := json.NewDecoder(strings.NewReader(tt.body))
					dec.UseNumber()
					_ = dec.Decode(&value)
				}
				// The decoded path must not read the body when it answers
				// from the value alone; a body it hands on must be whole.
				counting := &countingReader{r: decoded.Body}
				decoded.Body = io.NopCloser(counting)
				got := tt.v.ValidateRequestDecoded(ctx, decoded, m, []byte(tt.body), value)
				if diff := cmp.Diff(errText(want), errText(got)); diff != "" {
					t.Errorf("error (-ValidateRequest +ValidateRequestDecoded):\n%s", diff)
				}
				if diff := cmp.Diff(describe(want), describe(got)); diff != "" {
					t.Errorf("messages (-ValidateRequest +ValidateRequestDecoded):\n%s", diff)
				}
				if fromDecoded := counting.n == 0; fromDecoded != tt.wantFromDecoded {
					t.Errorf("answered from the decoded value %v, want %v", fromDecoded, tt.wantFromDecoded)
				}
				if whole.ContentLength != decoded.ContentLength {
					t.Errorf("ContentLength %d, ValidateRequest leaves %d", decoded.ContentLength, whole.ContentLength)
				}
				if whole.URL.String() != decoded.URL.String() {
					t.Errorf("URL %s, ValidateRequest leaves %s", decoded.URL, whole.URL)
				}
				wantBody, _ := io.ReadAll(whole.Body)
				gotBody, _ := io.ReadAll(decoded.Body)
				if !bytes.Equal(wantBody, gotBody) {
					t.Errorf("body left %q, ValidateRequest leaves %q", gotBody, wantBody)
				}
				if (whole.GetBody == nil) != (decoded.GetBody == nil) {
					t.Errorf("GetBody set %v, ValidateRequest %v", decoded.GetBody != nil, whole.GetBody != nil)
				}
			})
		}
	}
}

// countingReader counts the calls to Read.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.n++
	return c.r.Read(p)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func describe(err error) []string {
	if err == nil {
		return nil
	}
	return wire.Describe(err)
}
