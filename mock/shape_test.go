package mock_test

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
)

func keys(r record) []string {
	var out []string
	for k := range r {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOrderBy(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 4, Records: 80})
	var page []record
	c.do("GET", "/api/integration_errors?order_by=updated-at&limit=50", nil).expect(t, 200).decode(t, &page)
	require.Len(t, page, 50)
	for i := 1; i < len(page); i++ {
		a, b := page[i-1]["updated-at"].(string), page[i]["updated-at"].(string)
		assert.True(t, a < b || (a == b && page[i-1].id(t) < page[i].id(t)), "%s then %s", a, b)
	}
	var next []record
	c.do("GET", "/api/integration_errors?order_by=updated_at&offset=50", nil).expect(t, 200).decode(t, &next)
	require.Len(t, next, 30, "offset pages through the ordered list")
	assert.LessOrEqual(t, page[49]["updated-at"], next[0]["updated-at"])

	c.do("GET", "/api/integration_errors?order_by=status&dir=desc", nil).expect(t, 200).decode(t, &page)
	for i := 1; i < len(page); i++ {
		assert.GreaterOrEqual(t, page[i-1]["status"], page[i]["status"])
	}
	c.do("GET", "/api/integration_errors?dir=desc&limit=3", nil).expect(t, 200).decode(t, &page)
	assert.Equal(t, []int64{80, 79, 78}, []int64{page[0].id(t), page[1].id(t), page[2].id(t)}, "dir alone reverses the id order")
	c.do("GET", "/api/integration_errors?order_by=status&status=error", nil).expect(t, 200).decode(t, &page)
	for _, r := range page {
		assert.Equal(t, "error", r["status"], "order_by keeps the filters")
	}

	for _, bad := range []string{"order_by=nosuch", "order_by=integration", "order_by=responses", "dir=up"} {
		msgs := c.do("GET", "/api/integration_errors?"+bad, nil).expect(t, 400).errors(t)
		assert.True(t, anyContains(msgs, strings.SplitN(bad, "=", 2)[0]), "%s: %v", bad, msgs)
	}
}

func TestReturnObjectAndFields(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 5})
	code := integrationCode(t, c)

	var list []record
	c.do("GET", "/api/integration_errors?return_object=limited&limit=2", nil).expect(t, 200).decode(t, &list)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"id"}, keys(list[0]))

	var shallow record
	c.do("GET", "/api/integration_errors/1?return_object=shallow", nil).expect(t, 200).decode(t, &shallow)
	assert.Equal(t, map[string]any{"id": shallow["integration"].(map[string]any)["id"]}, shallow["integration"], "associations are reduced to their id")
	assert.Len(t, shallow["created-by"], 1)
	assert.Equal(t, float64(1), shallow["id"])
	assert.NotEmpty(t, shallow["status"], "the record's own elements stay")

	fields := url.QueryEscape(`["id","status",{"integration":["code"]}]`)
	c.do("GET", "/api/integration_errors?limit=3&fields="+fields, nil).expect(t, 200).decode(t, &list)
	require.Len(t, list, 3)
	for _, r := range list {
		assert.Equal(t, []string{"id", "integration", "status"}, keys(r))
		assert.Equal(t, []string{"code"}, keys(r["integration"].(map[string]any)))
	}
	var picked record
	c.do("GET", "/api/integration_errors/2?return_object=limited&fields="+url.QueryEscape(`["document_type","nosuch"]`), nil).expect(t, 200).decode(t, &picked)
	assert.Equal(t, []string{"document-type"}, keys(picked), "fields wins over return_object; unknown names are ignored")

	// On writes: none answers the status alone; the change is made.
	resp := c.do("POST", "/api/integration_errors?return_object=none", validError(code)).expect(t, 201)
	assert.Empty(t, resp.body)
	var created record
	c.do("POST", "/api/integration_errors?return_object=limited", validError(code)).expect(t, 201).decode(t, &created)
	assert.Equal(t, []string{"id"}, keys(created))
	assert.Equal(t, 7, count(t, c, "/api/integration_errors"), "both creates were stored")
	var resolved record
	c.do("PUT", "/api/integration_errors/1/resolve?fields="+url.QueryEscape(`["resolved"]`), nil).expect(t, 200).decode(t, &resolved)
	assert.Equal(t, record{"resolved": true}, resolved)

	for _, bad := range []string{"return_object=none", "return_object=full", "fields=id", "fields=" + url.QueryEscape(`{"id":1}`), "fields=" + url.QueryEscape(`[1]`)} {
		c.do("GET", "/api/integration_errors?"+bad, nil).expect(t, 400)
	}
	c.do("POST", "/api/integration_errors?fields=nonsense", validError(code)).expect(t, 400)
	assert.Equal(t, 7, count(t, c, "/api/integration_errors"), "a rejected projection stores nothing")

	// XML answers carry exactly the projected elements.
	status, _, body := rawXML(t, c, "GET", "/api/integration_errors/1?return_object=limited", "application/xml", "", "")
	require.Equal(t, 200, status, body)
	root := parseXML(t, body)
	require.Len(t, root.Children, 1, body)
	assert.Equal(t, "id", root.Children[0].XMLName.Local)
}
