package wire_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/internal/wire"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct{ plural, singular, human string }{
		{"integration-errors", "integration-error", "integration error"},
		{"integration_history_records", "integration_history_record", "integration history record"},
		{"integration-runs", "integration-run", "integration run"},
		{"integrations", "integration", "integration"},
		{"events", "event", "event"},
		{"entries", "entry", "entry"},
		{"addresses", "address", "address"},
		{"batches", "batch", "batch"},
	} {
		assert.Equal(t, tc.singular, wire.Singular(tc.plural), "Singular(%q)", tc.plural)
		assert.Equal(t, tc.plural, wire.Plural(tc.singular), "Plural(%q)", tc.singular)
		assert.Equal(t, tc.human, wire.Human(tc.plural), "Human(%q)", tc.plural)
	}
	assert.Equal(t, "status", wire.Singular("status"), "a singular name stays")
	assert.Equal(t, "keys", wire.Plural("key"), "a vowel before y: keys")
	assert.Equal(t, "integration-errors", wire.Hyphenate("integration_errors"))
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   wire.Format
	}{
		{"", wire.XML},
		{"*/*", wire.XML},
		{"application/xml", wire.XML},
		{"text/xml", wire.XML},
		{"application/json", wire.JSON},
		{"application/vnd.api+json", wire.JSON},
		{"application/json;q=0.9, application/xml;q=0.1", wire.JSON},
		{"application/xml;q=0.1, application/json;q=0.9", wire.JSON},
		{"application/xml;q=0.5, application/json", wire.JSON},
		{"application/json;q=0.5, application/xml", wire.XML},
		{"application/json;q=0.5, text/xml;q=0.6", wire.XML},
		{"application/json, */*", wire.JSON},
		{"*/*, application/json", wire.JSON},
		{"application/xml, application/json", wire.XML},
		{"application/json, application/xml", wire.JSON},
		{"application/json;q=0", wire.XML},
		{"application/json;q=0, */*", wire.XML},
		{"text/html", wire.XML},
		{"application/*;q=0.2, application/json;q=0.3", wire.JSON},
		{"garbage;;, application/json", wire.JSON},
	} {
		assert.Equal(t, tc.want, wire.Negotiate(tc.accept), "Negotiate(%q)", tc.accept)
	}
	assert.Equal(t, "application/json", wire.JSON.String())
	assert.Equal(t, "application/xml", wire.XML.String())
}

func TestAccepts(t *testing.T) {
	for _, tc := range []struct {
		accept, mt string
		want       bool
	}{
		{"", "application/xml", true},
		{"*/*", "application/xml", true},
		{"application/json", "application/xml", false},
		{"application/json, text/xml", "text/xml", true},
		{"application/xml;q=0", "application/xml", false},
		{"application/*;q=0.1", "application/xml", true},
		{"*/*;q=0.5, application/xml;q=0", "application/xml", false},
	} {
		assert.Equal(t, tc.want, wire.Accepts(tc.accept, tc.mt), "Accepts(%q, %q)", tc.accept, tc.mt)
	}
}

func TestAcceptsXML(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   bool
	}{
		{"", true},
		{"   ", true},
		{"*/*", true},
		{"application/xml", true},
		{"text/xml", true},
		{"text/*", true},
		{"application/xml;q=0.1, application/json", true},
		{"application/json, application/xml", true},
		{"application/json", false},
		{"application/vnd.api+json", false},
		{"text/html", false},
		{"application/xml;q=0, text/xml;q=0", false},
		{"*/*;q=0", false},
	} {
		assert.Equal(t, tc.want, wire.AcceptsXML(tc.accept), "AcceptsXML(%q)", tc.accept)
	}
}

func TestIsXML(t *testing.T) {
	for _, tc := range []struct {
		contentType string
		want        bool
	}{
		{"application/xml", true},
		{"application/xml; charset=utf-8", true},
		{"text/xml;charset=UTF-8", true},
		{"APPLICATION/XML", true},
		{"application/json", false},
		{"application/atom+xml", false},
		{"", false},
		{"garbage;;", false},
	} {
		assert.Equal(t, tc.want, wire.IsXML(tc.contentType), "IsXML(%q)", tc.contentType)
	}
}

func TestErrors(t *testing.T) {
	assert.Equal(t, `{"errors":{"integration-error":["a","b"]}}`+"\n", string(wire.Errors("integration-error", "b", "a")))
	assert.Equal(t, `{"errors":{"request":[]}}`+"\n", string(wire.Errors("request")))

	rec := httptest.NewRecorder()
	wire.WriteErrors(rec, 404, "event", "no event has id 1")
	assert.Equal(t, 404, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	got, err := wire.ParseErrors(rec.Body.Bytes())
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"event": {"no event has id 1"}}, got)

	for _, bad := range []string{``, `[]`, `{"error":"x"}`, `{"errors":{"x":"y"}}`} {
		_, err := wire.ParseErrors([]byte(bad))
		assert.ErrorIs(t, err, wire.ErrNotErrorBody, "body %q", bad)
	}
	assert.Equal(t, "No results match your search criteria.", wire.NoResults)
}

func TestSeedEpoch(t *testing.T) {
	assert.Equal(t, "2026-11-01T08:00:00Z", wire.SeedEpoch.Format("2006-01-02T15:04:05Z07:00"))
}

func TestDescribe(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(`
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Rec:
      type: object
      additionalProperties: false
      required: [kind]
      properties:
        kind: {type: string, enum: [Technical, Functional]}
        n: {type: integer}
        name: {type: string, maxLength: 3}
        items: {type: array, items: {type: object, properties: {code: {type: string}}}}
`))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	schema := doc.Components.Schemas["Rec"].Value
	for _, tc := range []struct {
		value any
		want  []string
	}{
		{map[string]any{"kind": "technical"}, []string{`kind: "technical" is not an allowed value; allowed values: Technical, Functional`}},
		{map[string]any{}, []string{"kind: is required"}},
		{map[string]any{"kind": "Technical", "n": "x"}, []string{`n: must be an integer, not "x"`}},
		{map[string]any{"kind": "Technical", "name": "long"}, []string{"name: is longer than 3 characters (4)"}},
		{map[string]any{"kind": "Technical", "other": 1}, []string{"other: is not an element of this resource"}},
		{map[string]any{"kind": "Technical", "items": []any{map[string]any{"code": 1.0}}}, []string{"items[0].code: must be a string, not 1"}},
	} {
		err := schema.VisitJSON(tc.value, openapi3.MultiErrors())
		require.Error(t, err)
		got := wire.DescribeIn(err, "")
		assert.Equal(t, tc.want, got, "value %v", tc.value)
		for _, msg := range got {
			assert.False(t, strings.Contains(msg, "Error at"), "kin-openapi's own wording leaks: %s", msg)
		}
	}
}

func TestSingularize(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"responses", "response", true}, {"ids", "id", true}, {"histories", "history", true},
		{"statuses", "status", true}, {"people", "person", true}, {"series", "", false},
		{"status", "", false}, {"result", "", false}, {"Integration-Errors", "Integration-Error", true},
	} {
		got, ok := wire.Singularize(tc.name)
		assert.Equal(t, tc.want, got, tc.name)
		assert.Equal(t, tc.ok, ok, tc.name)
	}
}
