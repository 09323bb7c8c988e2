package sftpcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/coupakit/coupakit/conformance"
)

// Coupa's limits of one flat file.
const (
	// MaxRows is the most data rows Coupa imports from one file.
	MaxRows = 5000
	// tooLargeBytes is the size of the oversized file: over 8 MB read as
	// 8,000,000 bytes and as 8 MiB.
	tooLargeBytes = 9_000_000
)

// upload is one file the run writes to /Incoming/<Object>/.
type upload struct {
	kind string // good, malformed, too-large, too-many-rows
	name string
	data []byte

	refused  error  // the upload failed
	archived string // where it was archived, once seen
	left     bool   // it left /Incoming
	// What the Core API shows, once looked up.
	looked              bool
	histories, failures int
	success             bool   // a history record with status success names it
	apiProblem          string // the last lookup's failure
	apiRequest          string
}

func (u *upload) settled(core bool) bool {
	switch {
	case u.refused != nil:
		return true
	case u.archived == "":
		return false
	case !core:
		return true
	case u.kind == "good":
		return u.histories > 0 || u.failures > 0
	}
	return u.failures > 0 || u.success
}

// files makes the files of the writing checks.
func (r *run) files() map[string]*upload {
	marker := "coupakit-conformance-" + r.runID
	good := r.t.GoodFile
	if good == nil {
		good = []byte("Name*,Description\r\n" + marker + ",Uploaded by coupakit check to certify the SFTP flat-file exchange\r\n")
	}
	var many, large bytes.Buffer
	many.WriteString("Name*,Description\r\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&many, "%s-%d,row %d of %d\r\n", marker, i+1, i+1, MaxRows+1)
	}
	large.WriteString("Name*,Description\r\n")
	filler := strings.Repeat("x", 2200)
	for i := 0; large.Len() <= tooLargeBytes; i++ {
		fmt.Fprintf(&large, "%s-%d,%s\r\n", marker, i+1, filler)
	}
	mk := func(kind string, data []byte) *upload {
		return &upload{kind: kind, name: marker + "-" + kind + ".csv", data: data}
	}
	return map[string]*upload{
		"sftp.import.archive":       mk("good", good),
		"sftp.import.malformed":     mk("malformed", []byte("Name*,Description\r\n"+marker+"-1,one,one too many\r\n\""+marker+"-2,an unterminated quote\r\n")),
		"sftp.import.too-large":     mk("too-large", large.Bytes()),
		"sftp.import.too-many-rows": mk("too-many-rows", many.Bytes()),
	}
}

// runImports runs the import checks: it uploads their files, waits for
// their outcome, and records a result for each check selected.
func (r *run) runImports() {
	files := r.files()
	core := r.t.Core != nil
	skips := map[string]string{}
	if !core {
		msg := "needs the Core API (--base-url) to see how the file is reported"
		skips["sftp.import.reported"], skips["sftp.import.malformed"] = msg, msg
	}
	var pending []*upload
	want := func(ids ...string) bool {
		for _, id := range ids {
			if r.selected(id) && skips[id] == "" {
				return true
			}
		}
		return false
	}
	for _, id := range []string{"sftp.import.archive", "sftp.import.malformed", "sftp.import.too-large", "sftp.import.too-many-rows"} {
		ids := []string{id}
		if id == "sftp.import.archive" {
			ids = append(ids, "sftp.import.reported")
		}
		if want(ids...) {
			pending = append(pending, files[id])
		}
	}
	if len(pending) > 0 {
		incoming := "/Incoming/" + r.folder
		for _, u := range pending {
			u.refused = r.put(path.Join(incoming, u.name), u.data)
		}
		r.await(pending, core)
		defer r.cleanUp(pending)
	}

	for _, id := range []string{"sftp.import.archive", "sftp.import.reported", "sftp.import.malformed", "sftp.import.too-large", "sftp.import.too-many-rows"} {
		if !r.selected(id) {
			continue
		}
		chk := r.find(id)
		if msg := skips[id]; msg != "" {
			r.record(chk.result(conformance.Skip, msg, nil))
			continue
		}
		u := files[id]
		if id == "sftp.import.reported" {
			u = files["sftp.import.archive"]
		}
		c := &cctx{r: r}
		switch id {
		case "sftp.import.archive":
			r.judgeArchive(c, u)
		case "sftp.import.reported":
			r.judgeReported(c, u)
		default:
			r.judgeRefused(c, u, core)
		}
		r.record(execResult(chk, c))
	}
}

// put writes data to p.
func (r *run) put(p string, data []byte) error {
	f, err := r.c.Create(p)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// await polls the folders, and the Core API, until every upload is settled
// or the time limit has passed.
func (r *run) await(uploads []*upload, core bool) {
	deadline := time.Now().Add(r.t.Timeout)
	incoming, archive := "/Incoming/"+r.folder, "/Archive/Incoming/"+r.folder
	for {
		in, inErr := r.c.ReadDir(incoming)
		arch, _ := r.c.ReadDir(archive)
		done := true
		for _, u := range uploads {
			if u.refused != nil {
				continue
			}
			if u.archived == "" && inErr == nil {
				u.left = !containsName(names(in), u.name)
				if name := archivedName(names(arch), u.name); u.left && name != "" {
					u.archived = path.Join(archive, name)
				}
			}
			if core && u.archived != "" && !u.settled(core) {
				r.lookUp(u)
			}
			done = done && u.settled(core)
		}
		if done || !time.Now().Before(deadline) {
			return
		}
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(r.t.Poll):
		}
	}
}

