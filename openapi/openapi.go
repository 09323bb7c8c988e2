// Package openapi embeds coupakit's hand-written OpenAPI specs, the one
// embedding of them (gen/ does not embed them again), so that other packages
// (the mock, the conformance suite, a proxy) can load them without reading
// files at run time; and it holds the one validator setup, Validator, that
// routes requests to a spec's operations and checks requests and responses
// against it.
package openapi

import (
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// CoreYAML is the spec of the Coupa Core API integration resources
// (integration_errors, integration_history_records, integrations,
// integration_runs).
//
//go:embed core.yaml
var CoreYAML []byte

// SourcingYAML is the spec of the Coupa Sourcing (CSO) API events resource.
//
//go:embed sourcing.yaml
var SourcingYAML []byte

// Core loads and validates the Core API spec. Each call returns a fresh
// document, so callers may change it (for example its Servers);
// CoreValidator shares one that nobody changes.
func Core() (*openapi3.T, error) { return load("core.yaml", CoreYAML) }

// Sourcing loads and validates the Sourcing API spec. Each call returns a
// fresh document.
func Sourcing() (*openapi3.T, error) { return load("sourcing.yaml", SourcingYAML) }

func load(name string, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: load %s: %w", name, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi: validate %s: %w", name, err)
	}
	return doc, nil
}

// AdminYAML is the spec of the mock's admin API: the routes under /_mock/.
//
//go:embed admin.yaml
var AdminYAML []byte

// Admin loads and validates the admin API spec. Each call returns a fresh
// document.
func Admin() (*openapi3.T, error) { return load("admin.yaml", AdminYAML) }
