package sftpd

import (
	"errors"
	"slices"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestTenantTrees logs in as <user>+<tenant>: each tenant has its own tree,
// seeded like the default one, its uploads are recorded with the tenant,
// and a tenant the hook refuses cannot log in.
func TestTenantTrees(t *testing.T) {
	var asked []string
	ts := startServer(t, func(c *Config) {
		c.Tenant = func(name string) error {
			asked = append(asked, name)
			if name == "full" {
				return errors.New("too many tenants")
			}
			return nil
		}
	})
	def := ts.login(t)
	a := ts.loginAs(t, DefaultUser+"+a", DefaultPassword)
	b := ts.loginAs(t, DefaultUser+"+b", DefaultPassword)
	exports := func(c *sftp.Client) []string {
		var out []string
		for _, folder := range OutgoingFolders() {
			for _, n := range names(t, c, "/Outgoing/"+folder) {
				out = append(out, folder+"/"+n)
			}
		}
		return out
	}
	if got, want := exports(a), exports(def); !slices.Equal(got, want) || len(got) == 0 {
		t.Fatalf("tenant a's exports %v, want the default tree's %v", got, want)
	}

	put(t, a, "/Incoming/Suppliers/only-a.csv", csvFile("Name*,Number", "Acme,1"))
	ts.waitIdle(t)
	if got := names(t, a, "/Archive/Incoming/Suppliers"); !slices.Contains(got, "only-a.csv") {
		t.Errorf("tenant a's archive %v lacks its upload", got)
	}
	if got := names(t, b, "/Archive/Incoming/Suppliers"); slices.Contains(got, "only-a.csv") {
		t.Errorf("tenant b sees tenant a's file: %v", got)
	}
	if got := names(t, def, "/Archive/Incoming/Suppliers"); slices.Contains(got, "only-a.csv") {
		t.Errorf("the default tree sees tenant a's file: %v", got)
	}
	recs := ts.rec.all()
	if len(recs) != 1 || recs[0].Tenant != "a" || recs[0].User != DefaultUser {
		t.Errorf("results %+v, want one of tenant a", recs)
	}

	if _, err := dialSFTP(t, ts.addr, clientConfig(DefaultUser+"+full", ssh.Password(DefaultPassword))); err == nil {
		t.Error("a tenant the hook refuses logged in")
	}
	if _, err := dialSFTP(t, ts.addr, clientConfig("nobody+a", ssh.Password(DefaultPassword))); err == nil {
		t.Error("an unknown user logged in to a tenant")
	}
	if !slices.Contains(asked, "a") || !slices.Contains(asked, "full") {
		t.Errorf("the hook was asked %v", asked)
	}

	ts.DeleteTenant("a")
	again := ts.loginAs(t, DefaultUser+"+a", DefaultPassword)
	if got := names(t, again, "/Archive/Incoming/Suppliers"); slices.Contains(got, "only-a.csv") {
		t.Errorf("a deleted tenant's tree is kept: %v", got)
	}
}

// TestNoTenantsWithoutTheHook keeps <user>+<tenant> logins out when the
// server has no tenants.
func TestNoTenantsWithoutTheHook(t *testing.T) {
	ts := startServer(t)
	if _, err := dialSFTP(t, ts.addr, clientConfig(DefaultUser+"+a", ssh.Password(DefaultPassword))); err == nil {
		t.Error("a tenant login worked without Config.Tenant")
	}
}
