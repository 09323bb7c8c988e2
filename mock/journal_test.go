package mock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/auth"
)

func TestJournalIsARing(t *testing.T) {
	var j journal
	for i := 0; i < journalSize+5; i++ {
		j.add(journalEntry{Request: Request{Path: "/p"}})
	}
	all := j.all()
	require.Len(t, all, journalSize)
	assert.Equal(t, int64(6), all[0].ID, "the oldest five went")
	assert.Equal(t, int64(journalSize+5), all[len(all)-1].ID)
	for i := 1; i < len(all); i++ {
		require.Equal(t, all[i-1].ID+1, all[i].ID, "oldest first")
	}
	j.clear()
	assert.Empty(t, j.all())
	j.add(journalEntry{})
	assert.Equal(t, int64(journalSize+6), j.all()[0].ID, "ids go on after a clear")
}

// TestJournalHeadersRoundTrip: the list the journal keeps gives back the
// headers' map, every value in order, credentials redacted, and headers
// with no value as nil or empty as they were.
func TestJournalHeadersRoundTrip(t *testing.T) {
	// Written out, not read from credentialHeaders: a wrong set fails.
	secret := map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "X-Coupa-Api-Key": true, "X-Cso-Api-Key": true}
	for _, h := range []http.Header{
		nil,
		{},
		{"Accept": {"application/json"}},
		{"Accept": {"a", "b", "c"}, "X-Trace": {"1"}, "Authorization": {"Bearer x", "Basic y"}, "cookie": {"s=1"}},
		{"X-Null": nil, "X-Empty": {}, "X-Blank": {""}, "X-Coupa-Api-Key": {"k"}, "X-CSO-API-KEY": {"c"}, "Proxy-Authorization": {"p"}},
	} {
		want := map[string][]string(nil)
		if h != nil {
			want = map[string][]string{}
			for k, v := range h {
				switch {
				case v == nil:
					want[k] = nil
				case secret[http.CanonicalHeaderKey(k)]:
					want[k] = make([]string, len(v))
					for i := range v {
						want[k][i] = redacted
					}
				default:
					want[k] = append([]string{}, v...)
				}
			}
		}
		if len(h) == 0 {
			want = nil
		}
		got := headerMap(journalHeaders(h))
		assert.Equal(t, want, got, "%v", h)
		if got != nil {
			assert.Nil(t, got["X-Null"], "a nil header stays nil")
		}
	}
}

// TestJournalRecordsWhatTheClientSent sends requests through the whole
// pipeline: the journal shows the query in the order sent (the validator
// adds defaults after it), headers with credentials redacted, and bodies
// no handler read.
func TestJournalRecordsWhatTheClientSent(t *testing.T) {
	m, err := New(Options{Seed: 1, Records: 3, Auth: &auth.Config{AllowAPIKey: true, APIKeys: []string{"legacy-key"}}})
	require.NoError(t, err)
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/api/integration_errors?resolved=false&limit=5", nil)
	req.Header.Set("X-COUPA-API-KEY", "legacy-key")
	req.Header.Set("Cookie", "session=secret")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Request-Id", "trace-1")
	req.Header.Set("X-CSO-API-KEY", "cso-secret")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	body := `{"contact-alert-type": "Technical"}`
	req, _ = http.NewRequest("POST", srv.URL+"/api/integration_errors", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer not-a-token")
	resp, err = srv.Client().Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)

	all := m.Requests()
	require.Len(t, all, 2)
	assert.Equal(t, "GET", all[0].Method)
	assert.Equal(t, "/api/integration_errors", all[0].Path)
	assert.Equal(t, "POST", all[1].Method)
	assert.Equal(t, "/api/integration_errors", all[1].Path)
	assert.Equal(t, "resolved=false&limit=5", all[0].Query, "the query as sent, not as validated")
	assert.Equal(t, []string{redacted}, all[0].Headers["X-Cso-Api-Key"])
	assert.Equal(t, []string{redacted}, all[0].Headers["X-Coupa-Api-Key"])
	assert.Equal(t, []string{redacted}, all[0].Headers["Cookie"])
	assert.Equal(t, []string{"trace-1"}, all[0].Headers["X-Request-Id"])
	assert.Equal(t, 200, all[0].Status)
	assert.Equal(t, []string{redacted}, all[1].Headers["Authorization"])
	assert.Equal(t, body, all[1].Body, "the body, though authentication refused it unread")
	assert.Equal(t, 401, all[1].Status)
	for _, e := range all {
		for k, v := range e.Headers {
			for _, x := range v {
				assert.NotContains(t, x, "secret", k)
				assert.NotContains(t, x, "legacy-key", k)
				assert.NotContains(t, x, "not-a-token", k)
				assert.NotContains(t, x, "cso-secret", k)
			}
		}
	}
}

func TestJournalPassesTheWholeBodyOn(t *testing.T) {
	long := strings.Repeat("z", journalBodySize+100)
	var got string
	m := &Mock{now: time.Now, def: &tenantData{}}
	h := m.record("core", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/x", strings.NewReader(long)))
	assert.Equal(t, long, got, "the handler reads every byte")
	e := m.Requests()[0]
	assert.True(t, e.Truncated)
	assert.Equal(t, long[:journalBodySize], e.Body)
}

// TestSentBody: the body the journal passes on reads its head and then the
// rest, and gives its head whole (take) only when the journal read all of
// it and nothing has been read since.
func TestSentBody(t *testing.T) {
	whole := &sentBody{head: []byte("abc"), rest: strings.NewReader(""), Closer: io.NopCloser(nil), whole: true}
	got, ok := whole.take()
	assert.True(t, ok)
	assert.Equal(t, "abc", string(got))
	rest, err := io.ReadAll(whole)
	require.NoError(t, err)
	assert.Empty(t, rest, "taken: nothing is left to read")
	_, ok = whole.take()
	assert.False(t, ok, "taken once")

	part := &sentBody{head: []byte("abc"), rest: strings.NewReader("def"), Closer: io.NopCloser(nil)}
	_, ok = part.take()
	assert.False(t, ok, "the journal read only the head")
	all, err := io.ReadAll(part)
	require.NoError(t, err)
	assert.Equal(t, "abcdef", string(all))

	begun := &sentBody{head: []byte("abc"), rest: strings.NewReader(""), Closer: io.NopCloser(nil), whole: true}
	one := make([]byte, 1)
	_, _ = begun.Read(one)
	_, ok = begun.take()
	assert.False(t, ok, "a body begun is not taken")
	left, _ := io.ReadAll(begun)
	assert.Equal(t, "bc", string(left))
}

// TestLargeBodyPassesTheJournal: a body longer than the journal keeps is
// journaled truncated and reaches the handler whole.
func TestLargeBodyPassesTheJournal(t *testing.T) {
	m, err := New(Options{Seed: 1, Records: 3})
	require.NoError(t, err)
	long := strings.Repeat("x", journalBodySize+100)
	body := `{"status":"error","contact-alert-type":"Technical","integration":{"code":"` + m.Integrations()[0].Code + `"},"external-id":"` + long[:200] + `","responses":[{"response-message":"` + long + `"}]}`
	req := httptest.NewRequest("POST", "/api/integration_errors", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	m.CoreHandler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), long, "the handler read the whole body")
	reqs := m.Requests()
	last := reqs[len(reqs)-1]
	assert.True(t, last.Truncated)
	assert.Equal(t, body[:journalBodySize], last.Body)
}
