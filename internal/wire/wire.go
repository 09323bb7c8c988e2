// Package wire holds what the mock and the conformance suite both need to
// speak Coupa's wire format, once: resource names in their singular and
// plural forms, Accept negotiation, Coupa's JSON error body and its "no
// results" wording, the epoch seeded data is anchored to, and the wording
// of kin-openapi validation errors.
//
// It imports only the standard library and kin-openapi (neither mock nor
// gen), so that conformance may use it and still judge any server, the real
// Coupa included.
//
//   - Names: [Singular], [Singularize], [Plural], [Hyphenate], [Human].
//   - Media types: [Negotiate], [Accepts], [AcceptsXML], [IsXML].
//   - Errors: [ErrorBody], [WriteErrors], [ParseErrors], [NoResults].
//   - Seeded data: [SeedEpoch].
//   - Validation wording: [Describe], [DescribeIn].
package wire

import (
	"strings"
	"time"
)

// SeedEpoch anchors the mock's seeded timestamps, so that the same seed
// gives the same data whatever the wall clock says: every seeded record was
// created and updated before it.
var SeedEpoch = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// Hyphenate turns a path's resource name into its wire name:
// "integration_errors" gives "integration-errors", as Coupa's JSON keys and
// XML elements spell it.
func Hyphenate(name string) string { return strings.ReplaceAll(name, "_", "-") }

// Singular returns the singular of a plural resource name, hyphenated or
// not: "integration-history-records" gives "integration-history-record",
// "integration_runs" "integration_run", "events" "event". A name that does
// not look plural is returned unchanged (see Singularize).
func Singular(plural string) string {
	if one, ok := Singularize(plural); ok {
		return one
	}
	return plural
}

// Plural returns the plural of a singular resource name, hyphenated or not:
// "integration-error" gives "integration-errors", "entry" "entries",
// "address" "addresses". Only the last word changes. Singular(Plural(s)) is
// s for the Coupa APIs' names.
func Plural(singular string) string {
	cut := strings.LastIndexAny(singular, "-_") + 1
	prefix, w := singular[:cut], singular[cut:]
	lw := strings.ToLower(w)
	switch {
	case lw == "":
		return singular
	case strings.HasSuffix(lw, "y") && len(lw) > 1 && !strings.ContainsRune("aeiou", rune(lw[len(lw)-2])):
		return prefix + w[:len(w)-1] + "ies"
	case strings.HasSuffix(lw, "s"), strings.HasSuffix(lw, "x"), strings.HasSuffix(lw, "ch"), strings.HasSuffix(lw, "sh"):
		return prefix + w + "es"
	}
	return prefix + w + "s"
}

// Human words a resource name for messages: "integration-errors" and
// "integration_error" both give "integration error".
func Human(name string) string {
	return strings.ReplaceAll(Hyphenate(Singular(name)), "-", " ")
}
