package conformance

import (
	"net/url"
	"strings"
)

// kind is a resource kind as the shared check families see it. The Core
// API's records (coreRes) and the Sourcing API's events (eventsRes) each
// implement it once, and each family (the index, show, required elements,
// enums, output-only elements, input constraints) is written once over it,
// in the families_*.go files.
type kind interface {
	// facts says what the families need to know of the kind.
	facts() kindFacts
	// minimal returns a create body (one item) with the required elements
	// and the marker.
	minimal(c *cctx, marker string) map[string]any
	// createOne sends a create of one item and returns the new id ("" when
	// nothing was created) and the record answered (nil when the answer
	// does not hold it).
	createOne(c *cctx, body map[string]any, valid bool) (id string, answered map[string]any, ex *exchange)
	// newID creates a record with the required elements only.
	newID(c *cctx) string
	// fetch reads a record back with show; it ends the check unless 200.
	fetch(c *cctx, id string) (map[string]any, *exchange)
	// updateOne sends a change of one record, whatever the answer.
	updateOne(c *cctx, id string, body map[string]any, valid bool) *exchange
	// deleteOne deletes a record; false when the kind has no delete.
	deleteOne(c *cctx, id string) (*exchange, bool)
	// nothingCreated fails the check if a record carries marker.
	nothingCreated(c *cctx, marker, what string)
	// page gets one page of the index; it ends the check unless 200.
	page(c *cctx, q url.Values) listPage
	// updateBody returns a change of every element the suite can fill in,
	// to values that differ from rec's.
	updateBody(rec map[string]any, variant int) map[string]any
	// ensure makes the index hold n records or more, creating marked ones
	// when the run may; it reports whether it does.
	ensure(c *cctx, n int) bool
}

// kindFacts is what the families know of a kind from the spec.
type kindFacts struct {
	name        string // the checks' prefix, and the enum coverage's resource
	api         string
	noun, nouns string // "record", "records"
	maxPage     int    // the default and largest page
	// The operations the families are about.
	listOp, showOp, createOp string
	resolveOp                string // "" when the kind has no resolve
	// els are the elements of a create item; itemPointer is its schema's
	// JSON pointer, for the sources.
	els         []element
	itemPointer string
	// filterEls are the elements of a record of the index, for the filters;
	// updEls those of an update body.
	filterEls, updEls []element
	// marker is the element that carries the run's marker ("" for none).
	marker string
	// references are elements that refer to another resource, which the
	// server looks up by the elements inside them (an integration by its
	// id or code): the nested input family leaves their children alone.
	references []string
	// createOnly are elements of the update body that cannot be changed
	// once set (the spec's descriptions say so): the input family probes
	// them on create only.
	createOnly []string
	// Sources of the index's rules.
	listSource, limitSource, offsetSource, pastEndSource, filterSource, badParamSource string
	showSource, notFoundSource                                                         string
	unknownID                                                                          string
	// total says the index answers a total count beside the page.
	total bool
	// filterID says the filter check tries id=<id> too; underscores that
	// it tries each hyphenated name with underscores.
	filterID, underscores bool
	// readOnlyExtra is added to the update of the output-only check, for
	// kinds that refuse an update that changes nothing.
	readOnlyExtra map[string]any
	// changeTracking are the output-only elements an update changes by
	// design.
	changeTracking []string
	sp             *spec
}

// listPage is one page of an index.
type listPage struct {
	ex    *exchange
	recs  []map[string]any
	ids   []string
	total int64 // with kindFacts.total
}

// source is the spec source of a pointer of the kind's spec.
func (f kindFacts) source(pointer string) string { return f.sp.source(pointer) }

// add appends a check of the kind, must unless it says otherwise: the
// families' checks and each kind's own.
func (f kindFacts) add(out *[]*check, chk *check) {
	chk.api = f.api
	if chk.level == "" {
		chk.level = Must
	}
	*out = append(*out, chk)
}

// first returns the record with the smallest id, creating one when the
// index is empty and the run may.
func first(c *cctx, k kind) (map[string]any, bool) {
	p := k.page(c, url.Values{"limit": {"1"}})
	if len(p.recs) == 0 {
		if c.s.target.ReadOnly {
			return nil, false
		}
		k.newID(c)
		p = k.page(c, url.Values{"limit": {"1"}})
	}
	if len(p.recs) == 0 {
		c.fatalf(p.ex, "the index is empty after a create")
	}
	return p.recs[0], true
}

// hyphenAliases returns name and, when it has hyphens, its spelling with
// underscores.
func hyphenAliases(name string, underscores bool) []string {
	if !underscores || !strings.Contains(name, "-") {
		return []string{name}
	}
	return []string{name, strings.ReplaceAll(name, "-", "_")}
}
