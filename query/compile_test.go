package query

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
	"unsafe"
)

type kindsName string

type kindsStamp time.Time

type kindsDate struct{ time.Time }

type kindsInner struct {
	Code  *string    `json:"code,omitempty"`
	Level int8       `json:"level"`
	At    *time.Time `json:"at,omitempty"`
	Next  *kindsInner
}

type KindsEmbedded struct {
	Note *string `json:"note,omitempty"`
	Rank uint8   `json:"rank"`
}

// kinds has an element of every kind and size the compiler specialises
// for, by value and through pointers.
type kinds struct {
	S   string      `json:"s"`
	PS  *string     `json:"ps,omitempty"`
	N   kindsName   `json:"n"`
	PPS **string    `json:"pps,omitempty"`
	I8  int8        `json:"i8"`
	I16 *int16      `json:"i16,omitempty"`
	I32 int32       `json:"i32"`
	I64 *int64      `json:"i64,omitempty"`
	I   int         `json:"i"`
	U8  uint8       `json:"u8"`
	U16 *uint16     `json:"u16,omitempty"`
	U32 uint32      `json:"u32"`
	U64 *uint64     `json:"u64,omitempty"`
	UP  uintptr     `json:"up"`
	F32 float32     `json:"f32"`
	F64 *float64    `json:"f64,omitempty"`
	B   bool        `json:"b"`
	PB  *bool       `json:"pb,omitempty"`
	T   time.Time   `json:"t"`
	PT  *time.Time  `json:"pt,omitempty"`
	ST  *kindsStamp `json:"st,omitempty"`
	D   kindsDate   `json:"d"`
	In  *kindsInner `json:"in,omitempty"`
	Val kindsInner  `json:"val"`
	*KindsEmbedded
}

// kindsPools are the values records and operands are drawn from, few
// enough per kind that filters often hit them exactly.
var (
	kindsStrings = []string{"", "a", "ab", "abc", "b", "error", "errors", "warning", "Error", "é", "a,b"}
	kindsInts    = []int64{math.MinInt64, -129, -128, -1, 0, 1, 7, 127, 128, 255, 256, 65535, 1 << 31, math.MaxInt64}
	kindsFloats  = []float64{math.Inf(-1), -1.5, -0, 0, 0.1, 0.25, 1, 1e300, math.NaN()}
	kindsBase    = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	kindsTimes   = []time.Time{
		{}, // the zero time: absent
		kindsBase,
		kindsBase.Add(time.Nanosecond),
		kindsBase.Add(-time.Nanosecond),
		kindsBase.Add(time.Second),
		kindsBase.In(time.FixedZone("", 3600)),   // the same instant elsewhere
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), // a nanosecond after the zero time
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Now(), // with a monotonic reading
	}
)

func pick[T any](r *rand.Rand, pool []T) T { return pool[r.IntN(len(pool))] }

// maybe returns a pointer to v, or nil one time in four.
func maybe[T any](r *rand.Rand, v T) *T {
	if r.IntN(4) == 0 {
		return nil
	}
	return &v
}

func randomKinds(r *rand.Rand) *kinds {
	inner := func() kindsInner {
		in := kindsInner{Code: maybe(r, pick(r, kindsStrings)), Level: int8(pick(r, kindsInts)), At: maybe(r, pick(r, kindsTimes))}
		if r.IntN(2) == 0 {
			in.Next = &kindsInner{Code: maybe(r, pick(r, kindsStrings))}
		}
		return in
	}
	k := &kinds{
		S: pick(r, kindsStrings), PS: maybe(r, pick(r, kindsStrings)), N: kindsName(pick(r, kindsStrings)),
		I8: int8(pick(r, kindsInts)), I16: maybe(r, int16(pick(r, kindsInts))), I32: int32(pick(r, kindsInts)),
		I64: maybe(r, pick(r, kindsInts)), I: int(pick(r, kindsInts)),
		U8: uint8(pick(r, kindsInts)), U16: maybe(r, uint16(pick(r, kindsInts))), U32: uint32(pick(r, kindsInts)),
		U64: maybe(r, uint64(pick(r, kindsInts))), UP: uintptr(pick(r, kindsInts)),
		F32: float32(pick(r, kindsFloats)), F64: maybe(r, pick(r, kindsFloats)),
		B: r.IntN(2) == 0, PB: maybe(r, r.IntN(2) == 0),
		T: pick(r, kindsTimes), PT: maybe(r, pick(r, kindsTimes)), ST: maybe(r, kindsStamp(pick(r, kindsTimes))),
		D: kindsDate{pick(r, kindsTimes)}, Val: inner(),
	}
	if r.IntN(4) != 0 {
		k.PPS = maybe(r, maybe(r, pick(r, kindsStrings)))
		in := inner()
		k.In = &in
	}
	if r.IntN(3) != 0 {
		k.KindsEmbedded = &KindsEmbedded{Note: maybe(r, pick(r, kindsStrings)), Rank: uint8(pick(r, kindsInts))}
	}
	return k
}

