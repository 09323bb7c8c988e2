package sftpd

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/pkg/sftp"
)

// quiet keeps benchmark servers from logging every file.
func quiet(c *Config) { c.Logger = slog.New(slog.DiscardHandler) }

// upload writes data to p and closes it.
func upload(c *sftp.Client, p string, data []byte) error {
	f, err := c.Create(p)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// reportThroughput reports MB/s (10^6 bytes) and files/s over the timed loop.
func reportThroughput(b *testing.B, files int, bytes int64) {
	secs := b.Elapsed().Seconds()
	if secs == 0 {
		return
	}
	b.ReportMetric(float64(bytes)/1e6/secs, "MB/s")
	b.ReportMetric(float64(files)/secs, "files/s")
}

// BenchmarkUploadAndProcess8MB uploads an 8 MB, 5,000-row file into
// /Incoming/Invoices and waits until it is checked and archived.
func BenchmarkUploadAndProcess8MB(b *testing.B) {
	ts := startServer(b, quiet)
	c := ts.login(b)
	base := len(csvRows(MaxRows, 8, 0))
	data := csvRows(MaxRows, 8, (8_000_000-base)/MaxRows)
	if rows, _, problems := checkFile(data); rows != MaxRows || len(problems) != 0 {
		b.Fatalf("benchmark file: %d rows, problems %+v", rows, problems)
	}
	ctx := context.Background()
	files := 0
	b.ReportAllocs()
	for b.Loop() {
		files++
		if err := upload(c, fmt.Sprintf("/Incoming/Invoices/invoices_%06d.csv", files), data); err != nil {
			b.Fatal(err)
		}
		if err := ts.WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reportThroughput(b, files, int64(files)*int64(len(data)))
	results := ts.rec.all()
	if len(results) != files || !results[len(results)-1].OK() || results[len(results)-1].Rows != MaxRows {
		b.Fatalf("%d results for %d files; last %+v", len(results), files, results[len(results)-1])
	}
}

// BenchmarkParallelSessions runs 5 sessions (the per-user limit) at once,
// each uploading 20 small files, and waits until all are processed.
func BenchmarkParallelSessions(b *testing.B) {
	const sessions, perSession = DefaultMaxSessionsPerUser, 20
	ts := startServer(b, quiet)
	clients := make([]*sftp.Client, sessions)
	for i := range clients {
		clients[i] = ts.login(b)
	}
	data := csvRows(20, 5, 0)
	ctx := context.Background()
	rounds := 0
	b.ReportAllocs()
	for b.Loop() {
		rounds++
		errs := make(chan error, sessions)
		var wg sync.WaitGroup
		for s, c := range clients {
			wg.Go(func() {
				for f := range perSession {
					if err := upload(c, fmt.Sprintf("/Incoming/Suppliers/r%d_s%d_f%02d.csv", rounds, s, f), data); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		if err := ts.WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	files := rounds * sessions * perSession
	reportThroughput(b, files, int64(files)*int64(len(data)))
	if got := len(ts.rec.all()); got != files {
		b.Fatalf("%d files processed, want %d", got, files)
	}
}
