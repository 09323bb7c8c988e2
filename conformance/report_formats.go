package conformance

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// A ReportFormat is one way to write a Report, as `coupakit check
// --format`, `coupakit proxy --report-format` and GET /_proxy/report name
// it: one list, so that a format added here is a format everywhere.
type ReportFormat struct {
	// Name is the format's name: text, json, junit, html or markdown.
	Name string
	// ContentType is the media type of the report written in it.
	ContentType string
	// Extensions are the file extensions that choose it for a report
	// file named without a format.
	Extensions []string
	write      func(*Report, io.Writer) error
}

// ReportFormats are the report formats, the first (text) the default.
var ReportFormats = []ReportFormat{
	{Name: "text", ContentType: "text/plain; charset=utf-8", write: (*Report).WriteText},
	{Name: "json", ContentType: "application/json", Extensions: []string{".json"}, write: (*Report).WriteJSON},
	{Name: "junit", ContentType: "application/xml", Extensions: []string{".xml"}, write: (*Report).WriteJUnit},
	{Name: "html", ContentType: "text/html; charset=utf-8", Extensions: []string{".html", ".htm"}, write: (*Report).WriteHTML},
	{Name: "markdown", ContentType: "text/markdown; charset=utf-8", Extensions: []string{".md", ".markdown"}, write: (*Report).WriteMarkdown},
}

// ReportFormatNames are the names of ReportFormats, in order.
func ReportFormatNames() []string {
	out := make([]string, len(ReportFormats))
	for i, f := range ReportFormats {
		out[i] = f.Name
	}
	return out
}

// LookupReportFormat returns the format named name; "" is the default.
func LookupReportFormat(name string) (ReportFormat, error) {
	if name == "" {
		return ReportFormats[0], nil
	}
	for _, f := range ReportFormats {
		if f.Name == name {
			return f, nil
		}
	}
	return ReportFormat{}, fmt.Errorf("report format %q is not one of %s", name, strings.Join(ReportFormatNames(), ", "))
}

// ReportFormatFor returns the format a report file's extension chooses,
// the default (text) for any other.
func ReportFormatFor(path string) ReportFormat {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range ReportFormats {
		for _, e := range f.Extensions {
			if e == ext {
				return f
			}
		}
	}
	return ReportFormats[0]
}

// Write writes the report in the format named (see LookupReportFormat).
func (r *Report) Write(w io.Writer, format string) error {
	f, err := LookupReportFormat(format)
	if err != nil {
		return err
	}
	return f.write(r, w)
}
