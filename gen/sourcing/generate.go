// Package sourcing holds the code oapi-codegen generates from openapi/sourcing.yaml.
// Do not edit it by hand: run `make generate`.
package sourcing

//go:generate go tool oapi-codegen -config config.yaml ../../openapi/sourcing.yaml
