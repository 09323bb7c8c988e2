package verify_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/coupakit/coupakit/internal/verify"
)

// A match tried against a journal: no request matches, and the near misses
// say why.
func ExampleMatcher_NearMisses() {
	journal := []verify.Record{
		{ID: 1, API: "core", Method: "GET", Path: "/api/integration_errors", Query: "status=error"},
		{ID: 2, API: "core", Method: "POST", Path: "/api/integration_errors", Body: `{"status": "warning", "integration": {"code": "SAP"}}`},
	}
	m, err := verify.Compile(verify.Match{Method: "POST", Path: "/api/integration_errors", Body: json.RawMessage(`{"status": "error"}`)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("count:", m.Count(journal))
	for _, nm := range m.NearMisses(journal, verify.NearMissCount) {
		for _, d := range nm.Differences {
			fmt.Printf("request %d: %s: want %v, got %v\n", nm.Request.ID, d.Field, d.Expected, d.Actual)
		}
	}
	// Output:
	// count: 0
	// request 2: body.status: want error, got warning
	// request 1: method: want POST, got GET
	// request 1: body: want map[status:error], got <nil>
}
