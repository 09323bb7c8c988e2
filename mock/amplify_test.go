package mock_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/coupakit/coupakit/mock"
)

// countingWriter is a ResponseWriter that keeps only the answer's size.
type countingWriter struct {
	header http.Header
	status int
	n      int
}

func (c *countingWriter) Header() http.Header         { return c.header }
func (c *countingWriter) WriteHeader(status int)      { c.status = status }
func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// listCost lists the integrations once through h and returns the answer's
// size and the bytes allocated while answering.
func listCost(tb testing.TB, h http.Handler, accept string) (size int, alloc uint64) {
	tb.Helper()
	req := httptest.NewRequest("GET", "/api/integrations?limit=50", nil)
	req.Header.Set("Accept", accept)
	w := &countingWriter{header: http.Header{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h.ServeHTTP(w, req)
	runtime.ReadMemStats(&after)
	if w.status != http.StatusOK {
		tb.Fatalf("status %d", w.status)
	}
	return w.n, after.TotalAlloc - before.TotalAlloc
}

// TestAnswerCostIsASmallMultipleOfItsSize: listing 20 integrations with
// descriptions as long as the spec allows, of characters both encodings
// escape, allocates at most a few times the answer's own size, JSON and
// XML (the issue saw 20 such descriptions, listed as XML, take 1 GB).
func TestAnswerCostIsASmallMultipleOfItsSize(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 0})
	if err != nil {
		t.Fatal(err)
	}
	bigIntegrations(t, m.CoreHandler(), 20)
	for _, tt := range []struct {
		accept string
		most   float64
	}{{"application/json", 2}, {"application/xml", 5}} {
		size, alloc := listCost(t, m.CoreHandler(), tt.accept)
		ratio := float64(alloc) / float64(size)
		t.Logf("%s: answer %d bytes, %d bytes allocated (%.2fx)", tt.accept, size, alloc, ratio)
		if ratio > tt.most {
			t.Errorf("%s: answering %d bytes allocated %d (%.1fx), want at most %.0fx", tt.accept, size, alloc, ratio, tt.most)
		}
	}
}

// BenchmarkListLargeXML lists 20 integrations of 64 KiB descriptions as
// XML; B/op against the answer's size is the amplification.
func BenchmarkListLargeXML(b *testing.B) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 0})
	if err != nil {
		b.Fatal(err)
	}
	bigIntegrations(b, m.CoreHandler(), 20)
	h := m.CoreHandler()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/integrations?limit=50", nil)
		req.Header.Set("Accept", "application/xml")
		w := &countingWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		size = w.n
	}
	b.ReportMetric(float64(size), "answer-B")
}
