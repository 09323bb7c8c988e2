package sftpd

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// standardTree is what every user sees, folder by folder.
func standardTree() map[string][]string {
	sorted := func(s []string) []string { slices.Sort(s); return s }
	return map[string][]string{
		"/":                 {"Archive", "Incoming", "Outgoing"},
		"/Archive":          {"Incoming"},
		"/Archive/Incoming": sorted(IncomingFolders()),
		"/Incoming":         sorted(IncomingFolders()),
		"/Outgoing":         sorted(OutgoingFolders()),
	}
}

func TestStandardTree(t *testing.T) {
	ts := startServer(t)
	c := ts.login(t)
	for dir, want := range standardTree() {
		t.Run(dir, func(t *testing.T) {
			if diff := cmp.Diff(want, names(t, c, dir)); diff != "" {
				t.Errorf("ReadDir(%s) (-want +got):\n%s", dir, diff)
			}
			for _, name := range want {
				fi, err := c.Stat(path.Join(dir, name))
				if err != nil || !fi.IsDir() {
					t.Errorf("Stat(%s) = %v, %v; want a folder", path.Join(dir, name), fi, err)
				}
			}
		})
	}
	for _, name := range IncomingFolders() {
		for _, dir := range []string{"/Incoming/" + name, "/Archive/Incoming/" + name} {
			if got := names(t, c, dir); len(got) != 0 {
				t.Errorf("%s holds %v at start, want nothing", dir, got)
			}
		}
	}
	if wd, err := c.Getwd(); err != nil || wd != "/" {
		t.Errorf("Getwd = %q, %v; want /", wd, err)
	}
}

