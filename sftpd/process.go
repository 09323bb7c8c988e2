package sftpd

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// pickup is one scheduled look at an /Incoming/ folder.
type pickup struct {
	fs  *userFS
	dir *dirNode
}

// processor runs pickups one at a time, in the order they become due, on
// one goroutine; it counts the pickups scheduled or queued so that WaitIdle
// can wait for them.
type processor struct {
	run func(pickup)

	mu      sync.Mutex
	queue   []pickup
	timers  map[*time.Timer]pickup
	pending int           // scheduled + queued + running
	idleCh  chan struct{} // closed while pending == 0
	wake    chan struct{}
	closed  bool
	done    chan struct{}
}

func newProcessor(run func(pickup)) *processor {
	p := &processor{
		run:    run,
		timers: make(map[*time.Timer]pickup),
		idleCh: make(chan struct{}),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	close(p.idleCh)
	go p.loop()
	return p
}

// add schedules pk after delay.
func (p *processor) add(pk pickup, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.pending == 0 {
		p.idleCh = make(chan struct{})
	}
	p.pending++
	if delay <= 0 {
		p.enqueueLocked(pk)
		return
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if _, ok := p.timers[t]; ok && !p.closed {
			delete(p.timers, t)
			p.enqueueLocked(pk)
		}
	})
	p.timers[t] = pk
}

func (p *processor) enqueueLocked(pk pickup) {
	p.queue = append(p.queue, pk)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// flush makes every scheduled pickup due now (tests use it to skip a
// ProcessDelay).
func (p *processor) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, pk := range p.timers {
		if t.Stop() {
			delete(p.timers, t)
			p.enqueueLocked(pk)
		}
	}
}

func (p *processor) loop() {
	defer close(p.done)
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.mu.Unlock()
			<-p.wake
			p.mu.Lock()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		pk := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()

		p.run(pk)

		p.mu.Lock()
		if p.pending--; p.pending == 0 {
			close(p.idleCh)
		}
		p.mu.Unlock()
	}
}

// idle reports whether nothing is scheduled, queued or running.
func (p *processor) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending == 0
}

// wait waits until idle or ctx is done.
func (p *processor) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		if p.pending == 0 {
			p.mu.Unlock()
			return nil
		}
		ch := p.idleCh
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close drops what is scheduled, lets a running pickup finish, and stops
// the worker.
func (p *processor) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		for t := range p.timers {
			t.Stop()
		}
		clear(p.timers)
		p.queue = nil
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	p.mu.Unlock()
	<-p.done
	p.mu.Lock()
	if p.pending != 0 {
		p.pending = 0
		close(p.idleCh)
	}
	p.mu.Unlock()
}

// schedulePickup schedules a pickup of dir, unless one is already waiting.
// The caller holds u.mu.
func (s *Server) schedulePickup(u *userFS, dir *dirNode) {
	if dir.pickup {
		return
	}
	dir.pickup = true
	s.proc.add(pickup{fs: u, dir: dir}, s.cfg.ProcessDelay)
}

// picked is a file taken by a pickup.
type picked struct {
	name, from, to string
	data           []byte
	receivedAt     time.Time
}

