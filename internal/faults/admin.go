package faults

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/coupakit/coupakit/internal/adminjson"
)

// Register mounts the admin routes of the engine on mux, as
// openapi/admin.yaml describes them:
//
//	POST   /_mock/faults       add a rule: 201 with the rule and its id
//	GET    /_mock/faults       the rules with their counts
//	DELETE /_mock/faults       remove every rule: 204
//	DELETE /_mock/faults/{id}  remove one: 204, or 404
//	GET    /_mock/settings     the global latency
//	PUT    /_mock/settings     set it: 200 with the settings
//
// Errors are admin errors about "fault" or "settings".
func (e *Engine) Register(mux *http.ServeMux) {
	RegisterFunc(mux, func(http.ResponseWriter, *http.Request) (*Engine, bool) { return e, true })
}

// RegisterFunc mounts the same routes over the engine that pick chooses
// for each request (a tenant's, for example); when pick reports false it
// has answered the request itself.
func RegisterFunc(mux *http.ServeMux, pick func(http.ResponseWriter, *http.Request) (*Engine, bool)) {
	with := func(h func(*Engine, http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if e, ok := pick(w, r); ok {
				h(e, w, r)
			}
		}
	}
	mux.HandleFunc("POST /_mock/faults", with(func(e *Engine, w http.ResponseWriter, r *http.Request) {
		var rule Rule
		if err := adminjson.Decode(w, r, &rule); err != nil {
			adminjson.Error(w, http.StatusBadRequest, "fault", err.Error())
			return
		}
		v, err := e.Add(rule)
		if err != nil {
			adminjson.Error(w, http.StatusBadRequest, "fault", problems(err)...)
			return
		}
		adminjson.Write(w, http.StatusCreated, v)
	}))
	mux.HandleFunc("GET /_mock/faults", with(func(e *Engine, w http.ResponseWriter, r *http.Request) {
		adminjson.Write(w, http.StatusOK, e.Rules())
	}))
	mux.HandleFunc("DELETE /_mock/faults", with(func(e *Engine, w http.ResponseWriter, r *http.Request) {
		e.Clear()
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("DELETE /_mock/faults/{id}", with(func(e *Engine, w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id < 1 {
			adminjson.Error(w, http.StatusNotFound, "fault", "no fault rule has id "+strconv.Quote(r.PathValue("id")))
			return
		}
		if err := e.Delete(id); err != nil {
			adminjson.Error(w, http.StatusNotFound, "fault", "no fault rule has id "+strconv.FormatInt(id, 10))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("GET /_mock/settings", with(func(e *Engine, w http.ResponseWriter, r *http.Request) {
		adminjson.Write(w, http.StatusOK, e.Settings())
	}))
	mux.HandleFunc("PUT /_mock/settings", with(func(e *Engine, w http.ResponseWriter, r *http.Request) {
		var s Settings
		if err := adminjson.Decode(w, r, &s); err != nil {
			adminjson.Error(w, http.StatusBadRequest, "settings", err.Error())
			return
		}
		if err := e.SetSettings(s); err != nil {
			adminjson.Error(w, http.StatusBadRequest, "settings", problems(err)...)
			return
		}
		adminjson.Write(w, http.StatusOK, e.Settings())
	}))
}

func problems(err error) []string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return []string{err.Error()}
}
