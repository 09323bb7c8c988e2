package coupaxml_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/coupaxml"
)

func TestDatetime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-12-01T08:17:20Z", "2026-12-01T08:17:20+00:00"},
		{"2026-12-01T08:17:20.999999999Z", "2026-12-01T08:17:20+00:00"},
		{"2026-12-01T08:17:20+00:00", "2026-12-01T08:17:20+00:00"},
		{"2016-10-07T06:59:46-07:00", "2016-10-07T06:59:46-07:00"},
		{"2026-12-01T13:47:20.5+05:30", "2026-12-01T13:47:20+05:30"},
		{"2026-12-01", "2026-12-01"},                   // a date alone is not a datetime
		{"2026-12-01T08:17:20", "2026-12-01T08:17:20"}, // no offset: left as is
		{"yesterday", "yesterday"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := coupaxml.Datetime(tt.in); got != tt.want {
			t.Errorf("Datetime(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatDatetime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := time.Date(2026, 12, 1, 8, 17, 20, 750_000_000, time.UTC)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{at, "2026-12-01T08:17:20+00:00"},
		{at.In(berlin), "2026-12-01T09:17:20+01:00"},
		{at.AddDate(0, 6, 0).In(berlin), "2027-06-01T10:17:20+02:00"},
		{at.In(time.FixedZone("", -7*3600)), "2026-12-01T01:17:20-07:00"},
	} {
		if got := coupaxml.FormatDatetime(tt.t); got != tt.want {
			t.Errorf("FormatDatetime(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// TestDatetimeElements shows that datetimes are written as Rails writes them
// (type="dateTime", to the second with an offset) and read in both
// spellings of the type.
func TestDatetimeElements(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	var b bytes.Buffer
	v := jsonValue(t, `{"id": 1, "contact-alert-type": "Technical", "resolved": false,
		"created-at": "2026-12-01T08:17:20.25Z", "updated-at": "2026-12-01T09:17:20+01:00"}`)
	if err := coupaxml.Encode(&b, "integration-error", v, schema); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<created-at type="dateTime">2026-12-01T08:17:20+00:00</created-at>`,
		`<updated-at type="dateTime">2026-12-01T09:17:20+01:00</updated-at>`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), `type="datetime"`) {
		t.Errorf("output types a datetime datetime, not dateTime:\n%s", b.String())
	}
	for _, typ := range []string{"dateTime", "datetime", "DateTime"} {
		body := `<integration-error><contact-alert-type>Both</contact-alert-type>` +
			`<created-at type="` + typ + `">2026-12-01T08:17:20+00:00</created-at>` +
			`<updated-at type="` + typ + `"></updated-at></integration-error>`
		_, got, err := coupaxml.Decode(strings.NewReader(body), errorRoots, schema)
		if err != nil {
			t.Errorf("type=%q: %v", typ, err)
			continue
		}
		want := map[string]any{"contact-alert-type": "Both", "created-at": "2026-12-01T08:17:20+00:00"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("type=%q: (-want +got):\n%s", typ, diff)
		}
	}
}
