package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// ValidateRequestDecoded is ValidateRequest for a request whose JSON body
// the caller has read already, as data, and maybe decoded, as value: with
// encoding/json and UseNumber, as kin-openapi decodes it; nil when not
// decoded. It answers exactly as ValidateRequest does, and leaves r as it
// would, but spares kin-openapi's reading and decoding of the body when the
// body matches its schema: it checks data with the schema's request
// checker (RequestChecker), and where that is unsure value (decoded here
// when nil) with kin-openapi's options, then the rest of the request
// without the body. Whatever it cannot answer so (a body that does not
// match, defaults to write into the body, a media type or body other than
// plain JSON) it hands to ValidateRequest, whose answer is then the
// answer, worded by kin-openapi.
//
// value may be changed (the schema's defaults are written into it).
// r.Body must hold data, unread.
func (v *Validator) ValidateRequestDecoded(ctx context.Context, r *http.Request, m *Match, data []byte, value any) error {
	whole := func() error { return v.ValidateRequest(ctx, r, m, RequestOptions{}) }
	route := m.check
	if route == nil {
		route = m.Route
	}
	rb := route.Operation.RequestBody
	if kinRejectsDuplicateNames || rb == nil || rb.Value == nil || len(data) == 0 || r.Body == nil || r.Body == http.NoBody || r.GetBody != nil {
		return whole()
	}
	ct := r.Header.Get("Content-Type")
	content := rb.Value.Content.Get(ct)
	if content == nil || content.Schema == nil || content.Schema.Value == nil || content.Encoding[""] != nil {
		return whole()
	}
	// kin-openapi's decodeBody picks the decoder by this media type.
	mediaType, _, _ := strings.Cut(ct, ";")
	if strings.ToLower(strings.TrimSpace(mediaType)) != "application/json" {
		return whole()
	}
	schema := content.Schema.Value
	if schema.Type.Is("string") && schema.Format == "binary" {
		return whole()
	}
	defaultsSet := false
	opts := []openapi3.SchemaValidationOption{
		openapi3.VisitAsRequest(),
		openapi3.DefaultsSet(func() { defaultsSet = true }),
		openapi3.MultiErrors(),
		openapi3.DisableReadOnlyValidation(),
	}
	// The request checker models OpenAPI 3.0's schemas: a 3.1 spec's
	// bodies are visited.
	var c *Checker
	if route.Spec != nil && route.Spec.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	} else {
		c = v.RequestChecker(schema)
	}
	if c == nil || !c.Check(data, "").Valid {
		if value == nil {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if dec.Decode(&value) != nil {
				return whole()
			}
		}
		if err := schema.VisitJSON(value, opts...); err != nil || defaultsSet {
			return whole()
		}
	}
	// The body as kin-openapi puts it back after reading it.
	r.ContentLength = int64(len(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	_ = r.Body.Close()
	r.Body, _ = r.GetBody()
	return v.ValidateRequest(ctx, r, m, RequestOptions{SkipBody: true})
}
