package mock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/internal/wire"
	"github.com/coupakit/coupakit/query"
)

// Core API lists: default and maximum page size.
const coreMaxLimit = 50

// reservedParams are the list parameters that are not filters.
var reservedParams = []string{"limit", "offset", "order_by", "dir", "return_object", "fields"}

// shared gives typed access to the elements the Core resources share, so
// one implementation serves them all. A resource without an element leaves
// its field nil.
type shared struct {
	id                   **int64
	createdAt, updatedAt **time.Time
	createdBy, updatedBy **core.User
	resolved             **bool
	integration          **core.Integration
	run                  **core.IntegrationRun
	runID                **int64
	responses            **[]core.IntegrationRecordResponse
}

// resource implements the Core API operations of one record type T, whose
// updates come as U.
type resource[T, U any] struct {
	m      *Mock
	def    *resourceDef // its names: Human() in messages, the singular in alerts
	table  func(*state) *table[T]
	shared func(*T) shared
	fields fields[T, U]
	filter *query.Schema
	// fresh, when set, gives a new record the elements it starts with
	// beyond the shared ones (the action flags of history records).
	fresh func(*T)
	// check, when set, vets a record about to be stored against the others
	// (self is its id, 0 on create), under the table's lock.
	check func(rec *T, self int64, rows iter.Seq[*T]) error
}

// fields are a resource's element-wise operations, written out so that
// the compiler checks them; a test holds them to the spec's readOnly
// elements.
type fields[T, U any] struct {
	// clear zeroes the elements the server sets (the schema's readOnly
	// ones) in a record sent to create.
	clear func(*T)
	// apply copies into a stored record every writable element an update
	// sent (non-nil).
	apply func(*T, *U)
}

// newResource makes the run-time part of a Core resource d whose records
// are T, updated as U; sh gives the shared elements of a record, f its
// element-wise operations.
func newResource[T, U any](m *Mock, doc *openapi3.T, d *resourceDef, sh func(*T) shared, f fields[T, U]) (*resource[T, U], error) {
	if doc.Components.Schemas[d.schema] == nil {
		return nil, fmt.Errorf("mock: spec has no schema %s for %s", d.schema, d.Path())
	}
	tab := func(st *state) *table[T] { return tableOf[T](st, d) }
	r := &resource[T, U]{m: m, def: d, table: tab, shared: sh, fields: f}
	var zero T
	filter, err := query.SchemaOf(zero)
	if err != nil {
		return nil, err
	}
	r.filter = filter
	return r, nil
}

func (r *resource[T, U]) list(ctx context.Context, limit, offset *int) ([]T, error) {
	f, err := r.filter.Parse(queryOf(ctx), reservedParams...)
	if err != nil {
		return nil, badRequest("%s", err.Error())
	}
	n := coreMaxLimit
	if limit != nil && *limit < n {
		n = *limit
	}
	skip := 0
	if offset != nil {
		skip = *offset
	}
	var match func(*T) bool
	if !f.Empty() {
		match = query.MatchFunc[T](f)
	}
	q := queryOf(ctx)
	orderBy, desc := q.Get("order_by"), q.Get("dir") == "desc"
	if orderBy == "" && !desc {
		out, _ := r.table(r.m.st(ctx)).list(match, skip, n, false)
		return out, nil
	}
	// Another order: every match, sorted, then the page.
	all, _ := r.table(r.m.st(ctx)).list(match, 0, math.MaxInt, true)
	id := func(rec *T) int64 { return **r.shared(rec).id }
	if orderBy == "" {
		slices.Reverse(all)
	} else {
		by, err := r.filter.Order(orderBy, desc)
		if err != nil {
			var qe *query.Error
			if errors.As(err, &qe) {
				return nil, badRequest("order_by: %s", qe.Reason)
			}
			return nil, badRequest("%s", err.Error())
		}
		slices.SortFunc(all, func(a, b T) int {
			if c := by(&a, &b); c != 0 {
				return c
			}
			return cmp.Compare(id(&a), id(&b))
		})
	}
	if skip >= len(all) {
		return []T{}, nil
	}
	return all[skip:min(skip+n, len(all))], nil
}

func (r *resource[T, U]) show(ctx context.Context, id int64) (T, error) {
	rec, ok := r.table(r.m.st(ctx)).get(id)
	if !ok {
		return rec, r.notFound(id)
	}
	return rec, nil
}

func (r *resource[T, U]) notFound(id int64) error {
	return notFound("%s", r.notFoundMessage(id))
}

// notFoundMessage is the message of a 404 for an id no record has.
func (r *resource[T, U]) notFoundMessage(id int64) string {
	return fmt.Sprintf("no %s has id %d", r.def.Human(), id)
}

// create stores a new record from a validated create body; then, if given,
// changes it before it is stored (create_alert_and_mark_exported marks it).
func (r *resource[T, U]) create(ctx context.Context, in *T, then ...func(*T, time.Time)) (T, error) {
	st := r.m.st(ctx)
	rec := *in
	r.fields.clear(&rec)
	sh := r.shared(&rec)
	if err := r.finish(st, sh); err != nil {
		return rec, err
	}
	now := r.m.stamp(nil)
	*sh.createdAt, *sh.updatedAt = &now, &now
	*sh.createdBy, *sh.updatedBy = st.apiUser, st.apiUser
	if sh.resolved != nil {
		*sh.resolved = ptr(false)
	}
	if r.fresh != nil {
		r.fresh(&rec)
	}
	for _, f := range then {
		f(&rec, now)
	}
	var check func(iter.Seq[*T]) error
	if r.check != nil {
		check = func(rows iter.Seq[*T]) error { return r.check(&rec, 0, rows) }
	}
	return r.table(st).insertChecked(rec, func(t *T, id int64) { *r.shared(t).id = &id }, check)
}

