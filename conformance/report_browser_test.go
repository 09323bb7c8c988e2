package conformance_test

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of a headless-capable Chromium, or skips the
// test when none is installed.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): the HTML report is not rendered")
	return ""
}

// runChromium runs Chromium headless on page with args, offline and with a
// profile of its own, and returns its standard output.
func runChromium(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestHTMLReportInBrowser renders the HTML report of a failed run in
// headless Chromium and checks what a reader sees: the verdict, the score,
// a failing check's rule and its curl line, in the rendered page, and the
// verdict's red badge on the screenshot.
func TestHTMLReportInBrowser(t *testing.T) {
	bin := chromium(t)
	report := sampleReport()
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("text", func(t *testing.T) {
		t.Parallel()
		dom := string(runChromium(t, bin, page, "--dump-dom"))
		body, _, _ := strings.Cut(dom[strings.Index(dom, "<body"):], "</body>")
		text := html.UnescapeString(regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " "))
		text = strings.Join(strings.Fields(text), " ")
		for _, want := range []string{
			"FAIL",
			"Conformance score 75/100",
			"Rule: A create without contact-alert-type is rejected with 400 naming it, and nothing is created.",
			`curl -sS -X POST 'http://core.example/api/integration_errors' -H "Authorization: Bearer $COUPAKIT_TOKEN"`,
			"201 Created (application/json)",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the rendered page does not show %q:\n%s", want, text)
			}
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		t.Parallel()
		shot := filepath.Join(t.TempDir(), "report.png")
		runChromium(t, bin, page, "--window-size=900,1400", "--screenshot="+shot)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("the screenshot is not a PNG: %v", err)
		}
		// The FAIL badge is #cf222e; the score ring and the failed bars
		// share it.
		if n := countColor(img, 0xcf, 0x22, 0x2e); n < 2000 {
			t.Errorf("the screenshot shows %d pixels of the verdict's red; want the FAIL badge (2000 or more)", n)
		}
	})
}

// countColor counts the pixels of img within a few steps of the color.
func countColor(img image.Image, r, g, b uint8) int {
	n := 0
	near := func(a uint32, want uint8) bool { d := int(a>>8) - int(want); return d > -8 && d < 8 }
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}
