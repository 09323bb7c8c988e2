package rawint

import (
	"math"
	"testing"
	"unsafe"
)

func TestIntAndUint(t *testing.T) {
	i8, i16, i32, i64 := int8(math.MinInt8), int16(math.MinInt16), int32(math.MinInt32), int64(math.MinInt64)
	u8, u16, u32, u64 := uint8(math.MaxUint8), uint16(math.MaxUint16), uint32(math.MaxUint32), uint64(math.MaxUint64)
	for _, tt := range []struct {
		p    unsafe.Pointer
		size uintptr
		want int64
	}{{unsafe.Pointer(&i8), 1, math.MinInt8}, {unsafe.Pointer(&i16), 2, math.MinInt16}, {unsafe.Pointer(&i32), 4, math.MinInt32}, {unsafe.Pointer(&i64), 8, math.MinInt64}} {
		if got := Int(tt.p, tt.size); got != tt.want {
			t.Errorf("Int(size %d) = %d, want %d", tt.size, got, tt.want)
		}
	}
	for _, tt := range []struct {
		p    unsafe.Pointer
		size uintptr
		want uint64
	}{{unsafe.Pointer(&u8), 1, math.MaxUint8}, {unsafe.Pointer(&u16), 2, math.MaxUint16}, {unsafe.Pointer(&u32), 4, math.MaxUint32}, {unsafe.Pointer(&u64), 8, math.MaxUint64}} {
		if got := Uint(tt.p, tt.size); got != tt.want {
			t.Errorf("Uint(size %d) = %d, want %d", tt.size, got, tt.want)
		}
	}
}
