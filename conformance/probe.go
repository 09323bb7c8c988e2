package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coupakit/coupakit/internal/wire"
)

// start probes each API before any check: with client credentials it
// fetches the run's token, then it sends a harmless list request with the
// run's credentials. A target that does not answer, does not answer as a
// Coupa API or refuses the credentials ends the run with one error.
func (s *suite) start() error {
	if s.tokens != nil {
		if err := s.tokens.renew(); err != nil {
			if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
			return err
		}
	}
	for _, p := range []struct {
		api  *apiClient
		name string
		path string
	}{
		{s.core, "Core API", "/api/integration_errors"},
		{s.cso, "Sourcing API", "/api/events"},
	} {
		if p.api == nil {
			continue
		}
		ex, err := s.send(p.api, request{method: http.MethodGet, path: p.path, query: url.Values{"limit": {"1"}}, valid: true})
		switch {
		case s.ctx.Err() != nil:
			return s.ctx.Err()
		case err != nil && transportError(err):
			return fmt.Errorf("the %s at %s: %w: %w", p.name, p.api.base, ErrUnreachable, err)
		case err != nil:
			return err
		case ex.status == http.StatusUnauthorized || ex.status == http.StatusForbidden:
			return fmt.Errorf("%w: the %s at %s answered %s to GET %s %s", ErrAuth, p.name, p.api.base, oneLine(ex.summary()), p.path, s.credentialHint(p.api))
		case !coupaAnswer(ex):
			return fmt.Errorf("%s is %w: GET %s answered %s", p.api.base, ErrNotCoupa, p.path, oneLine(ex.excerpt(120)))
		}
	}
	return nil
}

// credentialHint says which credentials the run sent to an API, and what
// to give instead.
func (s *suite) credentialHint(api *apiClient) string {
	if api.spec.api == apiSourcing {
		if s.target.CSOAPIKey != "" || s.target.Header.Get(headerCSOKey) != "" {
			return "with the X-CSO-API-KEY given: check --cso-api-key"
		}
		return "without an X-CSO-API-KEY: give the Sourcing API's key with --cso-api-key"
	}
	switch {
	case s.tokens != nil:
		return fmt.Sprintf("with a token of the client %q: check its scopes (--scope)", s.target.ClientID)
	case s.target.Token != "" || s.target.Header.Get(headerAuthorization) != "":
		return "with the token given: check --token, or give client credentials (--client-id, --client-secret)"
	}
	return "without credentials: give client credentials (--client-id, --client-secret) or a token (--token)"
}

// coupaAnswer reports whether the probe's answer is one a Coupa API
// gives to its index: 200 with a JSON body of the index's shape (or, from
// the Core API, XML). A wrong Content-Type is left to the checks.
func coupaAnswer(ex *exchange) bool {
	if ex.status != http.StatusOK {
		return false
	}
	if wire.IsXML(ex.header.Get("Content-Type")) {
		return ex.api.spec.api == apiCore
	}
	if ex.api.spec.api == apiCore {
		_, ok := ex.array()
		return ok
	}
	_, ok := ex.object()
	return ok
}

// oneLine folds whitespace, so that an answer fits in one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sleepCtx waits for d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// pace waits, with Target.Rate, until the next request may go.
func (s *suite) pace() error {
	if s.target.Rate <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / s.target.Rate)
	now := s.now()
	if wait := s.nextSend.Sub(now); wait > 0 {
		if err := s.sleep(s.ctx, wait); err != nil {
			return err
		}
		now = s.nextSend
	}
	s.nextSend = now.Add(interval)
	return nil
}
