package sftpcheck_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestDependencies shows that the SFTP checks can judge any server: besides
// the standard library they use package conformance, pkg/sftp and
// x/crypto/ssh only, never the mock, the generated code or sftpd (test files
// aside).
func TestDependencies(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		switch {
		case imp == "github.com/coupakit/coupakit/conformance":
		case imp == "github.com/pkg/sftp", strings.HasPrefix(imp, "golang.org/x/crypto/ssh"):
		case !strings.Contains(strings.Split(imp, "/")[0], "."):
			// The standard library.
		default:
			t.Errorf("sftpcheck imports %s", imp)
		}
	}
}
