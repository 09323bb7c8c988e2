package mock

import (
	"net/http"

	"github.com/coupakit/coupakit/internal/verify"
)

// Verify: the types of package verify, named here for Go code outside this
// module (coupakittest's Verify).
type (
	// RequestMatch is what a journaled request must have, as POST
	// /_mock/requests/count and /find take it.
	RequestMatch = verify.Match
	// RecordedRequest is a journaled request as the verify answers show
	// it.
	RecordedRequest = verify.Record
	// NearMiss is a journaled request close to a match, with how it
	// differs.
	NearMiss = verify.NearMiss
)

// records gives the journal's entries, oldest first, as verify reads them.
func (m *Mock) records() []verify.Record { return recordsOf(m.Requests()) }

// recordsOf gives journal entries as verify reads them.
func recordsOf(all []Request) []verify.Record {
	out := make([]verify.Record, len(all))
	for i, e := range all {
		out[i] = verify.Record{
			ID: e.ID, Time: e.Time, API: e.API, Method: e.Method, Path: e.Path,
			Query: e.Query, Header: http.Header(e.Headers), Body: e.Body, Status: e.Status,
		}
	}
	return out
}

// adminRecords gives the journal a verify request asks about; with
// tenants, the one of its ?tenant= (an unknown tenant is answered here, with
// false).
func (m *Mock) adminRecords(w http.ResponseWriter, r *http.Request) ([]verify.Record, bool) {
	td, ok := m.adminLookup(w, r)
	if !ok {
		return nil, false
	}
	return recordsOf(td.journal.all()), true
}

// CountRequests counts the journaled requests that match, as POST
// /_mock/requests/count does; when none does, it also gives the closest
// requests and how each differs. A bad match is an error listing its
// problems.
func (m *Mock) CountRequests(match RequestMatch) (int, []NearMiss, error) {
	c, err := verify.Compile(match)
	if err != nil {
		return 0, nil, err
	}
	all := m.records()
	n := c.Count(all)
	if n > 0 {
		return n, nil, nil
	}
	return 0, c.NearMisses(all, verify.NearMissCount), nil
}

// FindRequests returns the journaled requests that match, oldest first, as
// POST /_mock/requests/find does.
func (m *Mock) FindRequests(match RequestMatch) ([]RecordedRequest, error) {
	c, err := verify.Compile(match)
	if err != nil {
		return nil, err
	}
	return c.Find(m.records()), nil
}
