package query_test

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
	"github.com/coupakit/coupakit/query"
)

func ptr[T any](v T) *T { return &v }

// t0 is the instant most fixtures are stamped with.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

type label string

type team struct {
	Code *string `json:"code,omitempty"`
}

type person struct {
	Login string  `json:"login"`
	Team  *team   `json:"team,omitempty"`
	Boss  *person `json:"boss,omitempty"` // a type that contains itself
}

// Base is embedded by value in rec: its fields are promoted, except Code,
// which rec's own code shadows.
type Base struct {
	Kind string `json:"kind"`
	Code string `json:"code"`
}

// Audit is embedded through a pointer in rec.
type Audit struct {
	Note *string `json:"note,omitempty"`
}

// rec has a field of every kind the package knows.
type rec struct {
	Name      *string        `json:"name,omitempty"`
	Code      string         `json:"code"`
	Label     *label         `json:"label,omitempty"`
	Count     *int64         `json:"count,omitempty"`
	Small     int32          `json:"small"`
	Size      *uint16        `json:"size,omitempty"`
	Price     *float64       `json:"price,omitempty"`
	Ratio     float32        `json:"ratio"`
	Active    *bool          `json:"active,omitempty"`
	Flag      bool           `json:"flag"`
	At        *time.Time     `json:"at,omitempty"`
	Due       time.Time      `json:"due"`
	Deep      **string       `json:"deep,omitempty"`
	Owner     *person        `json:"owner,omitempty"`
	Tags      []string       `json:"tags,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
	Any       any            `json:"any,omitempty"`
	Skipped   string         `json:"-"`
	hidden    string
	NoTag     string
	SnakeName *string `json:"snake_name,omitempty"`
	Base
	*Audit
}

var recSchema = query.MustSchemaOf(rec{})

// full returns a rec with every field set.
func full() *rec {
	return &rec{
		Name:      ptr("Invoice Export"),
		Code:      "EXP-1",
		Label:     ptr(label("Gold")),
		Count:     ptr(int64(42)),
		Small:     -7,
		Size:      ptr(uint16(500)),
		Price:     ptr(12.5),
		Ratio:     0.25,
		Active:    ptr(true),
		Flag:      false,
		At:        ptr(t0),
		Due:       t0.Add(24 * time.Hour),
		Deep:      ptr(ptr("deep")),
		Owner:     &person{Login: "jdoe", Team: &team{Code: ptr("AP")}, Boss: &person{Login: "boss"}},
		Tags:      []string{"a"},
		Extra:     map[string]any{"k": "v"},
		Any:       "any",
		Skipped:   "skipped",
		hidden:    "hidden",
		NoTag:     "plain",
		SnakeName: ptr("snake"),
		Base:      Base{Kind: "base-kind", Code: "shadowed"},
		Audit:     &Audit{Note: ptr("note")},
	}
}

// parse parses a raw query string as a server would (url.ParseQuery).
func parse(t *testing.T, s *query.Schema, rawQuery string, reserved ...string) *query.Filter {
	t.Helper()
	values, err := url.ParseQuery(rawQuery)
	require.NoError(t, err)
	f, err := s.Parse(values, reserved...)
	require.NoError(t, err, "query %q", rawQuery)
	return f
}

type matchCase struct {
	query string
	want  bool
}

func runMatch(t *testing.T, s *query.Schema, record any, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			f := parse(t, s, tc.query)
			require.False(t, f.Empty())
			require.Equal(t, tc.want, f.Match(record))
		})
	}
}

func TestMatchStrings(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"name=Invoice Export", true},
		{"name=invoice export", false}, // case-sensitive
		{"name=Invoice", false},
		{"name[not_eq]=Invoice", true},
		{"name[not_eq]=Invoice Export", false},
		{"name[contains]=ice Ex", true},
		{"name[contains]=ICE", false},
		{"name[contains]=", true},
		{"name[starts_with]=Invoice", true},
		{"name[starts_with]=Export", false},
		{"name[ends_with]=Export", true},
		{"name[ends_with]=Invoice", false},
		{"name[gt]=Inv", true},
		{"name[gt]=Invoice Export", false},
		{"name[gt]=J", false},
		{"name[lt]=J", true},
		{"name[lt]=Invoice Export", false},
		{"name[lt]=I", false},
		{"name[gt_or_eq]=Invoice Export", true},
		{"name[gt_or_eq]=Invoice Exporu", false},
		{"name[lt_or_eq]=Invoice Export", true},
		{"name[lt_or_eq]=Inv", false},
		{"name[in]=a,Invoice Export", true},
		{"name[in]=Invoice Export", true},
		{"name[in]=a,b", false},
		{"name[in]=a, Invoice Export", false}, // string items are not trimmed
		{"name[not_in]=a,b", true},
		{"name[not_in]=a,Invoice Export", false},
		{"name[blank]=false", true},
		{"name[blank]=true", false},
		// a non-pointer string
		{"code=EXP-1", true},
		{"code[starts_with]=EXP-", true},
		{"code[blank]=false", true},
		// a named string type
		{"label=Gold", true},
		{"label[in]=Silver,Gold", true},
		{"label[contains]=ol", true},
		{"label[lt]=Silver", true},
		// a pointer to a pointer
		{"deep=deep", true},
		{"deep[ends_with]=p", true},
	})
}

func TestMatchNumbers(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"count=42", true},
		{"count=+42", true},
		{"count=43", false},
		{"count[not_eq]=43", true},
		{"count[not_eq]=42", false},
		{"count[gt]=41", true},
		{"count[gt]=42", false},
		{"count[lt]=43", true},
		{"count[lt]=42", false},
		{"count[gt_or_eq]=42", true},
		{"count[gt_or_eq]=43", false},
		{"count[lt_or_eq]=42", true},
		{"count[lt_or_eq]=41", false},
		{"count[gt]=-9223372036854775808", true},
		{"count[in]=1,42", true},
		{"count[in]=1, 42 ", true}, // number items are trimmed
		{"count[in]=1,2", false},
		{"count[not_in]=1,2", true},
		{"count[not_in]=42", false},
		{"count[blank]=false", true},
		{"count[blank]=true", false},
		// int32, not a pointer
		{"small=-7", true},
		{"small[lt]=0", true},
		{"small[gt]=-8", true},
		{"small[in]=-7", true},
		{"small[blank]=true", false},
		// uint16
		{"size=500", true},
		{"size[gt]=499", true},
		{"size[lt]=500", false},
		{"size[in]=1,500", true},
		{"size[not_in]=500", false},
		// float64 and float32
		{"price=12.5", true},
		{"price=1.25e1", true},
		{"price[gt]=12.4", true},
		{"price[lt]=12.5", false},
		{"price[lt_or_eq]=12.5", true},
		{"price[in]=1,12.5", true},
		{"price[not_eq]=12", true},
		{"ratio=0.25", true},
		{"ratio[gt_or_eq]=0.25", true},
		{"ratio[lt]=0.25", false},
	})
}

func TestMatchBooleans(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"active=true", true},
		{"active=false", false},
		{"active= true", true},
		{"active[not_eq]=false", true},
		{"active[not_eq]=true", false},
		{"active[in]=true,false", true},
		{"active[in]=false", false},
		{"active[not_in]=true", false},
		{"active[not_in]=false", true},
		{"active[blank]=false", true},
		{"active[blank]=true", false},
		// not a pointer
		{"flag=false", true},
		{"flag=true", false},
		{"flag[blank]=true", false},
		{"flag[blank]=false", true},
	})
}

func TestMatchDatetimes(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"at=2026-11-23T10:00:00Z", true},
		{"at=2026-11-23T11:00:00%2B01:00", true},
		{"at=2026-11-23T10:00:00.000000001Z", false},
		{"at=2026-11-23", false}, // midnight, not the whole day
		{"at[not_eq]=2026-11-23T10:00:00Z", false},
		{"at[not_eq]=2026-11-23", true},
		{"at[gt]=2026-11-23T09:59:59.999999999Z", true},
		{"at[gt]=2026-11-23T10:00:00Z", false},
		{"at[gt]=2026-11-23", true},
		{"at[lt]=2026-11-23T10:00:00.000000001Z", true},
		{"at[lt]=2026-11-23T10:00:00Z", false},
		{"at[gt_or_eq]=2026-11-23T10:00:00Z", true},
		{"at[gt_or_eq]=2026-11-23T10:00:01Z", false},
		{"at[lt_or_eq]=2026-11-23T10:00:00Z", true},
		{"at[lt_or_eq]=2026-11-23T09:59:59Z", false},
		{"at[in]=2026-01-01,2026-11-23T05:00:00-05:00", true},
		{"at[in]=2026-01-01,2026-11-23", false},
		{"at[not_in]=2026-11-23T10:00:00Z", false},
		{"at[not_in]=2026-01-01", true},
		{"at[blank]=false", true},
		{"at[blank]=true", false},
		// a time.Time that is not a pointer
		{"due=2026-11-24T10:00:00Z", true},
		{"due[gt]=2026-11-24", true},
		{"due[lt]=2026-11-24", false},
		{"due[blank]=false", true},
	})
}

func TestMatchNested(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"owner[login]=jdoe", true},
		{"owner[login]=boss", false},
		{"owner[login][in]=a,jdoe", true},
		{"owner[login][starts_with]=jd", true},
		{"owner[team][code]=AP", true},
		{"owner[team][code][not_eq]=AP", false},
		{"owner[boss][login]=boss", true},
		{"owner[boss][team][code][blank]=true", true}, // the boss has no team
		{"owner[boss][team][code][blank]=false", false},
		{"owner[boss][team][code][not_eq]=AP", false},
		{"owner[boss][boss][login]=boss", false}, // nor a boss
		{"owner[boss][boss][boss][login][blank]=true", true},
	})
}

func TestMatchNamesAndEmbedding(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"snake_name=snake", true}, // as tagged
		{"snake-name=snake", true}, // hyphens for underscores too
		{"NoTag=plain", true},      // no json tag: the Go name
		{"kind=base-kind", true},   // promoted from an embedded struct
		{"code=shadowed", false},   // rec's code shadows Base's
		{"note=note", true},        // promoted through an embedded pointer
		{"note[blank]=false", true},
	})
}

func TestMatchAnd(t *testing.T) {
	runMatch(t, recSchema, full(), []matchCase{
		{"name=Invoice Export&count=42", true},
		{"name=Invoice Export&count=41", false},
		{"count[gt]=1&count[lt]=100", true},
		{"count[gt]=1&count[lt]=10", false},
		{"name=a&name=Invoice Export", false}, // a repeated filter: AND
		{"name=Invoice Export&name=Invoice Export", true},
		{"name[not_eq]=a&name[not_eq]=b", true},
		{"count[in]=1,42&count[in]=42,3", true},
		{"owner[login]=jdoe&owner[team][code]=AP&active=true&at[lt]=2027-01-01", true},
		{"owner[login]=jdoe&owner[team][code]=AP&active=true&at[lt]=2026-01-01", false},
	})
}

// TestMatchAbsent covers nil fields, nil associations on the way to an
// element, the zero time and the empty string: absent elements match only
// [blank]=true, as NULL would in SQL.
func TestMatchAbsent(t *testing.T) {
	t.Run("zero record", func(t *testing.T) {
		runMatch(t, recSchema, &rec{}, []matchCase{
			{"name=x", false},
			{"name=", false},
			{"name[not_eq]=x", false},
			{"name[not_in]=x", false},
			{"name[in]=x", false},
			{"name[contains]=", false},
			{"name[gt]=", false},
			{"name[blank]=true", true},
			{"name[blank]=false", false},
			{"label[blank]=true", true},
			{"count=0", false},
			{"count[not_eq]=1", false},
			{"count[not_in]=1", false},
			{"count[lt]=100", false},
			{"count[blank]=true", true},
			{"count[blank]=false", false},
			{"size[not_eq]=1", false},
			{"price[not_eq]=1", false},
			{"active=false", false},
			{"active[not_eq]=true", false},
			{"active[not_in]=true", false},
			{"active[blank]=true", true},
			{"at[not_eq]=2026-01-01", false},
			{"at[lt]=2100-01-01", false},
			{"at[not_in]=2026-01-01", false},
			{"at[blank]=true", true},
			{"at[blank]=false", false},
			{"due[lt]=2100-01-01", false}, // the zero time.Time is absent
			{"due[not_eq]=2026-01-01", false},
			{"due[blank]=true", true},
			{"deep[not_eq]=x", false},
			{"deep[blank]=true", true},
			{"owner[login]=", false},
			{"owner[login][not_eq]=x", false},
			{"owner[login][blank]=true", true},
			{"owner[team][code][blank]=true", true},
			{"note[not_eq]=x", false}, // nil embedded *Audit
			{"note[blank]=true", true},
			// non-pointer fields are never absent; "" is a value but blank
			{"code=", true},
			{"code[not_eq]=x", true},
			{"code[not_in]=x", true},
			{"code[blank]=true", true},
			{"code[blank]=false", false},
			{"small=0", true},
			{"small[blank]=true", false},
			{"flag=false", true},
			{"flag[blank]=true", false},
		})
	})
	t.Run("pointer to nil pointer", func(t *testing.T) {
		var inner *string
		runMatch(t, recSchema, &rec{Deep: &inner}, []matchCase{
			{"deep[blank]=true", true},
			{"deep[not_eq]=x", false},
		})
	})
	t.Run("empty strings", func(t *testing.T) {
		runMatch(t, recSchema, &rec{Name: ptr(""), Owner: &person{}}, []matchCase{
			{"name=", true},
			{"name[not_eq]=x", true},
			{"name[blank]=true", true},
			{"name[blank]=false", false},
			{"name[contains]=", true},
			{"name[in]=,x", true},
			{"owner[login]=", true},
			{"owner[login][blank]=true", true},
		})
	})
	t.Run("zero time behind a pointer", func(t *testing.T) {
		runMatch(t, recSchema, &rec{At: &time.Time{}}, []matchCase{
			{"at[blank]=true", true},
			{"at[lt]=2100-01-01", false},
		})
	})
}

// TestDatetimeForms checks each accepted form designates exactly one
// instant: the filter matches a record stamped with it, and [gt]/[lt] split
// records one nanosecond apart.
func TestDatetimeForms(t *testing.T) {
	tests := []struct {
		value string // as url.Values delivers it
		want  time.Time
	}{
		{"2026-11-23", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{"2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"2026-11-23T10:00:00Z", t0},
		{"2026-11-23t10:00:00z", t0},
		{"2026-11-23T10:00:00", t0},
		{"2026-11-23T10:00", t0},
		{"2026-11-23 10:00:00", t0},
		{"2026-11-23T10:00Z", t0},
		{" 2026-11-23T10:00:00Z ", t0},
		{"2026-11-23T11:00:00+01:00", t0},
		{"2026-11-23T03:00:00-07:00", t0},
		{"2026-11-23T11:00:00 01:00", t0}, // "+" decoded as a space
		{"2026-11-23 11:00:00 01:00", t0},
		{"2026-11-23T15:30:00 05:30", t0},
		{"2026-11-23T11:00:00+0100", t0},
		{"2026-11-23T11:00:00 0100", t0},
		{"2026-11-23T11:00:00+01", t0},
		{"2026-11-23T11:00 01", t0},
		{"2026-11-23T10:00:00+00:00", t0},
		{"2026-11-23T10:00:00-00:00", t0},
		{"2026-11-24T09:00:00+23:00", t0},
		{"2026-11-23T10:00:00.5Z", t0.Add(500 * time.Millisecond)},
		{"2026-11-23T10:00:00,25Z", t0.Add(250 * time.Millisecond)},
		{"2026-11-23T11:00:00.123456789+01:00", t0.Add(123456789)},
		{"2026-11-23T10:00:00.000001", t0.Add(time.Microsecond)},
		{"2026-11-23T10:00:00.100 01:00", t0.Add(-time.Hour + 100*time.Millisecond)},
		{"2016-10-07T06:59:46-07:00", time.Date(2016, 10, 7, 13, 59, 46, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			filter := func(op string) *query.Filter {
				f, err := recSchema.Parse(url.Values{"at" + op: {tc.value}})
				require.NoError(t, err)
				return f
			}
			at := func(d time.Duration) *rec { return &rec{At: ptr(tc.want.Add(d))} }
			require.True(t, filter("").Match(at(0)))
			// the record's zone does not matter, only the instant
			require.True(t, filter("").Match(&rec{At: ptr(tc.want.In(time.FixedZone("PDT", -7*3600)))}))
			require.False(t, filter("").Match(at(time.Nanosecond)))
			require.False(t, filter("[gt]").Match(at(0)))
			require.True(t, filter("[gt]").Match(at(time.Nanosecond)))
			require.False(t, filter("[lt]").Match(at(0)))
			require.True(t, filter("[lt]").Match(at(-time.Nanosecond)))
		})
	}
}

// TestDatetimeEncodings parses raw query strings as a server receives them.
func TestDatetimeEncodings(t *testing.T) {
	s := query.MustSchemaOf(core.IntegrationError{})
	at := func(ts time.Time) *core.IntegrationError { return &core.IntegrationError{UpdatedAt: &ts} }
	nine := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, raw := range []string{
		"updated-at%5Bgt%5D=2026-11-23T10%3A00%3A00%2B01%3A00", // fully encoded
		"updated-at[gt]=2026-11-23T10%3A00%3A00%2B01%3A00",
		"updated-at[gt]=2026-11-23T10:00:00+01:00", // + decoded as a space
		"updated_at[gt]=2026-11-23T10:00:00%2B01:00",
		"updated_at%5Bgt%5D=2026-11-23T09%3A00%3A00Z",
		"updated-at[gt]=2026-11-23T09:00:00",
		"updated-at[gt]=2026-11-23T04:00:00-05:00",
		"updated-at[gt]=2026-11-23+09:00:00", // date, space, time
	} {
		t.Run(raw, func(t *testing.T) {
			f := parse(t, s, raw)
			require.False(t, f.Match(at(nine)))
			require.True(t, f.Match(at(nine.Add(time.Nanosecond))))
		})
	}
}

// TestPolling is how integrations find work: updated-at[gt] the last
// timestamp seen must return exactly the later records, whatever their zone.
func TestPolling(t *testing.T) {
	s := query.MustSchemaOf(core.IntegrationError{})
	cet := time.FixedZone("CET", 3600)
	stamps := []time.Time{
		t0.Add(-time.Nanosecond),
		t0,
		t0.In(cet),
		t0.Add(time.Nanosecond),
		t0.Add(time.Second).In(cet),
		time.Date(2026, 11, 23, 10, 59, 59, 0, cet), // 09:59:59Z
	}
	rows := make([]core.IntegrationError, len(stamps))
	for i := range rows {
		rows[i] = core.IntegrationError{Id: ptr(int64(i + 1)), UpdatedAt: ptr(stamps[i])}
	}
	ids := func(rawQuery string) []int64 {
		f := parse(t, s, rawQuery)
		var out []int64
		for i := range rows {
			if f.Match(&rows[i]) {
				out = append(out, *rows[i].Id)
			}
		}
		return out
	}
	require.Equal(t, []int64{4, 5}, ids("updated-at[gt]=2026-11-23T10:00:00Z"))
	require.Equal(t, []int64{4, 5}, ids("updated-at[gt]=2026-11-23T11:00:00%2B01:00"))
	require.Equal(t, []int64{2, 3, 4, 5}, ids("updated_at[gt_or_eq]=2026-11-23T10:00:00Z"))
	require.Equal(t, []int64{1, 6}, ids("updated-at[lt]=2026-11-23T10:00:00Z"))
	require.Equal(t, []int64{5}, ids("updated-at[gt]=2026-11-23T10:00:00.000000001Z"))
}

// TestCoreRecords filters the generated Core and Sourcing types.
func TestCoreRecords(t *testing.T) {
	errSchema := query.MustSchemaOf(core.IntegrationError{})
	ie := &core.IntegrationError{
		Id:               ptr(int64(7)),
		Status:           ptr("error"),
		Resolved:         ptr(false),
		ContactAlertType: core.Technical,
		DocumentType:     ptr(core.DocumentTypeAsnHeader),
		DocumentId:       ptr(int64(1001)),
		Integration:      &core.Integration{Id: ptr(int64(4)), Code: ptr("SAP"), Name: ptr("SAP export")},
		CreatedBy:        &core.User{Id: 9, Login: "jdoe", Email: ptr("jdoe@example.com")},
		UpdatedAt:        ptr(t0),
		IntegrationRun:   &core.IntegrationRun{Id: 12},
		Responses:        &[]core.IntegrationRecordResponse{{ResponseCode: ptr("500")}},
	}
	t.Run("IntegrationError", func(t *testing.T) {
		runMatch(t, errSchema, ie, []matchCase{
			{"status=error", true},
			{"status=warning", false},
			{"resolved=false", true},
			{"resolved=true", false},
			{"status=error&resolved=false", true},
			{"contact-alert-type=Technical", true},
			{"contact_alert_type[in]=Both,Functional", false},
			{"document-type=Asn::Header", true},
			{"document_type=Asn::Header", true},
			{"document-type[starts_with]=Asn::", true},
			{"document-id[gt_or_eq]=1001", true},
			{"integration[code]=SAP", true},
			{"integration[code]=sap", false},
			{"integration[code][in]=A,B", false},
			{"integration[code][in]=A,SAP", true},
			{"integration[id][gt]=3", true},
			{"integration[id][gt]=4", false},
			{"integration[name][contains]=export", true},
			{"created-by[login]=jdoe", true},
			{"created_by[login]=jdoe", true},
			{"created-by[id]=9", true},
			{"created-by[email][ends_with]=@example.com", true},
			{"updated-by[login][blank]=true", true},
			{"updated-by[login]=jdoe", false},
			{"integration-run[id]=12", true},
			{"integration-run-id[blank]=true", true},
			{"updated-at[gt]=2026-11-23T09:00:00Z", true},
			{"id=7", true},
			{"id[in]=1,2,3", false},
		})
	})
	t.Run("IntegrationError without integration", func(t *testing.T) {
		runMatch(t, errSchema, &core.IntegrationError{Id: ptr(int64(8))}, []matchCase{
			{"integration[code]=SAP", false},
			{"integration[code][not_eq]=SAP", false},
			{"integration[code][not_in]=A,B", false},
			{"integration[code][blank]=true", true},
			{"integration[id][gt]=0", false},
			{"contact-alert-type[blank]=true", true},
			{"contact-alert-type=", true},
		})
	})
	t.Run("IntegrationHistoryRecord", func(t *testing.T) {
		s := query.MustSchemaOf(core.IntegrationHistoryRecord{})
		runMatch(t, s, &core.IntegrationHistoryRecord{DocumentId: ptr(int64(5)), DocumentType: "Invoice", Exported: ptr(true)}, []matchCase{
			{"document-id=5", true},
			{"document-id[blank]=true", false},
			{"document-type=Invoice", true},
			{"exported=true", true},
			{"acknowledged[blank]=true", true},
		})
	})
	t.Run("sourcing.Event", func(t *testing.T) {
		s := query.MustSchemaOf(sourcing.Event{})
		state := sourcing.Active
		ev := &sourcing.Event{
			Id:       ptr("1234567890123456789"),
			MarketId: "17",
			Name:     ptr("Steel tender 2026"),
			State:    &state,
			Settings: &sourcing.EventSettings{Currency: ptr("USD"), AdditionalProperties: map[string]any{"x": 1}},
		}
		runMatch(t, s, ev, []matchCase{
			{"name[contains]=tender", true},
			{"state=Active", true},
			{"state[in]=Setup,Terminated", false},
			{"id=1234567890123456789", true},
			{"id[gt]=1234567890123456788", true},
			{"market-id=17", true},
			{"market_id[starts_with]=1", true},
			{"settings[currency]=USD", true},
			{"event-number[blank]=true", true},
		})
	})
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name   string
		schema *query.Schema
		values url.Values
		param  string
		reason string
	}{
		// names
		{"unknown element", recSchema, url.Values{"nope": {"1"}}, "nope",
			`unknown element "nope" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, owner, price, ratio, size, small, snake_name)`},
		{"ignored field", recSchema, url.Values{"Skipped": {"x"}}, "Skipped",
			`unknown element "Skipped" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, owner, price, ratio, size, small, snake_name)`},
		{"unexported field", recSchema, url.Values{"hidden": {"x"}}, "hidden",
			`unknown element "hidden" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, owner, price, ratio, size, small, snake_name)`},
		{"names are case-sensitive", recSchema, url.Values{"Name": {"x"}}, "Name",
			`unknown element "Name" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, owner, price, ratio, size, small, snake_name)`},
		{"unknown nested element", recSchema, url.Values{"owner[nope]": {"x"}}, "owner[nope]",
			`"owner" has no element "nope" (elements: boss, login, team)`},
		{"unknown deeply nested element", recSchema, url.Values{"owner[boss][team][nope][in]": {"x"}}, "owner[boss][team][nope][in]",
			`"owner[boss][team]" has no element "nope" (elements: code)`},
		{"association", recSchema, url.Values{"owner": {"x"}}, "owner",
			`"owner" is an association: filter on one of its elements, e.g. owner[login]=value (elements: boss, login, team)`},
		{"association with an operator", recSchema, url.Values{"owner[in]": {"x"}}, "owner[in]",
			`"owner" is an association: filter on one of its elements, e.g. owner[login]=value (elements: boss, login, team)`},
		{"association with blank", recSchema, url.Values{"owner[blank]": {"true"}}, "owner[blank]",
			`"owner" is an association: filter on one of its elements, e.g. owner[login]=value (elements: boss, login, team)`},
		{"nested association", recSchema, url.Values{"owner[team]": {"x"}}, "owner[team]",
			`"owner[team]" is an association: filter on one of its elements, e.g. owner[team][code]=value (elements: code)`},
		{"list", recSchema, url.Values{"tags": {"a"}}, "tags", `"tags" is a list and cannot be filtered`},
		{"list with an operator", recSchema, url.Values{"tags[contains]": {"a"}}, "tags[contains]", `"tags" is a list and cannot be filtered`},
		{"map", recSchema, url.Values{"extra[k]": {"v"}}, "extra[k]", `"extra" is a map and cannot be filtered`},
		{"interface", recSchema, url.Values{"any": {"x"}}, "any", `"any" (interface {}) cannot be filtered`},
		{"core list", errSchema, url.Values{"responses": {"x"}}, "responses", `"responses" is a list and cannot be filtered`},
		{"core list element", errSchema, url.Values{"responses[response-code]": {"500"}}, "responses[response-code]",
			`"responses" is a list and cannot be filtered`},
		{"core association", errSchema, url.Values{"integration": {"x"}}, "integration",
			`"integration" is an association: filter on one of its elements, e.g. integration[code]=value (elements: code, id, name)`},
		// operators
		{"unknown operator", recSchema, url.Values{"name[like]": {"x"}}, "name[like]",
			`unknown operator [like] (operators: contains, starts_with, ends_with, gt, lt, gt_or_eq, lt_or_eq, not_eq, in, not_in, blank)`},
		{"hyphenated operator", recSchema, url.Values{"name[starts-with]": {"x"}}, "name[starts-with]",
			`unknown operator [starts-with] (operators: contains, starts_with, ends_with, gt, lt, gt_or_eq, lt_or_eq, not_eq, in, not_in, blank)`},
		{"eq is not an operator", recSchema, url.Values{"name[eq]": {"x"}}, "name[eq]",
			`unknown operator [eq] (operators: contains, starts_with, ends_with, gt, lt, gt_or_eq, lt_or_eq, not_eq, in, not_in, blank)`},
		{"element after a scalar", recSchema, url.Values{"name[first]": {"x"}}, "name[first]",
			`unknown operator [first] (operators: contains, starts_with, ends_with, gt, lt, gt_or_eq, lt_or_eq, not_eq, in, not_in, blank)`},
		{"after the operator", recSchema, url.Values{"name[gt][lt]": {"x"}}, "name[gt][lt]", `nothing may follow the operator [gt]`},
		{"contains on an integer", recSchema, url.Values{"count[contains]": {"4"}}, "count[contains]",
			`operator [contains] applies only to strings; "count" is an integer`},
		{"starts_with on a datetime", recSchema, url.Values{"at[starts_with]": {"2026"}}, "at[starts_with]",
			`operator [starts_with] applies only to strings; "at" is a datetime`},
		{"ends_with on a boolean", recSchema, url.Values{"active[ends_with]": {"e"}}, "active[ends_with]",
			`operator [ends_with] applies only to strings; "active" is a boolean`},
		{"contains on a float", recSchema, url.Values{"price[contains]": {"1"}}, "price[contains]",
			`operator [contains] applies only to strings; "price" is a number`},
		{"contains on an unsigned", recSchema, url.Values{"size[contains]": {"1"}}, "size[contains]",
			`operator [contains] applies only to strings; "size" is an unsigned integer`},
		{"gt on a boolean", recSchema, url.Values{"active[gt]": {"true"}}, "active[gt]",
			`operator [gt] applies only to numbers, datetimes and strings; "active" is a boolean`},
		{"lt_or_eq on a nested boolean", recSchema, url.Values{"flag[lt_or_eq]": {"true"}}, "flag[lt_or_eq]",
			`operator [lt_or_eq] applies only to numbers, datetimes and strings; "flag" is a boolean`},
		{"contains on a nested integer", errSchema, url.Values{"integration[id][contains]": {"1"}}, "integration[id][contains]",
			`operator [contains] applies only to strings; "integration[id]" is an integer`},
		// values
		{"bad integer", recSchema, url.Values{"count": {"abc"}}, "count", `"abc" is not an integer`},
		{"decimal for an integer", recSchema, url.Values{"count[gt]": {"1.5"}}, "count[gt]", `"1.5" is not an integer`},
		{"empty integer", recSchema, url.Values{"count": {""}}, "count", `"" is not an integer`},
		{"integer out of range", recSchema, url.Values{"count": {"99999999999999999999"}}, "count",
			`"99999999999999999999" is out of range for an integer`},
		{"negative unsigned", recSchema, url.Values{"size": {"-1"}}, "size", `"-1" is not an unsigned integer`},
		{"NaN", recSchema, url.Values{"price": {"NaN"}}, "price", `"NaN" is not a number`},
		{"Inf", recSchema, url.Values{"price[lt]": {"Inf"}}, "price[lt]", `"Inf" is not a number`},
		{"decimal comma", recSchema, url.Values{"price": {"1,5"}}, "price", `"1,5" is not a number`},
		{"bad boolean", recSchema, url.Values{"active": {"yes"}}, "active", `"yes" is not a boolean (use true or false)`},
		{"boolean in capitals", recSchema, url.Values{"active": {"TRUE"}}, "active", `"TRUE" is not a boolean (use true or false)`},
		{"boolean as a digit", recSchema, url.Values{"flag": {"1"}}, "flag", `"1" is not a boolean (use true or false)`},
		{"empty boolean", recSchema, url.Values{"flag": {""}}, "flag", `"" is not a boolean (use true or false)`},
		{"bad datetime", errSchema, url.Values{"updated-at[gt]": {"yesterday"}}, "updated-at[gt]",
			`"yesterday" is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`},
		{"bad datetime, underscores", errSchema, url.Values{"updated_at[gt]": {"yesterday"}}, "updated_at[gt]",
			`"yesterday" is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`},
		{"bad nested integer", errSchema, url.Values{"integration[id][gt]": {"three"}}, "integration[id][gt]", `"three" is not an integer`},
		{"long value", recSchema, url.Values{"count": {long}}, "count", `"` + long[:64] + `..." is not an integer`},
		// lists
		{"bad list item", recSchema, url.Values{"count[in]": {"1,x"}}, "count[in]", `"x" (in "1,x") is not an integer`},
		{"empty list item", recSchema, url.Values{"count[not_in]": {"1,,2"}}, "count[not_in]", `"" (in "1,,2") is not an integer`},
		{"bad datetime item", recSchema, url.Values{"at[in]": {"2026-01-01,soon"}}, "at[in]",
			`"soon" (in "2026-01-01,soon") is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`},
		{"bad boolean item", recSchema, url.Values{"active[in]": {"true,no"}}, "active[in]", `"no" (in "true,no") is not a boolean (use true or false)`},
		{"empty in", recSchema, url.Values{"count[in]": {""}}, "count[in]", `empty list (use comma-separated values, e.g. count[in]=a,b)`},
		{"empty not_in", errSchema, url.Values{"integration[code][not_in]": {""}}, "integration[code][not_in]",
			`empty list (use comma-separated values, e.g. integration[code][not_in]=a,b)`},
		// blank
		{"blank yes", recSchema, url.Values{"name[blank]": {"yes"}}, "name[blank]", `"yes" is not a boolean (use [blank]=true or [blank]=false)`},
		{"blank empty", recSchema, url.Values{"count[blank]": {""}}, "count[blank]", `"" is not a boolean (use [blank]=true or [blank]=false)`},
		// malformed names
		{"unclosed bracket", recSchema, url.Values{"name[gt": {"x"}}, "name[gt", malformed},
		{"stray bracket", recSchema, url.Values{"name]": {"x"}}, "name]", malformed},
		{"no element", recSchema, url.Values{"[gt]": {"x"}}, "[gt]", malformed},
		{"empty brackets", recSchema, url.Values{"name[]": {"x"}}, "name[]", malformed},
		{"text after brackets", recSchema, url.Values{"name[gt]x": {"x"}}, "name[gt]x", malformed},
		{"nested brackets", recSchema, url.Values{"name[[gt]]": {"x"}}, "name[[gt]]", malformed},
		{"empty name", recSchema, url.Values{"": {"x"}}, "", malformed},
		// the first bad parameter, in sorted order, and a bad second value
		{"first in order", recSchema, url.Values{"zzz": {"1"}, "count": {"x"}, "name": {"ok"}}, "count", `"x" is not an integer`},
		{"second value", recSchema, url.Values{"count": {"1", "two"}}, "count", `"two" is not an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.schema.Parse(tc.values)
			require.Nil(t, f)
			var qe *query.Error
			require.True(t, errors.As(err, &qe), "error %v", err)
			require.Equal(t, query.Error{Param: tc.param, Reason: tc.reason}, *qe)
			require.EqualError(t, err, `filter "`+tc.param+`": `+tc.reason)
		})
	}
}

