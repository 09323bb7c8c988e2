package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/internal/wire"
)

// ReportFormats are the formats WriteReport writes, the first the default
// (conformance.ReportFormats' names).
var ReportFormats = conformance.ReportFormatNames()

// WriteReport writes the proxy's report in format (one of ReportFormats).
func (p *Proxy) WriteReport(w io.Writer, format string) error {
	rep := p.Report()
	if err := rep.Write(w, format); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	return nil
}

// ViolationList is the answer of GET /_proxy/violations.
type ViolationList struct {
	// Count is how many violations were found (kept or not).
	Count int `json:"count"`
	// Violations are those kept, filtered as asked, oldest first.
	Violations []Violation `json:"violations"`
}

// admin adds the proxy's admin routes to mux: they are answered by the
// proxy itself and never forwarded.
func (p *Proxy) admin(mux *http.ServeMux) {
	mux.HandleFunc("GET /_proxy/violations", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, name := range sortedKeys(q) {
			if !slices.Contains([]string{"side", "rule", "api", "operation"}, name) {
				writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q; filter with side, rule, api or operation", name))
				return
			}
		}
		if side := q.Get("side"); side != "" && side != SideRequest && side != SideResponse {
			writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("side %q is neither request nor response", side))
			return
		}
		out := ViolationList{Count: p.Count(), Violations: []Violation{}}
		for _, v := range p.Violations() {
			if (q.Has("side") && v.Side != q.Get("side")) || (q.Has("rule") && v.Rule != q.Get("rule")) ||
				(q.Has("api") && v.API != q.Get("api")) || (q.Has("operation") && v.Operation != q.Get("operation")) {
				continue
			}
			out.Violations = append(out.Violations, v)
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("DELETE /_proxy/violations", func(w http.ResponseWriter, r *http.Request) {
		p.Flush()
		p.store.clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_proxy/report", func(w http.ResponseWriter, r *http.Request) {
		format, err := conformance.LookupReportFormat(r.URL.Query().Get("format"))
		if err != nil {
			writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("format %q is not one of %s", r.URL.Query().Get("format"), strings.Join(ReportFormats, ", ")))
			return
		}
		ct := format.ContentType
		var buf bytes.Buffer
		if err := p.WriteReport(&buf, format.Name); err != nil {
			writeAdminError(w, http.StatusInternalServerError, "cannot write the report: "+err.Error())
			return
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("/_proxy/", func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(w, http.StatusNotFound, fmt.Sprintf("no admin operation matches %s %s", r.Method, r.URL.Path))
	})
}

// writeAdminError answers an admin route's error in Coupa's error shape.
func writeAdminError(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, map[string]any{"errors": map[string][]string{"proxy": msgs}})
}

// writeCoupaError answers in place of the upstream, in the API's error
// format: Core JSON {"errors": {"<resource>": [...]}}, or Core XML
// <errors><error>...</error></errors> when the client lets the server
// answer XML; the Sourcing API in the Core API's JSON shape, as its spec
// says.
func writeCoupaError(w http.ResponseWriter, r *http.Request, s *spec, status int, msgs ...string) {
	if s.api == "core" && wire.Negotiate(r.Header.Get("Accept")) == wire.XML {
		sorted := slices.Sorted(slices.Values(msgs))
		var buf bytes.Buffer
		if err := coupaxml.EncodeErrors(&buf, sorted); err == nil {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write(buf.Bytes())
			return
		}
	}
	key := "event"
	if s.api == "core" {
		_, key = xmlRoots(r.URL.Path)
		if key == "" {
			key = "request"
		}
	}
	wire.WriteErrors(w, status, key, msgs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"errors":{"proxy":["cannot encode the answer"]}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