func TestIncomingFileIsProcessedAndArchived(t *testing.T) {
	tests := []struct {
		folder, name string
		data         []byte
		wantRows     int
		wantDocType  string
		wantCols     []string
		wantProblems []Problem // Message ignored
	}{
		{"Invoices", "invoices_1.csv", csvFile("Invoice Number*,Supplier,Total", "INV-1,Acme,10.00", "INV-2,Acme,20.00"), 2, "InvoiceHeader",
			[]string{"Invoice Number*", "Supplier", "Total"}, nil},
		{"Accounts", "accounts.csv", csvFile("Code*,Name", "4000,Sales"), 1, "Account", []string{"Code*", "Name"}, nil},
		{"InvoicePayments", "payments.csv", csvFile("Invoice Number*,Amount", "INV-1,10.00"), 1, "Payment", []string{"Invoice Number*", "Amount"}, nil},
		{"Receipts", "receipts.csv", csvFile("PO Number*,Quantity", "PO-1,3"), 1, "InventoryTransaction", []string{"PO Number*", "Quantity"}, nil},
		{"BudgetLines", "budget.csv", csvFile("Period,Amount", "2026-11,1000"), 1, "", []string{"Period", "Amount"}, nil},
		{"Suppliers", "bom.csv", append([]byte{0xEF, 0xBB, 0xBF}, csvFile("Name*,Number", "Acme,1")...), 1, "Supplier",
			[]string{"Name*", "Number"}, []Problem{{Code: CodeByteOrderMark}}},
		{"Users", "ragged.csv", csvFile("Login*,Email", "jdoe,jdoe@example.com", "asmith", ",x@example.com"), 3, "User",
			[]string{"Login*", "Email"}, []Problem{{Row: 2, Line: 3, Code: CodeFieldCount}, {Row: 3, Line: 4, Code: CodeRequired}}},
		{"Items", "empty.csv", nil, 0, "Item", nil, []Problem{{Code: CodeEmpty}}},
	}
	for _, tt := range tests {
		t.Run(tt.folder+"/"+tt.name, func(t *testing.T) {
			ts := startServer(t, func(c *Config) { c.Now = func() time.Time { return fixedNow } })
			c := ts.login(t)
			in := "/Incoming/" + tt.folder + "/" + tt.name
			archived := "/Archive/Incoming/" + tt.folder + "/" + tt.name
			put(t, c, in, tt.data)
			ts.waitIdle(t)

			if got := names(t, c, "/Incoming/"+tt.folder); len(got) != 0 {
				t.Errorf("/Incoming/%s still holds %v after processing", tt.folder, got)
			}
			if got := get(t, c, archived); !bytes.Equal(got, tt.data) {
				t.Errorf("archived file differs from the upload: %q", got)
			}
			want := []Result{{
				User: DefaultUser, Folder: tt.folder, FileName: tt.name, Path: in, ArchivePath: archived,
				DocumentType: tt.wantDocType, Size: int64(len(tt.data)), Rows: tt.wantRows, Columns: tt.wantCols,
				Problems: tt.wantProblems, ReceivedAt: fixedNow, ProcessedAt: fixedNow,
			}}
			if diff := cmp.Diff(want, ts.rec.all(), cmpopts.IgnoreFields(Problem{}, "Message"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("recorded results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArchiveNeverOverwrites(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Now = func() time.Time { return fixedNow } })
	c := ts.login(t)
	uploads := [][]byte{csvFile("Login*", "first"), csvFile("Login*", "second"), csvFile("Login*", "third")}
	for _, data := range uploads {
		put(t, c, "/Incoming/Users/users.csv", data)
		ts.waitIdle(t)
	}
	want := map[string]string{
		"/Archive/Incoming/Users/users.csv":                    string(uploads[0]),
		"/Archive/Incoming/Users/users_20261123T101500Z.csv":   string(uploads[1]),
		"/Archive/Incoming/Users/users_20261123T101500Z_2.csv": string(uploads[2]),
	}
	got := map[string]string{}
	for _, name := range names(t, c, "/Archive/Incoming/Users") {
		p := "/Archive/Incoming/Users/" + name
		got[p] = string(get(t, c, p))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}
	var paths []string
	for _, r := range ts.rec.all() {
		paths = append(paths, r.ArchivePath)
	}
	if diff := cmp.Diff([]string{
		"/Archive/Incoming/Users/users.csv",
		"/Archive/Incoming/Users/users_20261123T101500Z.csv",
		"/Archive/Incoming/Users/users_20261123T101500Z_2.csv",
	}, paths); diff != "" {
		t.Errorf("recorded archive paths (-want +got):\n%s", diff)
	}
}

func TestProcessDelayAndAlphanumericOrder(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.ProcessDelay = time.Hour })
	c := ts.login(t)
	for _, name := range []string{"c.csv", "a.csv", "B.csv", "b.csv"} {
		put(t, c, "/Incoming/Suppliers/"+name, csvFile("Name*", name))
	}
	if got := ts.rec.all(); len(got) != 0 {
		t.Fatalf("processed before the delay: %v", got)
	}
	if diff := cmp.Diff([]string{"B.csv", "a.csv", "b.csv", "c.csv"}, names(t, c, "/Incoming/Suppliers")); diff != "" {
		t.Errorf("files waiting (-want +got):\n%s", diff)
	}
	if ts.proc.idle() {
		t.Errorf("processing is idle with files waiting for the delay")
	}

	ts.proc.flush() // the delay is over
	ts.waitIdle(t)
	var order []string
	for _, r := range ts.rec.all() {
		order = append(order, r.FileName)
	}
	if diff := cmp.Diff([]string{"B.csv", "a.csv", "b.csv", "c.csv"}, order); diff != "" {
		t.Errorf("processing order (-want +got):\n%s", diff)
	}
	if got := names(t, c, "/Incoming/Suppliers"); len(got) != 0 {
		t.Errorf("/Incoming/Suppliers still holds %v", got)
	}
}

func TestFileIsProcessedOnlyOnceClosed(t *testing.T) {
	ts := startServer(t)
	c := ts.login(t)
	data := csvFile("Code*,Name", "4000,Sales", "4100,Services")
	f, err := c.Create("/Incoming/Accounts/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t)
	if got := ts.rec.all(); len(got) != 0 {
		t.Fatalf("processed with the upload handle open: %v", got)
	}
	if got := names(t, c, "/Incoming/Accounts"); !slices.Equal(got, []string{"accounts.csv"}) {
		t.Fatalf("/Incoming/Accounts = %v, want the open file", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t)
	got := ts.rec.all()
	if len(got) != 1 || !got[0].OK() || got[0].Rows != 2 {
		t.Fatalf("after close, results = %+v; want one good file with 2 rows", got)
	}
}

// dialRaw logs in over a TCP connection the test can drop.
func dialRaw(t *testing.T, addr string) (net.Conn, *sftp.Client) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, clientConfig(DefaultUser, ssh.Password(DefaultPassword)))
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	c, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); client.Close() })
	return conn, c
}

func TestInterruptedUploadIsNeverProcessed(t *testing.T) {
	tests := []struct {
		name string
		drop func(conn net.Conn, c *sftp.Client)
	}{
		{"TCP connection dropped", func(conn net.Conn, _ *sftp.Client) { conn.Close() }},
		{"SFTP session ended with the file open", func(_ net.Conn, c *sftp.Client) { c.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t)
			const p = "/Incoming/Invoices/big.csv"
			data := csvRows(2000, 4, 20) // a valid file: only the interruption keeps it from processing
			half := data[:len(data)/2]

			conn, c := dialRaw(t, ts.addr)
			f, err := c.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(half); err != nil {
				t.Fatal(err)
			}
			tt.drop(conn, c)
			// The server's verdict on the handle: complete or interrupted.
			if r := ts.logs.wait(t, "sftp: upload ", map[string]string{"path": p}); !strings.HasPrefix(r.Msg, "sftp: upload interrupted") {
				t.Fatalf("server's verdict on the dropped upload: %v; want interrupted", r)
			}
			ts.waitIdle(t)

			if got := ts.rec.all(); len(got) != 0 {
				t.Fatalf("interrupted upload recorded: %+v", got)
			}
			if got := ts.snapshot(DefaultUser, "/Archive"); len(got) != 0 {
				t.Fatalf("interrupted upload archived: %v", slices.Collect(mapKeys(got)))
			}
			if got := ts.snapshot(DefaultUser, "/Incoming/Invoices")[p]; got != string(half) {
				t.Fatalf("the partial file should stay as received: %d bytes, want %d", len(got), len(half))
			}

			// A new, complete upload of the same name is processed.
			c2 := ts.login(t)
			put(t, c2, p, data)
			ts.waitIdle(t)
			got := ts.rec.all()
			if len(got) != 1 || !got[0].OK() || got[0].Rows != 2000 || got[0].Size != int64(len(data)) {
				t.Fatalf("results after a complete upload = %+v; want one good file of 2000 rows", got)
			}
		})
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestTemporaryNameIsProcessedOnceRenamed(t *testing.T) {
	tests := []struct {
		name   string
		rename func(c *sftp.Client, from, to string) error
	}{
		{"rename", (*sftp.Client).Rename},
		{"posix-rename", (*sftp.Client).PosixRename},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t)
			c := ts.login(t)
			data := csvFile("Item Number*,Name", "IT-1,Chair")
			put(t, c, "/Incoming/Items/items.csv.filepart", data)
			ts.waitIdle(t)
			if got := ts.rec.all(); len(got) != 0 {
				t.Fatalf("temporary file processed: %+v", got)
			}
			if err := tt.rename(c, "/Incoming/Items/items.csv.filepart", "/Incoming/Items/items.csv"); err != nil {
				t.Fatalf("rename: %v", err)
			}
			ts.waitIdle(t)
			got := ts.rec.all()
			if len(got) != 1 || got[0].FileName != "items.csv" || got[0].DocumentType != "Item" || !got[0].OK() {
				t.Fatalf("results = %+v; want items.csv processed as Item", got)
			}
			if diff := cmp.Diff([]string{"items.csv"}, names(t, c, "/Archive/Incoming/Items")); diff != "" {
				t.Errorf("archive (-want +got):\n%s", diff)
			}
		})
	}
}

