package proxy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/internal/wire"
)

// FixtureResources are the resources of the shared fixtures format, in the
// order the file lists them.
var FixtureResources = []string{"integrations", "integration_runs", "integration_errors", "integration_history_records", "events"}

// recorder keeps the newest version of every record seen in an answer.
type recorder struct {
	mu      sync.Mutex
	records map[string]map[string]json.RawMessage // resource, id
}

func newRecorder() *recorder {
	return &recorder{records: map[string]map[string]json.RawMessage{}}
}

// secretName matches the names of elements that may hold credentials: they
// are never recorded.
var secretName = regexp.MustCompile(`(?i)(secret|token|password|api[-_]?key)`)

// note keeps the records of an answer that kept the contract: the whole
// records a JSON or XML answer holds (not the partial ones of return_object
// or fields), and forgets the events a delete removed.
func (rc *recorder) note(s *spec, rt *route, req *http.Request, reqBody []byte, a answer) {
	mt := mediaType(a.header.Get("Content-Type"))
	isXML := wire.IsXML(a.header.Get("Content-Type"))
	if a.status < 200 || a.status >= 300 || (mt != "application/json" && !isXML) {
		return
	}
	q := req.URL.Query()
	if q.Has("return_object") || q.Has("fields") {
		return
	}
	resource := resourceOf(req.URL.Path)
	record := s.records[resource]
	if record == nil {
		return
	}
	op := rt.operation()
	switch op.OperationID {
	case "deleteEvent":
		rc.forget(resource, rt.params["id"])
		return
	case "deleteEvents":
		for _, id := range deletedEvents(reqBody, a.body) {
			rc.forget(resource, id)
		}
		return
	}
	schema := successSchema(op)
	if schema == nil {
		return
	}
	if isXML {
		for _, item := range xmlRecords(a.body, req.URL.Path, record) {
			rc.keep(resource, item)
		}
		return
	}
	var items []json.RawMessage
	switch {
	case schema == record:
		items = []json.RawMessage{a.body}
	case schema.Items != nil && schema.Items.Value == record:
		if json.Unmarshal(a.body, &items) != nil {
			return
		}
	case schema.Properties[resource] != nil && schema.Properties[resource].Value.Items != nil && schema.Properties[resource].Value.Items.Value == record:
		var page map[string]json.RawMessage
		if json.Unmarshal(a.body, &page) != nil || json.Unmarshal(page[resource], &items) != nil {
			return
		}
	default:
		return
	}
	for _, item := range items {
		rc.keep(resource, item)
	}
}

// keep stores one record by its id, without the elements that may hold
// credentials.
func (rc *recorder) keep(resource string, raw json.RawMessage) {
	var head struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil || len(head.ID) == 0 {
		return
	}
	id := strings.Trim(string(head.ID), `"`)
	if secretName.Match(raw) {
		raw = scrub(raw)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.records[resource] == nil {
		rc.records[resource] = map[string]json.RawMessage{}
	}
	rc.records[resource][id] = compact.Bytes()
}

func (rc *recorder) forget(resource, id string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.records[resource], id)
}

// scrub removes, at any depth, the elements whose names say they hold
// credentials.
func scrub(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if secretName.MatchString(k) {
					delete(x, k)
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// WriteFixtures writes the records seen in the answers so far in the
// fixtures format that `coupakit serve --data` loads: {"version": 1,
// "<resource>": [records ordered by id], ...}, each record as the API's
// JSON answer shows it (a record seen in XML is turned into that JSON). It
// fails when the proxy does not record.
func (p *Proxy) WriteFixtures(w io.Writer) error {
	if p.recorder == nil {
		return fmt.Errorf("proxy: not recording (Options.Record is off)")
	}
	p.Flush()
	rc := p.recorder
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var b bytes.Buffer
	b.WriteString("{\n  \"version\": 1")
	for _, res := range FixtureResources {
		b.WriteString(",\n  \"" + res + "\": [")
		ids := sortedKeys(rc.records[res])
		slices.SortFunc(ids, compareIDs)
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			b.Write(rc.records[res][id])
		}
		if len(ids) > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString("]")
	}
	b.WriteString("\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// compareIDs orders ids as numbers (19-digit event ids included).
func compareIDs(a, b string) int {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if okA && okB {
		return x.Cmp(y)
	}
	return cmp.Compare(a, b)
}

// WriteFixturesFile writes the fixtures to path atomically: a temporary
// file beside it, synced, then renamed.
func (p *Proxy) WriteFixturesFile(path string) error {
	return writeFileAtomic(path, p.WriteFixtures)
}

// WriteReportFile writes the report to path atomically, in format.
func (p *Proxy) WriteReportFile(path, format string) error {
	return writeFileAtomic(path, func(w io.Writer) error { return p.WriteReport(w, format) })
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// xmlRecords turns a Core API XML answer, one record or a list of them,
// into the records' JSON, as the JSON answer would show them (Rails writes
// nil="true" where JSON leaves the element out; so does the decoder).
func xmlRecords(body []byte, path string, schema *openapi3.Schema) []json.RawMessage {
	plural, singular := xmlRoots(path)
	root, _, _, err := xmlRoot(body)
	if err != nil {
		return nil
	}
	var parts [][]byte
	switch root {
	case singular:
		parts = [][]byte{body}
	case plural:
		parts = xmlChildren(body)
	}
	var out []json.RawMessage
	for _, part := range parts {
		_, value, err := coupaxml.Decode(bytes.NewReader(part), []string{singular}, schema)
		if err != nil {
			continue
		}
		data, err := json.Marshal(value)
		if err != nil {
			continue
		}
		out = append(out, data)
	}
	return out
}

// xmlChildren returns the bytes of each child element of a document's root.
func xmlChildren(body []byte) [][]byte {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var out [][]byte
	depth := 0
	var start int64
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				start = before
			}
		case xml.EndElement:
			if depth == 2 {
				out = append(out, body[start:dec.InputOffset()])
			}
			depth--
		}
	}
}

// deletedEvents returns the ids a lenient bulk delete removed: those the
// request named, but the items its answer reports as failed.
func deletedEvents(reqBody, answer []byte) []string {
	var req struct {
		Events []struct {
			ID json.RawMessage `json:"id"`
		} `json:"events"`
	}
	var resp struct {
		Result []struct {
			Type  string `json:"type"`
			Index *int   `json:"index"`
		} `json:"result"`
	}
	if json.Unmarshal(reqBody, &req) != nil || json.Unmarshal(answer, &resp) != nil {
		return nil
	}
	failed := map[int]bool{}
	for _, r := range resp.Result {
		if r.Index != nil && strings.HasSuffix(r.Type, ".failed") {
			failed[*r.Index] = true
		}
	}
	var out []string
	for i, ev := range req.Events {
		if !failed[i] && len(ev.ID) > 0 {
			out = append(out, strings.Trim(string(ev.ID), `"`))
		}
	}
	return out
}
