package coupaxml

import "github.com/coupakit/coupakit/internal/wire"

// Singular returns the singular of a plural element name, as Rails names
// the items of an array: "responses" gives "response", "ids" "id",
// "integration-history-records" "integration-history-record". Only the last
// word of a hyphenated or underscored name changes. It returns "" when name
// does not look plural ("result", "status", "address"), so the caller can
// fall back to "item". The rules are wire.Singularize's, shared with the
// mock and the conformance suite.
func Singular(name string) string {
	one, _ := wire.Singularize(name)
	return one
}