var exportNameRE = regexp.MustCompile(`^([A-Za-z]+)_\d{8}_\d{6}Z\.csv$`)

func TestOutgoingDownloadAndDelete(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Users = []User{{Name: "erp", Password: "pw1"}, {Name: "bank", Password: "pw2"}}
	})
	erp := ts.loginAs(t, "erp", "pw1")
	bank := ts.loginAs(t, "bank", "pw2")
	var files []string
	for _, folder := range OutgoingFolders() {
		for _, name := range names(t, erp, "/Outgoing/"+folder) {
			files = append(files, "/Outgoing/"+folder+"/"+name)
		}
	}
	if len(files) < 3 {
		t.Fatalf("seeded export files = %v, want at least 3", files)
	}
	for _, p := range files {
		t.Run(p, func(t *testing.T) {
			m := exportNameRE.FindStringSubmatch(path.Base(p))
			if m == nil || m[1] != path.Base(path.Dir(p)) {
				t.Errorf("name %s is not <Folder>_YYYYMMDD_HHMMSSZ.csv", path.Base(p))
			}
			data := get(t, erp, p)
			recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
			if err != nil {
				t.Fatalf("export is not CSV: %v", err)
			}
			if len(recs) < 4 {
				t.Errorf("export has %d records, want a header and rows", len(recs))
			}
			if _, _, problems := checkFile(data); len(problems) != 0 {
				t.Errorf("export fails Coupa's own checks: %+v", problems)
			}
			if err := erp.Remove(p); err != nil {
				t.Fatalf("remove: %v", err)
			}
			if _, err := erp.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after remove, Stat = %v; want not exist", err)
			}
			if got := get(t, bank, p); !bytes.Equal(got, data) {
				t.Errorf("removing erp's copy changed bank's")
			}
		})
	}
}

