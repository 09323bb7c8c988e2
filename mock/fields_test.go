package mock

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
	"github.com/coupakit/coupakit/openapi"
)

// fill sets every field of v, at every depth, to a value that is not zero.
func fill(v reflect.Value, depth int) {
	if depth > 4 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}

// byJSON returns the fields of a struct value by their json names.
func byJSON(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = v.Field(i)
		}
	}
	return out
}

// checkFields holds a resource's hand-written element operations to its
// schema: clear zeroes exactly the readOnly elements, apply copies exactly
// the writable elements the update type has.
func checkFields[T, U any](t *testing.T, doc *openapi3.T, schema string, f fields[T, U]) {
	t.Helper()
	props := doc.Components.Schemas[schema].Value.Properties
	require.NotEmpty(t, props, schema)

	var rec T
	fill(reflect.ValueOf(&rec).Elem(), 0)
	f.clear(&rec)
	for name, field := range byJSON(reflect.ValueOf(rec)) {
		prop := props[name]
		require.NotNil(t, prop, "%s: %s is not in the schema", schema, name)
		assert.Equal(t, prop.Value.ReadOnly, field.IsZero(), "%s: clear and %s (readOnly %v)", schema, name, prop.Value.ReadOnly)
	}

	var upd U
	fill(reflect.ValueOf(&upd).Elem(), 0)
	sent := byJSON(reflect.ValueOf(upd))
	var into T
	f.apply(&into, &upd)
	for name, field := range byJSON(reflect.ValueOf(into)) {
		_, inUpdate := sent[name]
		writable := !props[name].Value.ReadOnly && inUpdate
		assert.Equal(t, writable, !field.IsZero(), "%s: apply and %s (writable %v)", schema, name, writable)
	}
	var none U
	before := into
	f.apply(&into, &none)
	assert.Equal(t, before, into, "%s: an update that sends nothing changes nothing", schema)
}

func TestFieldsFollowTheSpec(t *testing.T) {
	c, err := openapi.CoreValidator()
	require.NoError(t, err)
	checkFields(t, c.Doc(), "IntegrationError", fields[core.IntegrationError, core.IntegrationErrorUpdate]{clearIntegrationError, applyIntegrationError})
	checkFields(t, c.Doc(), "IntegrationHistoryRecord", fields[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate]{clearIntegrationHistoryRecord, applyIntegrationHistoryRecord})
	checkFields(t, c.Doc(), "IntegrationResource", fields[core.IntegrationResource, core.IntegrationResourceUpdate]{clearIntegrationResource, applyIntegrationResource})
	checkFields(t, c.Doc(), "IntegrationRunResource", fields[core.IntegrationRunResource, core.IntegrationRunResourceUpdate]{clearIntegrationRunResource, applyIntegrationRunResource})

	s, err := openapi.SourcingValidator()
	require.NoError(t, err)
	// Events: market-id is set once, by create; the rest follows the spec.
	props := s.Doc().Components.Schemas["Event"].Value.Properties
	var u sourcing.EventUpdate
	fill(reflect.ValueOf(&u).Elem(), 0)
	var ev sourcing.Event
	applyEvent(&ev, &u)
	for name, field := range byJSON(reflect.ValueOf(ev)) {
		writable := !props[name].Value.ReadOnly && name != "market-id"
		assert.Equal(t, writable, !field.IsZero(), "Event: applyEvent and %s", name)
	}
	var item sourcing.EventBulkUpdateItem
	fill(reflect.ValueOf(&item).Elem(), 0)
	for name, field := range byJSON(reflect.ValueOf(*bulkUpdate(&item))) {
		assert.False(t, field.IsZero(), "bulkUpdate keeps %s", name)
	}
}
