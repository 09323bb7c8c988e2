package coupaxml_test

import (
	"testing"

	"github.com/coupakit/coupakit/coupaxml"
)

func TestSingular(t *testing.T) {
	tests := []struct{ plural, want string }{
		// The array and root names of the specs.
		{"responses", "response"},
		{"ids", "id"},
		{"events", "event"},
		{"errors", "error"},
		{"integration-errors", "integration-error"},
		{"integration-history-records", "integration-history-record"},
		{"integration_runs", "integration_run"},
		{"upload-errors", "upload-error"},
		{"result", ""},
		// The suffix rules.
		{"entries", "entry"},
		{"histories", "history"},
		{"addresses", "address"},
		{"remit-to-addresses", "remit-to-address"},
		{"taxes", "tax"},
		{"batches", "batch"},
		{"hashes", "hash"},
		{"ties", "tie"},
		{"statuses", "status"},
		{"people", "person"},
		{"lines", "line"},
		{"Lines", "Line"},
		// Not plural: the caller falls back to "item".
		{"status", ""},
		{"address", ""},
		{"analysis", ""},
		{"data", ""},
		{"series", ""},
		{"s", ""},
		{"", ""},
		{"records-", ""},
	}
	for _, tt := range tests {
		if got := coupaxml.Singular(tt.plural); got != tt.want {
			t.Errorf("Singular(%q) = %q, want %q", tt.plural, got, tt.want)
		}
	}
}
