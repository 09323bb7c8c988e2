package mock

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// twins are two mocks of the same seed and clock, one with the answer
// cache and one without, that are sent the same requests.
type twins struct {
	cached, plain *Mock
}

func newTwins(t *testing.T) twins {
	t.Helper()
	mk := func(noCache bool) *Mock {
		var mu sync.Mutex
		now := time.Date(2026, 12, 1, 8, 17, 20, 0, time.UTC)
		m, err := New(Options{Seed: 7, Records: 40, Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		}})
		if err != nil {
			t.Fatal(err)
		}
		m.noAnswerCache = noCache
		t.Cleanup(func() { _ = m.Close() })
		return m
	}
	return twins{cached: mk(false), plain: mk(true)}
}

// do sends one request to both twins and fails unless they answer alike.
func (tw twins) do(t *testing.T, api, method, target, body string) (int, string) {
	t.Helper()
	var got [2]*httptest.ResponseRecorder
	for i, m := range []*Mock{tw.cached, tw.plain} {
		h := m.CoreHandler()
		if api == sourcingAPI {
			h = m.SourcingHandler()
		}
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		if strings.Contains(target, "xml") {
			req.Header.Set("Accept", "application/xml")
		}
		got[i] = httptest.NewRecorder()
		h.ServeHTTP(got[i], req)
	}
	c, p := got[0], got[1]
	if c.Code != p.Code || !bytes.Equal(c.Body.Bytes(), p.Body.Bytes()) || c.Header().Get("Content-Type") != p.Header().Get("Content-Type") ||
		c.Header().Get(WarningHeader) != p.Header().Get(WarningHeader) {
		t.Fatalf("%s %s: with the cache %d %s\n%s\nwithout %d %s\n%s", method, target, c.Code, c.Header(), c.Body, p.Code, p.Header(), p.Body)
	}
	return c.Code, c.Body.String()
}

// TestAnswerCacheAnswersAsTheHandlers sends the same random mix of reads
// (shows, lists with filters, orders, paging, fields, XML, tenants) and
// writes (creates, updates, resolves, bulk events, resets) to a mock with
// the answer cache and to one without: every answer must be the same, byte
// for byte, so that no kept answer outlives a change.
func TestAnswerCacheAnswersAsTheHandlers(t *testing.T) {
	tw := newTwins(t)
	rng := rand.New(rand.NewSource(1))
	reads := []struct{ api, target string }{
		{coreAPI, "/api/integration_errors/%d"},
		{coreAPI, "/api/integration_errors?limit=5&offset=%d"},
		{coreAPI, "/api/integration_errors?resolved=false&limit=%d"},
		{coreAPI, "/api/integration_errors?order_by=updated-at&dir=desc&limit=3&offset=%d"},
		{coreAPI, "/api/integration_errors?fields=%%5B%%22id%%22%%2C%%22status%%22%%5D&limit=%d"},
		{coreAPI, "/api/integration_errors?return_object=limited&limit=%d"},
		{coreAPI, "/api/integration_errors?status=error&updated-at%%5Bgt%%5D=2026-12-01T08%%3A17%%3A%02d%%2B00%%3A00"},
		{coreAPI, "/api/integration_errors?xml=1&limit=%d"},
		{coreAPI, "/api/integration_errors?document_type=InvoiceHeader&limit=%d"},
		{coreAPI, "/api/integration_history_records/%d"},
		{coreAPI, "/api/integration_history_records?limit=%d"},
		{coreAPI, "/api/integration_runs/%d"},
		{coreAPI, "/api/integration_runs?limit=%d"},
		{coreAPI, "/api/integrations/%d"},
		{coreAPI, "/api/integrations?limit=%d"},
		{coreAPI, "/t/other/api/integration_errors/%d"},
		{coreAPI, "/t/other/api/integration_errors?limit=%d"},
		{sourcingAPI, "/api/events?limit=%d"},
	}
	ids := func() int { return 1 + rng.Intn(50) } // some beyond the seeded 40: 404s
	for step := range 1500 {
		switch k := rng.Intn(20); {
		case k < 14:
			r := reads[rng.Intn(len(reads))]
			tw.do(t, r.api, "GET", fmt.Sprintf(r.target, ids()), "")
		case k == 14:
			prefix := []string{"", "/t/other"}[rng.Intn(2)]
			tw.do(t, coreAPI, "POST", prefix+"/api/integration_errors",
				fmt.Sprintf(`{"status":"error","contact-alert-type":"Technical","external-id":"STEP-%d","integration":{"code":"SAP_INVOICES"}}`, step))
		case k == 15:
			tw.do(t, coreAPI, "PUT", fmt.Sprintf("/api/integration_errors/%d", ids()), fmt.Sprintf(`{"external-id":"EDIT-%d"}`, step))
		case k == 16:
			tw.do(t, coreAPI, "PUT", fmt.Sprintf("/api/integration_errors/%d/%s", ids(), []string{"resolve", "unresolve"}[rng.Intn(2)]), "")
		case k == 17:
			tw.do(t, coreAPI, "PUT", fmt.Sprintf("/api/integrations/%d", 1+rng.Intn(6)), fmt.Sprintf(`{"name":"Renamed %d"}`, step))
		case k == 18:
			tw.do(t, sourcingAPI, "POST", "/api/events", fmt.Sprintf(`{"events":[{"name":"Event %d","state":"Setup","market-id":"1","settings":{"currency":"USD"}}]}`, step))
		case k == 19 && rng.Intn(10) == 0:
			tw.do(t, coreAPI, "POST", "/_mock/reset", "")
		}
	}
	// The cache did answer: a read made three times in a row is kept
	// the second time (it missed before) and answered from it the third.
	before := tw.cached.answerHits.Load()
	if before == 0 {
		t.Error("no read was answered from the cache")
	}
	for range 3 {
		tw.do(t, coreAPI, "GET", "/api/integration_errors?limit=7", "")
	}
	if got := tw.cached.answerHits.Load() - before; got != 1 {
		t.Errorf("the same read three times: %d answers from the cache, want 1", got)
	}
}

