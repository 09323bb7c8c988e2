package sftpcheck

import (
	"fmt"
	"strings"

	"github.com/coupakit/coupakit/conformance"
)

// Sources of the rules: sections of Coupa's SFTP overview page and of its
// flat-file conventions (CHECKS.md says which).
const (
	srcAuth     = "sftp#/authentication"
	srcOutgoing = "sftp#/standard-folders/Outgoing"
	srcIncoming = "sftp#/standard-folders/Incoming"
	srcArchive  = "sftp#/standard-folders/Archive"
	srcFolders  = "sftp#/standard-folders"
	srcExports  = "sftp#/flat-files/outgoing"
	srcSession  = "sftp#/session"
	srcImport   = "sftp#/flat-files/incoming"
	srcLimits   = "sftp#/flat-files/limits"
)

// check is one entry of the table of checks.
type check struct {
	id, op, title, source string
	level                 conformance.Level
	// writes says the check changes the target: skipped by read-only runs.
	writes bool
	// run runs the check; nil for the import checks, which run together
	// (runImports).
	run func(c *cctx)
}

// checks is the table of checks, in the order they run.
func (r *run) checks() []*check {
	must, should := conformance.Must, conformance.Should
	return []*check{
		{id: "sftp.login", op: "login", level: must, source: srcAuth,
			title: "The user logs in with the given password or key (an RSA key has at least 2048 bits) and gets an SFTP session."},
		{id: "sftp.tree.outgoing", op: "readdir", level: must, source: srcOutgoing, run: r.checkOutgoingTree,
			title: "/Outgoing holds exactly the 7 standard folders, under their English names: " + strings.Join(OutgoingFolders(), ", ") + "."},
		{id: "sftp.tree.incoming", op: "readdir", level: must, source: srcIncoming, run: r.checkIncomingTree,
			title: "/Incoming holds exactly the 20 standard folders, under their English names: " + strings.Join(IncomingFolders(), ", ") + "."},
		{id: "sftp.tree.archive", op: "readdir", level: must, source: srcArchive, run: r.checkArchiveTree,
			title: "/Archive/Incoming holds exactly the 20 folders of /Incoming, under the same English names."},
		{id: "sftp.tree.english", op: "readdir", level: must, source: srcFolders, run: r.checkEnglish,
			title: "No folder of the tree has a translated name (Sortant, Entrant, Factures, Fournisseurs, ...): the names are codes, in English."},
		{id: "sftp.outgoing.csv", op: "read", level: must, source: srcExports, run: r.checkOutgoingCSV,
			title: "Every file in /Outgoing/<Object>/ is CSV per RFC 4180, UTF-8 without byte order mark, with a header row of named, distinct columns and every row as wide as the header."},
		{id: "sftp.outgoing.names", op: "read", level: should, source: srcExports, run: r.checkOutgoingNames,
			title: "Export files are named like Coupa's: <Object>_<YYYYMMDD>_<HHMMSS>Z.csv, such as Invoices_20141209_234608Z.csv (exports can be configured otherwise, so this is not required)."},
		{id: "sftp.session.confined", op: "realpath", level: must, source: srcSession, run: r.checkConfined,
			title: "The session cannot leave the tree: \"..\", absolute and relative paths resolve inside it, and host paths (/etc/passwd, /proc/self) do not exist."},
		{id: "sftp.session.links", op: "readlink", level: must, source: srcSession, run: r.checkLinks,
			title: "No symbolic link in the tree points outside it."},
		{id: "sftp.folders.fixed", op: "rename", level: must, source: srcFolders, run: r.checkFixed,
			title: "Standard folders cannot be removed or renamed (a server that obeys gets the folder back at once)."},
		{id: "sftp.keys.weak-rsa", op: "login", level: must, source: srcAuth, run: r.checkWeakKey,
			title: "An RSA key shorter than 2048 bits, authorized for the user, is refused at login."},
		{id: "sftp.session.symlink", op: "symlink", level: must, source: srcSession, writes: true, run: r.checkSymlink,
			title: "A symbolic link to a path outside the tree cannot be created, or cannot be followed out of it."},
		{id: "sftp.import.archive", op: "write", level: must, source: srcImport, writes: true,
			title: "A small CSV written to /Incoming/<Object>/ leaves /Incoming and appears in /Archive/Incoming/<Object>/ within the time limit."},
		{id: "sftp.import.reported", op: "write", level: must, source: srcImport, writes: true,
			title: "The Core API shows the outcome of the good file: an integration history record naming it in integration-filename, and no integration error naming it."},
		{id: "sftp.import.malformed", op: "write", level: must, source: srcImport, writes: true,
			title: "A malformed CSV (a row wider than the header, an unterminated quote) is archived and reported as integration errors naming it, never as a successful history record."},
		{id: "sftp.import.too-large", op: "write", level: must, source: srcLimits, writes: true,
			title: "A file over 8 MB is refused at upload, or reported as integration errors naming it, never imported as a success."},
		{id: "sftp.import.too-many-rows", op: "write", level: must, source: srcLimits, writes: true,
			title: "A file of more than 5,000 data rows is refused at upload, or reported as integration errors naming it, never imported as a success."},
	}
}

// find returns the check with id.
func (r *run) find(id string) *check {
	for _, c := range r.checks() {
		if c.id == id {
			return c
		}
	}
	panic("sftpcheck: no check " + id)
}

// maxProblems bounds the problems kept per check; the rest are counted.
const maxProblems = 20

// result makes the check's result.
func (chk *check) result(status conformance.Status, msg string, problems []conformance.Problem) conformance.Result {
	res := conformance.Result{ID: chk.id, Level: chk.level, Status: status, API: API, Operation: chk.op,
		Source: chk.source, Title: chk.title, Message: msg}
	if len(problems) > maxProblems {
		res.Omitted = len(problems) - maxProblems
		problems = problems[:maxProblems]
	}
	res.Problems = problems
	if len(problems) > 0 {
		if msg == "" {
			res.Message = problems[0].Message
		}
		res.Request = problems[0].Request
	}
	return res
}

// cctx is what a running check has found.
type cctx struct {
	r        *run
	problems []conformance.Problem
	skip     string
	notes    []string
}

// errorf notes a problem, shown by the sftp command line req ("" for none).
func (c *cctx) errorf(req, format string, args ...any) {
	c.problems = append(c.problems, conformance.Problem{Message: fmt.Sprintf(format, args...), Request: req})
}

// skipf says the check cannot run; the caller returns.
func (c *cctx) skipf(format string, args ...any) { c.skip = fmt.Sprintf(format, args...) }

// notef says what a passing check saw.
func (c *cctx) notef(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// exec runs chk.
func (r *run) exec(chk *check) conformance.Result {
	c := &cctx{r: r}
	chk.run(c)
	return execResult(chk, c)
}

// execResult is the result of a check that found what c holds.
func execResult(chk *check, c *cctx) conformance.Result {
	switch {
	case len(c.problems) > 0:
		return chk.result(conformance.Fail, "", c.problems)
	case c.skip != "":
		return chk.result(conformance.Skip, c.skip, nil)
	}
	return chk.result(conformance.Pass, strings.Join(c.notes, "; "), nil)
}
