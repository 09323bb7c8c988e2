package mock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/internal/wire"
)

// integrationHistoryRecords is /api/integration_history_records: records
// of what an integration did, with resolve, unresolve, create_alert,
// mark_exported and acknowledge.
var integrationHistoryRecords = &resourceDef{api: coreAPI, name: "integration_history_records", schema: "IntegrationHistoryRecord", rank: 40}

func init() {
	d := integrationHistoryRecords
	d.newTable = func() any { return newTable(func(r *core.IntegrationHistoryRecord) int64 { return *r.Id }, 1) }
	d.seedEach = seedHistoryRecord
	d.build = func(m *Mock, doc *openapi3.T) (any, error) {
		r, err := newResource[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate](m, doc, d, func(r *core.IntegrationHistoryRecord) shared {
			return shared{&r.Id, &r.CreatedAt, &r.UpdatedAt, &r.CreatedBy, &r.UpdatedBy, &r.Resolved, &r.Integration, &r.IntegrationRun, &r.IntegrationRunId, &r.Responses}
		}, fields[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate]{clear: clearIntegrationHistoryRecord, apply: applyIntegrationHistoryRecord})
		if err != nil {
			return nil, err
		}
		r.fresh = func(r *core.IntegrationHistoryRecord) { r.Exported, r.Acknowledged = ptr(false), ptr(false) }
		return r, nil
	}
	register(d)
}

func (s *state) history() *table[core.IntegrationHistoryRecord] {
	return tableOf[core.IntegrationHistoryRecord](s, integrationHistoryRecords)
}

func (s *coreServer) history() *resource[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate] {
	return runtimeOf[*resource[core.IntegrationHistoryRecord, core.IntegrationHistoryRecordUpdate]](s.m, integrationHistoryRecords)
}

// seedHistoryRecord seeds integration history record i, of the run,
// integration and creator integration error i drew.
func seedHistoryRecord(sd *seeding, i int) {
	f := sd.f
	runID, in, obj, creator := sd.pick.run, sd.pick.in, sd.pick.obj, sd.pick.creator
	at := wire.SeedEpoch.Add(-time.Duration(f.Number(60, 60*24*60)) * time.Minute)
	exported := f.Number(0, 2) == 0
	h := core.IntegrationHistoryRecord{
		Id:                  seedCol(sd, "integration_history_records.Id", int64(i)),
		CreatedAt:           seedCol(sd, "integration_history_records.CreatedAt", at),
		UpdatedAt:           seedCol(sd, "integration_history_records.UpdatedAt", at),
		CreatedBy:           seedShared(sd, creator),
		UpdatedBy:           seedShared(sd, creator),
		ContactAlertType:    core.ContactAlertType(alertTypes[f.Number(0, 2)]),
		CreationMethod:      seedShared(sd, creationMethod[f.Number(0, len(creationMethod)-1)]),
		DocumentId:          seedCol(sd, "integration_history_records.DocumentId", int64(f.Number(1000, 99999))),
		DocumentType:        core.HistoryDocumentType(obj.doc),
		ExternalId:          seedCol(sd, "integration_history_records.ExternalId", fmt.Sprintf("%s-%d", strings.SplitN(*in.Code, "_", 2)[0], f.Number(100000, 999999))),
		Integration:         seedShared(sd, in),
		IntegrationFilename: seedCol(sd, "integration_history_records.IntegrationFilename", exportName(obj.folder, at)),
		IntegrationRunId:    seedCol(sd, "integration_history_records.IntegrationRunId", runID),
		Resolved:            seedCol(sd, "integration_history_records.Resolved", false),
		Exported:            seedCol(sd, "integration_history_records.Exported", exported),
		Acknowledged:        seedCol(sd, "integration_history_records.Acknowledged", false),
		Status:              seedShared(sd, recordStatuses[f.Number(0, len(recordStatuses)-1)]),
	}
	if exported {
		h.LastExportedAt = seedCol(sd, "integration_history_records.LastExportedAt", at.Add(5*time.Minute))
	}
	sd.st.history().seedRow(h)
}

