package mock_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
)

// rawXML sends a request with the given Accept header (none when empty) and
// returns the status, Content-Type and body, unvalidated: the spec describes
// JSON bodies.
func rawXML(t *testing.T, c *apiClient, method, path, accept, contentType, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(data)
}

// node is a generic XML element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) child(name string) (node, bool) {
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return node{}, false
}

func parseXML(t *testing.T, body string) node {
	t.Helper()
	var n node
	require.NoError(t, xml.Unmarshal([]byte(body), &n), body)
	return n
}

func TestXMLAnswers(t *testing.T) {
	_, c, s := newMock(t, mock.Options{Seed: 1, Records: 3})
	for _, accept := range []string{"", "application/xml", "*/*", "text/xml"} {
		status, ct, body := rawXML(t, c, "GET", "/api/integration_errors", accept, "", "")
		require.Equal(t, 200, status, "Accept %q", accept)
		assert.True(t, strings.HasPrefix(ct, "application/xml"), "Accept %q: %s", accept, ct)
		root := parseXML(t, body)
		assert.Equal(t, "integration-errors", root.XMLName.Local)
		assert.Equal(t, "array", root.attr("type"))
		require.Len(t, root.Children, 3)
		rec := root.Children[0]
		assert.Equal(t, "integration-error", rec.XMLName.Local)
		id, ok := rec.child("id")
		require.True(t, ok)
		assert.Equal(t, "integer", id.attr("type"))
		assert.Equal(t, "1", id.Text)
		created, _ := rec.child("created-at")
		assert.Equal(t, "dateTime", created.attr("type"))
		resolved, _ := rec.child("resolved")
		assert.Equal(t, "boolean", resolved.attr("type"))
		integration, _ := rec.child("integration")
		_, hasCode := integration.child("code")
		assert.True(t, hasCode, "nested elements")
		_, hasRun := rec.child("integration-run")
		assert.False(t, hasRun, "input-only elements never appear")
	}

	status, ct, body := rawXML(t, c, "GET", "/api/integration_errors", "application/json", "", "")
	assert.Equal(t, 200, status)
	assert.True(t, strings.HasPrefix(ct, "application/json"), ct)
	assert.True(t, strings.HasPrefix(body, "["), body)

	// Empty values are shown with nil="true" in XML (and left out in JSON).
	var rec record
	c.do("POST", "/api/integration_errors", record{"contact-alert-type": "Both"}).expect(t, 201).decode(t, &rec)
	_, _, body = rawXML(t, c, "GET", "/api/integration_errors/4", "application/xml", "", "")
	root := parseXML(t, body)
	assert.Equal(t, "integration-error", root.XMLName.Local)
	rev, ok := root.child("document-revision")
	require.True(t, ok, body)
	assert.Equal(t, "true", rev.attr("nil"))
	assert.Equal(t, "integer", rev.attr("type"))

	// No results: 404 with Coupa's message.
	status, _, body = rawXML(t, c, "GET", "/api/integration_errors?status=nosuch", "", "", "")
	assert.Equal(t, 404, status)
	assert.Contains(t, body, "<errors>")
	assert.Contains(t, body, "<error>No results match your search criteria.</error>")

	// Errors in XML.
	status, _, body = rawXML(t, c, "GET", "/api/integration_errors/999", "application/xml", "", "")
	assert.Equal(t, 404, status)
	errs := parseXML(t, body)
	assert.Equal(t, "errors", errs.XMLName.Local)
	require.NotEmpty(t, errs.Children)
	assert.Contains(t, errs.Children[0].Text, "999")

	// The Sourcing API stays JSON whatever the client asks.
	_, ct, _ = rawXML(t, s, "GET", "/api/events", "", "", "")
	assert.True(t, strings.HasPrefix(ct, "application/json"), ct)
}

func TestXMLRequestBodies(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2})
	code := integrationCode(t, c)
	create := `<?xml version="1.0" encoding="UTF-8"?>
<integration-error>
  <contact-alert-type>Functional</contact-alert-type>
  <document-id type="integer">9007199254740993</document-id>
  <document-type>Supplier</document-type>
  <external-id>XML &amp; more</external-id>
  <integration><code>` + code + `</code></integration>
  <responses type="array"><response><response-code>E-1</response-code></response></responses>
</integration-error>`
	status, _, body := rawXML(t, c, "POST", "/api/integration_errors", "application/json", "application/xml", create)
	require.Equal(t, 201, status, body)
	assert.Contains(t, body, `"document-id":9007199254740993`, "integers beyond 2^53 stay exact")
	assert.Contains(t, body, `"external-id":"XML \u0026 more"`)

	status, _, body = rawXML(t, c, "PUT", "/api/integration_errors/3", "application/xml", "application/xml",
		`<integration-error><status>retried</status></integration-error>`)
	require.Equal(t, 200, status, body)
	st, _ := parseXML(t, body).child("status")
	assert.Equal(t, "retried", st.Text)

	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"malformed", `<integration-error><status>x</integration-error>`, 400, ""},
		{"wrong root", `<invoice-header><status>x</status></invoice-header>`, 400, "invoice-header"},
		{"bad integer", `<integration-error><contact-alert-type>Both</contact-alert-type><document-id>abc</document-id></integration-error>`, 400, "document-id"},
		{"enum", `<integration-error><contact-alert-type>Technique</contact-alert-type></integration-error>`, 400, "allowed values"},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "b">]><integration-error/>`, 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, ct, body := rawXML(t, c, "POST", "/api/integration_errors", "application/xml", "application/xml", tc.body)
			assert.Equal(t, tc.status, status, body)
			assert.True(t, strings.HasPrefix(ct, "application/xml"), ct)
			errs := parseXML(t, body)
			assert.Equal(t, "errors", errs.XMLName.Local)
			assert.Contains(t, body, tc.want)
		})
	}
	assert.Equal(t, 3, count(t, c, "/api/integration_errors"), "only the good XML create was stored")
}
