package mock

import (
	"context"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
)

// coreServer implements the Core API's generated strict interface.
type coreServer struct {
	m       *Mock
	errors  *resource[core.IntegrationError, core.IntegrationErrorUpdate]
	history *resource[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate]
	integrationResources
}

var _ core.StrictServerInterface = (*coreServer)(nil)

func newCoreServer(m *Mock, doc *openapi3.T) (*coreServer, error) {
	errs, err := newResource[core.IntegrationError, core.IntegrationErrorUpdate](m, doc, "IntegrationError", "integration error",
		func(s *state) *table[core.IntegrationError] { return s.errors },
		func(r *core.IntegrationError) shared {
			return shared{&r.Id, &r.CreatedAt, &r.UpdatedAt, &r.CreatedBy, &r.UpdatedBy, &r.Resolved, &r.Integration, &r.IntegrationRun, &r.IntegrationRunId, &r.Responses}
		})
	if err != nil {
		return nil, err
	}
	hist, err := newResource[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate](m, doc, "IntegrationHistoryRecord", "integration history record",
		func(s *state) *table[core.IntegrationHistoryRecord] { return s.history },
		func(r *core.IntegrationHistoryRecord) shared {
			return shared{&r.Id, &r.CreatedAt, &r.UpdatedAt, &r.CreatedBy, &r.UpdatedBy, &r.Resolved, &r.Integration, &r.IntegrationRun, &r.IntegrationRunId, &r.Responses}
		})
	if err != nil {
		return nil, err
	}
	hist.fresh = func(r *core.IntegrationHistoryRecord) { r.Exported, r.Acknowledged = ptr(false), ptr(false) }
	ir, err := newIntegrationResources(m, doc)
	if err != nil {
		return nil, err
	}
	return &coreServer{m: m, errors: errs, history: hist, integrationResources: ir}, nil
}

// ListIntegrationErrors implements GET /api/integration_errors.
func (s *coreServer) ListIntegrationErrors(ctx context.Context, req core.ListIntegrationErrorsRequestObject) (core.ListIntegrationErrorsResponseObject, error) {
	out, err := s.errors.list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrationErrors200JSONResponse(out), nil
}