const malformed = "malformed name (use element=value, element[operator]=value or association[element]=value)"

var errSchema = query.MustSchemaOf(core.IntegrationError{})

func TestErrorMessage(t *testing.T) {
	_, err := errSchema.Parse(url.Values{"updated-at[gt]": {"yesterday"}})
	require.EqualError(t, err,
		`filter "updated-at[gt]": "yesterday" is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`)
}

func TestBadDatetimes(t *testing.T) {
	for _, v := range []string{
		"", "yesterday", "now", "1700000000", "20261123", "20261123T100000Z",
		"2026/11/23", "2026-11-3", "26-11-23", "2026-1-23", "2026-11-23T", "2026-11-23T10",
		"2026-11-23T1:00", "2026-11-23X10:00:00", "2026-11-23T10:00:", "2026-11-23T10:00:0",
		"2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2025-02-29",
		"2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z", "2026-11-23T10:00:60Z",
		"2026-11-23T10:00:00.Z", "2026-11-23T10:00:00.1234567890Z", "2026-11-23T10:00:00.5.5Z",
		"2026-11-23T10:00:00+1", "2026-11-23T10:00:00+01:0", "2026-11-23T10:00:00+010",
		"2026-11-23T10:00:00+24:00", "2026-11-23T10:00:00+01:60", "2026-11-23T10:00:00+01-00",
		"2026-11-23T10:00:00ZZ", "2026-11-23T10:00:00 Z", "2026-11-23T10:00:00UTC",
		"2026-11-23T10:00:00+", "2026-11-23T10:00:00  01:00", "+2026-11-23", "2026-11-23Z",
		"２０２６-11-23",
	} {
		t.Run(v, func(t *testing.T) {
			_, err := recSchema.Parse(url.Values{"at[gt]": {v}})
			var qe *query.Error
			require.True(t, errors.As(err, &qe), "%q parsed", v)
			require.Equal(t, "at[gt]", qe.Param)
			require.True(t, strings.HasSuffix(qe.Reason, ` is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`), qe.Reason)
		})
	}
}

