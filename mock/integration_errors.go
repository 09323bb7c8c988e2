package mock

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/internal/wire"
)

// integrationErrors is /api/integration_errors: records of what failed in
// an integration, with resolve, unresolve and create_alert.
var integrationErrors = &resourceDef{api: coreAPI, name: "integration_errors", schema: "IntegrationError", rank: 30}

func init() {
	d := integrationErrors
	d.newTable = func() any { return newTable(func(r *core.IntegrationError) int64 { return *r.Id }, 1) }
	d.seedEach = seedIntegrationError
	d.build = func(m *Mock, doc *openapi3.T) (any, error) {
		return newResource[core.IntegrationError, core.IntegrationErrorUpdate](m, doc, d, func(r *core.IntegrationError) shared {
			return shared{&r.Id, &r.CreatedAt, &r.UpdatedAt, &r.CreatedBy, &r.UpdatedBy, &r.Resolved, &r.Integration, &r.IntegrationRun, &r.IntegrationRunId, &r.Responses}
		}, fields[core.IntegrationError, core.IntegrationErrorUpdate]{clear: clearIntegrationError, apply: applyIntegrationError})
	}
	register(d)
}

func (s *state) errors() *table[core.IntegrationError] {
	return tableOf[core.IntegrationError](s, integrationErrors)
}

func (s *coreServer) errors() *resource[core.IntegrationError, core.IntegrationErrorUpdate] {
	return runtimeOf[*resource[core.IntegrationError, core.IntegrationErrorUpdate]](s.m, integrationErrors)
}

// seedIntegrationError seeds integration error i. It draws the run, its
// integration and the creator that the history record of the same number
// shares (seeding.pick).
func seedIntegrationError(sd *seeding, i int) {
	f, s := sd.f, sd.st
	runs := s.runs()
	at := wire.SeedEpoch.Add(-time.Duration(f.Number(60, 60*24*60)) * time.Minute)
	run := runs.row(f.Number(0, runs.size()-1))
	runID, in := *run.Id, run.Integration
	obj := objectOf(*in.Code)
	creator := s.users[f.Number(0, len(s.users)-1)]
	docID := int64(f.Number(1000, 99999))
	e := core.IntegrationError{
		Id:                  seedCol(sd, "integration_errors.Id", int64(i)),
		CreatedAt:           seedCol(sd, "integration_errors.CreatedAt", at),
		UpdatedAt:           seedCol(sd, "integration_errors.UpdatedAt", at.Add(time.Duration(f.Number(0, 3600))*time.Second)),
		CreatedBy:           seedShared(sd, creator),
		UpdatedBy:           seedShared(sd, creator),
		ContactAlertType:    core.ContactAlertType(alertTypes[f.Number(0, 2)]),
		CreationMethod:      seedShared(sd, creationMethod[f.Number(0, len(creationMethod)-1)]),
		DocumentId:          seedCol(sd, "integration_errors.DocumentId", docID),
		DocumentRevision:    seedCol(sd, "integration_errors.DocumentRevision", int64(f.Number(1, 4))),
		DocumentStatus:      seedShared(sd, f.RandomString([]string{"pending_approval", "approved", "draft", "pending_receipt"})),
		DocumentType:        seedShared(sd, core.DocumentType(obj.doc)),
		ExternalId:          seedCol(sd, "integration_errors.ExternalId", fmt.Sprintf("%s-%s-%d", strings.SplitN(*in.Code, "_", 2)[0], f.LetterN(3), docID)),
		Integration:         seedShared(sd, in),
		IntegrationFilename: seedCol(sd, "integration_errors.IntegrationFilename", exportName(obj.folder, at)),
		IntegrationRunId:    seedCol(sd, "integration_errors.IntegrationRunId", runID),
		Resolved:            seedCol(sd, "integration_errors.Resolved", f.Number(0, 3) == 0),
		Status:              seedShared(sd, errorStatuses[f.Number(0, len(errorStatuses)-1)]),
		Responses: &[]core.IntegrationRecordResponse{{
			Id:              seedPtr(sd, s.responseSeq.Add(1)),
			ResponseCode:    seedPtr(sd, fmt.Sprintf("E-%03d", f.Number(1, 999))),
			ResponseMessage: seedPtr(sd, fmt.Sprintf(errorMessages[f.Number(0, len(errorMessages)-1)], f.Number(1000, 9999))),
			CreatedAt:       seedPtr(sd, at),
			UpdatedAt:       seedPtr(sd, at),
		}},
	}
	sd.st.errors().seedRow(e)
	sd.pick = seedPick{run: runID, in: in, obj: obj, creator: creator}
}