func TestSeededOutgoingIsDeterministic(t *testing.T) {
	seeded := func(seed int64) map[string]string {
		ts := startServer(t, func(c *Config) { c.Seed = seed })
		return ts.snapshot(DefaultUser, "/Outgoing")
	}
	a, b, other := seeded(7), seeded(7), seeded(8)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different exports (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, other) {
		t.Errorf("seeds 7 and 8 gave the same exports")
	}
	for p := range a {
		if m := exportNameRE.FindStringSubmatch(path.Base(p)); m == nil || !strings.HasPrefix(p, "/Outgoing/"+m[1]+"/") {
			t.Errorf("seeded export %s is not named <Folder>_YYYYMMDD_HHMMSSZ.csv", p)
		}
	}
}

func TestDropOutgoing(t *testing.T) {
	tests := []struct {
		object  string
		want    string
		wantErr bool
	}{
		{"Invoices", "/Outgoing/Invoices/Invoices_20261123_101500Z.csv", false},
		{"invoices", "/Outgoing/Invoices/Invoices_20261123_101501Z.csv", false},
		{"PURCHASEORDERS", "/Outgoing/PurchaseOrders/PurchaseOrders_20261123_101500Z.csv", false},
		{"SupplierInformations", "/Outgoing/SupplierInformations/SupplierInformations_20261123_101500Z.csv", false},
		{"Accounts", "", true}, // an /Incoming/ folder only
		{"../Incoming/Invoices", "", true},
		{"Factures", "", true},
		{"", "", true},
	}
	ts := startServer(t, func(c *Config) {
		c.Now = func() time.Time { return fixedNow }
		c.Users = []User{{Name: "erp", Password: "pw1"}, {Name: "bank", Password: "pw2"}}
	})
	erp := ts.loginAs(t, "erp", "pw1")
	bank := ts.loginAs(t, "bank", "pw2")
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			got, err := ts.DropOutgoing(tt.object)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownFolder) {
					t.Fatalf("DropOutgoing(%q) = %q, %v; want ErrUnknownFolder", tt.object, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DropOutgoing(%q) = %q, %v; want %q", tt.object, got, err, tt.want)
			}
			data := get(t, erp, got)
			if _, _, problems := checkFile(data); len(problems) != 0 {
				t.Errorf("export fails Coupa's checks: %+v", problems)
			}
			if !bytes.Equal(get(t, bank, got), data) {
				t.Errorf("users see different contents")
			}
		})
	}

}

