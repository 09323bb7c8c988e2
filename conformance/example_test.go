package conformance_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/mock"
)

// Check judges a server from a program; here, the project's mock, read-only
// and restricted to the events index.
func ExampleCheck() {
	m, err := mock.New(mock.Options{Seed: 1, Records: 25})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(m.SourcingHandler())
	defer srv.Close()

	report, err := conformance.Check(context.Background(), conformance.Target{
		CSOBaseURL: srv.URL,
		ReadOnly:   true,
		Only:       regexp.MustCompile(`^events\.(list|response\.listEvents)$`),
		RunID:      "example",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, r := range report.Results {
		fmt.Println(r.Status, r.Level, r.ID)
	}
	fmt.Println("passed:", report.Passed())
	// Output:
	// pass must events.list
	// pass must events.response.listEvents
	// passed: true
}
