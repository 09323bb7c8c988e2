package auth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/auth"
)

func ExampleAuthority_Describe() {
	a, err := auth.New(auth.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Print(a.Describe())
	// Output:
	// auth: OAuth 2.0 client credentials at POST /oauth2/token (form or HTTP Basic); tokens last 86399s
	//   client_id "coupakit" client_secret "coupakit-secret" scopes core.integration.read core.integration.write
	//   Sourcing API (X-CSO-API-KEY): "coupakit-cso-key"
	//   legacy X-COUPA-API-KEY: refused, as Coupa since R35 (--allow-api-key to accept)
	//   rate limit: off (--rate-limit for 25 requests/s, burst 20, per client)
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.Config
		want []string
	}{
		{"keys and rate limit on", auth.Config{
			Clients:     []auth.Client{readOnly, writeOnly},
			TokenTTL:    3600e9,
			AllowAPIKey: true, APIKeys: []string{"legacy"},
			CSOAPIKeys: []string{"cso-1", "cso-2"},
			RateLimit:  true,
		}, []string{
			"tokens last 3600s",
			`client_id "reporting" client_secret "rep-secret" scopes core.integration.read` + "\n",
			`client_id "loader" client_secret "load-secret" scopes core.integration.write` + "\n",
			`(X-CSO-API-KEY): "cso-1", "cso-2"`,
			`X-COUPA-API-KEY: accepted, grants every scope: "legacy"`,
			"rate limit: on, 25 requests/s, burst 20",
		}},
		{"default API key", auth.Config{AllowAPIKey: true}, []string{`"` + auth.DefaultAPIKey + `"`}},
		{"disabled", auth.Config{Disabled: true}, []string{"auth: off (--auth=none)", "rate limit: off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := auth.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := a.Describe()
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("Describe() =\n%s\nwant it to contain %q", got, want)
				}
			}
		})
	}
}
