package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/coupakit/coupakit/internal/adminjson"
	"github.com/coupakit/coupakit/internal/wire"
)

// The state format (fixtures of serve --data, GET and PUT /_mock/state,
// the state file): a JSON or YAML object whose keys are the resources'
// plural path names, each a list of records as the API's JSON answers show
// them (hyphenated element names, ids included, event ids as strings), and
// sftp_files; "version": 1 is written and accepted. Unknown keys are an
// error naming the key.
const (
	stateVersion   = 1
	stateSFTPFiles = "sftp_files"
)

// SFTPFile is one file of a state's SFTP tree.
type SFTPFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// stateDoc is a state document, parsed and checked against the specs: each
// collection's records by registry index, as checked JSON, decoded afresh
// into every state it is loaded into.
type stateDoc struct {
	tables map[int][]json.RawMessage
	sftp   []SFTPFile
}

// stateTable is what the state format needs of a table; every *table[T]
// has it.
type stateTable interface {
	exportJSON() ([]json.RawMessage, error)
	// decode decodes records, refusing elements T does not have.
	decode(raws []json.RawMessage) (any, error)
	// put stores decoded records: in place of every record (replace), or
	// in place of those with the same ids and beside the others (merge).
	put(rows any, merge bool)
}

func (t *table[T]) exportJSON() ([]json.RawMessage, error) {
	rows, _ := t.list(nil, 0, math.MaxInt, false)
	out := make([]json.RawMessage, len(rows))
	for i := range rows {
		b, err := json.Marshal(&rows[i])
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (t *table[T]) decode(raws []json.RawMessage) (any, error) {
	rows := make([]T, len(raws))
	for i, raw := range raws {
		if err := adminjson.Strict(raw, &rows[i]); err != nil {
			return nil, fmt.Errorf("[%d]: %v", i, err)
		}
	}
	return rows, nil
}

func (t *table[T]) put(rows any, merge bool) {
	rs := slices.Clone(rows.([]T))
	if merge {
		byID := make(map[int64]bool, len(rs))
		for i := range rs {
			byID[t.idOf(&rs[i])] = true
		}
		old, _ := t.list(func(r *T) bool { return !byID[t.idOf(r)] }, 0, math.MaxInt, false)
		rs = append(old, rs...)
	}
	t.load(rs)
}

// readStateFile reads and checks a state file (serve --data).
func readStateFile(path string, docs map[string]*openapi3.T) (*stateDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mock: fixtures: %w", err)
	}
	doc, err := parseState(data, isYAML(path), docs)
	if err != nil {
		return nil, fmt.Errorf("mock: fixtures %s: %w", path, err)
	}
	return doc, nil
}

func isYAML(path string) bool {
	return strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
}

// parseState parses a state document and checks every record against its
// schema in the specs; its errors name the key, the record (its index and
// id) and the element.
func parseState(data []byte, asYAML bool, docs map[string]*openapi3.T) (*stateDoc, error) {
	if asYAML {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("not valid YAML: %v", err)
		}
		var err error
		if data, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("YAML that has no JSON form: %v", err)
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("not a JSON object of collections: %v", err)
	}
	doc := &stateDoc{tables: map[int][]json.RawMessage{}}
	keys := []string{"version"}
	for _, d := range bySeedOrder(registry) {
		keys = append(keys, d.name)
	}
	keys = append(keys, stateSFTPFiles)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range top {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range names {
		raw := top[key]
		switch key {
		case "version":
			var v int
			if err := json.Unmarshal(raw, &v); err != nil || v != stateVersion {
				return nil, fmt.Errorf("version: %s is not a version this mock reads (%d)", raw, stateVersion)
			}
			continue
		case stateSFTPFiles:
			if err := adminjson.Strict(raw, &doc.sftp); err != nil {
				return nil, fmt.Errorf("%s: %v", key, err)
			}
			for i, f := range doc.sftp {
				if !sftpFolder(path.Dir(f.Path)) || path.Clean(f.Path) != f.Path {
					return nil, fmt.Errorf("%s[%d]: path: %q is not a file in a standard SFTP folder (/Outgoing/<Object>/, /Incoming/<Object>/, /Archive/Incoming/<Object>/)", key, i, f.Path)
				}
			}
			continue
		}
		d := resourceByName(key)
		if d == nil {
			return nil, fmt.Errorf("unknown key %q; the keys are %s", key, strings.Join(keys, ", "))
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%s: not a list of records", key)
		}
		if err := checkRecords(d, items, docs[d.api]); err != nil {
			return nil, fmt.Errorf("%s%v", key, err)
		}
		doc.tables[d.index] = items
	}
	return doc, nil
}

// checkRecords checks each record against the resource's schema, its id
// (there, and unique) and its Go form.
func checkRecords(d *resourceDef, items []json.RawMessage, spec *openapi3.T) error {
	ref := spec.Components.Schemas[d.schema]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf(": the spec has no schema %s", d.schema)
	}
	seen := map[string]int{}
	for i, raw := range items {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("[%d]: %v", i, err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("[%d]: a record is a JSON object", i)
		}
		id, ok := obj["id"]
		if !ok || id == nil {
			return fmt.Errorf("[%d]: id: missing; every record needs its id", i)
		}
		idText := fmt.Sprint(id)
		if _, isNum := id.(float64); isNum {
			idText = string(bytes.TrimSpace(idJSON(raw)))
		}
		where := fmt.Sprintf("[%d] (id %s)", i, idText)
		if j, dup := seen[idText]; dup {
			return fmt.Errorf("%s: id: the same id as record [%d]", where, j)
		}
		seen[idText] = i
		// As a request: the elements the server sets (readOnly) may be left
		// out, and load fills them in.
		if err := ref.Value.VisitJSON(v, openapi3.VisitAsRequest(), openapi3.DisableReadOnlyValidation()); err != nil {
			return fmt.Errorf("%s: %s", where, strings.Join(wire.DescribeIn(err, "record"), "; "))
		}
	}
	_, err := d.newTable().(stateTable).decode(items)
	return err
}