// ListIntegrationHistoryRecords implements GET /api/integration_history_records.
func (s *coreServer) ListIntegrationHistoryRecords(ctx context.Context, req core.ListIntegrationHistoryRecordsRequestObject) (core.ListIntegrationHistoryRecordsResponseObject, error) {
	out, err := s.history().list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrationHistoryRecords200JSONResponse(out), nil
}

// createHistory creates a history record from a create body, whose type
// differs from the record's only in that it requires document-id (a record
// of a whole flat file has none).
func (s *coreServer) createHistory(ctx context.Context, in *core.IntegrationHistoryRecordInput, then ...func(*core.IntegrationHistoryRecord, time.Time)) (core.IntegrationHistoryRecord, error) {
	var rec core.IntegrationHistoryRecord
	data, err := json.Marshal(in)
	if err == nil {
		err = json.Unmarshal(data, &rec)
	}
	if err != nil {
		return rec, badRequest("%s", err.Error())
	}
	return s.history().create(ctx, &rec, then...)
}

// CreateIntegrationHistoryRecord implements POST /api/integration_history_records.
func (s *coreServer) CreateIntegrationHistoryRecord(ctx context.Context, req core.CreateIntegrationHistoryRecordRequestObject) (core.CreateIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.createHistory(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return core.CreateIntegrationHistoryRecord201JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// CreateIntegrationHistoryRecordAlert implements POST /api/integration_history_records/create_alert.
func (s *coreServer) CreateIntegrationHistoryRecordAlert(ctx context.Context, req core.CreateIntegrationHistoryRecordAlertRequestObject) (core.CreateIntegrationHistoryRecordAlertResponseObject, error) {
	rec, err := s.createHistory(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	s.history().alert(ctx, &rec, string(rec.ContactAlertType))
	return core.CreateIntegrationHistoryRecordAlert201JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// CreateIntegrationHistoryRecordAlertAndMarkExported implements POST
// /api/integration_history_records/create_alert_and_mark_exported.
func (s *coreServer) CreateIntegrationHistoryRecordAlertAndMarkExported(ctx context.Context, req core.CreateIntegrationHistoryRecordAlertAndMarkExportedRequestObject) (core.CreateIntegrationHistoryRecordAlertAndMarkExportedResponseObject, error) {
	rec, err := s.createHistory(ctx, req.Body, markExported)
	if err != nil {
		return nil, err
	}
	s.history().alert(ctx, &rec, string(rec.ContactAlertType))
	return core.CreateIntegrationHistoryRecordAlertAndMarkExported201JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// MarkIntegrationHistoryRecordsExported implements POST /api/integration_history_records/mark_exported.
func (s *coreServer) MarkIntegrationHistoryRecordsExported(ctx context.Context, req core.MarkIntegrationHistoryRecordsExportedRequestObject) (core.MarkIntegrationHistoryRecordsExportedResponseObject, error) {
	recs, err := s.markHistory(ctx, req.Body.Ids, markExported)
	if err != nil {
		return nil, err
	}
	return core.MarkIntegrationHistoryRecordsExported200JSONResponse(recs), nil
}

// AcknowledgeIntegrationHistoryRecords implements POST /api/integration_history_records/acknowledge.
func (s *coreServer) AcknowledgeIntegrationHistoryRecords(ctx context.Context, req core.AcknowledgeIntegrationHistoryRecordsRequestObject) (core.AcknowledgeIntegrationHistoryRecordsResponseObject, error) {
	recs, err := s.markHistory(ctx, req.Body.Ids, markAcknowledged)
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
func (s *coreServer) markHistory(ctx context.Context, ids []int64, mark func(*core.IntegrationHistoryRecord, time.Time)) ([]core.IntegrationHistoryRecord, error) {
	st := s.m.st(ctx)
	recs, missing, err := st.history().updateAll(ids, func(r core.IntegrationHistoryRecord) core.IntegrationHistoryRecord {
		s.history().touch(st, s.history().shared(&r))
		mark(&r, *r.UpdatedAt)
		return r
	})
	if errors.Is(err, errNotFound) {
		msgs := make([]string, len(missing))
		for i, id := range missing {
			msgs[i] = s.history().notFoundMessage(id)
		}
		return nil, &apiError{status: http.StatusNotFound, msgs: msgs}
	}
	return recs, err
}

// ShowIntegrationHistoryRecord implements GET /api/integration_history_records/{id}.
func (s *coreServer) ShowIntegrationHistoryRecord(ctx context.Context, req core.ShowIntegrationHistoryRecordRequestObject) (core.ShowIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history().show(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// PatchIntegrationHistoryRecord implements PATCH /api/integration_history_records/{id}.
func (s *coreServer) PatchIntegrationHistoryRecord(ctx context.Context, req core.PatchIntegrationHistoryRecordRequestObject) (core.PatchIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history().update(ctx, req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.PatchIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// UpdateIntegrationHistoryRecord implements PUT /api/integration_history_records/{id}.
func (s *coreServer) UpdateIntegrationHistoryRecord(ctx context.Context, req core.UpdateIntegrationHistoryRecordRequestObject) (core.UpdateIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history().update(ctx, req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// ResolveIntegrationHistoryRecord implements PUT /api/integration_history_records/{id}/resolve.
func (s *coreServer) ResolveIntegrationHistoryRecord(ctx context.Context, req core.ResolveIntegrationHistoryRecordRequestObject) (core.ResolveIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history().setResolved(ctx, req.Id, true)
	if err != nil {
		return nil, err
	}
	return core.ResolveIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// UnresolveIntegrationHistoryRecord implements PUT /api/integration_history_records/{id}/unresolve.
func (s *coreServer) UnresolveIntegrationHistoryRecord(ctx context.Context, req core.UnresolveIntegrationHistoryRecordRequestObject) (core.UnresolveIntegrationHistoryRecordResponseObject, error) {
	rec, err := s.history().setResolved(ctx, req.Id, false)
	if err != nil {
		return nil, err
	}
	return core.UnresolveIntegrationHistoryRecord200JSONResponse{IntegrationHistoryRecordJSONResponse: core.IntegrationHistoryRecordJSONResponse(rec)}, nil
}

// clearIntegrationHistoryRecord zeroes what the server sets on a history record.
func clearIntegrationHistoryRecord(r *core.IntegrationHistoryRecord) {
	r.Id, r.CreatedAt, r.UpdatedAt, r.CreatedBy, r.UpdatedBy, r.Resolved = nil, nil, nil, nil, nil, nil
	r.Acknowledged, r.AcknowledgedAt, r.Exported, r.LastExportedAt, r.IntegrationFilename = nil, nil, nil, nil, nil
}

// applyIntegrationHistoryRecord copies what an update of a history record sent.
func applyIntegrationHistoryRecord(r *core.IntegrationHistoryRecord, u *core.IntegrationHistoryRecordUpdate) {
	set(&r.ContactAlertType, u.ContactAlertType)
	setPtr(&r.CreationMethod, u.CreationMethod)
	setPtr(&r.DocumentId, u.DocumentId)
	setPtr(&r.DocumentRevision, u.DocumentRevision)
	setPtr(&r.DocumentStatus, u.DocumentStatus)
	set(&r.DocumentType, u.DocumentType)
	setPtr(&r.ExternalId, u.ExternalId)
	setPtr(&r.Integration, u.Integration)
	setPtr(&r.IntegrationRun, u.IntegrationRun)
	setPtr(&r.IntegrationRunId, u.IntegrationRunId)
	setPtr(&r.Responses, u.Responses)
	setPtr(&r.Status, u.Status)
}
