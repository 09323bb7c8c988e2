package sftpd

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v6"
)

// ErrUnknownFolder is returned (wrapped) by DropOutgoing for a name that is
// not a standard /Outgoing/ folder.
var ErrUnknownFolder = errors.New("sftpd: not a standard /Outgoing/ folder")

// seedEpoch anchors the seeded export times, so that the same seed gives the
// same files whatever the wall clock says. It is the mock's epoch,
// internal/wire.SeedEpoch, which sftpd does not import for it (wire would
// bring kin-openapi along): TestSeedEpochIsTheMocks keeps them equal.
var seedEpoch = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// exportFile is one export file, the same for every user.
type exportFile struct {
	folder, name string
	data         []byte
	modTime      time.Time
}

// exportName names an export the way Coupa does: Invoices_20141209_234608Z.csv.
func exportName(folder string, at time.Time) string {
	return folder + "_" + at.UTC().Format("20060102_150405") + "Z.csv"
}

// exportSpec describes the columns of one folder's exports.
type exportSpec struct {
	header []string
	row    func(f *gofakeit.Faker, at time.Time) []string
}

var (
	currencies = []string{"USD", "EUR", "GBP", "SEK", "CHF", "JPY", "CAD", "AUD"}
	terms      = []string{"Net 30", "Net 45", "Net 60", "2/10 Net 30", "Due on receipt"}
)

func money(f *gofakeit.Faker, lo, hi float64) string { return fmt.Sprintf("%.2f", f.Price(lo, hi)) }
func day(f *gofakeit.Faker, at time.Time, back int) string {
	return at.AddDate(0, 0, -f.Number(0, back)).Format("2006-01-02")
}
func ref(f *gofakeit.Faker, prefix string, digits int) string {
	return fmt.Sprintf("%s-%0*d", prefix, digits, f.Number(1, 999999))
}

var exportSpecs = map[string]exportSpec{
	"ExpenseReports": {
		[]string{"Expense Report ID", "Employee Email", "Submitted Date", "Currency", "Total", "Status", "Business Purpose"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{fmt.Sprint(f.Number(1000, 99999)), f.Email(), day(f, at, 30), f.RandomString(currencies),
				money(f, 20, 4000), f.RandomString([]string{"approved", "pending_approval", "paid", "rejected"}), f.Sentence(f.Number(3, 8))}
		},
	},
	"Invoices": {
		[]string{"Invoice Number", "Invoice Date", "Supplier Name", "Supplier Number", "Currency", "Total", "Status", "PO Number"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{ref(f, "INV", 6), day(f, at, 60), f.Company(), ref(f, "SUP", 5), f.RandomString(currencies),
				money(f, 50, 25000), f.RandomString([]string{"approved", "pending_approval", "paid", "disputed"}), ref(f, "PO", 6)}
		},
	},
	"PurchaseOrders": {
		[]string{"PO Number", "Order Date", "Supplier Name", "Supplier Number", "Currency", "Total", "Status", "Requester Email"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{ref(f, "PO", 6), day(f, at, 30), f.Company(), ref(f, "SUP", 5), f.RandomString(currencies),
				money(f, 100, 50000), f.RandomString([]string{"issued", "closed", "cancelled", "buyer_hold"}), f.Email()}
		},
	},
	"Receipts": {
		[]string{"Receipt ID", "PO Number", "PO Line", "Item Description", "Quantity", "Unit Price", "Received Date", "Receiver Email"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{fmt.Sprint(f.Number(10000, 999999)), ref(f, "PO", 6), fmt.Sprint(f.Number(1, 12)), f.ProductName(),
				fmt.Sprint(f.Number(1, 500)), money(f, 1, 900), day(f, at, 14), f.Email()}
		},
	},
	"Requisitions": {
		[]string{"Requisition ID", "Requester Email", "Submitted Date", "Currency", "Total", "Status", "Justification"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{fmt.Sprint(f.Number(1000, 99999)), f.Email(), day(f, at, 30), f.RandomString(currencies),
				money(f, 10, 15000), f.RandomString([]string{"approved", "pending_approval", "ordered", "draft"}), f.Sentence(f.Number(4, 10))}
		},
	},
	"Suppliers": {
		[]string{"Supplier Number", "Supplier Name", "Status", "Tax ID", "Payment Terms", "Primary Contact Email", "Country"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{ref(f, "SUP", 5), f.Company(), f.RandomString([]string{"active", "inactive", "draft"}),
				f.DigitN(9), f.RandomString(terms), f.Email(), f.CountryAbr()}
		},
	},
	"SupplierInformations": {
		[]string{"Supplier Information ID", "Supplier Name", "Status", "Tax ID", "Remit-To Country", "Payment Terms", "Updated At"},
		func(f *gofakeit.Faker, at time.Time) []string {
			return []string{fmt.Sprint(f.Number(100, 99999)), f.Company(), f.RandomString([]string{"approved", "pending_approval", "draft"}),
				f.DigitN(9), f.CountryAbr(), f.RandomString(terms), at.Add(-time.Duration(f.Number(60, 86400)) * time.Second).UTC().Format("2006-01-02T15:04:05+00:00")}
		},
	},
}