// ListIntegrationErrors implements GET /api/integration_errors.
func (s *coreServer) ListIntegrationErrors(ctx context.Context, req core.ListIntegrationErrorsRequestObject) (core.ListIntegrationErrorsResponseObject, error) {
	out, err := s.errors().list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrationErrors200JSONResponse(out), nil
}

// CreateIntegrationError implements POST /api/integration_errors.
func (s *coreServer) CreateIntegrationError(ctx context.Context, req core.CreateIntegrationErrorRequestObject) (core.CreateIntegrationErrorResponseObject, error) {
	rec, err := s.errors().create(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return core.CreateIntegrationError201JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// CreateIntegrationErrorAlert implements POST /api/integration_errors/create_alert.
func (s *coreServer) CreateIntegrationErrorAlert(ctx context.Context, req core.CreateIntegrationErrorAlertRequestObject) (core.CreateIntegrationErrorAlertResponseObject, error) {
	rec, err := s.errors().create(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	s.errors().alert(ctx, &rec, string(rec.ContactAlertType))
	return core.CreateIntegrationErrorAlert201JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// ShowIntegrationError implements GET /api/integration_errors/{id}.
func (s *coreServer) ShowIntegrationError(ctx context.Context, req core.ShowIntegrationErrorRequestObject) (core.ShowIntegrationErrorResponseObject, error) {
	rec, err := s.errors().show(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// PatchIntegrationError implements PATCH /api/integration_errors/{id}.
func (s *coreServer) PatchIntegrationError(ctx context.Context, req core.PatchIntegrationErrorRequestObject) (core.PatchIntegrationErrorResponseObject, error) {
	rec, err := s.errors().update(ctx, req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.PatchIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// UpdateIntegrationError implements PUT /api/integration_errors/{id}.
func (s *coreServer) UpdateIntegrationError(ctx context.Context, req core.UpdateIntegrationErrorRequestObject) (core.UpdateIntegrationErrorResponseObject, error) {
	rec, err := s.errors().update(ctx, req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// ResolveIntegrationError implements PUT /api/integration_errors/{id}/resolve.
func (s *coreServer) ResolveIntegrationError(ctx context.Context, req core.ResolveIntegrationErrorRequestObject) (core.ResolveIntegrationErrorResponseObject, error) {
	rec, err := s.errors().setResolved(ctx, req.Id, true)
	if err != nil {
		return nil, err
	}
	return core.ResolveIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// UnresolveIntegrationError implements PUT /api/integration_errors/{id}/unresolve.
func (s *coreServer) UnresolveIntegrationError(ctx context.Context, req core.UnresolveIntegrationErrorRequestObject) (core.UnresolveIntegrationErrorResponseObject, error) {
	rec, err := s.errors().setResolved(ctx, req.Id, false)
	if err != nil {
		return nil, err
	}
	return core.UnresolveIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil
}

// clearIntegrationError zeroes what the server sets on an integration error.
func clearIntegrationError(r *core.IntegrationError) {
	r.Id, r.CreatedAt, r.UpdatedAt, r.CreatedBy, r.UpdatedBy, r.Resolved = nil, nil, nil, nil, nil, nil
}

// applyIntegrationError copies what an update of an integration error sent.
func applyIntegrationError(r *core.IntegrationError, u *core.IntegrationErrorUpdate) {
	set(&r.ContactAlertType, u.ContactAlertType)
	setPtr(&r.CreationMethod, u.CreationMethod)
	setPtr(&r.DocumentId, u.DocumentId)
	setPtr(&r.DocumentRevision, u.DocumentRevision)
	setPtr(&r.DocumentStatus, u.DocumentStatus)
	setPtr(&r.DocumentType, u.DocumentType)
	setPtr(&r.ExternalId, u.ExternalId)
	setPtr(&r.Integration, u.Integration)
	setPtr(&r.IntegrationFilename, u.IntegrationFilename)
	setPtr(&r.IntegrationRun, u.IntegrationRun)
	setPtr(&r.IntegrationRunId, u.IntegrationRunId)
	setPtr(&r.Responses, u.Responses)
	setPtr(&r.Status, u.Status)
}
