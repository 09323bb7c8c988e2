package mock_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
)

// ids lists the ids of every record a query returns, paging through.
func ids(t *testing.T, c *apiClient, path, query string) []int64 {
	t.Helper()
	var out []int64
	for offset := 0; ; offset += 50 {
		var page []record
		c.do("GET", fmt.Sprintf("%s?%s&offset=%d", path, query, offset), nil).expect(t, 200).decode(t, &page)
		for _, r := range page {
			out = append(out, r.id(t))
		}
		if len(page) < 50 {
			return out
		}
	}
}

// TestQueryLanguage checks that each operator returns exactly the records a
// local evaluation over the whole list expects.
func TestQueryLanguage(t *testing.T) {
	_, c, s := newMock(t, mock.Options{Seed: 9, Records: 120})
	var all []record
	for offset := 0; offset < 120; offset += 50 {
		var page []record
		c.do("GET", fmt.Sprintf("/api/integration_errors?offset=%d", offset), nil).expect(t, 200).decode(t, &page)
		all = append(all, page...)
	}
	require.Len(t, all, 120)
	str := func(r record, k string) string { v, _ := r[k].(string); return v }
	pick := all[17]
	stamp := str(pick, "updated-at")
	code := pick["integration"].(map[string]any)["code"].(string)
	ext := str(pick, "external-id")
	prefix := ext[:strings.Index(ext, "-")+1]

	cases := []struct {
		query string
		want  func(record) bool
	}{
		{"status=error", func(r record) bool { return str(r, "status") == "error" }},
		{"status[not_eq]=error", func(r record) bool { return str(r, "status") != "error" }},
		{"status[in]=error,pending", func(r record) bool { s := str(r, "status"); return s == "error" || s == "pending" }},
		{"status[not_in]=error,pending", func(r record) bool { s := str(r, "status"); return s != "error" && s != "pending" }},
		{"external-id[starts_with]=" + prefix, func(r record) bool { return strings.HasPrefix(str(r, "external-id"), prefix) }},
		{"external_id[ends_with]=" + ext[len(ext)-3:], func(r record) bool { return strings.HasSuffix(str(r, "external-id"), ext[len(ext)-3:]) }},
		{"external-id[contains]=" + ext[2:6], func(r record) bool { return strings.Contains(str(r, "external-id"), ext[2:6]) }},
		{"updated-at[gt]=" + url.QueryEscape(stamp), func(r record) bool { return str(r, "updated-at") > stamp }},
		{"updated_at[gt_or_eq]=" + url.QueryEscape(stamp), func(r record) bool { return str(r, "updated-at") >= stamp }},
		{"updated-at[lt]=" + strings.Replace(stamp, "Z", "%2B00%3A00", 1), func(r record) bool { return str(r, "updated-at") < stamp }},
		{"created-at[lt_or_eq]=2026-10-01", func(r record) bool { return str(r, "created-at") <= "2026-10-01T00:00:00Z" }},
		{"document-id[gt]=50000&resolved=false", func(r record) bool { return r["document-id"].(float64) > 50000 && r["resolved"] == false }},
		{"integration[code]=" + code, func(r record) bool { return r["integration"].(map[string]any)["code"] == code }},
		{"integration[code][in]=" + code + ",NOPE", func(r record) bool { return r["integration"].(map[string]any)["code"] == code }},
		{"created-by[login][starts_with]=integration", func(r record) bool {
			return strings.HasPrefix(r["created-by"].(map[string]any)["login"].(string), "integration")
		}},
		{"document-revision[blank]=false", func(r record) bool { _, ok := r["document-revision"]; return ok }},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			var want []int64
			for _, r := range all {
				if tc.want(r) {
					want = append(want, r.id(t))
				}
			}
			got := ids(t, c, "/api/integration_errors", tc.query)
			assert.Equal(t, want, got)
		})
	}
	t.Run("updated-at polling is exact", func(t *testing.T) {
		got := ids(t, c, "/api/integration_errors", "updated-at[gt]="+url.QueryEscape(stamp))
		assert.NotContains(t, got, pick.id(t), "the record stamped exactly then is not after it")
		got = ids(t, c, "/api/integration_errors", "updated-at[gt_or_eq]="+url.QueryEscape(stamp))
		assert.Contains(t, got, pick.id(t))
	})

	for _, bad := range []string{"nosuch=1", "status[like]=x", "updated-at[gt]=yesterday", "updated-at[contains]=2026", "integration=SAP", "integration[nosuch]=1", "resolved[blank]=maybe", "document-id[in]=1,x"} {
		t.Run("400 "+bad, func(t *testing.T) {
			msgs := c.do("GET", "/api/integration_errors?"+bad, nil).expect(t, 400).errors(t)
			name := bad[:strings.IndexAny(bad, "[=")]
			assert.True(t, anyContains(msgs, name), "%v", msgs)
		})
	}

	t.Run("events take the operators too", func(t *testing.T) {
		var list struct {
			Total  int     `json:"total"`
			Events []event `json:"events"`
		}
		s.do("GET", "/api/events?state[in]=Setup,Active&name[contains]=20", nil).expect(t, 200).decode(t, &list)
		for _, ev := range list.Events {
			assert.Contains(t, []string{"Setup", "Active"}, ev["state"])
			assert.Contains(t, ev["name"], "20")
		}
		var all eventList
		s.do("GET", "/api/events", nil).expect(t, 200).decode(t, &all)
		want := 0
		for _, ev := range all.Events {
			if (ev["state"] == "Setup" || ev["state"] == "Active") && strings.Contains(ev["name"].(string), "20") {
				want++
			}
		}
		assert.Equal(t, want, list.Total)
		s.do("GET", "/api/events?settings[currency]=USD", nil).expect(t, 200).decode(t, &list)
		for _, ev := range list.Events {
			assert.Equal(t, "USD", ev["settings"].(map[string]any)["currency"])
		}
		s.do("GET", "/api/events?state[gt_or_eq]=x&name[like]=y", nil).expect(t, 400)
	})
}
