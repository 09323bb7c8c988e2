// Package mock is a stateful, in-memory stand-in for the Coupa Core API
// integration resources and the Coupa Sourcing API events resource.
//
// It implements the strict server interfaces that oapi-codegen generates
// from the specs in openapi/, validates every request against those specs
// with kin-openapi before a handler runs, and answers rejected requests in
// Coupa's error format. Its store is seeded with deterministic fake data:
// the same seed gives the same records.
//
// # Reading the package
//
// Resources: each resource has one file, named after its path
// (integration_errors.go, integration_history_records.go, integrations.go,
// integration_runs.go, events.go). The file holds the resource's one
// definition (a resourceDef: its path name, its schema, its seeding rank),
// its table accessor, its seeding, and the handlers of its operations.
// Every other name is derived from the path name: integration_errors gives
// the XML roots integration-errors and integration-error, the error key
// integration-error and the message word "integration error". registry.go
// holds the registry and the claim: at start-up every operation of the
// specs must belong to a resource (its path is the resource's path or
// under it), else New fails.
//
// Requests: pipeline.go lists the layers every request goes through, in
// order, each a func(http.Handler) http.Handler; the request is routed
// once, by the outermost layer, and the route, operation and resource
// travel in its context (see RouteOf).
//
// Generic parts: record.go holds the store operations the Core resources
// share (list with filters and order, show, create, update, resolve);
// store.go the table; answers.go the answer cache of reads (kept until
// the state changes; a new resource's tables count their changes through
// watch, which seeding sets up); project.go return_object and fields; xml.go XML
// answers and bodies; journal.go the request journal; sftp.go the records
// of flat files. The control plane: faults.go puts package faults (fault
// rules, latency) in the pipeline and on the admin routes, verify.go puts
// package verify over the journal, sftp_faults.go serves the SFTP server's
// faults.
//
// Control plane: tenants.go holds the tenants (tenantData is everything one
// tenant owns: records, journal, tokens; per-tenant things go there),
// state.go the state format (fixtures, GET and PUT /_mock/state), and
// persist.go the state file.
//
// # Adding a resource
//
//  1. Describe it in the spec (openapi/core.yaml or openapi/sourcing.yaml):
//     its paths under /api/<name>, its schema.
//  2. Run make generate: gen/ gets its types and its operations in the
//     strict server interface, which no longer compiles until step 3.
//  3. Add one file to this package, mock/<name>.go, holding:
//     a resourceDef with api, name (the path's plural), schema and a rank
//     above the resources it refers to; an init that sets newTable (the
//     table and the first id), seed or seedEach, build (newResource for a
//     Core resource) and calls register; the state's table accessor
//     (tableOf); and one coreServer (or sourcingServer) method per
//     operation, each a few lines over the generic resource operations.
//  4. Add its entry to the conformance suite's table of resources, so that
//     coupakit check judges it.
//
// registry_test.go proves the steps with a test-only resource, widgets.
package mock