func TestDropOutgoingIsDeterministic(t *testing.T) {
	drop := func(seed int64) (string, string) {
		ts := startServer(t, func(c *Config) { c.Seed = seed; c.Now = func() time.Time { return fixedNow } })
		p, err := ts.DropOutgoing("Receipts")
		if err != nil {
			t.Fatal(err)
		}
		return p, ts.snapshot(DefaultUser, "/Outgoing/Receipts")[p]
	}
	p1, data1 := drop(3)
	p2, data2 := drop(3)
	_, other := drop(4)
	if p1 != p2 || data1 != data2 {
		t.Errorf("same seed and clock, different drops: %s and %s", p1, p2)
	}
	if data1 == "" || data1 == other {
		t.Errorf("seeds 3 and 4 dropped the same contents (or nothing)")
	}
}

func TestAuthentication(t *testing.T) {
	ed, rsa2048, rsa1024, stranger := testKey(t, "ed25519"), testKey(t, "rsa2048"), testKey(t, "rsa1024"), testKey(t, "stranger")
	ts := startServer(t, func(c *Config) {
		c.Users = []User{
			{Name: "alice", Password: "s3cret", AuthorizedKeys: []ssh.PublicKey{ed.PublicKey(), rsa2048.PublicKey(), rsa1024.PublicKey()}},
			{Name: "keyonly", AuthorizedKeys: []ssh.PublicKey{ed.PublicKey()}},
		}
	})
	tests := []struct {
		name   string
		user   string
		auth   ssh.AuthMethod
		wantOK bool
	}{
		{"password", "alice", ssh.Password("s3cret"), true},
		{"wrong password", "alice", ssh.Password("S3cret"), false},
		{"password by keyboard-interactive", "alice", keyboardInteractive("s3cret"), true},
		{"wrong password by keyboard-interactive", "alice", keyboardInteractive("nope"), false},
		{"unknown user", "mallory", ssh.Password("s3cret"), false},
		{"empty password for a key-only user", "keyonly", ssh.Password(""), false},
		{"Ed25519 key", "alice", ssh.PublicKeys(ed), true},
		{"RSA 2048 key", "alice", ssh.PublicKeys(rsa2048), true},
		{"key of a key-only user", "keyonly", ssh.PublicKeys(ed), true},
		{"unknown key", "alice", ssh.PublicKeys(stranger), false},
		{"another user's key", "keyonly", ssh.PublicKeys(rsa2048), false},
		{"RSA 1024 key, though authorized", "alice", ssh.PublicKeys(rsa1024), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := dialSFTP(t, ts.addr, clientConfig(tt.user, tt.auth))
			if !tt.wantOK {
				if err == nil {
					t.Fatalf("login succeeded, want it refused")
				}
				return
			}
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if diff := cmp.Diff(standardTree()["/"], names(t, c, "/")); diff != "" {
				t.Errorf("root (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("short RSA key is explained", func(t *testing.T) {
		cfg := clientConfig("alice", ssh.PublicKeys(rsa1024))
		var banner strings.Builder
		cfg.BannerCallback = func(msg string) error { banner.WriteString(msg); return nil }
		if _, err := dialSFTP(t, ts.addr, cfg); err == nil {
			t.Fatal("login with a 1024-bit RSA key succeeded")
		}
		if !strings.Contains(banner.String(), "1024 bits; at least 2048 are required") {
			t.Errorf("banner = %q; want it to say why the key was refused", banner.String())
		}
		r := ts.logs.wait(t, "sftp: login refused: RSA key shorter", map[string]string{"user": "alice", "bits": "1024"})
		if r.Level != slog.LevelWarn || r.Attrs["min_bits"] != "2048" || r.Attrs["fingerprint"] != ssh.FingerprintSHA256(rsa1024.PublicKey()) {
			t.Errorf("log record = %v; want a warning naming the key, its 1024 bits and the 2048 minimum", r)
		}
		if _, ok := ts.logs.find("sftp: authorized RSA key is too short", map[string]string{"user": "alice", "bits": "1024"}); !ok {
			t.Errorf("no start-up warning about the short authorized key")
		}
	})
	t.Run("refusals are logged", func(t *testing.T) {
		if _, ok := ts.logs.find("sftp: login refused", map[string]string{"user": "alice", "method": "password"}); !ok {
			t.Errorf("no log line for the wrong password")
		}
	})
}

// keyboardInteractive answers every prompt with password.
func keyboardInteractive(password string) ssh.AuthMethod {
	return ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i := range answers {
			answers[i] = password
		}
		return answers, nil
	})
}

