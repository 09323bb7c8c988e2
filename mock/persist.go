package mock

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/internal/persist"
)

// maxStateBody bounds the body of PUT /_mock/state, larger than other admin
// bodies: a state holds every record.
const maxStateBody = 64 << 20

// openStateFile loads Options.StateFile into the default tenant when it
// exists and starts the saver that keeps it. A file that exists but cannot
// be read or parsed is an error: never a silent re-seed over it.
func (m *Mock) openStateFile(docs map[string]*openapi3.T) error {
	path := m.opts.StateFile
	if path == "" {
		return nil
	}
	data, ok, err := persist.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	if ok {
		doc, err := parseState(data, isYAML(path), docs)
		if err != nil {
			return fmt.Errorf("mock: state file %s: %w (move it away to start afresh)", path, err)
		}
		st := newState(m.opts.Seed, 0)
		if err := m.load(st, doc, false); err != nil {
			return fmt.Errorf("mock: state file %s: %w", path, err)
		}
		m.def.state.Store(st)
	}
	m.saver = persist.NewSaver(path, persist.DefaultDelay, func() ([]byte, error) {
		return m.exportOf(m.def)
	}, m.opts.OnSaveError)
	if !ok {
		m.saver.Changed() // the first start writes the file
	}
	return nil
}

// changed notes a change of the default tenant's state, for the state
// file.
func (m *Mock) changed() {
	if m.saver != nil {
		m.saver.Changed()
	}
}

// changes notes, after the handler, every request to the default tenant
// that may have changed its state (any method but GET and HEAD).
func (m *Mock) changes(a *api) layer {
	return func(next http.Handler) http.Handler {
		if m.opts.StateFile == "" {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.Method != http.MethodGet && r.Method != http.MethodHead && m.tenantOf(r.Context()) == m.def {
				m.changed()
			}
		})
	}
}

// Close writes the last changes to Options.StateFile and stops its saver;
// without a state file it does nothing. Call it after the servers have
// stopped.
func (m *Mock) Close() error {
	if m.saver == nil {
		return nil
	}
	return m.saver.Close()
}

// readAll reads a request body of at most limit bytes.
func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fmt.Errorf("the body is larger than %d bytes", limit)
	}
	return data, err
}
