package coupakittest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"sort"

	"github.com/coupakit/coupakit/coupakittest"
)

// A Kit outside a test: Start, then Close. Its HTTP client carries the
// credentials of each API.
func Example() {
	kit, err := coupakittest.Start(coupakittest.WithSeed(7), coupakittest.WithRecords(3))
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()

	req, err := http.NewRequest("GET", kit.CoreURL+"/api/integration_errors", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := kit.HTTPClient().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var errs []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&errs); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, len(errs), "integration errors")
	for _, r := range kit.Requests() {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// 200 OK 3 integration errors
	// GET /api/integration_errors 200
}

// Token asks the mock's OAuth endpoint for a token with the scopes given: a
// read-only token may list but not create.
func ExampleKit_Token() {
	kit, err := coupakittest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()

	readOnly := kit.Token("core.integration.read")
	for _, method := range []string{"GET", "POST"} {
		req, err := http.NewRequest(method, kit.CoreURL+"/api/integration_errors", nil)
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+readOnly)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(method, resp.StatusCode)
	}
	// Output:
	// GET 200
	// POST 403
}

// SFTP gives a logged-in client of the mock's SFTP server, with Coupa's
// folders.
func ExampleKit_SFTP() {
	kit, err := coupakittest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()

	entries, err := kit.SFTP().ReadDir("/")
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	fmt.Println(names)
	// Output: [Archive Incoming Outgoing]
}
