package mock

import (
	"errors"
	"iter"
	"sort"
	"sync"
	"sync/atomic"
)

// errNotFound reports an id that no record has.
var errNotFound = errors.New("not found")

// chunkSize is how many records a table keeps in one block of memory.
// Records live in blocks of this size, never in one slice of them all: a
// slice that grows copies every record under the table's lock, and at a
// few hundred thousand records that copy (and the zeroing of the new
// array) stopped every request of the table for tens of milliseconds,
// and the whole process while the garbage collector waited for it. A
// block is allocated whole when the last one is full.
const chunkSize = 1024

// table is an in-memory list of records ordered by id, safe for concurrent
// use. Records are stored and returned by value: callers never share a
// record with the table, and the table never changes a record in place.
type table[T any] struct {
	mu   sync.RWMutex
	idOf func(*T) int64
	// chunks hold the records ordered by id, chunkSize a chunk: every
	// chunk but the last is full.
	chunks [][]T
	n      int           // records
	pos    map[int64]int // id -> index among the records
	nextID int64
	// gen, when set, counts the changes to the state the table is part of
	// (the answer cache's generation, answers.go); every change adds one
	// under the table's lock.
	gen *atomic.Uint64
}

func newTable[T any](idOf func(*T) int64, firstID int64) *table[T] {
	return &table[T]{idOf: idOf, pos: map[int64]int{}, nextID: firstID}
}

// watch makes every change to the table count in gen.
func (t *table[T]) watch(gen *atomic.Uint64) { t.gen = gen }

// changed counts a change; the caller holds the write lock and calls it
// only when the table does change (a refused or failed change leaves the
// answers of the state as they were, cached ones included).
func (t *table[T]) changed() {
	if t.gen != nil {
		t.gen.Add(1)
	}
}

// at returns the record at index i; the caller holds a lock.
func (t *table[T]) at(i int) *T { return &t.chunks[i/chunkSize][i%chunkSize] }

// push appends a record; the caller holds the write lock.
func (t *table[T]) push(rec T) {
	k := len(t.chunks) - 1
	switch {
	case k < 0 || len(t.chunks[k]) == chunkSize:
		t.chunks = append(t.chunks, make([]T, 0, chunkSize))
		k++
	case len(t.chunks[k]) == cap(t.chunks[k]): // a short last chunk of load's
		c := make([]T, len(t.chunks[k]), chunkSize)
		copy(c, t.chunks[k])
		t.chunks[k] = c
	}
	t.chunks[k] = append(t.chunks[k], rec)
	t.pos[t.idOf(&rec)] = t.n
	t.n++
}

// rows yields every record in order; the caller holds a lock.
func (t *table[T]) rows() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for _, c := range t.chunks {
			for i := range c {
				if !yield(&c[i]) {
					return
				}
			}
		}
	}
}

// size returns how many records the table holds.
func (t *table[T]) size() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.n
}

// row returns the record at index i (0 <= i < size()).
func (t *table[T]) row(i int) T {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return *t.at(i)
}

// insert assigns the next id through setID, stores the record and returns it.
func (t *table[T]) insert(rec T, setID func(*T, int64)) T {
	rec, _ = t.insertChecked(rec, setID, nil)
	return rec
}

// insertChecked is insert after check, which sees every record under the
// table's lock (for uniqueness): an error from it stores nothing.
func (t *table[T]) insertChecked(rec T, setID func(*T, int64), check func(rows iter.Seq[*T]) error) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if check != nil {
		if err := check(t.rows()); err != nil {
			return rec, err
		}
	}
	id := t.nextID
	t.nextID++
	setID(&rec, id)
	t.changed()
	t.push(rec)
	return rec, nil
}

// find returns the first record for which match is true.
func (t *table[T]) find(match func(*T) bool) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for r := range t.rows() {
		if match(r) {
			return *r, true
		}
	}
	var zero T
	return zero, false
}

// get returns the record with this id.
func (t *table[T]) get(id int64) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.pos[id]
	if !ok {
		var zero T
		return zero, false
	}
	return *t.at(i), true
}

// update replaces the record with this id by what change returns. change
// runs under the table's lock, so read-modify-write is atomic; an error from
// change leaves the record as it was.
func (t *table[T]) update(id int64, change func(T) (T, error)) (T, error) {
	return t.updateChecked(id, func(rec T, _ iter.Seq[*T]) (T, error) { return change(rec) })
}