// CreateIntegrationError implements POST /api/integration_errors.
func (s *coreServer) CreateIntegrationError(ctx context.Context, req core.CreateIntegrationErrorRequestObject) (core.CreateIntegrationErrorResponseObject, error) {
	rec, err := s.errors.create(req.Body)
	if err != nil {
		return nil, err
	}
	return core.CreateIntegrationError201JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// CreateIntegrationErrorAlert implements POST /api/integration_errors/create_alert.
func (s *coreServer) CreateIntegrationErrorAlert(ctx context.Context, req core.CreateIntegrationErrorAlertRequestObject) (core.CreateIntegrationErrorAlertResponseObject, error) {
	rec, err := s.errors.create(req.Body)
	if err != nil {
		return nil, err
	}
	s.errors.alert(&rec, string(rec.ContactAlertType), "integration_error")
	return core.CreateIntegrationErrorAlert201JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// ShowIntegrationError implements GET /api/integration_errors/{id}.
func (s *coreServer) ShowIntegrationError(ctx context.Context, req core.ShowIntegrationErrorRequestObject) (core.ShowIntegrationErrorResponseObject, error) {
	rec, err := s.errors.show(req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// PatchIntegrationError implements PATCH /api/integration_errors/{id}.
func (s *coreServer) PatchIntegrationError(ctx context.Context, req core.PatchIntegrationErrorRequestObject) (core.PatchIntegrationErrorResponseObject, error) {
	rec, err := s.errors.update(req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.PatchIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// UpdateIntegrationError implements PUT /api/integration_errors/{id}.
func (s *coreServer) UpdateIntegrationError(ctx context.Context, req core.UpdateIntegrationErrorRequestObject) (core.UpdateIntegrationErrorResponseObject, error) {
	rec, err := s.errors.update(req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// ResolveIntegrationError implements PUT /api/integration_errors/{id}/resolve.
func (s *coreServer) ResolveIntegrationError(ctx context.Context, req core.ResolveIntegrationErrorRequestObject) (core.ResolveIntegrationErrorResponseObject, error) {
	rec, err := s.errors.setResolved(req.Id, true)
	if err != nil {
		return nil, err
	}
	return core.ResolveIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// UnresolveIntegrationError implements PUT /api/integration_errors/{id}/unresolve.
func (s *coreServer) UnresolveIntegrationError(ctx context.Context, req core.UnresolveIntegrationErrorRequestObject) (core.UnresolveIntegrationErrorResponseObject, error) {
	rec, err := s.errors.setResolved(req.Id, false)
	if err != nil {
		return nil, err
	}
	return core.UnresolveIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// ListIntegrationHistoryRecords implements GET /api/integration_history_records.
func (s *coreServer) ListIntegrationHistoryRecords(ctx context.Context, req core.ListIntegrationHistoryRecordsRequestObject) (core.ListIntegrationHistoryRecordsResponseObject, error) {
	out, err := s.history.list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrationHistoryRecords200JSONResponse(out), nil
}

// CreateIntegrationHistoryRecord implements POST /api/integration_history_records.
func (s *coreServer) CreateIntegrationHistoryRecord(ctx context.Context, req core.CreateIntegrationHistoryRecordRequestObject) (core.CreateIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history.create(req.Body)
	if err != nil {
		return nil, err
	}
	return core.CreateIntegrationHistoryRecord201JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// CreateIntegrationHistoryRecordAlert implements POST /api/integration_history_records/create_alert.
func (s *coreServer) CreateIntegrationHistoryRecordAlert(ctx context.Context, req core.CreateIntegrationHistoryRecordAlertRequestObject) (core.CreateIntegrationHistoryRecordAlertResponseObject, error) {
	rec, err := s.history.create(req.Body)
	if err != nil {
		return nil, err
	}
	s.history.alert(&rec, string(rec.ContactAlertType), "integration_history_record")
	return core.CreateIntegrationHistoryRecordAlert201JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// CreateIntegrationHistoryRecordAlertAndMarkExported implements POST
// /api/integration_history_records/create_alert_and_mark_exported.
func (s *coreServer) CreateIntegrationHistoryRecordAlertAndMarkExported(ctx context.Context, req core.CreateIntegrationHistoryRecordAlertAndMarkExportedRequestObject) (core.CreateIntegrationHistoryRecordAlertAndMarkExportedResponseObject, error) {
	rec, err := s.history.create(req.Body, markExported)
	if err != nil {
		return nil, err
	}
	s.history.alert(&rec, string(rec.ContactAlertType), "integration_history_record")
	return core.CreateIntegrationHistoryRecordAlertAndMarkExported201JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// MarkIntegrationHistoryRecordsExported implements POST /api/integration_history_records/mark_exported.
func (s *coreServer) MarkIntegrationHistoryRecordsExported(ctx context.Context, req core.MarkIntegrationHistoryRecordsExportedRequestObject) (core.MarkIntegrationHistoryRecordsExportedResponseObject, error) {
	recs, err := s.markHistory(req.Body.Ids, markExported)
	if err != nil {
		return nil, err
	}
	return core.MarkIntegrationHistoryRecordsExported200JSONResponse(recs), nil
}

// AcknowledgeIntegrationHistoryRecords implements POST /api/integration_history_records/acknowledge.
func (s *coreServer) AcknowledgeIntegrationHistoryRecords(ctx context.Context, req core.AcknowledgeIntegrationHistoryRecordsRequestObject) (core.AcknowledgeIntegrationHistoryRecordsResponseObject, error) {
	recs, err := s.markHistory(req.Body.Ids, markAcknowledged)
	if err != nil {
		return nil, err
	}
	return core.AcknowledgeIntegrationHistoryRecords200JSONResponse(recs), nil
}

func markExported(r *core.IntegrationHistoryRecord, now time.Time) {
	r.Exported, r.LastExportedAt = ptr(true), &now
}

func markAcknowledged(r *core.IntegrationHistoryRecord, now time.Time) {
	r.Acknowledged, r.AcknowledgedAt = ptr(true), &now
}

// markHistory applies mark to every record named, all or nothing.
func (s *coreServer) markHistory(ids []int64, mark func(*core.IntegrationHistoryRecord, time.Time)) ([]core.IntegrationHistoryRecord, error) {
	st := s.m.st()
	recs, missing, err := st.history.updateAll(ids, func(r core.IntegrationHistoryRecord) core.IntegrationHistoryRecord {
		s.history.touch(st, s.history.shared(&r))
		mark(&r, *r.UpdatedAt)
		return r
	})
	if err == errNotFound {
		msgs := make([]string, len(missing))
		for i, id := range missing {
			msgs[i] = "no integration history record has id " + formatID(id)
		}
		return nil, &apiError{status: http.StatusNotFound, msgs: msgs}
	}
	return recs, err
}

// ShowIntegrationHistoryRecord implements GET /api/integration_history_records/{id}.
func (s *coreServer) ShowIntegrationHistoryRecord(ctx context.Context, req core.ShowIntegrationHistoryRecordRequestObject) (core.ShowIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history.show(req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// PatchIntegrationHistoryRecord implements PATCH /api/integration_history_records/{id}.
func (s *coreServer) PatchIntegrationHistoryRecord(ctx context.Context, req core.PatchIntegrationHistoryRecordRequestObject) (core.PatchIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history.update(req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.PatchIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// UpdateIntegrationHistoryRecord implements PUT /api/integration_history_records/{id}.
func (s *coreServer) UpdateIntegrationHistoryRecord(ctx context.Context, req core.UpdateIntegrationHistoryRecordRequestObject) (core.UpdateIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history.update(req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// ResolveIntegrationHistoryRecord implements PUT /api/integration_history_records/{id}/resolve.
func (s *coreServer) ResolveIntegrationHistoryRecord(ctx context.Context, req core.ResolveIntegrationHistoryRecordRequestObject) (core.ResolveIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history.setResolved(req.Id, true)
	if err != nil {
		return nil, err
	}
	return core.ResolveIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// UnresolveIntegrationHistoryRecord implements PUT /api/integration_history_records/{id}/unresolve.
func (s *coreServer) UnresolveIntegrationHistoryRecord(ctx context.Context, req core.UnresolveIntegrationHistoryRecordRequestObject) (core.UnresolveIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history.setResolved(req.Id, false)
	if err != nil {
		return nil, err
	}
	return core.UnresolveIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}
