package mock

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/internal/wire"
)

// integrations is /api/integrations: the integrations records refer to,
// by id or code, with their contacts. Codes and names are unique.
var integrations = &resourceDef{api: coreAPI, name: "integrations", schema: "IntegrationResource", rank: 10}

func init() {
	d := integrations
	d.newTable = func() any { return newTable(func(r *core.IntegrationResource) int64 { return *r.Id }, 1) }
	d.seed = seedIntegrations
	d.build = func(m *Mock, doc *openapi3.T) (any, error) {
		r, err := newResource[core.IntegrationResource, core.IntegrationResourceUpdate](m, doc, d, func(r *core.IntegrationResource) shared {
			return shared{id: &r.Id, createdAt: &r.CreatedAt, updatedAt: &r.UpdatedAt, createdBy: &r.CreatedBy, updatedBy: &r.UpdatedBy}
		}, fields[core.IntegrationResource, core.IntegrationResourceUpdate]{clear: clearIntegrationResource, apply: applyIntegrationResource})
		if err != nil {
			return nil, err
		}
		r.check = uniqueCodeAndName
		return r, nil
	}
	register(d)
}

func (s *state) integrations() *table[core.IntegrationResource] {
	return tableOf[core.IntegrationResource](s, integrations)
}

func (s *coreServer) integrations() *resource[core.IntegrationResource, core.IntegrationResourceUpdate] {
	return runtimeOf[*resource[core.IntegrationResource, core.IntegrationResourceUpdate]](s.m, integrations)
}

// seedIntegrations seeds six integrations of distinct systems and objects,
// each with three contacts.
func seedIntegrations(sd *seeding) {
	f, s := sd.f, sd.st
	seen := map[string]bool{}
	var ins []core.IntegrationResource
	for len(ins) < 6 {
		sys, obj := systems[f.Number(0, len(systems)-1)], objects[f.Number(0, len(objects)-1)]
		code := sys + "_" + obj.code
		if seen[code] {
			continue
		}
		seen[code] = true
		at := wire.SeedEpoch.Add(-time.Duration(f.Number(90, 365)) * 24 * time.Hour)
		in := core.IntegrationResource{
			Id:              ptr(int64(len(ins) + 1)),
			CreatedAt:       ptr(at),
			UpdatedAt:       ptr(at),
			CreatedBy:       s.apiUser,
			UpdatedBy:       s.apiUser,
			Code:            code,
			Name:            fmt.Sprintf("%s %s integration", sys, strings.ToLower(strings.ReplaceAll(obj.code, "_", " "))),
			Description:     ptr(fmt.Sprintf("%s %s between Coupa and %s.", []string{"Exports", "Imports"}[f.Number(0, 1)], strings.ToLower(strings.ReplaceAll(obj.code, "_", " ")), sys)),
			Direction:       ptr(core.Direction([]string{"to_coupa", "from_coupa"}[f.Number(0, 1)])),
			IntegrationType: ptr(core.IntegrationType([]string{"flat_file", "api", "json", "xml"}[f.Number(0, 3)])),
			EndSystemType:   ptr(sys),
		}
		var contacts []core.IntegrationContact
		for _, kind := range []string{"Technical", "Functional", alertTypes[f.Number(0, 2)]} {
			first, last := f.FirstName(), f.LastName()
			contacts = append(contacts, core.IntegrationContact{Name: ptr(first + " " + last), Email: strings.ToLower(first+"."+last) + "@example.com", ContactAlertType: core.ContactAlertType(kind)})
		}
		in.Contacts = &contacts
		ins = append(ins, in)
	}
	for _, in := range ins {
		s.integrations().seedRow(in)
	}

}

// uniqueCodeAndName refuses an integration whose code or name another one has.
func uniqueCodeAndName(rec *core.IntegrationResource, self int64, rows iter.Seq[*core.IntegrationResource]) error {
	for r := range rows {
		if *r.Id == self {
			continue
		}
		if r.Code == rec.Code {
			return badRequest("code: %q is taken by integration %d; codes are unique", rec.Code, *r.Id)
		}
		if r.Name == rec.Name {
			return badRequest("name: %q is taken by integration %d; names are unique", rec.Name, *r.Id)
		}
	}
	return nil
}

// ListIntegrations implements GET /api/integrations.
func (s *coreServer) ListIntegrations(ctx context.Context, req core.ListIntegrationsRequestObject) (core.ListIntegrationsResponseObject, error) {
	out, err := s.integrations().list(ctx, req.Params.Limit, req.Params.Offset)
	if err != nil {
		return nil, err
	}
	return core.ListIntegrations200JSONResponse(out), nil
}

// CreateIntegration implements POST /api/integrations.
func (s *coreServer) CreateIntegration(ctx context.Context, req core.CreateIntegrationRequestObject) (core.CreateIntegrationResponseObject, error) {
	rec, err := s.integrations().create(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return core.CreateIntegration201JSONResponse{IntegrationResourceJSONResponse: core.IntegrationResourceJSONResponse(rec)}, nil
}

// ShowIntegration implements GET /api/integrations/{id}.
func (s *coreServer) ShowIntegration(ctx context.Context, req core.ShowIntegrationRequestObject) (core.ShowIntegrationResponseObject, error) {
	rec, err := s.integrations().show(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return core.ShowIntegration200JSONResponse{IntegrationResourceJSONResponse: core.IntegrationResourceJSONResponse(rec)}, nil
}

// UpdateIntegration implements PUT /api/integrations/{id}.
func (s *coreServer) UpdateIntegration(ctx context.Context, req core.UpdateIntegrationRequestObject) (core.UpdateIntegrationResponseObject, error) {
	rec, err := s.integrations().update(ctx, req.Id, req.Body)
	if err != nil {
		return nil, err
	}
	return core.UpdateIntegration200JSONResponse{IntegrationResourceJSONResponse: core.IntegrationResourceJSONResponse(rec)}, nil
}

// clearIntegrationResource zeroes what the server sets on an integration.
func clearIntegrationResource(r *core.IntegrationResource) {
	r.Id, r.CreatedAt, r.UpdatedAt, r.CreatedBy, r.UpdatedBy = nil, nil, nil, nil, nil
}

// applyIntegrationResource copies what an update of an integration sent.
func applyIntegrationResource(r *core.IntegrationResource, u *core.IntegrationResourceUpdate) {
	set(&r.Code, u.Code)
	setPtr(&r.Contacts, u.Contacts)
	setPtr(&r.Description, u.Description)
	setPtr(&r.Direction, u.Direction)
	setPtr(&r.EndSystemType, u.EndSystemType)
	setPtr(&r.IntegrationType, u.IntegrationType)
	set(&r.Name, u.Name)
}