// operands returns raw operands for an element of kind k, as a client
// writes them.
func operands(k kind) []string {
	var out []string
	switch k {
	case kindString:
		out = append(out, kindsStrings...)
	case kindInt, kindUint:
		for _, n := range kindsInts {
			out = append(out, fmt.Sprint(n))
		}
	case kindFloat:
		out = append(out, "-1.5", "0", "0.1", "0.25", "1", "1e300", "-0")
	case kindBool:
		out = append(out, "true", "false")
	case kindTime:
		for _, t := range kindsTimes[1:] {
			out = append(out, t.Format(time.RFC3339Nano))
		}
		out = append(out, "0001-01-01T00:00:00Z") // the zero time itself
	}
	return out
}

// TestCompiledIsReference holds the compiled filters to the interpreter
// they replace (refMatch), clause by clause and for conjunctions, on random
// records with absent, zero and edge values: every element of every kind,
// every operator that applies, many operands.
func TestCompiledIsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]*kinds, 400)
	for i := range recs {
		recs[i] = randomKinds(r)
	}
	recs[0] = &kinds{} // every pointer nil, every time zero
	schema := MustSchemaOf(kinds{})
	var filters []*Filter
	var names []string
	for _, elem := range schema.Elements() {
		tgt, reason := schema.resolve(elem)
		if reason != "" {
			t.Fatalf("%s: %s", elem, reason)
		}
		ops := operands(tgt.elem.kind)
		for o := opEq; o <= opBlank; o++ {
			key := elem
			if o != opEq {
				key = elem + "[" + operatorNames[o] + "]"
			}
			if applies(o, tgt.elem.kind) != "" {
				continue
			}
			raws := ops
			switch o {
			case opBlank:
				raws = []string{"true", "false"}
			case opIn, opNotIn:
				raws = nil
				for range 6 {
					raws = append(raws, pick(r, ops)+","+pick(r, ops))
				}
				raws = append(raws, ops[0])
			}
			for _, raw := range raws {
				f, err := schema.Parse(url.Values{key: {raw}})
				if err != nil {
					continue // an operand this element cannot take (a negative uint)
				}
				filters = append(filters, f)
				names = append(names, key+"="+raw)
			}
		}
	}
	if len(filters) < 500 {
		t.Fatalf("only %d filters", len(filters))
	}
	// Conjunctions of two and three of them.
	singles := len(filters)
	for range 300 {
		values := url.Values{}
		for range 2 + r.IntN(2) {
			f := r.IntN(singles)
			key, raw, _ := strings.Cut(names[f], "=")
			values.Add(key, raw)
		}
		f, err := schema.Parse(values)
		if err != nil {
			t.Fatal(err)
		}
		filters = append(filters, f)
		names = append(names, values.Encode())
	}
	split := 0 // filters that match some records and not others
	for i, f := range filters {
		mf := MatchFunc[kinds](f)
		hits := 0
		for j, rec := range recs {
			want := true
			for c := range f.clauses {
				if !f.clauses[c].refMatch(unsafe.Pointer(rec)) {
					want = false
					break
				}
			}
			if got := f.Match(rec); got != want {
				t.Fatalf("%s, record %d: Match = %v, the reference says %v", names[i], j, got, want)
			}
			if got := mf(rec); got != want {
				t.Fatalf("%s, record %d: MatchFunc = %v, the reference says %v", names[i], j, got, want)
			}
			if want {
				hits++
			}
		}
		if hits > 0 && hits < len(recs) {
			split++
		}
	}
	if split < len(filters)/2 {
		t.Fatalf("only %d of %d filters tell records apart", split, len(filters))
	}
}
