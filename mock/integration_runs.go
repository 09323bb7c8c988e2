package mock

import (
	"context"
	"errors"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/internal/wire"
)

// integrationRuns is /api/integration_runs: one run of an integration,
// driven pending, running, paused, successful or failed.
var integrationRuns = &resourceDef{api: coreAPI, name: "integration_runs", schema: "IntegrationRunResource", rank: 20}

func init() {
	d := integrationRuns
	d.newTable = func() any { return newTable(func(r *core.IntegrationRunResource) int64 { return *r.Id }, 1) }
	d.seed = seedRuns
	d.build = func(m *Mock, doc *openapi3.T) (any, error) {
		return newResource[core.IntegrationRunResource, core.IntegrationRunResourceUpdate](m, doc, d, func(r *core.IntegrationRunResource) shared {
			return shared{id: &r.Id, createdAt: &r.CreatedAt, updatedAt: &r.UpdatedAt, createdBy: &r.CreatedBy, updatedBy: &r.UpdatedBy}
		}, fields[core.IntegrationRunResource, core.IntegrationRunResourceUpdate]{clear: clearIntegrationRunResource, apply: applyIntegrationRunResource})
	}
	register(d)
}

func (s *state) runs() *table[core.IntegrationRunResource] {
	return tableOf[core.IntegrationRunResource](s, integrationRuns)
}

func (s *coreServer) runs() *resource[core.IntegrationRunResource, core.IntegrationRunResourceUpdate] {
	return runtimeOf[*resource[core.IntegrationRunResource, core.IntegrationRunResourceUpdate]](s.m, integrationRuns)
}

// seedRuns seeds a run for every three records, of the seeded integrations.
func seedRuns(sd *seeding) {
	f, s := sd.f, sd.st
	ins := s.integrations()
	var runs []core.IntegrationRunResource
	if sd.records > 0 {
		for i := 1; i <= sd.records/3+1; i++ {
			in := ins.row(f.Number(0, ins.size()-1))
			start := wire.SeedEpoch.Add(-time.Duration(f.Number(60, 60*24*60)) * time.Minute)
			total := int64(f.Number(1, 500))
			// Every value in seedCol's slabs or shared (seedShared), none
			// in an allocation of its own.
			run := core.IntegrationRunResource{
				Id:           seedCol(sd, "integration_runs.Id", int64(i)),
				CreatedAt:    seedCol(sd, "integration_runs.CreatedAt", start),
				UpdatedAt:    seedCol(sd, "integration_runs.UpdatedAt", start),
				CreatedBy:    s.apiUser,
				UpdatedBy:    s.apiUser,
				Integration:  core.Integration{Id: in.Id, Code: seedShared(sd, in.Code), Name: seedShared(sd, in.Name)},
				StartTime:    seedCol(sd, "integration_runs.StartTime", start),
				TotalRecords: seedCol(sd, "integration_runs.TotalRecords", total),
			}
			switch status := []core.RunStatus{core.Successful, core.Successful, core.Failed, core.Running}[f.Number(0, 3)]; status {
			case core.Running:
				run.Status, run.RecordsProcessed = seedShared(sd, status), seedCol(sd, "integration_runs.RecordsProcessed", total/2)
			default:
				end := start.Add(time.Duration(f.Number(1, 600)) * time.Second)
				run.Status, run.EndTime, run.UpdatedAt = seedShared(sd, status), seedCol(sd, "integration_runs.EndTime", end), seedCol(sd, "integration_runs.UpdatedAt", end)
				processed := total
				if status == core.Failed {
					processed = int64(f.Number(0, int(total)))
				}
				run.RecordsProcessed = seedCol(sd, "integration_runs.RecordsProcessed", processed)
			}
			runs = append(runs, run)
		}
	}
	for _, run := range runs {
		s.runs().seedRow(run)
	}

}

// ListIntegrationRuns implements GET /api/integration_runs.
func (s *coreServer) ListIntegrationRuns(ctx context.Context, req core.ListIntegrationRunsRequestObject) (core.ListIntegrationRunsResponseObject, error) {
	out, err := s.runs().list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrationRuns200JSONResponse(out), nil
}