// TestAnswerCacheSeesEveryWrite reads a record and a list, changes the
// record, and reads both again: the answers show the change.
func TestAnswerCacheSeesEveryWrite(t *testing.T) {
	tw := newTwins(t)
	for range 3 { // kept the second time, from the cache the third
		tw.do(t, coreAPI, "GET", "/api/integration_errors/3", "")
		tw.do(t, coreAPI, "GET", "/api/integration_errors?external-id=CHANGED", "")
	}
	if hits := tw.cached.answerHits.Load(); hits != 2 {
		t.Errorf("%d answers from the cache, want 2", hits)
	}
	if code, _ := tw.do(t, coreAPI, "PUT", "/api/integration_errors/3", `{"external-id":"CHANGED"}`); code != http.StatusOK {
		t.Fatalf("update: %d", code)
	}
	if _, body := tw.do(t, coreAPI, "GET", "/api/integration_errors/3", ""); !strings.Contains(body, `"external-id":"CHANGED"`) {
		t.Errorf("the record read after its update: %s", body)
	}
	if _, body := tw.do(t, coreAPI, "GET", "/api/integration_errors?external-id=CHANGED", ""); !strings.Contains(body, `"id":3,`) {
		t.Errorf("the list read after the update: %s", body)
	}
}

// TestAnswerCacheOutlivesRefusedWrites: a write that changes nothing (an
// unknown id, a refused body) leaves the cached answers in place; one that
// changes a record does not.
func TestAnswerCacheOutlivesRefusedWrites(t *testing.T) {
	tw := newTwins(t)
	read := func() { tw.do(t, coreAPI, "GET", "/api/integration_errors/3", "") }
	read()
	read() // kept
	for _, w := range []struct{ method, target, body string }{
		{"PUT", "/api/integration_errors/999999", `{"external-id":"NOPE"}`},
		{"PUT", "/api/integration_errors/999999/resolve", ""},
		{"POST", "/api/integration_errors", `{"status":"error","contact-alert-type":"Technical","integration":{"code":"NO_SUCH_INTEGRATION"}}`},
		{"PUT", "/api/integration_errors/3", `{"integration":{"code":"NO_SUCH_INTEGRATION"}}`},
	} {
		if code, body := tw.do(t, coreAPI, w.method, w.target, w.body); code < 400 {
			t.Fatalf("%s %s: %d %s; want a refusal", w.method, w.target, code, body)
		}
	}
	before := tw.cached.answerHits.Load()
	read()
	if got := tw.cached.answerHits.Load() - before; got != 1 {
		t.Errorf("after refused writes: %d answers from the cache, want 1", got)
	}
	if code, _ := tw.do(t, coreAPI, "PUT", "/api/integration_errors/3", `{"external-id":"CHANGED"}`); code != http.StatusOK {
		t.Fatalf("update: %d", code)
	}
	before = tw.cached.answerHits.Load()
	read()
	if got := tw.cached.answerHits.Load() - before; got != 0 {
		t.Errorf("after a change: %d answers from the cache, want 0", got)
	}
}

// TestAnswerCacheBounds: an answer larger than answerMaxBytes or than
// the cache's limit is not kept, past the limit the cache starts again,
// and an answer of an older generation is never given.
func TestAnswerCacheBounds(t *testing.T) {
	var c answerCache
	c.put([]byte("big"), 1, 200, make([]byte, answerMaxBytes+1), answerCacheBytes)
	if _, ok := c.get([]byte("big"), 1); ok {
		t.Error("an answer over answerMaxBytes was kept")
	}
	c.put([]byte("over"), 1, 200, make([]byte, answerTenantBytes), answerTenantBytes)
	if _, ok := c.get([]byte("over"), 1); ok {
		t.Error("an answer over the cache's limit was kept")
	}
	for _, limit := range []int{answerCacheBytes, answerTenantBytes} {
		c = answerCache{}
		body := make([]byte, min(limit/10, answerMaxBytes))
		for i := range 2*limit/len(body) + 1 {
			c.put(fmt.Appendf(nil, "k%d", i), 1, 200, body, limit)
			if c.size > limit {
				t.Fatalf("limit %d: %d bytes kept", limit, c.size)
			}
		}
		if n := len(c.entries); n == 0 || n > limit/len(body) {
			t.Errorf("limit %d: %d entries at the end", limit, n)
		}
		if _, ok := c.get(fmt.Appendf(nil, "k%d", 2*limit/len(body)), 1); !ok {
			t.Errorf("limit %d: the newest answer is not kept", limit)
		}
	}
	c.put([]byte("old"), 0, 200, []byte("x"), answerCacheBytes)
	if _, ok := c.get([]byte("old"), 0); ok {
		t.Error("an answer read before the cache's generation was kept")
	}
	if _, ok := c.get([]byte("k20"), 2); ok {
		t.Error("an answer of generation 1 was given at generation 2")
	}
}

// NoAnswerCache turns m's answer cache off, for the benchmarks that
// measure the handlers' own work.
func NoAnswerCache(m *Mock) { m.noAnswerCache = true }
