package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coupakit/coupakit/mock"
)

// BenchmarkJudgeList50 is the CPU cost of judging one 50-record answer of
// the Core API (about 46 KB of JSON): route, status, headers, the schema
// and nulls by the compiled checker (an answer that keeps the contract is
// never decoded), and page size.
func BenchmarkJudgeList50(b *testing.B) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 60})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/integration_errors?limit=50", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	m.CoreHandler().ServeHTTP(rec, req)
	core, _, err := loadSpecs()
	if err != nil {
		b.Fatal(err)
	}
	a := answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	rt, findings := core.judgeRequest(b.Context(), req, nil)
	if len(findings) > 0 {
		b.Fatal(findings)
	}
	b.SetBytes(int64(len(a.body)))
	b.ReportAllocs()
	start := processCPU(b)
	for b.Loop() {
		if f := core.judgeResponse(b.Context(), rt, req, a); len(f) > 0 {
			b.Fatal(f)
		}
	}
	reportCPU(b, start)
}
