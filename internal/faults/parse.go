package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coupakit/coupakit/internal/adminjson"
)

// ParseFlag reads a rule in the form of `serve --fault`: an optional HTTP
// method, an optional path (exact or glob), then key=value pairs, the keys
// being the JSON names of Rule and Match:
//
//	GET /api/integration_errors status=503 times=2
//	POST /api/integration_errors/* fault=reset after=1
//	api=sourcing delay_ms=300 jitter_ms=100 probability=0.5
//	operation=listIntegrationErrors status=429 retry_after=2
//
// It only parses; Checker.Validate (or Engine.Add) judges the values.
func ParseFlag(s string) (Rule, error) {
	var r Rule
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return r, fmt.Errorf("fault %q: empty; want for example 'GET /api/integration_errors status=503 times=2'", s)
	}
	if f := fields[0]; !strings.Contains(f, "=") && !strings.HasPrefix(f, "/") {
		r.Match.Method, fields = f, fields[1:]
	}
	if len(fields) > 0 && strings.HasPrefix(fields[0], "/") {
		r.Match.Path, fields = fields[0], fields[1:]
	}
	for _, f := range fields {
		key, val, ok := strings.Cut(f, "=")
		if !ok {
			return r, fmt.Errorf("fault %q: %q is not key=value (the method and the path come first)", s, f)
		}
		var err error
		switch key {
		case "api":
			r.Match.API = val
		case "method":
			r.Match.Method = val
		case "path":
			r.Match.Path = val
		case "operation":
			r.Match.Operation = val
		case "fault":
			r.Fault = Kind(val)
		case "status":
			r.Status, err = strconv.Atoi(val)
		case "retry_after":
			r.RetryAfter, err = strconv.Atoi(val)
		case "delay_ms":
			r.DelayMS, err = strconv.Atoi(val)
		case "jitter_ms":
			r.JitterMS, err = strconv.Atoi(val)
		case "times":
			r.Times, err = strconv.Atoi(val)
		case "after":
			r.After, err = strconv.Atoi(val)
		case "probability":
			var p float64
			p, err = strconv.ParseFloat(val, 64)
			r.Probability = &p
		default:
			return r, fmt.Errorf("fault %q: unknown key %q (want api, method, path, operation, status, retry_after, delay_ms, jitter_ms, fault, times, after or probability)", s, key)
		}
		if err != nil {
			return r, fmt.Errorf("fault %q: %s=%q is not a number", s, key, val)
		}
	}
	return r, nil
}

// File is the format of `serve --faults FILE`, JSON or YAML: the rules, and
// optionally the global latency. A bare list of rules is taken too.
type File struct {
	Faults   []Rule    `json:"faults"`
	Settings *Settings `json:"settings,omitempty"`
}

// LoadFile reads rules from a JSON or YAML file; its errors name the file
// and the rule (from 1). It parses and checks the shape only; validate the
// rules with Checker.Validate or New.
func LoadFile(name string) (File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return File{}, fmt.Errorf("faults: %w", err)
	}
	f, err := ParseFile(data)
	if err != nil {
		return File{}, fmt.Errorf("faults: %s: %w", name, err)
	}
	return f, nil
}

// ParseFile reads the contents of a --faults file, JSON or YAML.
func ParseFile(data []byte) (File, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return File{}, fmt.Errorf("neither JSON nor YAML: %v", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return File{}, fmt.Errorf("cannot read as JSON: %v", err)
	}
	var raw struct {
		Faults   []json.RawMessage `json:"faults"`
		Settings json.RawMessage   `json:"settings"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(js), []byte("[")) {
		err = json.Unmarshal(js, &raw.Faults)
	} else {
		err = adminjson.Strict(js, &raw)
	}
	if err != nil {
		return File{}, fmt.Errorf("want a list of rules or {\"faults\": [...], \"settings\": {...}}: %v", err)
	}
	var f File
	for i, m := range raw.Faults {
		var r Rule
		if err := adminjson.Strict(m, &r); err != nil {
			return File{}, fmt.Errorf("rule %d: %v", i+1, err)
		}
		f.Faults = append(f.Faults, r)
	}
	if len(raw.Settings) > 0 && string(raw.Settings) != "null" {
		var s Settings
		if err := adminjson.Strict(raw.Settings, &s); err != nil {
			return File{}, fmt.Errorf("settings: %v", err)
		}
		f.Settings = &s
	}
	return f, nil
}
