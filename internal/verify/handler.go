package verify

import (
	"errors"
	"net/http"

	"github.com/coupakit/coupakit/internal/adminjson"
)

// NearMissCount is how many near misses an answer lists at most.
const NearMissCount = 3

// CountAnswer is the answer of POST /_mock/requests/count.
type CountAnswer struct {
	Count int `json:"count"`
	// NearMisses is there only when Count is 0.
	NearMisses []NearMiss `json:"near_misses,omitempty"`
}

// FindAnswer is the answer of POST /_mock/requests/find.
type FindAnswer struct {
	Requests []Record `json:"requests"`
	// NearMisses is there only when Requests is empty.
	NearMisses []NearMiss `json:"near_misses,omitempty"`
}

// Register mounts POST /_mock/requests/count and POST /_mock/requests/find
// on mux, as openapi/admin.yaml describes them, over the records that
// records returns (a journal's entries, oldest first). A bad match is an
// admin error about "match".
func Register(mux *http.ServeMux, records func() []Record) {
	RegisterFunc(mux, func(http.ResponseWriter, *http.Request) ([]Record, bool) { return records(), true })
}

// RegisterFunc mounts the same routes over the records that records gives
// for each request (a tenant's journal, for example); when it reports false
// it has answered the request itself.
func RegisterFunc(mux *http.ServeMux, records func(http.ResponseWriter, *http.Request) ([]Record, bool)) {
	mux.HandleFunc("POST /_mock/requests/count", func(w http.ResponseWriter, r *http.Request) {
		c, ok := compileBody(w, r)
		if !ok {
			return
		}
		all, ok := records(w, r)
		if !ok {
			return
		}
		a := CountAnswer{Count: c.Count(all)}
		if a.Count == 0 {
			a.NearMisses = c.NearMisses(all, NearMissCount)
		}
		adminjson.Write(w, http.StatusOK, a)
	})
	mux.HandleFunc("POST /_mock/requests/find", func(w http.ResponseWriter, r *http.Request) {
		c, ok := compileBody(w, r)
		if !ok {
			return
		}
		all, ok := records(w, r)
		if !ok {
			return
		}
		a := FindAnswer{Requests: c.Find(all)}
		if len(a.Requests) == 0 {
			a.NearMisses = c.NearMisses(all, NearMissCount)
		}
		adminjson.Write(w, http.StatusOK, a)
	})
}

func compileBody(w http.ResponseWriter, r *http.Request) (*Matcher, bool) {
	var m Match
	if err := adminjson.Decode(w, r, &m); err != nil {
		adminjson.Error(w, http.StatusBadRequest, "match", err.Error())
		return nil, false
	}
	c, err := Compile(m)
	if err != nil {
		var ve *Error
		if errors.As(err, &ve) {
			adminjson.Error(w, http.StatusBadRequest, "match", ve.Problems...)
		} else {
			adminjson.Error(w, http.StatusBadRequest, "match", err.Error())
		}
		return nil, false
	}
	return c, true
}