// runPickup archives every complete file of the folder, in alphanumeric
// order, then checks and records each.
func (s *Server) runPickup(pk pickup) {
	u, dir := pk.fs, pk.dir
	now := s.now()
	u.mu.Lock()
	dir.pickup = false
	var names []string
	for name, f := range dir.files {
		if f.complete && f.writers == 0 && !tempName(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	archive := u.dirs[path.Join("/Archive/Incoming", dir.object)]
	batch := make([]picked, 0, len(names))
	for _, name := range names {
		f := dir.files[name]
		to := archiveName(archive, name, now)
		delete(dir.files, name)
		u.link(archive, f, to, now)
		u.archived++
		f.archived = u.archived
		f.shared = true // the checks below read the data without the lock
		batch = append(batch, picked{
			name: name, from: path.Join(dir.path, name), to: path.Join(archive.path, to),
			data: f.data, receivedAt: f.receivedAt,
		})
	}
	if len(names) > 0 {
		dir.modTime = now
	}
	u.mu.Unlock()

	for _, f := range batch {
		rows, cols, problems := checkFile(f.data)
		r := Result{
			User: u.user, Tenant: u.tenant, Folder: dir.object, FileName: f.name, Path: f.from, ArchivePath: f.to,
			DocumentType: DocumentType(dir.object), Size: int64(len(f.data)), Rows: rows,
			Columns: cols, Problems: problems, ReceivedAt: f.receivedAt, ProcessedAt: s.now(),
		}
		attrs := []any{"user", r.User, "path", r.Path, "archive", r.ArchivePath, "rows", r.Rows, "document_type", r.DocumentType}
		if r.OK() {
			s.log.Info("sftp: file processed", attrs...)
		} else {
			s.log.Warn("sftp: file refused", append(attrs, "problems", len(r.Problems), "first_problem", r.Problems[0].Message)...)
		}
		if s.cfg.Recorder != nil {
			if err := s.cfg.Recorder.RecordFile(s.ctx, r); err != nil {
				s.log.Error("sftp: recording the outcome failed", "user", r.User, "path", r.Path, "err", err)
			}
		}
	}
}

// archiveName returns name, or when it is taken in dir, name with a
// timestamp suffix before the extension (and a counter if needed).
func archiveName(dir *dirNode, name string, now time.Time) string {
	if _, taken := dir.files[name]; !taken {
		return name
	}
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	stamp := now.UTC().Format("20060102T150405Z")
	candidate := base + "_" + stamp + ext
	for i := 2; ; i++ {
		if _, taken := dir.files[candidate]; !taken {
			return candidate
		}
		candidate = fmt.Sprintf("%s_%s_%d%s", base, stamp, i, ext)
	}
}

// checkFile checks a flat file the way Coupa does and returns the data rows
// read, the header and the problems found (nil for a good file).
func checkFile(data []byte) (rows int, header []string, problems []Problem) {
	fileProblem := func(code, format string, args ...any) {
		problems = append(problems, Problem{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if len(data) > MaxFileBytes {
		fileProblem(CodeTooLarge, "file has %d bytes; Coupa accepts at most %d (8 MB)", len(data), MaxFileBytes)
		return 0, nil, problems
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		fileProblem(CodeByteOrderMark, "file starts with a UTF-8 byte order mark; Coupa expects UTF-8 without BOM")
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		fileProblem(CodeEncoding, "file is UTF-16 encoded; Coupa expects UTF-8 without BOM")
		return 0, nil, problems
	}
	if !utf8.Valid(data) {
		line, col := firstInvalidUTF8(data)
		fileProblem(CodeEncoding, "file is not valid UTF-8: first invalid byte at line %d, byte %d", line, col)
		return 0, nil, problems
	}

	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // counted below, to report every bad row
	r.ReuseRecord = true
	rec, err := r.Read()
	switch {
	case errors.Is(err, io.EOF):
		fileProblem(CodeEmpty, "file is empty; a header row is required")
		return 0, nil, problems
	case err != nil:
		fileProblem(CodeSyntax, "header row is not valid CSV: %v", err)
		return 0, nil, problems
	}
	header = slices.Clone(rec)
	var required []int
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		name = strings.TrimSpace(name)
		switch {
		case name == "" || name == "*":
			fileProblem(CodeHeader, "header column %d has no name", i+1)
		case seen[name]:
			fileProblem(CodeHeader, "header column %d (%q) repeats an earlier column", i+1, name)
		}
		seen[name] = true
		if strings.HasSuffix(name, "*") {
			required = append(required, i)
		}
	}

	// Two places are kept for the summary problems below.
	badRows := 0
	rowProblem := func(p Problem) bool {
		if len(problems) < MaxProblems-2 {
			problems = append(problems, p)
			return true
		}
		badRows++
		return false
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		rows++
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			rowProblem(Problem{Row: rows, Line: line, Code: CodeSyntax, Message: fmt.Sprintf("row %d is not valid CSV (%v); the rest of the file was not read", rows, err)})
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			rowProblem(Problem{Row: rows, Line: line, Code: CodeFieldCount, Message: fmt.Sprintf("row %d has %d fields; the header has %d", rows, len(rec), len(header))})
			continue
		}
		for _, i := range required {
			if strings.TrimSpace(rec[i]) == "" {
				if !rowProblem(Problem{Row: rows, Line: line, Code: CodeRequired, Message: fmt.Sprintf("row %d: required column %q is empty", rows, strings.TrimSpace(header[i]))}) {
					break
				}
			}
		}
	}
	if rows > MaxRows {
		problems = append(problems, Problem{Code: CodeTooManyRows, Message: fmt.Sprintf("file has %d data rows; Coupa accepts at most %d", rows, MaxRows)})
	}
	if badRows > 0 {
		problems = append(problems, Problem{Code: CodeMoreProblems, Message: fmt.Sprintf("%d more problems are not listed", badRows)})
	}
	return rows, header, problems
}

// firstInvalidUTF8 locates the first invalid UTF-8 byte: 1-based line and
// byte within the line.
func firstInvalidUTF8(data []byte) (line, col int) {
	line, start := 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, i - start + 1
		}
		if data[i] == '\n' {
			line, start = line+1, i+1
		}
		i += size
	}
	return line, 0
}
