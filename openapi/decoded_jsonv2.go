//go:build go1.27 && goexperiment.jsonv2

package openapi

// kinRejectsDuplicateNames: in this build kin-openapi decodes request
// bodies with encoding/json/v2, which refuses duplicate element names, so
// ValidateRequestDecoded hands every body to ValidateRequest.
const kinRejectsDuplicateNames = true