func TestReserved(t *testing.T) {
	raw := `limit=50&offset=100&order_by=id&dir=desc&return_object=limited&fields=["id",{"integration":["code"]}]`
	reserved := []string{"limit", "offset", "order_by", "dir", "return_object", "fields"}

	f := parse(t, errSchema, raw, reserved...)
	require.True(t, f.Empty())
	require.True(t, f.Match(&core.IntegrationError{}))

	f = parse(t, errSchema, raw+"&status=error", reserved...)
	require.False(t, f.Empty())
	require.True(t, f.Match(&core.IntegrationError{Status: ptr("error")}))
	require.False(t, f.Match(&core.IntegrationError{Status: ptr("warning")}))

	// not reserved: an unknown element, reported in sorted order
	values, err := url.ParseQuery(raw)
	require.NoError(t, err)
	_, err = errSchema.Parse(values)
	var qe *query.Error
	require.True(t, errors.As(err, &qe))
	require.Equal(t, "dir", qe.Param)

	// reserved names are taken as written
	_, err = errSchema.Parse(url.Values{"order-by": {"id"}}, reserved...)
	require.True(t, errors.As(err, &qe))
	require.Equal(t, "order-by", qe.Param)

	// a reserved name shadows an element of that name
	f, err = errSchema.Parse(url.Values{"status": {"x"}}, "status")
	require.NoError(t, err)
	require.True(t, f.Empty())
}

