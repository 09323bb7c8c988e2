package conformance_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/coupakit/coupakit/conformance"
)

// TestReportFormatList: every format writes what its own method writes, the
// names and files choose the formats they name, and an unknown name is an
// error naming the formats.
func TestReportFormatList(t *testing.T) {
	r := sampleReport()
	direct := map[string]func(io.Writer) error{
		"text": r.WriteText, "json": r.WriteJSON, "junit": r.WriteJUnit, "html": r.WriteHTML, "markdown": r.WriteMarkdown,
	}
	if got := conformance.ReportFormatNames(); len(got) != len(direct) || got[0] != "text" {
		t.Fatalf("formats %v", got)
	}
	for _, name := range conformance.ReportFormatNames() {
		var want, got bytes.Buffer
		if err := direct[name](&want); err != nil {
			t.Fatal(name, err)
		}
		if err := r.Write(&got, name); err != nil {
			t.Fatal(name, err)
		}
		if got.Len() == 0 || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: Write wrote %d bytes unlike its method's %d", name, got.Len(), want.Len())
		}
		if f, err := conformance.LookupReportFormat(name); err != nil || f.Name != name || f.ContentType == "" {
			t.Errorf("LookupReportFormat(%q) = %+v, %v", name, f, err)
		}
	}
	if f, err := conformance.LookupReportFormat(""); err != nil || f.Name != "text" {
		t.Errorf("the default format: %+v, %v", f, err)
	}
	if _, err := conformance.LookupReportFormat("yaml"); err == nil || !bytes.Contains([]byte(err.Error()), []byte("text, json, junit, html, markdown")) {
		t.Errorf("an unknown format: %v", err)
	}
	if err := r.Write(io.Discard, "yaml"); err == nil {
		t.Error("Write of an unknown format: no error")
	}
	for file, want := range map[string]string{"r.json": "json", "R.XML": "junit", "r.htm": "html", "r.html": "html", "r.md": "markdown",
		"r.markdown": "markdown", "r.txt": "text", "report": "text"} {
		if got := conformance.ReportFormatFor(file).Name; got != want {
			t.Errorf("ReportFormatFor(%q) = %s, want %s", file, got, want)
		}
	}
}
