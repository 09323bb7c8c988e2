package conformance

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// CoreAPI is an authenticated connection to a target's Core API for check
// families defined outside this package, which add their results to a
// [Report] (package conformance/sftpcheck looks up, through it, what became
// of the files it uploads). It sends the target's credentials as a run does,
// fetching and renewing the OAuth token from the client credentials.
type CoreAPI struct{ s *suite }

// ConnectCore prepares target's Core API as [Check] does (it checks that the
// API answers and, with client credentials, fetches the token) without
// running any check. Target.BaseURL is required; CSOBaseURL is ignored.
// Every request of the connection uses ctx. A CoreAPI is not safe for
// concurrent use.
func ConnectCore(ctx context.Context, target Target, opts ...Option) (*CoreAPI, error) {
	if target.BaseURL == "" {
		return nil, errors.New("conformance: ConnectCore needs the Core API's BaseURL")
	}
	target.CSOBaseURL = ""
	s, err := newSuite(ctx, target, opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return &CoreAPI{s: s}, nil
}

// CoreResponse is the Core API's answer to one [CoreAPI.Get].
type CoreResponse struct {
	// Status and Body are the answer's.
	Status int
	Body   []byte
	// Request is the request as a curl command, credentials redacted.
	Request string
	// Problems lists the ways the answer breaks the spec.
	Problems []string
}

// Get sends GET path?query (path below the base URL, such as
// "/api/integration_errors") with Accept: application/json and the
// target's credentials, and validates the answer against the spec. The
// error is for a request that could not be sent or answered.
func (a *CoreAPI) Get(path string, query url.Values) (CoreResponse, error) {
	ex, err := a.s.send(a.s.core, request{method: http.MethodGet, path: path, query: query})
	if ex == nil {
		return CoreResponse{}, err
	}
	return CoreResponse{Status: ex.status, Body: ex.body, Request: ex.curl, Problems: append(ex.problems, ex.lenient...)}, err
}