func containsName(list []string, name string) bool {
	for _, n := range list {
		if n == name {
			return true
		}
	}
	return false
}

// archivedName finds name in an archive listing, as it is or with a suffix
// before the extension (servers keep an earlier file of the same name).
func archivedName(list []string, name string) string {
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for _, n := range list {
		if n == name || (strings.HasPrefix(n, base+"_") && strings.HasSuffix(n, ext)) {
			return n
		}
	}
	return ""
}

// lookUp asks the Core API for the records naming u.
func (r *run) lookUp(u *upload) {
	count := func(p string) (int, bool, bool) {
		resp, err := r.t.Core.Get(p, url.Values{"integration-filename": {u.name}})
		u.apiRequest = resp.Request
		if err != nil {
			u.apiProblem = err.Error()
			return 0, false, false
		}
		var list []map[string]any
		if resp.Status != 200 || json.Unmarshal(resp.Body, &list) != nil {
			u.apiProblem = fmt.Sprintf("%s answered %d: %.200s", p, resp.Status, resp.Body)
			return 0, false, false
		}
		success := false
		for _, rec := range list {
			if s, _ := rec["status"].(string); strings.EqualFold(s, "success") {
				success = true
			}
		}
		return len(list), success, true
	}
	h, success, ok1 := count("/api/integration_history_records")
	e, _, ok2 := count("/api/integration_errors")
	if ok1 && ok2 {
		u.looked, u.apiProblem = true, ""
		u.histories, u.success, u.failures = h, success, e
	}
}

func (r *run) putCommand(u *upload) string {
	return r.sftpCommand("put "+u.name+" /Incoming/"+r.folder+"/", "ls -la /Incoming/"+r.folder, "ls -la /Archive/Incoming/"+r.folder)
}

// judgeArchive: the good file went from /Incoming to the archive.
func (r *run) judgeArchive(c *cctx, u *upload) {
	switch {
	case u.refused != nil:
		c.errorf(r.putCommand(u), "the upload of /Incoming/%s/%s (%d bytes) failed: %v", r.folder, u.name, len(u.data), u.refused)
	case !u.left:
		c.errorf(r.putCommand(u), "/Incoming/%s/%s is still there after %s: it was never processed", r.folder, u.name, r.t.Timeout)
	case u.archived == "":
		c.errorf(r.putCommand(u), "/Incoming/%s/%s left /Incoming but is not in /Archive/Incoming/%s/ after %s", r.folder, u.name, r.folder, r.t.Timeout)
	default:
		c.notef("archived as %s", u.archived)
	}
}

// judgeReported: the Core API shows the good file's history record.
func (r *run) judgeReported(c *cctx, u *upload) {
	switch {
	case u.archived == "":
		c.skipf("the good file was not archived (see sftp.import.archive)")
	case !u.looked:
		c.errorf(u.apiRequest, "the Core API could not be asked about %s: %s", u.name, u.apiProblem)
	case u.failures > 0:
		c.errorf(u.apiRequest, "%d integration errors name the good file %s (integration-filename); if the target's import of /Incoming/%s/ wants other columns, give a file it accepts (--sftp-good-file)", u.failures, u.name, r.folder)
	case u.histories == 0:
		c.errorf(u.apiRequest, "no integration history record names %s (integration-filename) %s after the upload", u.name, r.t.Timeout)
	default:
		c.notef("%d history records name %s", u.histories, u.name)
	}
}

// judgeRefused: a bad file is refused at upload or reported as errors.
func (r *run) judgeRefused(c *cctx, u *upload, core bool) {
	switch {
	case u.refused != nil:
		c.notef("the upload was refused: %v", u.refused)
	case !u.left:
		c.errorf(r.putCommand(u), "/Incoming/%s/%s is still there after %s: it was neither refused nor processed", r.folder, u.name, r.t.Timeout)
	case u.archived == "":
		c.errorf(r.putCommand(u), "/Incoming/%s/%s left /Incoming but is not in /Archive/Incoming/%s/ after %s", r.folder, u.name, r.folder, r.t.Timeout)
	case !core:
		c.skipf("the upload was accepted and the file archived as %s; give the Core API (--base-url) to see whether it is reported", u.archived)
	case !u.looked:
		c.errorf(u.apiRequest, "the Core API could not be asked about %s: %s", u.name, u.apiProblem)
	case u.success:
		c.errorf(u.apiRequest, "an integration history record with status success names %s: the %s file was imported as a success", u.name, u.kind)
	case u.failures == 0:
		c.errorf(u.apiRequest, "no integration error names %s (integration-filename) %s after the upload: the %s file was archived without a report", u.name, r.t.Timeout, u.kind)
	default:
		c.notef("archived as %s and reported by %d integration errors", u.archived, u.failures)
	}
}

// cleanUp removes the run's files, where the target allows it.
func (r *run) cleanUp(uploads []*upload) {
	for _, u := range uploads {
		if u.archived != "" {
			_ = r.c.Remove(u.archived)
		}
		if !u.left || u.refused != nil {
			_ = r.c.Remove(path.Join("/Incoming", r.folder, u.name))
		}
	}
}