// exportCSV renders n rows of folder's export as RFC 4180 CSV (CRLF).
func exportCSV(f *gofakeit.Faker, folder string, at time.Time, n int) []byte {
	spec := exportSpecs[folder]
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write(spec.header)
	for range n {
		w.Write(spec.row(f, at))
	}
	w.Flush()
	return buf.Bytes()
}

// newFaker returns a deterministic faker for seed.
func newFaker(seed int64) *gofakeit.Faker {
	return gofakeit.NewCustom(rand.NewSource(seed).(rand.Source64))
}

// seedOutgoing returns the export files present at start: one or two files
// in three or four of the /Outgoing/ folders, all determined by seed.
func seedOutgoing(seed int64) []exportFile {
	f := newFaker(seed)
	idx := make([]int, len(outgoingFolders))
	for i := range idx {
		idx[i] = i
	}
	f.ShuffleInts(idx)
	idx = idx[:3+f.Number(0, 1)]
	var files []exportFile
	taken := map[string]bool{}
	for _, i := range idx {
		folder := outgoingFolders[i]
		for range 1 + f.Number(0, 1) {
			at := seedEpoch.Add(-time.Duration(f.Number(60, 3*24*3600)) * time.Second)
			for taken[exportName(folder, at)] {
				at = at.Add(time.Second)
			}
			name := exportName(folder, at)
			taken[name] = true
			files = append(files, exportFile{folder: folder, name: name, data: exportCSV(f, folder, at, f.Number(5, 25)), modTime: at})
		}
	}
	return files
}

// addExport places an export file in the user's /Outgoing/ folder.
func (u *userFS) addExport(e exportFile) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.placeExport(e)
}

// placeExport is addExport with u.mu held. The name must be free.
func (u *userFS) placeExport(e exportFile) bool {
	dir := u.dirs["/Outgoing/"+e.folder]
	if !u.reserve(int64(len(e.data)), e.modTime) {
		return false
	}
	n := &fileNode{data: e.data, shared: true, modTime: e.modTime, complete: true, receivedAt: e.modTime}
	u.link(dir, n, e.name, e.modTime)
	return true
}

// outgoingGen makes the contents of on-demand exports: deterministic for a
// seed, in the order of the calls.
type outgoingGen struct {
	mu sync.Mutex
	f  *gofakeit.Faker
}

func newOutgoingGen(seed int64) outgoingGen {
	return outgoingGen{f: newFaker(seed ^ 0x5eed0f0e)}
}

// DropOutgoing places a new export file, with a header row and a few
// plausible rows, in /Outgoing/<object>/ of every user, as Coupa does when
// an export runs, and returns its path (the same in every user's tree), for
// example "/Outgoing/Invoices/Invoices_20261123_101500Z.csv". The name comes
// from Config.Now; when it is taken the time is moved on by a second, so
// nothing is overwritten. object is matched case-insensitively; a name that
// is not a standard /Outgoing/ folder gives an error wrapping
// ErrUnknownFolder. If a user's storage quota is full, the file is placed
// for the others and an error names the user.
func (s *Server) DropOutgoing(object string) (string, error) {
	folder, ok := canonicalFolder(outgoingFolders, object)
	if !ok {
		return "", fmt.Errorf("%w: %q (one of %s)", ErrUnknownFolder, object, strings.Join(outgoingFolders, ", "))
	}
	s.drop.mu.Lock()
	defer s.drop.mu.Unlock()
	at := s.now().UTC().Truncate(time.Second)
	data := exportCSV(s.drop.f, folder, at, s.drop.f.Number(3, 15))

	// Hold every user's lock (always in the same order, and only here) so
	// that the name is free everywhere when the file is placed.
	accounts := make([]*account, 0, len(s.order))
	for _, name := range s.order {
		a := s.users[name]
		a.fs.mu.Lock()
		accounts = append(accounts, a)
	}
	dirPath := "/Outgoing/" + folder
	free := func(name string) bool {
		for _, a := range accounts {
			if _, taken := a.fs.dirs[dirPath].files[name]; taken {
				return false
			}
		}
		return true
	}
	for !free(exportName(folder, at)) {
		at = at.Add(time.Second)
	}
	e := exportFile{folder: folder, name: exportName(folder, at), data: data, modTime: s.now()}
	var failed []string
	for _, a := range accounts {
		if !a.fs.placeExport(e) {
			failed = append(failed, a.Name)
		}
		a.fs.mu.Unlock()
	}
	p := path.Join(dirPath, e.name)
	s.log.Info("sftp: export file placed", "path", p, "bytes", len(data), "users", len(accounts)-len(failed))
	if len(failed) > 0 {
		return p, fmt.Errorf("sftpd: %s not placed for %s: storage quota exceeded", p, strings.Join(failed, ", "))
	}
	return p, nil
}
