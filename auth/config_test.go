package auth_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/coupakit/coupakit/auth"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    auth.Config
	}{
		{"everything", `{
  "clients": [
    {"id": "erp", "secret": "s3cret", "scopes": ["core.integration.read"]},
    {"id": "loader", "secret": "l0ad", "scopes": ["core.integration.read", "core.integration.write", "core.common.read"]},
    {"id": "plain", "secret": "p"}
  ],
  "api_keys": ["legacy"],
  "cso_api_keys": ["cso-1", "cso-2"],
  "token_ttl_seconds": 3600
}`, auth.Config{
			Clients: []auth.Client{
				{ID: "erp", Secret: "s3cret", Scopes: []string{auth.ScopeRead}},
				{ID: "loader", Secret: "l0ad", Scopes: []string{auth.ScopeRead, auth.ScopeWrite, "core.common.read"}},
				{ID: "plain", Secret: "p"},
			},
			APIKeys:    []string{"legacy"},
			CSOAPIKeys: []string{"cso-1", "cso-2"},
			TokenTTL:   time.Hour,
		}},
		{"empty object", `{}`, auth.Config{}},
		{"only CSO keys", `{"cso_api_keys": ["k"]}`, auth.Config{CSOAPIKeys: []string{"k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.LoadConfig(writeFile(t, tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(auth.Config{}, "Now")); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if _, err := auth.New(got); err != nil {
				t.Errorf("New refuses what LoadConfig accepted: %v", err)
			}
		})
	}

	t.Run("clients of the file get tokens", func(t *testing.T) {
		cfg, err := auth.LoadConfig(writeFile(t, `{"clients": [{"id": "erp", "secret": "s3cret", "scopes": ["core.integration.read"]}], "token_ttl_seconds": 60}`))
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, cfg)
		res := e.tokenReq(t, url.Values{"grant_type": {"client_credentials"}}, &[2]string{"erp", "s3cret"})
		var body tokenBody
		if err := json.Unmarshal(res.body, &body); err != nil || body.ExpiresIn == nil || *body.ExpiresIn != 60 || body.Scope != auth.ScopeRead {
			t.Errorf("status %d body %s, want a 60s token for core.integration.read", res.status, res.body)
		}
		if res := e.tokenReq(t, url.Values{"grant_type": {"client_credentials"}}, &[2]string{auth.DefaultClientID, auth.DefaultClientSecret}); res.status != 401 {
			t.Errorf("default client: status %d, want 401 once the file names clients", res.status)
		}
	})
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // in the error, beside the file name
	}{
		{"empty file", "", []string{"empty"}},
		{"syntax error", "{\n  \"clients\": [\n    {\"id\": \"erp\",}\n  ]\n}", []string{"line 3"}},
		{"truncated", `{"clients": [`, []string{"line 1"}},
		{"unknown member", "{\n  \"client\": []\n}", []string{"unknown field", `"client"`}},
		{"unknown client member", `{"clients": [{"id": "a", "secret": "b", "scope": "x"}]}`, []string{"unknown field", `"scope"`}},
		{"wrong type", "{\n\"token_ttl_seconds\": \"3600\"\n}", []string{"line 2", "token_ttl_seconds"}},
		{"not an object", `["erp"]`, []string{"cannot unmarshal"}},
		{"two objects", `{} {}`, []string{"after the JSON object"}},
		{"empty id and secret", `{"clients": [{"id": "", "secret": ""}]}`, []string{"clients[0]: id is empty", "clients[0]: secret is empty"}},
		{"duplicate id", `{"clients": [{"id": "a", "secret": "1"}, {"id": "a", "secret": "2"}]}`, []string{`clients[1]: id "a" is used twice`}},
		{"colon in id", `{"clients": [{"id": "a:b", "secret": "1"}]}`, []string{"colon"}},
		{"bad scope", `{"clients": [{"id": "a", "secret": "1", "scopes": ["core.integration.read core.integration.write"]}]}`, []string{"clients[0]: scope"}},
		{"negative TTL", `{"token_ttl_seconds": -5}`, []string{"token_ttl_seconds -5 is negative"}},
		{"huge TTL", `{"token_ttl_seconds": 9223372036854775807}`, []string{"token_ttl_seconds"}},
		{"empty keys", `{"api_keys": [""], "cso_api_keys": ["ok", ""]}`, []string{"api_keys[0]: key is empty", "cso_api_keys[1]: key is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			cfg, err := auth.LoadConfig(path)
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			for _, want := range append([]string{path}, tt.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.json")
		_, err := auth.LoadConfig(path)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v, want one wrapping fs.ErrNotExist and naming %s", err, path)
		}
	})
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.Config
		want []string
	}{
		{"empty client id", auth.Config{Clients: []auth.Client{{Secret: "x"}}}, []string{"clients[0]: id is empty"}},
		{"empty secret", auth.Config{Clients: []auth.Client{{ID: "x"}}}, []string{"clients[0]: secret is empty"}},
		{"duplicate id, bad scope", auth.Config{Clients: []auth.Client{{ID: "x", Secret: "1"}, {ID: "x", Secret: "2", Scopes: []string{""}}}}, []string{"used twice", `scope ""`}},
		{"negative TTL", auth.Config{TokenTTL: -time.Second}, []string{"negative"}},
		{"TTL under a second", auth.Config{TokenTTL: time.Millisecond}, []string{"shorter than a second"}},
		{"empty API key", auth.Config{AllowAPIKey: true, APIKeys: []string{""}}, []string{"api_keys[0]"}},
		{"empty CSO key", auth.Config{CSOAPIKeys: []string{""}}, []string{"cso_api_keys[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := auth.New(tt.cfg)
			if err == nil {
				t.Fatalf("New gave %v, want an error", a)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}
