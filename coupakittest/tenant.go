package coupakittest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// tenantSeq makes tenant names unique within a test binary.
var tenantSeq atomic.Int64

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Tenant returns a Kit bound to a tenant of its own, made afresh for tb and
// deleted when tb ends: the same servers, but its own records, journal,
// alerts and tokens, identical at the start to a fresh mock. Its CoreURL
// and SourcingURL carry the tenant's /t/{tenant} prefix, so code under
// test needs only another base URL; HTTPClient, Token, Requests and Load
// act on the tenant. Parallel tests each take a tenant of one shared Kit:
//
//	var shared = coupakittest.New(t) // in a parent test
//	t.Run("a", func(t *testing.T) { t.Parallel(); kit := shared.Tenant(t); ... })
func (k *Kit) Tenant(tb testing.TB) *Kit {
	tb.Helper()
	root := k
	if k.parent != nil {
		root = k.parent
	}
	name := strings.Trim(unsafeName.ReplaceAllString(tb.Name(), "-"), "-._")
	suffix := fmt.Sprintf("-%d", tenantSeq.Add(1))
	if len(name) > 64-len(suffix) {
		name = name[:64-len(suffix)]
	}
	name = strings.TrimLeft(name, "-._")
	if name == "" {
		name = "t"
	}
	name += suffix
	tk := &Kit{
		Mock: root.Mock, tb: tb, tenant: name, parent: root,
		CoreURL: root.coreOrigin + "/t/" + name, SourcingURL: root.csOrigin + "/t/" + name,
		coreOrigin: root.coreOrigin, csOrigin: root.csOrigin,
		SFTPAddr: root.SFTPAddr, ClientID: root.ClientID, ClientSecret: root.ClientSecret, CSOAPIKey: root.CSOAPIKey,
		SFTPUser: root.SFTPUser + "+" + name, SFTPPassword: root.SFTPPassword,
	}
	tb.Cleanup(tk.Close)
	return tk
}

// TenantName is the name of the Kit's tenant, "" for the default tenant.
func (k *Kit) TenantName() string { return k.tenant }

// closeTenant closes a tenant Kit's clients and deletes its tenant.
func (k *Kit) closeTenant() {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.closed = true
	closers := k.closers
	k.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		_ = closers[i].Close()
	}
	k.Mock.DeleteTenant(k.tenant)
}

// Load puts fixtures into the Kit's tenant, on top of its seeded records
// (a fixture with the id of a seeded record replaces it; with
// WithRecords(0), the fixtures alone). fixtures is a document in the
// format of `coupakit serve --data` and GET /_mock/state: JSON or YAML as
// a string or []byte, or any value that encodes to that JSON (a
// map[string]any, for example). A bad document fails the test, naming the
// collection, the record and the element.
func (k *Kit) Load(fixtures any) {
	if k.tb != nil {
		k.tb.Helper()
	}
	var data []byte
	switch f := fixtures.(type) {
	case string:
		data = []byte(f)
	case []byte:
		data = f
	default:
		var err error
		if data, err = json.Marshal(f); err != nil {
			k.check(fmt.Errorf("coupakittest: Load: %w", err))
		}
	}
	if err := k.Mock.ImportState(k.tenant, data, true); err != nil {
		k.check(fmt.Errorf("coupakittest: Load: %w", err))
	}
}
