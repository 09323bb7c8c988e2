package conformance_test

import (
	"go/build"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/coupakit/coupakit"

// TestDependencies shows that the package can judge any server: it depends
// on the standard library, kin-openapi, the embedded specs and the wire
// helpers it shares with the mock only, never on the generated code or the
// mock (test files aside). The walk follows the module's packages it allows,
// so internal/wire is held to the same rule.
func TestDependencies(t *testing.T) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the module's directory")
	}
	root := filepath.Dir(filepath.Dir(file))
	allowed := []string{module + "/conformance", module + "/openapi", module + "/internal/wire"}
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		pkg, err := build.ImportDir(filepath.Join(root, strings.TrimPrefix(path, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			switch {
			case strings.HasPrefix(imp, module+"/"):
				if !slices.Contains(allowed, imp) {
					t.Errorf("%s imports %s; conformance may use only %v of this module", path, imp, allowed)
				}
				walk(imp)
			case strings.HasPrefix(imp, "github.com/getkin/kin-openapi/"):
			case !strings.Contains(strings.Split(imp, "/")[0], "."):
				// The standard library.
			default:
				t.Errorf("%s imports %s: only the standard library and kin-openapi are allowed", path, imp)
			}
		}
	}
	walk(module + "/conformance")
	if !seen[module+"/openapi"] {
		t.Errorf("conformance does not use the embedded specs")
	}
	if !seen[module+"/internal/wire"] {
		t.Errorf("conformance does not use the wire helpers it shares with the mock")
	}
}
