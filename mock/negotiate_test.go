package mock_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
)

// TestAcceptNegotiation sends Accept headers over HTTP: text/xml is XML,
// quality values decide between the two formats.
func TestAcceptNegotiation(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2})
	cases := []struct {
		accept string
		want   string
	}{
		{"", "application/xml"},
		{"*/*", "application/xml"},
		{"text/xml", "application/xml"},
		{"application/xml", "application/xml"},
		{"application/json", "application/json"},
		{"application/json;q=0.9, application/xml;q=0.1", "application/json"},
		{"application/xml;q=0.5, application/json", "application/json"},
		{"application/json;q=0.1, application/xml;q=0.9", "application/xml"},
		{"text/xml;q=0.9, application/json;q=0.8", "application/xml"},
		{"application/json;q=0, */*", "application/xml"},
		{"text/html", "application/xml"},
	}
	for _, tc := range cases {
		t.Run(tc.accept, func(t *testing.T) {
			status, ct, body := rawXML(t, c, "GET", "/api/integration_errors", tc.accept, "", "")
			require.Equal(t, 200, status, body)
			assert.True(t, strings.HasPrefix(ct, tc.want), "Accept %q: Content-Type %s", tc.accept, ct)
		})
	}
}

// TestSourcingErrorsXML answers the Sourcing API's 400 in XML unless the
// client asks for JSON.
func TestSourcingErrorsXML(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 1, Records: 2})
	body := `{"events": [{"name": "no market"}]}`
	for _, tc := range []struct {
		accept, want string
	}{
		{"", "application/xml"},
		{"application/xml", "application/xml"},
		{"*/*", "application/xml"},
		{"application/json", "application/json"},
		{"application/json;q=0.9, application/xml;q=0.1", "application/json"},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			status, ct, got := rawXML(t, s, "POST", "/api/events", tc.accept, "application/json", body)
			require.Equal(t, 400, status, got)
			assert.True(t, strings.HasPrefix(ct, tc.want), "Content-Type %s", ct)
			if tc.want == "application/xml" {
				root := parseXML(t, got)
				assert.Equal(t, "errors", root.XMLName.Local)
				require.NotEmpty(t, root.Children)
				assert.Equal(t, "error", root.Children[0].XMLName.Local)
				assert.Contains(t, root.Children[0].Text, "market-id")
			} else {
				assert.Contains(t, got, `"errors"`)
			}
		})
	}
	// Other answers stay JSON.
	status, ct, _ := rawXML(t, s, "GET", "/api/events", "", "", "")
	assert.Equal(t, 200, status)
	assert.True(t, strings.HasPrefix(ct, "application/json"), ct)
}
