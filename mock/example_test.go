package mock_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/coupakit/coupakit/mock"
)

// The mock in process, behind httptest servers. Without Options.Auth every
// request passes.
func ExampleNew() {
	m, err := mock.New(mock.Options{Seed: 1, Records: 25})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(m.CoreHandler()) // and m.SourcingHandler()
	defer srv.Close()

	req, err := http.NewRequest("GET", srv.URL+"/api/integration_errors?limit=2", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var errs []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&errs); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, len(errs))
	// Output: 200 OK 2
}