func TestPathsStayInsideTheRoot(t *testing.T) {
	ts := startServer(t)
	c := ts.login(t)
	put(t, c, "/Incoming/Invoices/keep.csv.part", csvFile("a", "1"))
	host := filepath.Join(t.TempDir(), "escaped.csv")

	tests := []refusal{
		{"read ../../etc/passwd", func() error { _, err := c.Open("../../../../etc/passwd"); return err }, fs.ErrNotExist},
		{"read /etc/passwd", func() error { _, err := c.Open("/etc/passwd"); return err }, fs.ErrNotExist},
		{"read through a standard folder", func() error { _, err := c.Open("/Incoming/Invoices/../../../etc/hostname"); return err }, fs.ErrNotExist},
		{"stat /etc", func() error { _, err := c.Stat("/Incoming/../../etc"); return err }, fs.ErrNotExist},
		{"list /tmp", func() error { _, err := c.ReadDir("../../tmp"); return err }, fs.ErrNotExist},
		{"create at a host path", func() error { _, err := c.Create("../../.." + host); return err }, fs.ErrNotExist},
		{"create at the root", func() error { _, err := c.Create("/../../escaped.csv"); return err }, fs.ErrPermission},
		{"create escaping Incoming", func() error { _, err := c.Create("/Incoming/Invoices/../../escaped.csv"); return err }, fs.ErrPermission},
		{"symlink to /etc/passwd", func() error { return c.Symlink("/etc/passwd", "/Incoming/Invoices/passwd.csv") }, fs.ErrPermission},
		{"hard link", func() error { return c.Link("/Incoming/Invoices/keep.csv.part", "/Incoming/Invoices/link.csv") }, fs.ErrPermission},
		{"readlink", func() error { _, err := c.ReadLink("/Incoming/Invoices/keep.csv.part"); return err }, nil},
		{"rename out of the root", func() error { return c.Rename("/Incoming/Invoices/keep.csv.part", "../../.."+host) }, fs.ErrNotExist},
		{"rename to the root", func() error { return c.Rename("/Incoming/Invoices/keep.csv.part", "/../keep.csv") }, fs.ErrPermission},
	}
	checkRefusals(t, tests)
	if _, err := os.Stat(host); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("host file %s: %v; want it never created", host, err)
	}
	// The connection survived every refusal, and ".." at the root is the root.
	if diff := cmp.Diff(standardTree()["/"], names(t, c, "/..")); diff != "" {
		t.Errorf("ReadDir(/..) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"keep.csv.part"}, names(t, c, "/Incoming/Invoices")); diff != "" {
		t.Errorf("/Incoming/Invoices (-want +got):\n%s", diff)
	}
}