func TestFilterBasics(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		for _, values := range []url.Values{nil, {}, {"status": {}}} {
			f, err := errSchema.Parse(values)
			require.NoError(t, err)
			require.True(t, f.Empty())
			require.True(t, f.Match(&core.IntegrationError{}))
			require.True(t, f.Match(core.IntegrationError{}))
		}
	})
	t.Run("nil filter", func(t *testing.T) {
		var f *query.Filter
		require.True(t, f.Empty())
		require.True(t, f.Match(&core.IntegrationError{}))
	})
	f := parse(t, errSchema, "status=error")
	t.Run("value or pointer", func(t *testing.T) {
		require.True(t, f.Match(&core.IntegrationError{Status: ptr("error")}))
		require.True(t, f.Match(core.IntegrationError{Status: ptr("error")}))
		require.False(t, f.Match(core.IntegrationError{Status: ptr("warning")}))
	})
	t.Run("nil pointer", func(t *testing.T) {
		require.False(t, f.Match((*core.IntegrationError)(nil)))
		require.False(t, parse(t, errSchema, "status[blank]=true").Match((*core.IntegrationError)(nil)))
	})
	t.Run("wrong type", func(t *testing.T) {
		require.PanicsWithValue(t,
			"query: Filter.Match(*core.IntegrationHistoryRecord): the filter was parsed for *core.IntegrationError records",
			func() { f.Match(&core.IntegrationHistoryRecord{}) })
		require.PanicsWithValue(t,
			"query: Filter.Match(<nil>): the filter was parsed for *core.IntegrationError records",
			func() { f.Match(nil) })
		require.PanicsWithValue(t,
			"query: Filter.Match(**core.IntegrationError): the filter was parsed for *core.IntegrationError records",
			func() { f.Match(ptr(&core.IntegrationError{})) })
	})
	t.Run("allocations", func(t *testing.T) {
		g := parse(t, errSchema, "status[in]=error,warning&updated-at[gt]=2026-11-23&integration[code][starts_with]=S")
		r := &core.IntegrationError{
			Status: ptr("error"), UpdatedAt: ptr(t0), Integration: &core.Integration{Code: ptr("SAP")},
		}
		require.True(t, g.Match(r))
		require.Zero(t, testing.AllocsPerRun(100, func() { g.Match(r) }))
	})
}

