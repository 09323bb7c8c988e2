package query_test

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/query"
)

func ExampleSchema_Parse() {
	schema := query.MustSchemaOf(core.IntegrationError{}) // once, at start-up

	// GET /api/integration_errors?integration[code]=SAP&updated_at[gt]=2026-11-23T10:00:00%2B01:00&limit=50
	values, _ := url.ParseQuery("integration[code]=SAP&updated_at[gt]=2026-11-23T10:00:00%2B01:00&limit=50")
	f, err := schema.Parse(values, "limit", "offset", "order_by", "dir", "return_object", "fields")
	if err != nil {
		panic(err)
	}
	code, at := "SAP", time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	rows := []core.IntegrationError{
		{Integration: &core.Integration{Code: &code}, UpdatedAt: &at},
		{Integration: &core.Integration{Code: &code}},
		{UpdatedAt: &at},
	}
	for i := range rows {
		fmt.Println(i, f.Match(&rows[i]))
	}

	_, err = schema.Parse(url.Values{"updated-at[gt]": {"yesterday"}})
	var qe *query.Error
	fmt.Println(errors.As(err, &qe), qe.Param)
	fmt.Println(err)
	// Output:
	// 0 true
	// 1 false
	// 2 false
	// true updated-at[gt]
	// filter "updated-at[gt]": "yesterday" is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)
}
