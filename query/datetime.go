package query

import "time"

// parseDatetime parses the ISO 8601 forms that Coupa clients send, all in
// the extended format (with - and :):
//
//	2026-11-23                        midnight UTC
//	2026-11-23T10:00                  no zone: UTC
//	2026-11-23T10:00:00
//	2026-11-23T10:00:00.123456789     fraction of 1 to 9 digits, after . or ,
//	2026-11-23T10:00:00Z              Z or z
//	2026-11-23T10:00:00+01:00         also +0100 and +01, or with -
//	2026-11-23T10:00:00 01:00         a + that form decoding made a space
//
// The date and time may be separated by T, t or a space. The result is in
// UTC.
func parseDatetime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return time.Time{}, false
	}
	if len(s) == 10 {
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), true
	}
	switch s[10] {
	case 'T', 't', ' ':
	default:
		return time.Time{}, false
	}
	r := s[11:]
	if len(r) < 5 || r[2] != ':' {
		return time.Time{}, false
	}
	hour, ok1 := digits(r[0:2])
	minute, ok2 := digits(r[3:5])
	if !ok1 || !ok2 || hour > 23 || minute > 59 {
		return time.Time{}, false
	}
	r = r[5:]
	second, nanos := 0, 0
	if len(r) > 0 && r[0] == ':' {
		if len(r) < 3 {
			return time.Time{}, false
		}
		var ok bool
		if second, ok = digits(r[1:3]); !ok || second > 59 {
			return time.Time{}, false
		}
		r = r[3:]
		if len(r) > 0 && (r[0] == '.' || r[0] == ',') {
			n := 1
			for n < len(r) && r[n] >= '0' && r[n] <= '9' {
				n++
			}
			if n == 1 || n > 10 { // 1 to 9 digits
				return time.Time{}, false
			}
			nanos, _ = digits(r[1:n])
			for range 10 - n {
				nanos *= 10
			}
			r = r[n:]
		}
	}
	offset := 0 // seconds east of UTC
	switch {
	case r == "", r == "Z", r == "z":
	case r[0] == '+' || r[0] == '-' || r[0] == ' ':
		var hh, mm int
		var ok bool
		switch z := r[1:]; {
		case len(z) == 2:
			hh, ok = digits(z)
		case len(z) == 4:
			hh, ok1 = digits(z[0:2])
			mm, ok2 = digits(z[2:4])
			ok = ok1 && ok2
		case len(z) == 5 && z[2] == ':':
			hh, ok1 = digits(z[0:2])
			mm, ok2 = digits(z[3:5])
			ok = ok1 && ok2
		}
		if !ok || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		offset = hh*3600 + mm*60
		if r[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// digits parses a string of ASCII digits only.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days of a month of a year.
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
