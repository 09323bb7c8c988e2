package coupaxml

import "time"

// DatetimeLayout is how Coupa writes a datetime, in XML and JSON alike: ISO
// 8601 to the second with a numeric offset, never Z
// (2026-12-01T08:17:20+00:00, 2016-10-07T06:59:46-07:00), as the seed pages
// show.
const DatetimeLayout = "2006-01-02T15:04:05-07:00"

// FormatDatetime writes t as Coupa does (DatetimeLayout), in t's own zone
// and to the second: a fraction of a second is dropped, as Rails drops it.
func FormatDatetime(t time.Time) string {
	return t.Truncate(time.Second).Format(DatetimeLayout)
}

// Datetime rewrites an RFC 3339 datetime, such as Go's encoding/json writes
// (2026-12-01T08:17:20.5Z), in Coupa's form (2026-12-01T08:17:20+00:00),
// keeping its offset. Text that is not an RFC 3339 datetime is returned
// unchanged, so that a wrong value stays visible.
func Datetime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return FormatDatetime(t)
}