// CreateIntegrationRun implements POST /api/integration_runs: a run of an
// existing integration, pending.
func (s *coreServer) CreateIntegrationRun(ctx context.Context, req core.CreateIntegrationRunRequestObject) (core.CreateIntegrationRunResponseObject, error) {
	in, err := s.m.st(ctx).integration(&req.Body.Integration)
	if err != nil {
		return nil, err
	}
	rec, err := s.runs().create(ctx, req.Body, func(r *core.IntegrationRunResource, _ time.Time) {
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
	rec, err := s.runs().show(ctx, req.Id)
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
	rec, err := s.runs().update(ctx, req.Id, &body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// moveRun changes a run's status, with the counts the action carries. A run
// that ended (successful or failed) cannot change.
func (s *coreServer) moveRun(ctx context.Context, id int64, to core.RunStatus, counts *core.IntegrationRunCounts) (core.IntegrationRunResource, error) {
	st := s.m.st(ctx)
	rec, err := st.runs().update(id, func(r core.IntegrationRunResource) (core.IntegrationRunResource, error) {
		if r.Status != nil && (*r.Status == core.Successful || *r.Status == core.Failed) {
			return r, badRequest("integration run %d already ended (%s) and cannot change", id, *r.Status)
		}
		s.runs().touch(st, s.runs().shared(&r))
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
	if errors.Is(err, errNotFound) {
		return rec, s.runs().notFound(id)
	}
	return rec, err
}

// RunIntegrationRun implements PUT /api/integration_runs/{id}/run.
func (s *coreServer) RunIntegrationRun(ctx context.Context, req core.RunIntegrationRunRequestObject) (core.RunIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(ctx, req.Id, core.Running, req.Body)
	if err != nil {
		return nil, err
	}
	return core.RunIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// PendIntegrationRun implements PUT /api/integration_runs/{id}/pending.
func (s *coreServer) PendIntegrationRun(ctx context.Context, req core.PendIntegrationRunRequestObject) (core.PendIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(ctx, req.Id, core.Pending, nil)
	if err != nil {
		return nil, err
	}
	return core.PendIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// PauseIntegrationRun implements PUT /api/integration_runs/{id}/pause.
func (s *coreServer) PauseIntegrationRun(ctx context.Context, req core.PauseIntegrationRunRequestObject) (core.PauseIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(ctx, req.Id, core.Paused, nil)
	if err != nil {
		return nil, err
	}
	return core.PauseIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// SucceedIntegrationRun implements PUT /api/integration_runs/{id}/success.
func (s *coreServer) SucceedIntegrationRun(ctx context.Context, req core.SucceedIntegrationRunRequestObject) (core.SucceedIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(ctx, req.Id, core.Successful, req.Body)
	if err != nil {
		return nil, err
	}
	return core.SucceedIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// FailIntegrationRun implements PUT /api/integration_runs/{id}/fail.
func (s *coreServer) FailIntegrationRun(ctx context.Context, req core.FailIntegrationRunRequestObject) (core.FailIntegrationRunResponseObject, error) {
	rec, err := s.moveRun(ctx, req.Id, core.Failed, req.Body)
	if err != nil {
		return nil, err
	}
	return core.FailIntegrationRun200JSONResponse{IntegrationRunResourceJSONResponse: core.IntegrationRunResourceJSONResponse(rec)}, nil
}

// clearIntegrationRunResource zeroes what the server sets on a run.
func clearIntegrationRunResource(r *core.IntegrationRunResource) {
	r.Id, r.CreatedAt, r.UpdatedAt, r.CreatedBy, r.UpdatedBy = nil, nil, nil, nil, nil
	r.Status, r.StartTime, r.EndTime = nil, nil, nil
}

// applyIntegrationRunResource copies what an update of a run sent.
func applyIntegrationRunResource(r *core.IntegrationRunResource, u *core.IntegrationRunResourceUpdate) {
	set(&r.Integration, u.Integration)
	setPtr(&r.RecordsProcessed, u.RecordsProcessed)
	setPtr(&r.TotalRecords, u.TotalRecords)
}