// TestConcurrentMatch shares one schema and filter between goroutines (run
// with -race).
func TestConcurrentMatch(t *testing.T) {
	rows := benchStore(2000)
	f := parse(t, errSchema, "status=error&integration[code][in]=SAP,WORKDAY")
	want := 0
	for i := range rows {
		if f.Match(&rows[i]) {
			want++
		}
	}
	require.Positive(t, want)
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for g := range counts {
		wg.Go(func() {
			for i := range rows {
				if f.Match(&rows[i]) {
					counts[g]++
				}
			}
		})
	}
	wg.Wait()
	for _, n := range counts {
		require.Equal(t, want, n)
	}
}

func TestSchemaOf(t *testing.T) {
	t.Run("errors", func(t *testing.T) {
		for _, v := range []any{nil, 42, "x", time.Time{}, &time.Time{}, []core.IntegrationError{}, map[string]any{}} {
			_, err := query.SchemaOf(v)
			require.Error(t, err, "%T", v)
			require.True(t, strings.HasPrefix(err.Error(), "query: SchemaOf("), err.Error())
		}
		require.Panics(t, func() { query.MustSchemaOf(42) })
	})
	t.Run("pointer", func(t *testing.T) {
		s, err := query.SchemaOf((*core.IntegrationError)(nil))
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(errSchema.Elements(), s.Elements()))
		f := parse(t, s, "status=error")
		require.True(t, f.Match(&core.IntegrationError{Status: ptr("error")}))
	})
	t.Run("elements", func(t *testing.T) {
		want := []string{
			"contact-alert-type", "created-at",
			"created-by[email]", "created-by[firstname]", "created-by[id]", "created-by[lastname]", "created-by[login]",
			"creation-method", "document-id", "document-revision", "document-status", "document-type",
			"external-id", "id",
			"integration-filename", "integration-run-id", "integration-run[id]",
			"integration[code]", "integration[id]", "integration[name]",
			"resolved", "status", "updated-at",
			"updated-by[email]", "updated-by[firstname]", "updated-by[id]", "updated-by[lastname]", "updated-by[login]",
		}
		require.Empty(t, cmp.Diff(want, errSchema.Elements()))
		require.Empty(t, cmp.Diff([]string{
			"NoTag", "active", "at", "code", "count", "deep", "due", "flag", "kind", "label", "name", "note",
			"owner[login]", "owner[team][code]", "price", "ratio", "size", "small", "snake_name",
		}, recSchema.Elements()))
	})
	t.Run("every element filters", func(t *testing.T) {
		for _, s := range []*query.Schema{errSchema, recSchema, query.MustSchemaOf(sourcing.Event{})} {
			for _, e := range s.Elements() {
				_, err := s.Parse(url.Values{e + "[blank]": {"true"}})
				require.NoError(t, err, e)
			}
		}
	})
}