// idJSON returns the id element of a record as written.
func idJSON(raw json.RawMessage) json.RawMessage {
	var r struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(raw, &r)
	return r.ID
}

// resourceByName finds a resource by its plural path name.
func resourceByName(name string) *resourceDef {
	for _, d := range registry {
		if d.name == name {
			return d
		}
	}
	return nil
}

// completer fills in what the server sets and a loaded record left out
// (created-at, updated-by, an event's event-number, ...); a resource's
// runtime may have it.
type completer interface {
	complete(st *state, rows any)
}

// load puts a checked document's records into the state, in place of every
// record of the collections it holds (merge false: the collections it
// leaves out become empty) or beside them (merge true, for fixtures).
func (m *Mock) load(s *state, doc *stateDoc, merge bool) error {
	for _, raws := range doc.tables {
		for _, raw := range raws {
			s.noteCounters(raw)
		}
	}
	for _, d := range registry {
		raws, ok := doc.tables[d.index]
		if !ok && merge {
			continue
		}
		tab := s.tables[d.index].(stateTable)
		rows, err := tab.decode(raws)
		if err != nil {
			return fmt.Errorf("%s%v", d.name, err)
		}
		if c, ok := m.runtimes[d.index].(completer); ok {
			c.complete(s, rows)
		}
		tab.put(rows, merge)
	}
	if doc.sftp != nil || !merge {
		s.sftp = slices.Clone(doc.sftp)
		s.sftpReplace = !merge
	}
	return nil
}

// noteCounters moves the response and event-number counters past the
// numbers a loaded record holds, so that new ones do not repeat them.
func (s *state) noteCounters(raw json.RawMessage) {
	var r struct {
		EventNumber *int64 `json:"event-number"`
		Responses   []struct {
			ID *int64 `json:"id"`
		} `json:"responses"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return
	}
	if r.EventNumber != nil && *r.EventNumber > s.eventNumber.Load() {
		s.eventNumber.Store(*r.EventNumber)
	}
	for _, resp := range r.Responses {
		if resp.ID != nil && *resp.ID > s.responseSeq.Load() {
			s.responseSeq.Store(*resp.ID)
		}
	}
}

// export writes the state in the state format: version, the collections
// in seeding order, the SFTP files (files, or the state's own when nil);
// indented, the same bytes for the same state.
func (s *state) export(files []SFTPFile) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"version":%d`, stateVersion)
	for _, d := range bySeedOrder(registry) {
		rows, err := s.tables[d.index].(stateTable).exportJSON()
		if err != nil {
			return nil, fmt.Errorf("mock: export %s: %w", d.name, err)
		}
		fmt.Fprintf(&b, `,%q:[`, d.name)
		for i, r := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(r)
		}
		b.WriteByte(']')
	}
	if files == nil {
		files = s.sftp
	}
	if files == nil {
		files = []SFTPFile{}
	}
	sf, err := json.Marshal(files)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, `,%q:%s}`, stateSFTPFiles, sf)
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// ExportState returns a tenant's state ("" for the default tenant) in the
// state format; ok is false for a tenant never used.
func (m *Mock) ExportState(tenantName string) (data []byte, ok bool, err error) {
	td, ok := m.lookupTenant(tenantName)
	if !ok {
		return nil, false, nil
	}
	data, err = m.exportOf(td)
	return data, true, err
}

// ImportState replaces a tenant's state ("" for the default tenant, made
// on first use otherwise) with a state document, JSON or YAML; merge puts
// its records on top of the tenant's fresh state instead, as fixtures
// (alone when Options.Records is 0).
// An invalid document changes nothing.
func (m *Mock) ImportState(tenantName string, data []byte, merge bool) error {
	td, err := m.getTenant(tenantName)
	if err != nil {
		return err
	}
	return m.importInto(td, data, merge)
}

func (m *Mock) importInto(td *tenantData, data []byte, merge bool) error {
	asYAML := len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] != '{'
	doc, err := parseState(data, asYAML, m.docs)
	if err != nil {
		return err
	}
	var st *state
	if merge {
		st, err = m.freshState()
	} else {
		st = newState(m.opts.Seed, 0)
	}
	if err != nil {
		return err
	}
	// Fixtures with no records asked for stand alone, as with DataFile.
	if err := m.load(st, doc, merge && m.opts.Records > 0); err != nil {
		return err
	}
	td.state.Store(st)
	if f := m.sftpFiler(); f != nil && (doc.sftp != nil || !merge) {
		if err := f.SetFiles(td.name, toSFTP(doc.sftp), !merge); err != nil {
			return err
		}
	}
	if td == m.def {
		m.changed()
	}
	return nil
}

func (m *Mock) getState(w http.ResponseWriter, r *http.Request) {
	td, ok := m.adminLookup(w, r)
	if !ok {
		return
	}
	data, err := m.exportOf(td)
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, "state", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

func (m *Mock) putState(w http.ResponseWriter, r *http.Request) {
	name, err := adminTenant(r)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "tenant", err.Error())
		return
	}
	td, err := m.getTenant(name)
	if err != nil {
		m.refuseTenant(w, err)
		return
	}
	data, err := readAll(w, r, maxStateBody)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "state", err.Error())
		return
	}
	if err := m.importInto(td, data, false); err != nil {
		writeErrors(w, http.StatusBadRequest, "state", err.Error())
		return
	}
	m.getState(w, r)
}
