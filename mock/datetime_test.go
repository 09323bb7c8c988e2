package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
)

// coupaDatetime is the seeds' form: to the second, with a numeric offset.
var coupaDatetime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`)

// TestPollingSeesEveryChange makes 300 quick updates on the real clock,
// polling now and then with updated-at[gt] (and [gt_or_eq]) and the newest
// value seen: every record changed since the last poll comes back, and no
// updated-at is ever after the clock.
func TestPollingSeesEveryChange(t *testing.T) {
	for _, op := range []string{"gt", "gt_or_eq"} {
		t.Run(op, func(t *testing.T) {
			_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 5})
			last := ""
			poll := func() map[int64]record {
				t.Helper()
				q := ""
				if last != "" {
					q = fmt.Sprintf("?updated-at[%s]=%s", op, url.QueryEscape(last))
				}
				var recs []record
				c.do("GET", "/api/integration_errors"+q, nil).expect(t, 200).decode(t, &recs)
				now := time.Now()
				out := map[int64]record{}
				for _, r := range recs {
					at, err := time.Parse(time.RFC3339, r["updated-at"].(string))
					require.NoError(t, err)
					require.False(t, at.After(now), "updated-at %s is after the clock (%s)", at, now)
					if r["updated-at"].(string) > last {
						last = r["updated-at"].(string)
					}
					out[r.id(t)] = r
				}
				return out
			}
			poll()
			changed := map[int64]string{}
			for i := 0; i < 300; i++ {
				id := int64(i%5 + 1)
				v := fmt.Sprintf("v%d", i)
				c.do("PUT", fmt.Sprintf("/api/integration_errors/%d", id), record{"external-id": v}).expect(t, 200)
				changed[id] = v
				if i%7 == 3 || i == 299 {
					seen := poll()
					for id, v := range changed {
						require.Contains(t, seen, id, "change %d: record %d changed since the last poll, not returned by updated-at[%s]=%s", i, id, op, last)
						assert.Equal(t, v, seen[id]["external-id"])
					}
					clear(changed)
				}
			}
		})
	}
}

// TestTimeZone answers in the instance's zone, in the seeds' form, in JSON
// and XML; filters compare instants whatever the offset sent.
func TestTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	for _, tc := range []struct {
		loc    *time.Location
		offset string
	}{{nil, "+00:00"}, {berlin, "+01:00"}} {
		t.Run(tc.offset, func(t *testing.T) {
			_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 3, Location: tc.loc})
			var rec record
			c.do("POST", "/api/integration_errors", validError(integrationCode(t, c))).expect(t, 201).decode(t, &rec)
			for _, elem := range []string{"created-at", "updated-at"} {
				v := rec[elem].(string)
				assert.Regexp(t, coupaDatetime, v, elem)
				assert.True(t, strings.HasSuffix(v, tc.offset), "%s %s in %s", elem, v, tc.offset)
			}
			at, err := time.Parse(time.RFC3339, rec["created-at"].(string))
			require.NoError(t, err)
			for _, sent := range []time.Time{at.Add(-time.Second), at.Add(-time.Second).UTC(), at.Add(-time.Second).In(time.FixedZone("", -7*3600))} {
				value := sent.Format("2006-01-02T15:04:05-07:00")
				got := ids(t, c, "/api/integration_errors", "created-at[gt]="+url.QueryEscape(value))
				assert.Equal(t, []int64{rec.id(t)}, got, "created-at[gt]=%s", value)
			}

			req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/integration_errors/%d", c.srv.URL, rec.id(t)), nil)
			require.NoError(t, err)
			req.Header.Set("Accept", "application/xml")
			resp, err := c.srv.Client().Do(req) // the spec validator reads JSON only
			require.NoError(t, err)
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode)
			body := string(data)
			assert.Contains(t, body, `<created-at type="dateTime">`+rec["created-at"].(string)+`</created-at>`)
		})
	}
}
