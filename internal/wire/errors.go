package wire

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
)

// NoResults is Coupa's message when an XML index matches nothing (404 with
// <errors><error>No results match your search criteria.</error></errors>;
// in JSON the same query is 200 []).
const NoResults = "No results match your search criteria."

// ErrorBody is Coupa's JSON error body: every message under the resource
// it is about, {"errors": {"integration-error": ["..."]}}. The resource is
// the singular wire name ("integration-error", "event"), or "request" and
// "authorization" for problems of no one resource.
type ErrorBody struct {
	Errors map[string][]string `json:"errors"`
}

// Errors encodes the body of an error answer about resource, its messages
// sorted, ending with a newline.
func Errors(resource string, msgs ...string) []byte {
	sorted := append([]string(nil), msgs...)
	sort.Strings(sorted)
	if sorted == nil {
		sorted = []string{}
	}
	data, err := json.Marshal(ErrorBody{Errors: map[string][]string{resource: sorted}})
	if err != nil { // strings always encode
		return []byte(`{"errors":{"server":["cannot encode the error"]}}` + "\n")
	}
	return append(data, '\n')
}

// WriteErrors answers with status and Coupa's JSON error body.
func WriteErrors(w http.ResponseWriter, status int, resource string, msgs ...string) {
	body := Errors(resource, msgs...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ErrNotErrorBody reports a body that is not Coupa's JSON error body.
var ErrNotErrorBody = errors.New(`not a Coupa error body {"errors": {"<resource>": ["<message>", ...]}}`)

// ParseErrors reads Coupa's JSON error body: the messages by resource. A
// body without an "errors" object of string lists gives ErrNotErrorBody.
func ParseErrors(body []byte) (map[string][]string, error) {
	var raw struct {
		Errors map[string][]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Errors == nil {
		return nil, ErrNotErrorBody
	}
	return raw.Errors, nil
}
