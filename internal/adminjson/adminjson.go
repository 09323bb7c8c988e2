// Package adminjson reads and writes the JSON of the mock's admin routes
// (/_mock/...), in the one error shape openapi/admin.yaml documents:
// {"errors": {"<subject>": ["<message>", ...]}}.
package adminjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBody bounds the body of an admin request.
const MaxBody = 1 << 20

// Write answers v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"errors":{"server":["cannot encode the answer"]}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// Error answers an admin error about subject (fault, settings, match, ...).
func Error(w http.ResponseWriter, status int, subject string, msgs ...string) {
	Write(w, status, map[string]any{"errors": map[string][]string{subject: msgs}})
}

// Decode reads r's JSON body into v: at most MaxBody bytes, one JSON value,
// no element v does not know. Its errors read well in an admin error.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("the body is larger than %d bytes", MaxBody)
		}
		return fmt.Errorf("cannot read the body: %v", err)
	}
	return Strict(data, v)
}

// Strict decodes one JSON value from data into v, refusing elements v does
// not know and anything after the value.
func Strict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("the body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("the body is not valid JSON: it ends too early")
		case errors.As(err, &syn):
			return fmt.Errorf("the body is not valid JSON at byte %d: %v", syn.Offset, err)
		case errors.As(err, &typ) && typ.Field != "":
			return fmt.Errorf("%s: want %s, got a JSON %s", typ.Field, typ.Type, typ.Value)
		case errors.As(err, &typ):
			return fmt.Errorf("want %s, got a JSON %s", typ.Type, typ.Value)
		}
		return errors.New(trimJSON(err.Error()))
	}
	if dec.More() {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

func trimJSON(s string) string {
	const p = "json: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
