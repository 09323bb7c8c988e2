package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// readmeStep is a run of a README sh block's commands and the answer the
// README shows for them: the `# => ` lines that follow, where `...` stands
// for any text.
type readmeStep struct {
	block    int // the sh block's number in the README, from 1
	commands string
	want     []string
}

// readmeSteps returns the steps of the README's sh blocks that talk to the
// mock's APIs with curl (and only curl: not those that start a server, a
// check or a container).
func readmeSteps(t *testing.T, readme string) []readmeStep {
	t.Helper()
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(readme, -1)
	var steps []readmeStep
	for i, b := range blocks {
		body := b[1]
		if !strings.Contains(body, "curl ") || !strings.Contains(body, "127.0.0.1:808") ||
			regexp.MustCompile(`(?m)^\s*(go run|make |docker |sftp )`).MatchString(body) {
			continue
		}
		step := readmeStep{block: i + 1}
		for _, line := range strings.SplitAfter(body, "\n") {
			if want, ok := strings.CutPrefix(line, "# => "); ok {
				step.want = append(step.want, strings.TrimRight(want, "\n"))
				continue
			}
			if len(step.want) > 0 {
				steps = append(steps, step)
				step = readmeStep{block: i + 1}
			}
			step.commands += line
		}
		if strings.TrimSpace(step.commands) != "" || len(step.want) > 0 {
			steps = append(steps, step)
		}
	}
	return steps
}

// pattern makes a `# => ` line a regular expression: `...` is any text.
func pattern(want string) *regexp.Regexp {
	parts := strings.Split(want, "...")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// TestReadmeCurlExamples runs every curl example of the README, in order
// and in one shell (they share $auth, $created, ...), against a real
// `coupakit serve` with its defaults on free ports, and checks that each
// answers what the README shows, line for line. A command that prints
// something the README does not show fails too.
func TestReadmeCurlExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed", "grep", "tr"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeSteps(t, string(data))
	if len(steps) < 8 {
		t.Fatalf("found %d curl steps in the README; the parser is broken", len(steps))
	}
	urls, stop, _ := startServe(t)
	defer stop()
	core := strings.TrimPrefix(urls["Core API"], "http://")
	cso := strings.TrimPrefix(urls["Sourcing API"], "http://")
	if core == "" || cso == "" {
		t.Fatalf("serve printed %v", urls)
	}
	const marker = "@@coupakit-readme-step@@"
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, st := range steps {
		cmds := strings.NewReplacer("127.0.0.1:8080", core, "127.0.0.1:8081", cso).Replace(st.commands)
		fmt.Fprintf(&script, "%s\nprintf '\\n%s\\n'\n", cmds, marker)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	outs := strings.Split(stdout.String(), "\n"+marker+"\n")
	for i, st := range steps {
		if i >= len(outs)-1 {
			t.Fatalf("README sh block %d stopped before its step %q: %v\nstderr: %s", st.block, strings.TrimSpace(st.commands), runErr, stderr.String())
		}
		var got []string
		for _, line := range strings.Split(outs[i], "\n") {
			if strings.TrimSpace(line) != "" {
				got = append(got, line)
			}
		}
		ok := len(got) == len(st.want)
		for j := 0; ok && j < len(got); j++ {
			ok = pattern(st.want[j]).MatchString(got[j])
		}
		if !ok {
			t.Errorf("README sh block %d:\n%s\nanswered:\n%s\nthe README shows:\n%s", st.block, strings.TrimSpace(st.commands),
				strings.Join(got, "\n"), strings.Join(st.want, "\n"))
		}
	}
	if runErr != nil {
		t.Errorf("the examples failed: %v\nstderr: %s", runErr, stderr.String())
	}
}
