package mock

import (
	"errors"
	"sort"
	"sync"
)

// errNotFound reports an id that no record has.
var errNotFound = errors.New("not found")

// table is an in-memory list of records ordered by id, safe for concurrent
// use. Records are stored and returned by value: callers never share a
// record with the table, and the table never changes a record in place.
type table[T any] struct {
	mu     sync.RWMutex
	idOf   func(*T) int64
	rows   []T           // ordered by id
	pos    map[int64]int // id -> index in rows
	nextID int64
}

func newTable[T any](idOf func(*T) int64, firstID int64) *table[T] {
	return &table[T]{idOf: idOf, pos: map[int64]int{}, nextID: firstID}
}

// insert assigns the next id through setID, stores the record and returns it.
func (t *table[T]) insert(rec T, setID func(*T, int64)) T {
	rec, _ = t.insertChecked(rec, setID, nil)
	return rec
}

// insertChecked is insert after check, which sees every record under the
// table's lock (for uniqueness): an error from it stores nothing.
func (t *table[T]) insertChecked(rec T, setID func(*T, int64), check func(rows []T) error) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if check != nil {
		if err := check(t.rows); err != nil {
			return rec, err
		}
	}
	id := t.nextID
	t.nextID++
	setID(&rec, id)
	t.pos[id] = len(t.rows)
	t.rows = append(t.rows, rec)
	return rec, nil
}

// find returns the first record for which match is true.
func (t *table[T]) find(match func(*T) bool) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range t.rows {
		if match(&t.rows[i]) {
			return t.rows[i], true
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
	return t.rows[i], true
}

// update replaces the record with this id by what change returns. change
// runs under the table's lock, so read-modify-write is atomic; an error from
// change leaves the record as it was.
func (t *table[T]) update(id int64, change func(T) (T, error)) (T, error) {
	return t.updateChecked(id, func(rec T, _ []T) (T, error) { return change(rec) })
}

// updateChecked is update whose change also sees every record (for
// uniqueness).
func (t *table[T]) updateChecked(id int64, change func(rec T, rows []T) (T, error)) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.pos[id]
	if !ok {
		var zero T
		return zero, errNotFound
	}
	rec, err := change(t.rows[i], t.rows)
	if err != nil {
		return t.rows[i], err
	}
	t.rows[i] = rec
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
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		i := t.pos[id]
		t.rows[i] = change(t.rows[i])
		out = append(out, t.rows[i])
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
	rec := t.rows[i]
	t.rows = append(t.rows[:i], t.rows[i+1:]...)
	delete(t.pos, id)
	for j := i; j < len(t.rows); j++ {
		t.pos[t.idOf(&t.rows[j])] = j
	}
	return rec, true
}

// list returns the records for which match is true, skipping offset of them
// and keeping at most limit. With total it also counts every match, else it
// stops once the page is full and the count is only a lower bound.
func (t *table[T]) list(match func(*T) bool, offset, limit int, total bool) ([]T, int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]T, 0, min(limit, len(t.rows)))
	n := 0
	for i := range t.rows {
		if match != nil && !match(&t.rows[i]) {
			continue
		}
		if n >= offset && len(out) < limit {
			out = append(out, t.rows[i])
		} else if !total && len(out) >= limit {
			break
		}
		n++
	}
	return out, n
}

// load replaces every record, for seeding; ids must be increasing.
func (t *table[T]) load(rows []T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sort.SliceStable(rows, func(i, j int) bool { return t.idOf(&rows[i]) < t.idOf(&rows[j]) })
	t.rows = rows
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
	id := t.idOf(&rec)
	t.pos[id] = len(t.rows)
	t.rows = append(t.rows, rec)
	if id >= t.nextID {
		t.nextID = id + 1
	}
}
