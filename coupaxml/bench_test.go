package coupaxml_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/coupakit/coupakit/coupaxml"
)

// integrationErrors returns n integration errors like the fixture, with
// ids 1 to n.
func integrationErrors(tb testing.TB, n int) []any {
	tb.Helper()
	values := make([]any, n)
	for i := range values {
		v := fixture(tb, "integration_error.json")
		v["id"] = json.Number(strconv.Itoa(i + 1))
		values[i] = v
	}
	return values
}

// BenchmarkEncodeList50 writes a full page of integration errors, the
// largest XML answer the mock gives.
func BenchmarkEncodeList50(b *testing.B) {
	schema := coreSchema(b, "IntegrationError")
	values := integrationErrors(b, 50)
	var buf bytes.Buffer
	if err := coupaxml.EncodeList(&buf, "integration-errors", "integration-error", values, schema); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := coupaxml.EncodeList(io.Discard, "integration-errors", "integration-error", values, schema); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode reads one full integration error.
func BenchmarkDecode(b *testing.B) {
	schema := coreSchema(b, "IntegrationError")
	var buf bytes.Buffer
	if err := coupaxml.Encode(&buf, "integration-error", fixture(b, "integration_error.json"), schema); err != nil {
		b.Fatal(err)
	}
	body := buf.Bytes()
	roots := []string{"integration-error"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := coupaxml.Decode(bytes.NewReader(body), roots, schema); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendDatetime writes one datetime in a zone with an offset,
// as every list answer writes several per record: ns/op against
// time.Time.AppendFormat with the same layout.
func BenchmarkAppendDatetime(b *testing.B) {
	tm := time.Date(2026, 12, 1, 8, 17, 20, 750_000_000, time.FixedZone("", 5*3600+30*60))
	buf := make([]byte, 0, 64)
	b.Run("AppendDatetime", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = coupaxml.AppendDatetime(buf[:0], tm)
		}
	})
	b.Run("AppendFormat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = tm.Truncate(time.Second).AppendFormat(buf[:0], coupaxml.DatetimeLayout)
		}
	})
}
