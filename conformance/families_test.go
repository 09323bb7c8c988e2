package conformance_test

import (
	"bytes"
	"os"
)

// familyMarker starts a section of a golden file that a check family
// outside this package (conformance/sftpcheck) writes from its own tests.
const familyMarker = "\n<!-- family: "

// familySections returns the sections of the golden file at path that
// check families outside this package keep after the suite's own part, so
// that regenerating the suite's part keeps them.
func familySections(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	if i := bytes.Index(data, []byte(familyMarker)); i >= 0 {
		return data[i:]
	}
	return nil
}
