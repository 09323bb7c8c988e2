package sftpd

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestFaultValidation(t *testing.T) {
	ts := startServer(t)
	tests := []struct {
		name  string
		fault Fault
		want  []string // substrings of the problems; none: valid
	}{
		{"refuse logins", Fault{Kind: RefuseLogin, Times: 2}, nil},
		{"drop an upload", Fault{Kind: DropUpload, AfterBytes: 10}, nil},
		{"hold, folder without case", Fault{Kind: HoldFolder, Folder: "invoices"}, nil},
		{"fail a file", Fault{Kind: FailFile, Folder: "Suppliers", User: DefaultUser, Message: "boom"}, nil},
		{"unknown kind", Fault{Kind: "explode"}, []string{`kind must be one of refuse_login, drop_upload, hold_folder, fail_file, got "explode"`}},
		{"hold without folder", Fault{Kind: HoldFolder}, []string{"hold_folder needs a folder"}},
		{"hold with times", Fault{Kind: HoldFolder, Folder: "Invoices", Times: 2}, []string{"hold_folder takes no times"}},
		{"unknown folder and user", Fault{Kind: FailFile, Folder: "Nowhere", User: "mallory"}, []string{`user "mallory" is no SFTP user`, `folder "Nowhere" is no /Incoming/ folder`}},
		{"negatives", Fault{Kind: DropUpload, Times: -1, AfterBytes: -1}, []string{"times must not be negative", "after_bytes must not be negative"}},
		{"misplaced elements", Fault{Kind: RefuseLogin, AfterBytes: 5, Message: "x", Folder: "Invoices"}, []string{"after_bytes is for drop_upload only", "message is for fail_file only", "refuse_login takes no folder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ts.AddFault(tt.fault)
			if tt.want == nil {
				if err != nil || got.ID == 0 {
					t.Fatalf("AddFault: %+v, %v", got, err)
				}
				return
			}
			var fe *FaultError
			if !errors.As(err, &fe) || len(fe.Problems) != len(tt.want) {
				t.Fatalf("error %v, want %d problems like %q", err, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(fe.Problems[i], w) {
					t.Errorf("problem %d = %q, want it to hold %q", i, fe.Problems[i], w)
				}
			}
		})
	}
	if f := ts.Faults(); len(f) != 4 || f[2].Folder != "Invoices" || f[0].Times != 2 || f[1].Times != 1 {
		t.Fatalf("faults %+v", f)
	}
	if _, err := New(Config{StateDir: sharedStateDir, Faults: []Fault{{Kind: HoldFolder}}}); err == nil {
		t.Fatal("New took a bad start-up fault")
	}
}

// TestRefuseLogins: the next two good logins are refused, a bad password
// does not count, the third good one gets in.
func TestRefuseLogins(t *testing.T) {
	ts := startServer(t)
	if _, err := ts.AddFault(Fault{Kind: RefuseLogin, Times: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := dialSFTP(t, ts.addr, clientConfig(DefaultUser, ssh.Password("wrong"))); err == nil {
		t.Fatal("a wrong password logged in")
	}
	for i := range 2 {
		// Both methods: the refused connection is refused on each.
		_, err := dialSFTP(t, ts.addr, clientConfig(DefaultUser, ssh.Password(DefaultPassword), ssh.KeyboardInteractive(
			func(string, string, []string, []bool) ([]string, error) { return []string{DefaultPassword}, nil })))
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("login %d: %v, want refused", i+1, err)
		}
	}
	c := ts.login(t)
	if _, err := c.Getwd(); err != nil {
		t.Fatal(err)
	}
	if f := ts.Faults(); f[0].Fired != 2 || !f[0].Retired {
		t.Fatalf("fault %+v", f[0])
	}
}

// TestDropUpload: the connection drops once 1,000 bytes of the upload are
// written; the file keeps those bytes and is never processed; the next
// upload goes through.
func TestDropUpload(t *testing.T) {
	ts := startServer(t)
	if _, err := ts.AddFault(Fault{Kind: DropUpload, Folder: "Invoices", AfterBytes: 1000}); err != nil {
		t.Fatal(err)
	}
	data := csvRows(200, 3, 20)
	if len(data) < 2000 || len(data) > 30000 {
		t.Fatalf("%d bytes: want one write packet of more than 1000", len(data))
	}
	c := ts.login(t)
	// Another folder is not affected.
	put(t, c, "/Incoming/Suppliers/s.csv", csvFile("Name*", "Acme"))
	f, err := c.Create("/Incoming/Invoices/big.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil && cerr == nil {
		t.Fatal("the upload went through; want the connection dropped")
	}
	if _, err := c.Getwd(); err == nil {
		t.Fatal("the connection is still up")
	}
	ts.waitIdle(t)
	c2 := ts.login(t)
	st, err := c2.Stat("/Incoming/Invoices/big.csv")
	if err != nil || st.Size() != 1000 {
		t.Fatalf("the interrupted file: %v, %v; want it kept with 1000 bytes", st, err)
	}
	put(t, c2, "/Incoming/Invoices/good.csv", csvFile("Name*", "Acme"))
	ts.waitIdle(t)
	var processed []string
	for _, r := range ts.rec.all() {
		processed = append(processed, r.FileName)
	}
	if strings.Join(processed, ",") != "s.csv,good.csv" {
		t.Fatalf("processed %v, want s.csv and good.csv only", processed)
	}
}

// TestHoldFolder: files wait in a held folder, another folder goes on, and
// removing the hold processes them.
func TestHoldFolder(t *testing.T) {
	ts := startServer(t)
	hold, err := ts.AddFault(Fault{Kind: HoldFolder, Folder: "Invoices"})
	if err != nil {
		t.Fatal(err)
	}
	c := ts.login(t)
	put(t, c, "/Incoming/Invoices/a.csv", csvFile("Name*", "Acme"))
	put(t, c, "/Incoming/Invoices/b.csv", csvFile("Name*", "Beta"))
	put(t, c, "/Incoming/Suppliers/s.csv", csvFile("Name*", "Acme"))
	ts.waitIdle(t)
	if got := names(t, c, "/Incoming/Invoices"); strings.Join(got, ",") != "a.csv,b.csv" {
		t.Fatalf("held folder holds %v", got)
	}
	if r := ts.rec.all(); len(r) != 1 || r[0].FileName != "s.csv" {
		t.Fatalf("processed %+v, want s.csv alone", r)
	}
	if f := ts.Faults(); f[0].Fired < 1 {
		t.Fatalf("fault %+v: no pickup counted as held", f[0])
	}
	if err := ts.DeleteFault(hold.ID); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t)
	if got := names(t, c, "/Incoming/Invoices"); len(got) != 0 {
		t.Fatalf("after release the folder holds %v", got)
	}
	if r := ts.rec.all(); len(r) != 3 || r[1].FileName != "a.csv" || r[2].FileName != "b.csv" || !r[1].OK() {
		t.Fatalf("processed %+v", r)
	}
	if err := ts.DeleteFault(hold.ID); !errors.Is(err, ErrNoFault) {
		t.Fatalf("second delete: %v", err)
	}
}

// TestHoldThenProcessDelay: a pickup already scheduled when the hold
// starts does not process the folder either.
func TestHoldScheduledPickup(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.ProcessDelay = 200 * time.Millisecond })
	c := ts.login(t)
	put(t, c, "/Incoming/Invoices/a.csv", csvFile("Name*", "Acme"))
	if _, err := ts.AddFault(Fault{Kind: HoldFolder, Folder: "Invoices"}); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t)
	if r := ts.rec.all(); len(r) != 0 {
		t.Fatalf("processed %+v while held", r)
	}
	ts.ClearFaults()
	ts.proc.flush()
	ts.waitIdle(t)
	if r := ts.rec.all(); len(r) != 1 || r[0].FileName != "a.csv" {
		t.Fatalf("processed %+v after the release", r)
	}
}