// Time-like struct types are datetimes; underscored tags are reachable
// with hyphens and the reverse; two names that read the same keep their
// exact spellings.
func TestSchemaEdgeCases(t *testing.T) {
	type stamp time.Time
	type date struct{ time.Time }
	type edge struct {
		Stamp   *stamp `json:"stamp"`
		Date    date   `json:"date"`
		AB      string `json:"a-b"`
		AUB     string `json:"a_b"`
		Complex complex128
	}
	s := query.MustSchemaOf(edge{})
	r := &edge{Stamp: ptr(stamp(t0)), Date: date{t0}, AB: "hyphen", AUB: "underscore"}
	runMatch(t, s, r, []matchCase{
		{"stamp=2026-11-23T10:00:00Z", true},
		{"stamp[gt]=2026-11-23", true},
		{"date=2026-11-23T10:00:00Z", true},
		{"date[lt]=2026-11-23", false},
		{"a-b=hyphen", true},
		{"a_b=underscore", true},
	})
	_, err := s.Parse(url.Values{"Complex": {"1"}})
	require.EqualError(t, err, `filter "Complex": "Complex" (complex128) cannot be filtered`)
	_, err = s.Parse(url.Values{"stamp[contains]": {"2026"}})
	require.EqualError(t, err, `filter "stamp[contains]": operator [contains] applies only to strings; "stamp" is a datetime`)
}

