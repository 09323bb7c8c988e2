//go:build !go1.27 || !goexperiment.jsonv2

package openapi

// kinRejectsDuplicateNames is whether kin-openapi decodes request bodies
// with encoding/json/v2 and refuses duplicate element names, which
// encoding/json (v1, the decoding ValidateRequestDecoded is given) takes:
// not in this build, whose build constraint is kin-openapi's own.
const kinRejectsDuplicateNames = false
