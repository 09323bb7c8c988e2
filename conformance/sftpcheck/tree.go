package sftpcheck

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The standard folders, in the order Coupa's SFTP overview lists them, under
// their English names (the translated page shows some translated, which
// are wrong).
var (
	outgoingFolders = []string{
		"ExpenseReports", "Invoices", "PurchaseOrders", "Receipts", "Requisitions",
		"Suppliers", "SupplierInformations",
	}
	incomingFolders = []string{
		"Accounts", "AccountValidationRules", "Addresses", "ApprovalChains",
		"BudgetLines", "BusinessGroups", "Commodities", "Contracts", "Departments",
		"ExchangeRates", "ExpensePayments", "InvoicePayments", "Invoices", "Items",
		"LookupValues", "Receipts", "RemitToAddresses", "Requisitions", "Suppliers",
		"Users",
	}
	rootFolders = []string{"Outgoing", "Incoming", "Archive"}
)

// translations maps the translated folder names that machine translation
// of Coupa's page produced (French) to the English names.
var translations = map[string]string{
	"Sortant": "Outgoing", "Entrant": "Incoming", "Entrants": "Incoming", "En cours": "Incoming",
	"Archives": "Archive", "Factures": "Invoices", "Reçus": "Receipts", "Demandes": "Requisitions",
	"Fournisseurs": "Suppliers", "Comptes": "Accounts", "Adresses": "Addresses",
	"Chaînes d'approbation": "ApprovalChains", "Lignes budgétaires": "BudgetLines",
	"Marchandises": "Commodities", "Contrats": "Contracts", "Départements": "Departments",
	"Articles": "Items", "Utilisateurs": "Users", "Taux d'échange": "ExchangeRates",
	"DépensesPaiements": "ExpensePayments", "FacturePaiements": "InvoicePayments",
}

// OutgoingFolders returns the names of the standard /Outgoing/ folders, in
// Coupa's documented order. The caller may modify the slice.
func OutgoingFolders() []string { return slices.Clone(outgoingFolders) }

// IncomingFolders returns the names of the standard /Incoming/ folders (and
// of /Archive/Incoming/), in Coupa's documented order. The caller may modify
// the slice.
func IncomingFolders() []string { return slices.Clone(incomingFolders) }

// inTree reports whether p (clean, absolute) is the root or lies under one
// of its standard folders.
func inTree(p string) bool {
	if p == "/" {
		return true
	}
	for _, top := range rootFolders {
		if p == "/"+top || strings.HasPrefix(p, "/"+top+"/") {
			return true
		}
	}
	return false
}

// readDir lists dir; the error is worded for a problem.
func (c *cctx) readDir(dir string) ([]os.FileInfo, bool) {
	entries, err := c.r.c.ReadDir(dir)
	if err != nil {
		c.errorf(c.r.sftpCommand("ls -la "+dir), "cannot list %s: %v", dir, err)
		return nil, false
	}
	return entries, true
}

// checkFolders compares the folders of dir with want.
func (c *cctx) checkFolders(dir string, want []string) {
	entries, ok := c.readDir(dir)
	if !ok {
		return
	}
	req := c.r.sftpCommand("ls -la " + dir)
	var got []string
	for _, e := range entries {
		switch {
		case e.Name() == "." || e.Name() == "..":
		case e.IsDir():
			got = append(got, e.Name())
		case slices.Contains(want, e.Name()):
			c.errorf(req, "%s/%s is a file, not a folder", dir, e.Name())
		}
	}
	for _, name := range want {
		if slices.Contains(got, name) {
			continue
		}
		msg := fmt.Sprintf("%s/%s is missing", dir, name)
		for _, g := range got {
			switch {
			case strings.EqualFold(g, name):
				msg += fmt.Sprintf(" (there is %s/%s: the name is case-sensitive)", dir, g)
			case translations[g] == name:
				msg += fmt.Sprintf(" (there is %s/%s, a translation: the names are English codes)", dir, g)
			}
		}
		c.errorf(req, "%s", msg)
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			c.errorf(req, "%s/%s is not a standard folder", dir, g)
		}
	}
	if len(c.problems) == 0 {
		c.notef("%d folders", len(got))
	}
}

func (r *run) checkOutgoingTree(c *cctx) { c.checkFolders("/Outgoing", outgoingFolders) }
func (r *run) checkIncomingTree(c *cctx) { c.checkFolders("/Incoming", incomingFolders) }
func (r *run) checkArchiveTree(c *cctx)  { c.checkFolders("/Archive/Incoming", incomingFolders) }