// update changes the elements sent in a validated update body.
func (r *resource[T, U]) update(ctx context.Context, id int64, in *U) (T, error) {
	st := r.m.st(ctx)
	rec, err := r.table(st).updateChecked(id, func(rec T, rows iter.Seq[*T]) (T, error) {
		r.fields.apply(&rec, in)
		sh := r.shared(&rec)
		if err := r.finish(st, sh); err != nil {
			return rec, err
		}
		if r.check != nil {
			if err := r.check(&rec, id, rows); err != nil {
				return rec, err
			}
		}
		r.touch(st, sh)
		return rec, nil
	})
	if errors.Is(err, errNotFound) {
		return rec, r.notFound(id)
	}
	return rec, err
}

// setResolved is resolve (true) and unresolve (false).
func (r *resource[T, U]) setResolved(ctx context.Context, id int64, resolved bool) (T, error) {
	st := r.m.st(ctx)
	rec, err := r.table(st).update(id, func(rec T) (T, error) {
		sh := r.shared(&rec)
		*sh.resolved = ptr(resolved)
		r.touch(st, sh)
		return rec, nil
	})
	if errors.Is(err, errNotFound) {
		return rec, r.notFound(id)
	}
	return rec, err
}

// touch records a change: updated-at moves on, updated-by is the API user.
func (r *resource[T, U]) touch(st *state, sh shared) {
	now := r.m.stamp(*sh.updatedAt)
	*sh.updatedAt = &now
	*sh.updatedBy = st.apiUser
}

// finish resolves the references of a record about to be stored: the
// integration by id or code, the run given as integration-run, and the ids
// and timestamps of new responses.
func (r *resource[T, U]) finish(st *state, sh shared) error {
	if sh.integration != nil && *sh.integration != nil {
		full, err := st.integration(*sh.integration)
		if err != nil {
			return err
		}
		*sh.integration = full
	}
	if sh.run != nil && *sh.run != nil {
		run := *sh.run
		if id := *sh.runID; id != nil && *id != run.Id {
			return badRequest("integration-run: id %d disagrees with integration-run-id %d", run.Id, *id)
		}
		*sh.runID = ptr(run.Id)
		*sh.run = nil
	}
	if sh.runID != nil && *sh.runID != nil {
		if _, ok := st.runs().get(**sh.runID); !ok {
			return badRequest("integration-run-id: no integration run has id %d", **sh.runID)
		}
	}
	if sh.responses != nil && *sh.responses != nil {
		rs := *sh.responses
		now := r.m.stamp(nil)
		out := make([]core.IntegrationRecordResponse, len(*rs))
		for i, resp := range *rs {
			out[i] = core.IntegrationRecordResponse{
				Id:              ptr(st.responseSeq.Add(1)),
				ResponseCode:    resp.ResponseCode,
				ResponseMessage: resp.ResponseMessage,
				CreatedAt:       &now,
				UpdatedAt:       &now,
			}
		}
		*sh.responses = &out
	}
	return nil
}

// alert records an alert for the contacts of the record's integration whose
// alert type matches (a contact with Both receives every alert).
func (r *resource[T, U]) alert(ctx context.Context, rec *T, kind string) Alert {
	st := r.m.st(ctx)
	sh := r.shared(rec)
	a := Alert{CreatedAt: r.m.stamp(nil), Resource: wire.Singular(r.def.name), RecordID: **sh.id, ContactAlertType: kind, Recipients: []string{}}
	if in := *sh.integration; in != nil && in.Id != nil {
		if full, ok := st.integrations().get(*in.Id); ok {
			a.IntegrationCode = full.Code
			if full.Contacts != nil {
				for _, c := range *full.Contacts {
					if c.ContactAlertType == core.Both || kind == "Both" || string(c.ContactAlertType) == kind {
						a.Recipients = append(a.Recipients, c.Email)
					}
				}
			}
		}
	}
	a.Message = fmt.Sprintf("%s %d needs attention", r.def.Human(), a.RecordID)
	return st.alerts.add(a)
}

// complete fills in the shared elements the server sets that loaded
// records left out: the times (now), the users (the API user) and resolved
// (false).
func (r *resource[T, U]) complete(st *state, rows any) {
	now := r.m.stamp(nil)
	rs := rows.([]T)
	for i := range rs {
		sh := r.shared(&rs[i])
		for _, t := range []**time.Time{sh.createdAt, sh.updatedAt} {
			if t != nil && *t == nil {
				*t = &now
			}
		}
		for _, u := range []**core.User{sh.createdBy, sh.updatedBy} {
			if u != nil && *u == nil {
				*u = st.apiUser
			}
		}
		if sh.resolved != nil && *sh.resolved == nil {
			*sh.resolved = ptr(false)
		}
	}
}

// set sets *dst to *src when src was sent (non-nil).
func set[V any](dst *V, src *V) {
	if src != nil {
		*dst = *src
	}
}

// setPtr sets *dst to src when src was sent (non-nil).
func setPtr[V any](dst **V, src *V) {
	if src != nil {
		*dst = src
	}
}
