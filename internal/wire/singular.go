package wire

import "strings"

// Singularize returns the singular of a plural name, as Rails names the
// items of an array and a resource's record: "responses" gives "response",
// "ids" "id", "integration-history-records" "integration-history-record".
// Only the last word of a hyphenated or underscored name changes. It knows
// the plurals of the Coupa APIs' names and the common English rules (-ies,
// -sses, -xes, -ches, -shes, -s), not every irregular word. It reports false
// when name does not look plural ("result", "status", "address").
func Singularize(name string) (string, bool) {
	cut := strings.LastIndexAny(name, "-_") + 1
	prefix, word := name[:cut], name[cut:]
	one := singularWord(strings.ToLower(word))
	if one == "" {
		return "", false
	}
	if strings.EqualFold(one, word[:min(len(one), len(word))]) {
		// The singular is a prefix of the plural: keep the caller's case.
		one = word[:len(one)]
	}
	return prefix + one, true
}

// irregular holds plurals the suffix rules get wrong; an empty singular
// marks a word that is the same in both numbers.
var irregular = map[string]string{
	"people":   "person",
	"children": "child",
	"men":      "man",
	"women":    "woman",
	"statuses": "status",
	"aliases":  "alias",
	"analyses": "analysis",
	"series":   "",
	"species":  "",
	"news":     "",
}

// singularWord singularizes one lower-case word, or returns "".
func singularWord(w string) string {
	if one, ok := irregular[w]; ok {
		return one
	}
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y" // entries, histories
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"),
		strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		return w[:len(w)-2] // addresses, taxes, batches, hashes
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return "" // address, status, analysis: already singular
	case len(w) > 1 && strings.HasSuffix(w, "s"):
		return w[:len(w)-1] // responses, ids, events, records
	}
	return ""
}