// checkEnglish looks for translated or non-ASCII folder names in the upper
// levels of the tree.
func (r *run) checkEnglish(c *cctx) {
	seen := 0
	for _, dir := range []string{"/", "/Outgoing", "/Incoming", "/Archive", "/Archive/Incoming"} {
		entries, err := r.c.ReadDir(dir)
		if err != nil {
			continue // the tree checks report missing folders
		}
		for _, e := range entries {
			if !e.IsDir() || e.Name() == "." || e.Name() == ".." {
				continue
			}
			seen++
			p := path.Join(dir, e.Name())
			req := r.sftpCommand("ls -la " + dir)
			switch en, ok := translations[e.Name()]; {
			case ok:
				c.errorf(req, "%s is a translated name; Coupa's folder is %s", p, path.Join(dir, en))
			case !ascii(e.Name()):
				c.errorf(req, "%s is not an English folder name (it has letters outside ASCII)", p)
			}
		}
	}
	if seen == 0 {
		c.errorf(r.sftpCommand("ls -la /"), "no folder could be listed")
		return
	}
	c.notef("%d folder names, all English", seen)
}

func ascii(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxExports bounds the export files a run downloads; maxExportBytes the
// size of one.
const (
	maxExports     = 25
	maxExportBytes = 16 << 20
)

// export is a file of /Outgoing/<Object>/.
type export struct {
	folder string
	info   os.FileInfo
}

func (e export) path() string { return "/Outgoing/" + e.folder + "/" + e.info.Name() }

// exports lists the files of the standard /Outgoing/ folders.
func (r *run) exports() []export {
	var out []export
	for _, folder := range outgoingFolders {
		entries, err := r.c.ReadDir("/Outgoing/" + folder)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Mode().IsRegular() {
				out = append(out, export{folder, e})
			}
		}
	}
	return out
}

// checkOutgoingCSV downloads the export files and judges them as CSV.
func (r *run) checkOutgoingCSV(c *cctx) {
	files := r.exports()
	if len(files) == 0 {
		c.skipf("no export file in /Outgoing/<Object>/ to judge")
		return
	}
	judged := 0
	for _, f := range files {
		if judged == maxExports {
			c.notef("%d more files not downloaded", len(files)-judged)
			break
		}
		if f.info.Size() > maxExportBytes {
			c.notef("%s not downloaded: %d bytes", f.path(), f.info.Size())
			continue
		}
		judged++
		req := r.sftpCommand("get " + f.path())
		data, err := r.download(f.path())
		if err != nil {
			c.errorf(req, "cannot download %s: %v", f.path(), err)
			continue
		}
		for _, p := range csvProblems(data) {
			c.errorf(req, "%s: %s", f.path(), p)
		}
	}
	c.notef("%d export files are CSV with a header row", judged)
}

// download reads a whole file, at most maxExportBytes.
func (r *run) download(p string) ([]byte, error) {
	f, err := r.c.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxExportBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxExportBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxExportBytes)
	}
	return data, nil
}

// csvProblems judges data as an export file: UTF-8 without BOM, RFC 4180,
// a header row of named, distinct columns, rows as wide as the header.
func csvProblems(data []byte) []string {
	var out []string
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		out = append(out, "starts with a UTF-8 byte order mark")
		data = data[3:]
	}
	if !utf8.Valid(data) {
		return append(out, "is not valid UTF-8")
	}
	rd := csv.NewReader(bytes.NewReader(data))
	header, err := rd.Read()
	switch {
	case errors.Is(err, io.EOF):
		return append(out, "is empty: no header row")
	case err != nil:
		return append(out, fmt.Sprintf("header row is not RFC 4180 CSV: %v", err))
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			out = append(out, fmt.Sprintf("header column %d has no name", i+1))
		case seen[h]:
			out = append(out, fmt.Sprintf("header column %d (%q) repeats an earlier column", i+1, h))
		}
		seen[h] = true
	}
	for {
		_, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return append(out, fmt.Sprintf("not RFC 4180 CSV with rows as wide as the header: %v", err))
		}
	}
	return out
}

// exportName is the name of Coupa's export files.
var exportName = regexp.MustCompile(`^([A-Za-z]+)_(\d{8}_\d{6})Z\.csv$`)

// checkOutgoingNames judges the names of the export files.
func (r *run) checkOutgoingNames(c *cctx) {
	files := r.exports()
	if len(files) == 0 {
		c.skipf("no export file in /Outgoing/<Object>/ to judge")
		return
	}
	for _, f := range files {
		req := r.sftpCommand("ls -la /Outgoing/" + f.folder)
		m := exportName.FindStringSubmatch(f.info.Name())
		if m == nil {
			c.errorf(req, "%s is not named <Object>_<YYYYMMDD>_<HHMMSS>Z.csv", f.path())
			continue
		}
		if m[1] != f.folder {
			c.errorf(req, "%s starts with %q, not the folder's name %q", f.path(), m[1], f.folder)
		}
		if _, err := time.Parse("20060102_150405", m[2]); err != nil {
			c.errorf(req, "%s: %q is not a valid date and time", f.path(), m[2])
		}
	}
	c.notef("%d export files named like Coupa's", len(files))
}
