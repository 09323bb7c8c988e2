// Package core holds the code oapi-codegen generates from openapi/core.yaml.
// Do not edit it by hand: run `make generate`.
package core

//go:generate go tool oapi-codegen -config config.yaml ../../openapi/core.yaml