// updateChecked is update whose change also sees every record (for
// uniqueness).
func (t *table[T]) updateChecked(id int64, change func(rec T, rows iter.Seq[*T]) (T, error)) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.pos[id]
	if !ok {
		var zero T
		return zero, errNotFound
	}
	p := t.at(i)
	rec, err := change(*p, t.rows())
	if err != nil {
		return *p, err
	}
	t.changed()
	*p = rec
	return rec, nil
}

// updateAll applies change to every record named by ids, all or nothing: an
// unknown id returns errNotFound with the missing ids and changes nothing.
func (t *table[T]) updateAll(ids []int64, change func(T) T) ([]T, []int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var missing []int64
	for _, id := range ids {
		if _, ok := t.pos[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, missing, errNotFound
	}
	t.changed()
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		p := t.at(t.pos[id])
		*p = change(*p)
		out = append(out, *p)
	}
	return out, nil, nil
}

// remove deletes the record with this id and returns it.
func (t *table[T]) remove(id int64) (T, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.pos[id]
	if !ok {
		var zero T
		return zero, false
	}
	t.changed()
	rec := *t.at(i)
	for j := i; j < t.n-1; j++ {
		*t.at(j) = *t.at(j + 1)
		t.pos[t.idOf(t.at(j))] = j
	}
	var zero T
	*t.at(t.n - 1) = zero
	k := (t.n - 1) / chunkSize
	if t.chunks[k] = t.chunks[k][:len(t.chunks[k])-1]; len(t.chunks[k]) == 0 {
		t.chunks = t.chunks[:k]
	}
	t.n--
	delete(t.pos, id)
	return rec, true
}

// list returns the records for which match is true, skipping offset of them
// and keeping at most limit. With total it also counts every match, else it
// stops once the page is full and the count is only a lower bound.
func (t *table[T]) list(match func(*T) bool, offset, limit int, total bool) ([]T, int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if match == nil {
		return t.page(offset, limit, total)
	}
	out := make([]T, 0, min(limit, t.n))
	n := 0
	for _, c := range t.chunks {
		for i := range c {
			if match != nil && !match(&c[i]) {
				continue
			}
			if n >= offset && len(out) < limit {
				out = append(out, c[i])
			} else if !total && len(out) >= limit {
				return out, n
			}
			n++
		}
	}
	return out, n
}

// page is list without a filter: the records from index offset on, found
// by their place, not by counting those before them (a deep page costs its
// own records alone), with the count list gives.
func (t *table[T]) page(offset, limit int, total bool) ([]T, int) {
	if limit <= 0 {
		if total {
			return []T{}, t.n
		}
		return []T{}, 0
	}
	lo := min(max(offset, 0), t.n)
	hi := lo + min(limit, t.n-lo)
	out := make([]T, 0, hi-lo)
	for i := lo; i < hi; {
		c := t.chunks[i/chunkSize][i%chunkSize:]
		c = c[:min(len(c), hi-i)]
		out = append(out, c...)
		i += len(c)
	}
	if total {
		return out, t.n
	}
	return out, hi
}

// load replaces every record, for seeding; ids must be increasing. The
// table keeps rows (in chunks that share its memory).
func (t *table[T]) load(rows []T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changed()
	sort.SliceStable(rows, func(i, j int) bool { return t.idOf(&rows[i]) < t.idOf(&rows[j]) })
	t.chunks = make([][]T, 0, (len(rows)+chunkSize-1)/chunkSize)
	for lo := 0; lo < len(rows); lo += chunkSize {
		hi := min(lo+chunkSize, len(rows))
		t.chunks = append(t.chunks, rows[lo:hi:hi])
	}
	t.n = len(rows)
	t.pos = make(map[int64]int, len(rows))
	for i := range rows {
		id := t.idOf(&rows[i])
		t.pos[id] = i
		if id >= t.nextID {
			t.nextID = id + 1
		}
	}
}

// seedRow appends a seeded record, whose id is above every other's.
func (t *table[T]) seedRow(rec T) {
	t.changed()
	t.push(rec)
	if id := t.idOf(&rec); id >= t.nextID {
		t.nextID = id + 1
	}
}
