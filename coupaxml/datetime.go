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
	return string(AppendDatetime(make([]byte, 0, len(DatetimeLayout)), t))
}

// AppendDatetime appends t as FormatDatetime writes it, byte for byte, but
// without the layout interpreter of time.Time.AppendFormat: answers that
// list many records write several datetimes each.
func AppendDatetime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	_, offset := t.Zone()
	if year < 0 || year > 9999 || offset <= -100*3600 || offset >= 100*3600 {
		return t.Truncate(time.Second).AppendFormat(b, DatetimeLayout)
	}
	hour, minute, second := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, minute)
	b = append(b, ':')
	b = append2(b, second)
	// As the layout's -07:00 writes the offset: in whole minutes, the sign
	// that of the minutes (an offset of -30 s is +00:00).
	zone := offset / 60
	if zone < 0 {
		b = append(b, '-')
		zone = -zone
	} else {
		b = append(b, '+')
	}
	b = append2(b, zone/60)
	b = append(b, ':')
	return append2(b, zone%60)
}

// append2 appends n, from 0 to 99, in two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
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