// TestNumberSizes reads every size of integer and float, at its limits.
func TestNumberSizes(t *testing.T) {
	type sizes struct {
		I8   int8     `json:"i8"`
		I16  *int16   `json:"i16"`
		I32  int32    `json:"i32"`
		I    int      `json:"i"`
		U8   uint8    `json:"u8"`
		U16  uint16   `json:"u16"`
		U32  *uint32  `json:"u32"`
		U64  uint64   `json:"u64"`
		U    uint     `json:"u"`
		F32  *float32 `json:"f32"`
		F64  float64  `json:"f64"`
		Next *sizes   `json:"next"`
	}
	s := query.MustSchemaOf(sizes{})
	r := &sizes{
		I8: -128, I16: ptr(int16(-32768)), I32: -2147483648, I: -9223372036854775808,
		U8: 255, U16: 65535, U32: ptr(uint32(4294967295)), U64: 18446744073709551615, U: 7,
		F32: ptr(float32(-1.5)), F64: 1e300,
		Next: &sizes{I8: 1, U64: 2},
	}
	runMatch(t, s, r, []matchCase{
		{"i8=-128", true}, {"i8[lt]=-127", true}, {"i8[gt]=-129", true}, {"i8[in]=1,-128", true},
		{"i16=-32768", true}, {"i16[not_eq]=32767", true},
		{"i32=-2147483648", true}, {"i32[lt_or_eq]=-2147483648", true},
		{"i=-9223372036854775808", true}, {"i[gt]=-9223372036854775808", false},
		{"u8=255", true}, {"u8[gt]=254", true}, {"u8[gt]=255", false},
		{"u16=65535", true}, {"u16[gt_or_eq]=65535", true},
		{"u32=4294967295", true}, {"u32[not_in]=1,2", true},
		{"u64=18446744073709551615", true}, {"u64[lt]=18446744073709551615", false},
		{"u=7", true}, {"u[not_eq]=7", false}, {"u[lt_or_eq]=7", true}, {"u[gt_or_eq]=8", false},
		{"f32=-1.5", true}, {"f32[gt]=-2", true}, {"f32[not_in]=-1.5", false}, {"f32[blank]=false", true},
		{"f64=1e300", true}, {"f64[gt_or_eq]=1e300", true}, {"f64[not_in]=1,2", true}, {"f64[gt]=1e301", false},
		{"next[i8]=1", true}, {"next[u64][gt]=1", true}, {"next[next][u8][blank]=true", true},
	})
	_, err := s.Parse(url.Values{"u8": {"18446744073709551616"}})
	require.EqualError(t, err, `filter "u8": "18446744073709551616" is out of range for an unsigned integer`)
}

// TestNothingFilterable covers records and associations with no filterable
// elements.
func TestNothingFilterable(t *testing.T) {
	type empty struct{}
	type holder struct {
		Empty *empty   `json:"empty"`
		List  []string `json:"list"`
	}
	_, err := query.MustSchemaOf(empty{}).Parse(url.Values{"x": {"1"}})
	require.EqualError(t, err, `filter "x": unknown element "x" (there are no filterable elements)`)
	s := query.MustSchemaOf(holder{})
	require.Empty(t, s.Elements())
	_, err = s.Parse(url.Values{"empty": {"1"}})
	require.EqualError(t, err, `filter "empty": "empty" is an association with no filterable elements`)
	_, err = s.Parse(url.Values{"empty[x]": {"1"}})
	require.EqualError(t, err, `filter "empty[x]": "empty" has no element "x" (there are no filterable elements)`)
	_, err = s.Parse(url.Values{"list[blank]": {"true"}})
	require.EqualError(t, err, `filter "list[blank]": "list" is a list and cannot be filtered`)
}
