package coupaxml

import (
	"io"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// ListWriter writes a list as [EncodeList] does, byte for byte, one item at
// a time: each item is encoded whole, then written to w once the buffer
// holds more than a few tens of KiB, so that a long list of large records
// costs about its largest item, never its whole size.
//
// Unlike EncodeList, a ListWriter has written the items before a failed
// one: a caller that has sent a status must then cut the answer short.
type ListWriter struct {
	w          io.Writer
	e          *encoder
	root, item string
	n          int
	err        error
}

// listFlush is the buffered size past which a ListWriter writes to w.
const listFlush = 32 << 10

// NewListWriter starts a list whose root element is root, holding elements
// named item (the [Singular] of root when empty, else "item"). Nothing is
// written until the first item or Close.
func NewListWriter(w io.Writer, root, item string) (*ListWriter, error) {
	if item == "" {
		item = Singular(root)
		if item == "" {
			item = "item"
		}
	}
	if err := checkName(root); err != nil {
		return nil, err
	}
	if err := checkName(item); err != nil {
		return nil, err
	}
	return &ListWriter{w: w, e: newEncoder(), root: root, item: item}, nil
}

// Write adds one item, value described by schema (the schema of one
// record; each item may have its own). When it fails, nothing of the item
// is written, and the error names the item by its index.
func (l *ListWriter) Write(value any, schema *openapi3.Schema) error {
	if l.err != nil {
		return l.err
	}
	// The mark is before the root the first item opens: a first item that
	// fails takes the root with it, for the next item (or Close) to write.
	mark := l.e.buf.Len()
	if l.n == 0 {
		l.e.open(l.root, "array")
		l.e.buf.WriteByte('\n')
	}
	sl := newSlot(l.item, schema)
	if err := l.e.element(&sl, value, 1); err != nil {
		l.e.buf.Truncate(mark)
		return within(err, strconv.Itoa(l.n))
	}
	l.n++
	if l.e.buf.Len() >= listFlush {
		if _, err := l.w.Write(l.e.buf.Bytes()); err != nil {
			l.err = err
			return err
		}
		l.e.buf.Reset()
	}
	return nil
}

// Close ends the list (an empty list is <root type="array"/>), writes what
// is left and gives the encoder back. The ListWriter is done afterwards.
func (l *ListWriter) Close() error {
	if l.e == nil {
		return l.err
	}
	defer func() { l.e.free(); l.e = nil }()
	if l.err != nil {
		return l.err
	}
	if l.n == 0 {
		l.e.empty(l.root, "array", false)
	} else {
		l.e.close(l.root)
	}
	_, err := l.w.Write(l.e.buf.Bytes())
	return err
}
