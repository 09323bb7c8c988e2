package coupakittest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// WithFaults starts the mock with these fault rules in force (as `serve
// --fault`); Mock.Reset puts them back.
func WithFaults(rules ...mock.FaultRule) Option {
	return func(c *config) { c.faults = append(c.faults, rules...) }
}

// WithLatency starts the mock with a global latency (as PUT
// /_mock/settings).
func WithLatency(l mock.Latency) Option { return func(c *config) { c.latency = l } }

// WithSFTPFaults starts the SFTP server with these faults in force.
func WithSFTPFaults(faults ...sftpd.Fault) Option {
	return func(c *config) { c.sftpFaults = append(c.sftpFaults, faults...) }
}

// Fault adds a fault rule, as POST /_mock/faults does, and returns it with
// its id. The rule is checked: a bad one fails the test (panics for a Kit
// from Start). mock.ParseFault reads the `serve --fault` form:
//
//	kit.Fault(mock.FaultRule{Match: mock.FaultMatch{Path: "/api/integration_errors"}, Status: 503, Times: 2})
func (k *Kit) Fault(rule mock.FaultRule) mock.FaultView {
	if k.tb != nil {
		k.tb.Helper()
	}
	v, err := k.Mock.AddFault(rule)
	if err != nil {
		err = fmt.Errorf("coupakittest: Fault: %w", err)
	}
	k.check(err)
	return v
}

// SFTPFault puts an SFTP fault in force (refuse logins, drop an upload,
// hold a folder, fail a file) and returns it with its id; a bad one fails
// the test.
func (k *Kit) SFTPFault(f sftpd.Fault) sftpd.Fault {
	if k.tb != nil {
		k.tb.Helper()
	}
	v, err := k.sftpSrv.AddFault(f)
	if err != nil {
		err = fmt.Errorf("coupakittest: SFTPFault: %w", err)
	}
	k.check(err)
	return v
}

// Verify fails t unless exactly times journaled requests match (as POST
// /_mock/requests/count counts them); when none matches, the failure lists
// the closest requests and how each differs. It reports whether the count
// was right.
//
//	kit.Verify(t, mock.RequestMatch{Method: "POST", Path: "/api/integration_errors", Body: json.RawMessage(`{"status":"error"}`)}, 1)
func (k *Kit) Verify(t testing.TB, match mock.RequestMatch, times int) bool {
	t.Helper()
	n, near, err := k.Mock.CountRequests(match)
	if err != nil {
		t.Errorf("coupakittest: Verify: %v", err)
		return false
	}
	if n == times {
		return true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "coupakittest: Verify: %d requests match %s, want %d", n, describe(match), times)
	if n > 0 {
		found, _ := k.Mock.FindRequests(match)
		b.WriteString("; the matching requests:")
		for _, r := range found {
			fmt.Fprintf(&b, "\n  #%d %s %s%s -> %d", r.ID, r.Method, r.Path, query(r.Query), r.Status)
		}
	}
	if len(near) > 0 {
		b.WriteString("; the closest requests:")
		for _, nm := range near {
			r := nm.Request
			fmt.Fprintf(&b, "\n  #%d %s %s%s -> %d", r.ID, r.Method, r.Path, query(r.Query), r.Status)
			for _, d := range nm.Differences {
				fmt.Fprintf(&b, "\n      %s: want %s, got %s", d.Field, show(d.Expected), show(d.Actual))
			}
		}
	} else if n == 0 {
		b.WriteString("; the journal holds no request at all")
	}
	t.Error(b.String())
	return false
}

func describe(m mock.RequestMatch) string {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%+v", m)
	}
	return string(data)
}

func query(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func show(v any) string {
	if v == nil {
		return "nothing"
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
