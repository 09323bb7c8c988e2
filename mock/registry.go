package mock

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/brianvoe/gofakeit/v6"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/internal/wire"
)

// The APIs a resource belongs to.
const (
	coreAPI     = "core"
	sourcingAPI = "sourcing"
)

// resourceDef is the one definition of a resource: every name the mock
// uses for it (path, XML roots, error key, messages) is derived from its
// path name, and its table, seeding and store operations hang off it. Each
// resource has its own file (integration_errors.go, events.go, ...) holding
// its definition, its seeding, its store operations and the handlers of its
// operations, and registers itself from that file's init.
type resourceDef struct {
	// api is coreAPI or sourcingAPI.
	api string
	// name is the plural as the path has it: "integration_errors" for
	// /api/integration_errors. Every operation under /api/<name> is the
	// resource's.
	name string
	// schema is the spec's component schema of one record.
	schema string
	// rank orders seeding: a resource seeds after those of lower rank,
	// which it may refer to. Ranks are unique.
	rank int

	// newTable makes the resource's empty store table.
	newTable func() any
	// seed, when set, seeds the resource once, before any seedEach.
	seed func(*seeding)
	// seedEach, when set, seeds record i of 1..Options.Records, in turn
	// with the other resources' record i.
	seedEach func(sd *seeding, i int)
	// build, when set, makes the resource's run-time part from the spec
	// (elements the server sets, the filter schema): what its handlers
	// reach with runtime.
	build func(m *Mock, doc *openapi3.T) (any, error)
	// lenient names the bulk operations whose items the handler validates
	// one by one, so that one bad item does not reject the others: the
	// validator checks only the body's envelope.
	lenient []string

	index int // place in registry, the state's tables and the mock's runtimes
	// singular is Singular, worked out once by register: every request
	// names its resource.
	singular string
}

// Path is where the resource's operations are: /api/integration_errors.
func (d *resourceDef) Path() string { return "/api/" + d.name }

// Plural is the wire name of many records, the root of an XML list:
// integration-errors.
func (d *resourceDef) Plural() string { return wire.Hyphenate(d.name) }

// Singular is the wire name of one record: the root of an XML record and
// the key of the resource's errors, integration-error.
func (d *resourceDef) Singular() string {
	if d.singular != "" {
		return d.singular
	}
	return wire.Singular(d.Plural())
}

// Human names one record in messages: "integration error".
func (d *resourceDef) Human() string { return wire.Human(d.name) }

// registry holds every resource, in the order they registered.
var registry []*resourceDef

// register adds a resource to the registry; each resource's file calls it
// from its init, with every field set.
func register(d *resourceDef) {
	for _, o := range registry {
		if o.name == d.name || o.rank == d.rank {
			panic(fmt.Sprintf("mock: resources %s and %s share a name or a rank", o.name, d.name))
		}
	}
	if d.newTable == nil {
		panic("mock: resource " + d.name + " has no table")
	}
	d.index = len(registry)
	d.singular = wire.Singular(d.Plural())
	registry = append(registry, d)
}

// bySeedOrder returns defs ordered by rank.
func bySeedOrder(defs []*resourceDef) []*resourceDef {
	out := slices.Clone(defs)
	slices.SortFunc(out, func(a, b *resourceDef) int { return cmp.Compare(a.rank, b.rank) })
	return out
}

// outsideRegistry are the spec paths that no resource owns: the mock
// serves them itself (the OAuth token endpoint).
var outsideRegistry = map[string]bool{"/oauth2/token": true}

// claim maps every operation of an API's spec to its resource: the one
// whose Path the operation's path is or starts with. An operation no
// resource claims is an error, so that a new path in the spec cannot go
// unserved or be named after another resource.
func claim(api string, doc *openapi3.T, defs []*resourceDef) (map[string]*resourceDef, error) {
	out := map[string]*resourceDef{}
	var unclaimed []string
	for path, item := range doc.Paths.Map() {
		if outsideRegistry[path] {
			continue
		}
		var owner *resourceDef
		for _, d := range defs {
			if d.api == api && (path == d.Path() || strings.HasPrefix(path, d.Path()+"/")) {
				owner = d
			}
		}
		for method, op := range item.Operations() {
			if owner == nil {
				unclaimed = append(unclaimed, fmt.Sprintf("%s %s (%s)", method, path, op.OperationID))
				continue
			}
			out[op.OperationID] = owner
		}
	}
	if len(unclaimed) > 0 {
		slices.Sort(unclaimed)
		return nil, fmt.Errorf("mock: the %s spec has operations no resource claims: %s; add a resource file to mock/ (see the package doc)", api, strings.Join(unclaimed, ", "))
	}
	return out, nil
}

// tableOf returns a resource's table in a state.
func tableOf[T any](st *state, d *resourceDef) *table[T] {
	return st.tables[d.index].(*table[T])
}

// runtimeOf returns a resource's run-time part, as its build made it.
func runtimeOf[R any](m *Mock, d *resourceDef) R {
	return m.runtimes[d.index].(R)
}

// seeding is what a resource's seed and seedEach see: the state being
// seeded, the faker whose draws make it deterministic, and how many records
// each resource gets.
type seeding struct {
	f       *gofakeit.Faker
	st      *state
	records int
	// pick is what the record being seeded shares with the records of
	// the same number of other resources.
	pick seedPick
	// slabs hold the elements seedPtr and seedCol hand out, by type and
	// column.
	slabs map[slabKey]any
	// shared holds seedShared's values, a map[T]*T by type.
	shared map[reflect.Type]any
}

// seedShared returns a pointer to v that every seeded record with an
// equal value shares: a value seeding draws from a few (a status, a user,
// an integration) is kept once, not once a record, so that the collector
// scans its pointers once rather than in every record's copy on every
// cycle. Sharing is safe because no record is written through its
// pointers: an update replaces a pointer, never what it points to
// (record.go).
func seedShared[T comparable](sd *seeding, v T) *T {
	t := reflect.TypeFor[T]()
	m, _ := sd.shared[t].(map[T]*T)
	if m == nil {
		m = map[T]*T{}
		if sd.shared == nil {
			sd.shared = map[reflect.Type]any{}
		}
		sd.shared[t] = m
	}
	p := m[v]
	if p == nil {
		p = seedPtr(sd, v)
		m[v] = p
	}
	return p
}

// slabKey names a slab: the type of its elements and, for seedCol, the
// column (element) they are.
type slabKey struct {
	t   reflect.Type
	col string
}

// slab hands out pointers into big chunks of T.
type slab[T any] struct{ chunk []T }

// seedPtr returns a pointer to a copy of v for a seeded record. The copies
// sit side by side in big chunks, one per type, rather than each in its own
// small allocation: a scan over the seeded records then reads memory in
// order, and the collector has far fewer objects to mark.
func seedPtr[T any](sd *seeding, v T) *T { return seedCol(sd, "", v) }

// seedCol is seedPtr for one element (column) of the records of one
// resource, col naming both ("integration_errors.status"): its copies sit
// side by side, so that a filter on it, which reads it in every record,
// reads memory densely.
func seedCol[T any](sd *seeding, col string, v T) *T {
	key := slabKey{reflect.TypeFor[T](), col}
	s, _ := sd.slabs[key].(*slab[T])
	if s == nil {
		s = &slab[T]{}
		if sd.slabs == nil {
			sd.slabs = map[slabKey]any{}
		}
		sd.slabs[key] = s
	}
	if len(s.chunk) == cap(s.chunk) {
		s.chunk = make([]T, 0, 4096)
	}
	s.chunk = append(s.chunk, v)
	return &s.chunk[len(s.chunk)-1]
}