func TestStandardFoldersAreProtected(t *testing.T) {
	ts := startServer(t)
	c := ts.login(t)
	var outgoing string
	for _, folder := range OutgoingFolders() {
		if n := names(t, c, "/Outgoing/"+folder); len(n) > 0 {
			outgoing = "/Outgoing/" + folder + "/" + n[0]
			break
		}
	}
	tests := []refusal{
		{"rmdir /", func() error { return c.RemoveDirectory("/") }, fs.ErrPermission},
		{"rmdir /Incoming", func() error { return c.RemoveDirectory("/Incoming") }, fs.ErrPermission},
		{"rmdir /Incoming/Invoices", func() error { return c.RemoveDirectory("/Incoming/Invoices") }, fs.ErrPermission},
		{"rmdir /Outgoing/Invoices", func() error { return c.RemoveDirectory("/Outgoing/Invoices") }, fs.ErrPermission},
		{"rmdir /Archive/Incoming/Users", func() error { return c.RemoveDirectory("/Archive/Incoming/Users") }, fs.ErrPermission},
		{"rmdir a missing folder", func() error { return c.RemoveDirectory("/Incoming/Nope") }, fs.ErrNotExist},
		{"remove /Archive", func() error { return c.Remove("/Archive") }, fs.ErrPermission},
		{"remove all, recursively", func() error { return c.RemoveAll("/Incoming") }, fs.ErrPermission},
		{"rename /Incoming/Invoices", func() error { return c.Rename("/Incoming/Invoices", "/Incoming/Bills") }, fs.ErrPermission},
		{"rename over a folder", func() error { return c.PosixRename(outgoing, "/Outgoing/Suppliers") }, fs.ErrPermission},
		{"mkdir a new folder", func() error { return c.Mkdir("/Incoming/Bills") }, fs.ErrPermission},
		{"mkdir at the root", func() error { return c.Mkdir("/Mine") }, fs.ErrPermission},
		{"mkdir an existing folder", func() error { return c.Mkdir("/Incoming/Invoices") }, nil},
		{"chmod a folder", func() error { return c.Chmod("/Incoming", 0o777) }, fs.ErrPermission},
		{"upload into /Outgoing", func() error { _, err := c.Create("/Outgoing/Invoices/x.csv"); return err }, fs.ErrPermission},
		{"overwrite an export", func() error { _, err := c.OpenFile(outgoing, os.O_WRONLY|os.O_TRUNC); return err }, fs.ErrPermission},
		{"upload into /Archive", func() error { _, err := c.Create("/Archive/Incoming/Invoices/x.csv"); return err }, fs.ErrPermission},
		{"upload into /Incoming itself", func() error { _, err := c.Create("/Incoming/x.csv"); return err }, fs.ErrPermission},
		{"upload into a missing folder", func() error { _, err := c.Create("/Incoming/Factures/x.csv"); return err }, fs.ErrNotExist},
		{"upload onto a folder", func() error { _, err := c.Create("/Incoming/Invoices"); return err }, nil},
		{"move an export into the archive", func() error { return c.Rename(outgoing, "/Archive/Incoming/Invoices/x.csv") }, fs.ErrPermission},
	}
	checkRefusals(t, tests)
	for dir, want := range standardTree() {
		if diff := cmp.Diff(want, names(t, c, dir)); diff != "" {
			t.Errorf("%s changed (-want +got):\n%s", dir, diff)
		}
	}
	if _, ok := ts.logs.find("sftp: request refused", map[string]string{"op": "rmdir", "path": "/Incoming/Invoices"}); !ok {
		t.Errorf("no log line for the refused rmdir")
	}
}

func TestSessionLimit(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Users = []User{{Name: "erp", Password: "pw"}, {Name: "bank", Password: "pw"}}
	})
	cfg := clientConfig("erp", ssh.Password("pw"))
	var conns []*ssh.Client
	for i := range DefaultMaxSessionsPerUser {
		conn, err := ssh.Dial("tcp", ts.addr, cfg)
		if err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
		t.Cleanup(func() { conn.Close() })
		c, err := sftp.NewClient(conn)
		if err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, conn)
	}

	_, err := dialSFTP(t, ts.addr, cfg)
	if err == nil {
		t.Fatalf("a sixth session was accepted")
	}
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.ResourceShortage || !strings.Contains(oce.Message, "already has 5 concurrent sessions") {
		t.Fatalf("sixth session error = %v; want a resource shortage naming the limit of 5", err)
	}
	ts.logs.wait(t, "sftp: session refused: too many concurrent sessions", map[string]string{"user": "erp", "limit": "5"})

	// Another user is not affected.
	if _, err := dialSFTP(t, ts.addr, clientConfig("bank", ssh.Password("pw"))); err != nil {
		t.Fatalf("bank's session was refused: %v", err)
	}

	// Ending a session frees its slot.
	closed := ts.logs.count("sftp: connection closed", map[string]string{"user": "erp"})
	conns[0].Close()
	ts.logs.waitN(t, closed+1, "sftp: connection closed", map[string]string{"user": "erp"})
	if _, err := dialSFTP(t, ts.addr, cfg); err != nil {
		t.Fatalf("a session after one ended: %v", err)
	}
}

func TestHostKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	fingerprint := func(stateDir string) (string, *testServer) {
		ts := startServer(t, func(c *Config) { c.StateDir = stateDir })
		return ts.HostKeyFingerprint(), ts
	}
	first, ts1 := fingerprint(dir)
	if !strings.HasPrefix(first, "SHA256:") {
		t.Fatalf("fingerprint %q", first)
	}
	for _, name := range []string{"ssh_host_ed25519_key", "ssh_host_rsa_key"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("host key file: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, fi.Mode().Perm())
		}
	}
	known := ts1.HostKeys()
	if len(known) != 2 || known[1].Type() != ssh.KeyAlgoRSA || ssh.FingerprintSHA256(known[0]) != first {
		t.Fatalf("HostKeys = %v; want Ed25519 (the fingerprinted one) then RSA", known)
	}

	second, ts2 := fingerprint(dir)
	if second != first {
		t.Errorf("after restart the host key changed: %s, then %s", first, second)
	}
	// A client that pinned the key before the restart connects.
	cfg := clientConfig(DefaultUser, ssh.Password(DefaultPassword))
	cfg.HostKeyCallback = ssh.FixedHostKey(known[0])
	cfg.HostKeyAlgorithms = []string{ssh.KeyAlgoED25519}
	if _, err := dialSFTP(t, ts2.addr, cfg); err != nil {
		t.Errorf("client pinning the old host key: %v", err)
	}

	if other, _ := fingerprint(t.TempDir()); other == first {
		t.Errorf("a new state dir gave the same host key")
	}
}

func TestShutdown(t *testing.T) {
	// loginOwned logs in on a connection the test closes itself.
	loginOwned := func(t *testing.T, ts *testServer) (*ssh.Client, *sftp.Client) {
		t.Helper()
		conn, err := ssh.Dial("tcp", ts.addr, clientConfig(DefaultUser, ssh.Password(DefaultPassword)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := sftp.NewClient(conn)
		if err != nil {
			conn.Close()
			t.Fatal(err)
		}
		return conn, c
	}

	t.Run("waits for sessions and processing", func(t *testing.T) {
		ts := startServer(t)
		conn, c := loginOwned(t, ts)
		put(t, c, "/Incoming/Contracts/contracts.csv", csvFile("Number*", "C-1"))
		c.Close()
		conn.Close()
		if err := ts.Shutdown(testCtx(t)); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if got := ts.rec.all(); len(got) != 1 || got[0].FileName != "contracts.csv" {
			t.Errorf("results = %+v; want contracts.csv processed before shutdown returned", got)
		}
		if _, err := ssh.Dial("tcp", ts.addr, clientConfig(DefaultUser, ssh.Password(DefaultPassword))); err == nil {
			t.Errorf("login after Shutdown succeeded")
		}
	})

	t.Run("gives up when the context ends", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.ProcessDelay = time.Hour })
		conn, c := loginOwned(t, ts)
		defer conn.Close()
		put(t, c, "/Incoming/Contracts/contracts.csv", csvFile("Number*", "C-1"))
		ctx, cancel := context.WithCancel(testCtx(t))
		cancel()
		if err := ts.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Shutdown = %v; want context.Canceled", err)
		}
		if got := ts.rec.all(); len(got) != 0 {
			t.Errorf("a pickup waiting for its delay ran at shutdown: %+v", got)
		}
		if _, err := c.ReadDir("/"); err == nil {
			t.Errorf("session still served after Shutdown gave up and closed")
		}
	})
}
