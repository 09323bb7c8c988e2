package faults_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coupakit/coupakit/internal/faults"
)

// How a mock plugs the engine in: its admin routes on the admin mux, its
// middleware in the request pipeline, inside the journal layer (which reads
// the report) and outside the handlers.
func ExampleEngine_Middleware() {
	e, err := faults.New(faults.Options{Seed: 1, Checker: faults.Checker{APIs: []string{"core", "sourcing"}}})
	if err != nil {
		log.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "[]") })
	layer := e.Middleware(faults.Hooks{
		Describe: func(r *http.Request) (string, string) { return "core", "listIntegrationErrors" },
		Error: func(w http.ResponseWriter, r *http.Request, status int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"errors":{"integration-error":[%q]}}`+"\n", msg)
		},
	})
	journal := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, rep := faults.WithReport(r)
			next.ServeHTTP(w, r)
			if rep.Applied != nil {
				fmt.Printf("journal: rule %d applied status %d\n", rep.Applied.Rule, rep.Applied.Status)
			}
		})
	}
	mux := http.NewServeMux()
	e.Register(mux)
	mux.Handle("/", journal(layer(api)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	rule, err := faults.ParseFlag("GET /api/integration_errors status=503 times=1")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := e.Add(rule); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		resp, err := http.Get(srv.URL + "/api/integration_errors")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	resp, err := http.Post(srv.URL+"/_mock/faults", "application/json", strings.NewReader(`{"status": 200}`))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("POST /_mock/faults with status 200:", resp.StatusCode)
	// Output:
	// journal: rule 1 applied status 503
	// 503
	// 200
	// POST /_mock/faults with status 200: 400
}
