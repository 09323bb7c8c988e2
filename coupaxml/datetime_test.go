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

// formatSlow is what AppendDatetime must write: the layout through
// time.Time.AppendFormat.
func formatSlow(t time.Time) string {
	return t.Truncate(time.Second).Format(coupaxml.DatetimeLayout)
}

// datetimeZones are zones with whole-hour, half-hour, quarter-hour,
// second-precise (local mean time) and far offsets, on both sides of UTC.
func datetimeZones(t testing.TB) []*time.Location {
	zones := []*time.Location{time.UTC, time.FixedZone("", -7*3600), time.FixedZone("", 5*3600+30*60),
		time.FixedZone("", 5*3600+45*60), time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("", 14*3600),
		time.FixedZone("", -30), time.FixedZone("", 29), time.FixedZone("", -(3600 + 59)),
		time.FixedZone("", 99*3600+59*60), time.FixedZone("", -100*3600), time.FixedZone("", 150*3600)}
	for _, name := range []string{"Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Europe/Amsterdam"} {
		if loc, err := time.LoadLocation(name); err == nil { // Amsterdam: +00:19:32 before 1937
			zones = append(zones, loc)
		}
	}
	return zones
}

func TestAppendDatetimeIsAppendFormat(t *testing.T) {
	instants := []time.Time{
		time.Date(2026, 12, 1, 8, 17, 20, 750_000_000, time.UTC),
		time.Date(2016, 10, 7, 6, 59, 46, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 2, 28, 23, 59, 59, 500, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Unix(0, 0),
		{},
	}
	// And a spread of instants from 1700 to 2300, a prime number of
	// seconds and nanoseconds apart.
	for s := int64(-8_520_336_000); s < 10_413_792_000; s += 7_654_321_987 / 7 {
		instants = append(instants, time.Unix(s, s%1_000_000_007))
	}
	for _, loc := range datetimeZones(t) {
		for _, at := range instants {
			tm := at.In(loc)
			if got, want := string(coupaxml.AppendDatetime([]byte("x"), tm)), "x"+formatSlow(tm); got != want {
				t.Errorf("AppendDatetime(%v in %v) = %q, want %q", at, loc, got, want)
			}
		}
	}
}

func FuzzAppendDatetime(f *testing.F) {
	f.Add(int64(1796113040), int64(750_000_000), 0)
	f.Add(int64(-62135596800), int64(0), -7*3600)
	f.Add(int64(253402300799), int64(999_999_999), 5*3600+30*60)
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", offset%(200*3600)))
		if got, want := string(coupaxml.AppendDatetime(nil, tm)), formatSlow(tm); got != want {
			t.Errorf("AppendDatetime(%d, %d, %d) = %q, want %q", sec, nsec, offset, got, want)
		}
	})
}
