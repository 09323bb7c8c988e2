package mock

import (
	"context"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
)

// integrationResources are /api/integrations and /api/integration_runs.
type integrationResources struct {
	integrations *resource[core.IntegrationResource, core.IntegrationResourceUpdate]
	runs         *resource[core.IntegrationRunResource, core.IntegrationRunResourceUpdate]
}

func newIntegrationResources(m *Mock, doc *openapi3.T) (integrationResources, error) {
	ins, err := newResource[core.IntegrationResource, core.IntegrationResourceUpdate](m, doc, "IntegrationResource", "integration",
		func(s *state) *table[core.IntegrationResource] { return s.integrations },
		func(r *core.IntegrationResource) shared {
			return shared{id: &r.Id, createdAt: &r.CreatedAt, updatedAt: &r.UpdatedAt, createdBy: &r.CreatedBy, updatedBy: &r.UpdatedBy}
		})
	if err != nil {
		return integrationResources{}, err
	}
	ins.check = uniqueCodeAndName
	runs, err := newResource[core.IntegrationRunResource, core.IntegrationRunResourceUpdate](m, doc, "IntegrationRunResource", "integration run",
		func(s *state) *table[core.IntegrationRunResource] { return s.runs },
		func(r *core.IntegrationRunResource) shared {
			return shared{id: &r.Id, createdAt: &r.CreatedAt, updatedAt: &r.UpdatedAt, createdBy: &r.CreatedBy, updatedBy: &r.UpdatedBy}
		})
	if err != nil {
		return integrationResources{}, err
	}
	return integrationResources{integrations: ins, runs: runs}, nil
}

// uniqueCodeAndName refuses an integration whose code or name another one has.
func uniqueCodeAndName(rec *core.IntegrationResource, self int64, rows []core.IntegrationResource) error {
	for i := range rows {
		if *rows[i].Id == self {
			continue
		}
		if rows[i].Code == rec.Code {
			return badRequest("code: %q is taken by integration %d; codes are unique", rec.Code, *rows[i].Id)
		}
		if rows[i].Name == rec.Name {
			return badRequest("name: %q is taken by integration %d; names are unique", rec.Name, *rows[i].Id)
		}
	}
	return nil
}

// ListIntegrations implements GET /api/integrations.
func (s *coreServer) ListIntegrations(ctx context.Context, req core.ListIntegrationsRequestObject) (core.ListIntegrationsResponseObject, error) {
	out, err := s.integrations.list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrations200JSONResponse(out), nil
}

// CreateIntegration implements POST /api/integrations.
func (s *coreServer) CreateIntegration(ctx context.Context, req core.CreateIntegrationRequestObject) (core.CreateIntegrationResponseObject, error) {
	rec, err := s.integrations.create(req.Body)
	if err != nil {
		return nil, err
	}
	return core.CreateIntegration201JSONResponse{IntegrationResourceJSONResponse: core.IntegrationResourceJSONResponse(rec)}, nil
}

