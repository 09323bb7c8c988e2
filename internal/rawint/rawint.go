// Package rawint reads integers of any Go size through an unsafe.Pointer:
// what the mock's JSON encoder and the query package's order need of a
// struct field they reach by its offset, once reflection has told them its
// kind and size.
package rawint

import "unsafe"

// Int reads a signed integer of size bytes (1, 2, 4 or 8) at p.
func Int(p unsafe.Pointer, size uintptr) int64 {
	switch size {
	case 1:
		return int64(*(*int8)(p))
	case 2:
		return int64(*(*int16)(p))
	case 4:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

// Uint reads an unsigned integer of size bytes (1, 2, 4 or 8) at p.
func Uint(p unsafe.Pointer, size uintptr) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}
