package sftpd

import (
	"errors"
	"slices"
	"strings"
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

func TestSetFiles(t *testing.T) {
	ts := startServer(t)
	files := []File{{Path: "/Incoming/Suppliers/waiting.csv", Content: []byte("Name*\nAcme\n")}, {Path: "/Outgoing/Invoices/x.csv", Content: []byte("a\n")}}
	if err := ts.SetFiles("t1", files, true); err != nil {
		t.Fatal(err)
	}
	if got := ts.Files("t1"); len(got) != 2 || got[0].Path != files[0].Path || string(got[1].Content) != "a\n" {
		t.Errorf("Files after a replace: %+v", got)
	}
	if err := ts.SetFiles("t1", []File{{Path: "/Outgoing/Invoices/y.csv"}}, false); err != nil {
		t.Fatal(err)
	}
	if got := ts.Files("t1"); len(got) != 3 {
		t.Errorf("Files after a merge: %+v", got)
	}
	for _, bad := range []string{"/Outgoing/x.csv", "/Nowhere/x.csv", "relative.csv", "/Outgoing/Invoices"} {
		if err := ts.SetFiles("", []File{{Path: bad}}, true); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("SetFiles(%q): %v", bad, err)
		}
	}
	if len(ts.Files("")) == 0 {
		t.Error("a refused SetFiles changed the default tree")
	}
	if ts.Files("never") != nil {
		t.Error("a tenant without trees has files")
	}
}