// ShowIntegration implements GET /api/integrations/{id}.
func (s *coreServer) ShowIntegration(ctx context.Context, req core.ShowIntegrationRequestObject) (core.ShowIntegrationResponseObject, error) {
	rec, err := s.integrations.show(req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegration200JSONResponse{IntegrationResourceJSONResponse: core.IntegrationResourceJSONResponse(rec)}, nil
}

// UpdateIntegration implements PUT /api/integrations/{id}.
func (s *coreServer) UpdateIntegration(ctx context.Context, req core.UpdateIntegrationRequestObject) (core.UpdateIntegrationResponseObject, error) {
	rec, err := s.integrations.update(req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegration200JSONResponse{IntegrationResourceJSONResponse: core.IntegrationResourceJSONResponse(rec)}, nil
}

// ListIntegrationRuns implements GET /api/integration_runs.
func (s *coreServer) ListIntegrationRuns(ctx context.Context, req core.ListIntegrationRunsRequestObject) (core.ListIntegrationRunsResponseObject, error) {
	out, err := s.runs.list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrationRuns200JSONResponse(out), nil
}

// CreateIntegrationRun implements POST /api/integration_runs: a run of an
// existing integration, pending.
func (s *coreServer) CreateIntegrationRun(ctx context.Context, req core.CreateIntegrationRunRequestObject) (core.CreateIntegrationRunResponseObject, error) {
	in, err := s.m.st().integration(&req.Body.Integration)
	if err != nil {
		return nil, err
	}
	rec, err := s.runs.create(req.Body, func(r *core.IntegrationRunResource, _ time.Time) {
		r.Integration = *in
		r.Status = ptr(core.Pending)
	})
	if err != nil {
		return nil, err
	}
	return core.CreateIntegrationRun201JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// ShowIntegrationRun implements GET /api/integration_runs/{id}.
func (s *coreServer) ShowIntegrationRun(ctx context.Context, req core.ShowIntegrationRunRequestObject) (core.ShowIntegrationRunResponseObject, error) {
	rec, err := s.runs.show(req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// UpdateIntegrationRun implements PUT /api/integration_runs/{id}. The
// integration a run belongs to does not change.
func (s *coreServer) UpdateIntegrationRun(ctx context.Context, req core.UpdateIntegrationRunRequestObject) (core.UpdateIntegrationRunResponseObject, error) {
	body := *req.Body
	body.Integration = nil
	rec, err := s.runs.update(req.Id, &body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// moveRun changes a run's status, with the counts the action carries. A run
// that ended (successful or failed) cannot change.
func (s *coreServer) moveRun(id int64, to core.RunStatus, counts *core.IntegrationRunCounts) (core.IntegrationRunResource, error) {
	st := s.m.st()
	rec, err := st.runs.update(id, func(r core.IntegrationRunResource) (core.IntegrationRunResource, error) {
		if r.Status != nil && (*r.Status == core.Successful || *r.Status == core.Failed) {
			return r, badRequest("integration run %d already ended (%s) and cannot change", id, *r.Status)
		}
		s.runs.touch(st, s.runs.shared(&r))
		now := *r.UpdatedAt
		r.Status = ptr(to)
		if counts != nil {
			if counts.TotalRecords != nil {
				r.TotalRecords = counts.TotalRecords
			}
			if counts.RecordsProcessed != nil {
				r.RecordsProcessed = counts.RecordsProcessed
			}
		}
		switch to {
		case core.Running:
			if r.StartTime == nil {
				r.StartTime = &now
			}
		case core.Successful, core.Failed:
			r.EndTime = &now
			if to == core.Successful && r.RecordsProcessed == nil {
				r.RecordsProcessed = r.TotalRecords
			}
		}
		return r, nil
	})
	if err == errNotFound {
		return rec, s.runs.notFound(id)
	}
	return rec, err
}

// RunIntegrationRun implements PUT /api/integration_runs/{id}/run.
func (s *coreServer) RunIntegrationRun(ctx context.Context, req core.RunIntegrationRunRequestObject) (core.RunIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(req.Id, core.Running, req.Body)
	if err != nil {
		return nil, err
	}
	return core.RunIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// PendIntegrationRun implements PUT /api/integration_runs/{id}/pending.
func (s *coreServer) PendIntegrationRun(ctx context.Context, req core.PendIntegrationRunRequestObject) (core.PendIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(req.Id, core.Pending, nil)
	if err != nil {
		return nil, err
	}
	return core.PendIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// PauseIntegrationRun implements PUT /api/integration_runs/{id}/pause.
func (s *coreServer) PauseIntegrationRun(ctx context.Context, req core.PauseIntegrationRunRequestObject) (core.PauseIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(req.Id, core.Paused, nil)
	if err != nil {
		return nil, err
	}
	return core.PauseIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// SucceedIntegrationRun implements PUT /api/integration_runs/{id}/success.
func (s *coreServer) SucceedIntegrationRun(ctx context.Context, req core.SucceedIntegrationRunRequestObject) (core.SucceedIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(req.Id, core.Successful, req.Body)
	if err != nil {
		return nil, err
	}
	return core.SucceedIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// FailIntegrationRun implements PUT /api/integration_runs/{id}/fail.
func (s *coreServer) FailIntegrationRun(ctx context.Context, req core.FailIntegrationRunRequestObject) (core.FailIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(req.Id, core.Failed, req.Body)
	if err != nil {
		return nil, err
	}
	return core.FailIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}
