package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/coupakit/coupakit/auth"
)

// coreResources are the Core API's resources, whose records the memory
// figure counts with the events.
var coreResources = []string{"integration_errors", "integration_history_records", "integration_runs", "integrations"}

// countStored counts the records the mock holds, as its APIs list them:
// what the RSS per stored record divides by, measured rather than
// derived from the seeding's rules.
func countStored(s *server, tok string) (int, error) {
	total := 0
	for _, r := range coreResources {
		n, err := countBySearch(func(offset int) (bool, error) {
			status, body, err := fetch("GET", s.base+"/api/"+r+"?limit=1&offset="+strconv.Itoa(offset), tok, nil)
			if err != nil || status != http.StatusOK {
				return false, fmt.Errorf("count %s: %d %v %s", r, status, err, body)
			}
			var page []json.RawMessage
			if err := json.Unmarshal(body, &page); err != nil {
				return false, fmt.Errorf("count %s: %v", r, err)
			}
			return len(page) > 0, nil
		})
		if err != nil {
			return 0, err
		}
		total += n
	}
	events, err := countEvents(s.cso)
	if err != nil {
		return 0, err
	}
	return total + events, nil
}

// countBySearch finds how many records a list holds, given whether the
// page of one record at an offset has one: the first offset without,
// found by doubling and then halving, in about 2·log2(n) requests.
func countBySearch(has func(offset int) (bool, error)) (int, error) {
	ok, err := has(0)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := 0, 1 // has(lo); hi is the candidate without
	for {
		ok, err := has(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := has(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// countEvents reads the Sourcing API's total of events.
func countEvents(cso string) (int, error) {
	req, err := http.NewRequest("GET", cso+"/api/events?limit=1", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSO-API-KEY", auth.DefaultCSOAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("count events: %d %v %s", resp.StatusCode, err, body)
	}
	var list struct {
		Total *int `json:"total"`
	}
	if err := json.Unmarshal(body, &list); err != nil || list.Total == nil {
		return 0, fmt.Errorf("count events: no total in %s", body)
	}
	return *list.Total, nil
}