// TestFailFile: the next file of the folder fails with the fault's
// problem, is archived as a processed file is, and the one after passes.
func TestFailFile(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Faults = []Fault{{Kind: FailFile, Folder: "Invoices"}} })
	c := ts.login(t)
	good := csvFile("Name*", "Acme")
	put(t, c, "/Incoming/Invoices/1.csv", good)
	ts.waitIdle(t)
	put(t, c, "/Incoming/Invoices/2.csv", good)
	ts.waitIdle(t)
	r := ts.rec.all()
	if len(r) != 2 || r[0].OK() || !r[1].OK() {
		t.Fatalf("results %+v, want the first failed and the second good", r)
	}
	p := r[0].Problems
	if len(p) != 1 || p[0].Code != CodeProcessingFailed || p[0].Message != "processing of 1.csv failed (injected by SFTP fault 1)" {
		t.Fatalf("problems %+v", p)
	}
	if !bytes.Equal(get(t, c, "/Archive/Incoming/Invoices/1.csv"), good) {
		t.Fatal("the failed file is not archived")
	}
	// ResetFaults puts the start-up fault back.
	ts.ResetFaults()
	if f := ts.Faults(); len(f) != 1 || f[0].ID != 1 || f[0].Fired != 0 || f[0].Retired {
		t.Fatalf("faults after reset %+v", f)
	}
}
