package mock

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// How table.list scans a large table: in parallel, in blocks that
// goroutines take in turn, merged in order so that the answer is the
// sequential scan's to the record.
const (
	// parallelMin is the fewest rows a filtered list scans in parallel.
	parallelMin = 32 << 10
	// scanHead is how many rows a list that need not count every match
	// scans alone first: a page that they fill starts no goroutine.
	scanHead = 4 << 10
	// scanBlock is how many rows a goroutine of a parallel scan takes at a
	// time.
	scanBlock = 1 << 10
	// maxWorkers bounds the goroutines of one scan.
	maxWorkers = 8
)

// listRows returns the rows for which match is true, skipping offset of
// them and keeping at most limit. With total it also counts every match,
// else it stops once the page is full and the count is only a lower bound
// (at most offset+limit). A nil match matches every row. match must be
// safe to call from several goroutines at once (a query.MatchFunc is).
func listRows[T any](rows []T, match func(*T) bool, offset, limit int, total bool) ([]T, int) {
	if workers := min(runtime.GOMAXPROCS(0), maxWorkers); match != nil && limit > 0 && len(rows) >= parallelMin && workers > 1 {
		return listParallel(rows, match, offset, limit, total, scanSplit{head: scanHead, block: scanBlock, workers: workers})
	}
	return listSequential(rows, match, offset, limit, total)
}

// listSequential is listRows in one pass: the reference the parallel scan
// is held to.
func listSequential[T any](rows []T, match func(*T) bool, offset, limit int, total bool) ([]T, int) {
	out := make([]T, 0, max(0, min(limit, len(rows))))
	n := 0
	for i := range rows {
		if match != nil && !match(&rows[i]) {
			continue
		}
		if n >= offset && len(out) < limit {
			out = append(out, rows[i])
		} else if !total && len(out) >= limit {
			break
		}
		n++
	}
	return out, n
}

// scanSplit is how listParallel cuts the rows.
type scanSplit struct {
	head    int // rows scanned alone first when total is not wanted
	block   int // rows per block after the head
	workers int // goroutines scanning blocks, this one included
}

// chunkScan is what the scan of one block of rows found: how many of its
// rows match (capped at need when total is not wanted) and the indexes,
// from the block's start, of its first need matches.
type chunkScan struct {
	start, end int
	count      int
	hits       []int32
}

// scanChunk scans rows[c.start:c.end], keeping the first need hits (need is
// at least 1); unless all is set it stops at need matches.
func scanChunk[T any](c *chunkScan, rows []T, match func(*T) bool, need int, all bool) {
	count, hits := c.count, c.hits // in registers, not memory, across match
	part := rows[c.start:c.end]
	for i := range part {
		if !match(&part[i]) {
			continue
		}
		if count < need {
			hits = append(hits, int32(i))
		}
		if count++; !all && count >= need {
			break
		}
	}
	c.count, c.hits = count, hits
}

// listParallel is listRows over blocks of rows that several goroutines
// take in turn, in order, for a match that is not nil and a limit above 0.
// Without total it scans the head alone first, so that a page it fills
// starts no goroutine; and it stops taking blocks once those before the
// first one still being scanned fill the page, so that no more than one
// block per goroutine is scanned past the page's end.
func listParallel[T any](rows []T, match func(*T) bool, offset, limit int, total bool, split scanSplit) ([]T, int) {
	offset = max(offset, 0)
	need := offset + limit // matches that decide the page
	if need < offset {
		need = int(^uint(0) >> 1) // overflow: every match
	}
	start := 0
	var blocks []chunkScan
	if !total {
		head := chunkScan{end: min(split.head, len(rows))}
		scanChunk(&head, rows, match, need, false)
		if head.count >= need || head.end == len(rows) {
			return merge(rows, []chunkScan{head}, offset, limit, need, total)
		}
		blocks = append(blocks, head)
		start = head.end
	}
	first := len(blocks) // the first block the goroutines share
	size := max(1, split.block)
	for b := start; b < len(rows); b += size {
		blocks = append(blocks, chunkScan{start: b, end: min(b+size, len(rows))})
	}
	var (
		next atomic.Int64 // the next block to take, counted from first
		stop atomic.Bool  // the page is full: take no more blocks
		mu   sync.Mutex   // guards what follows
		cond = sync.NewCond(&mu)
		done = make([]bool, len(blocks))
		// finished counts the blocks scanned; ready is the first shared
		// block not scanned yet, and found the matches before it.
		finished, ready, found = 0, first, 0
	)
	for i := range first {
		found += blocks[i].count
	}
	shared := len(blocks) - first
	work := func() {
		for !stop.Load() {
			b := next.Add(1) - 1
			if b >= int64(shared) {
				return
			}
			c := first + int(b)
			scanChunk(&blocks[c], rows, match, need, total)
			mu.Lock()
			done[c] = true
			finished++
			for ready < len(blocks) && done[ready] {
				found += blocks[ready].count
				ready++
			}
			if !total && found >= need {
				stop.Store(true)
			}
			cond.Broadcast()
			mu.Unlock()
		}
	}
	for range min(split.workers, shared) - 1 {
		go work()
	}
	work()
	// Wait for the blocks that were taken, and let a goroutine that starts
	// only now take none: it then returns without reading a row, so that
	// none is read once the caller lets go of the table's lock. A loaded
	// machine may start it late, and the scan does not wait for that.
	taken := int(min(next.Swap(math.MaxInt32), int64(shared)))
	mu.Lock()
	for finished < taken {
		cond.Wait()
	}
	mu.Unlock()
	return merge(rows, blocks, offset, limit, need, total)
}

// merge gathers the page from the chunks in order, and the count: every
// match with total, else at most need.
func merge[T any](rows []T, chunks []chunkScan, offset, limit, need int, total bool) ([]T, int) {
	n := 0
	for _, c := range chunks {
		if n += c.count; !total && n >= need {
			n = need
			break
		}
	}
	out := make([]T, 0, max(0, min(n, need)-offset))
	before := 0 // matches in the chunks before c
	for _, c := range chunks {
		if before >= need {
			break
		}
		for j, hit := range c.hits {
			if pos := before + j; pos >= offset && pos < need {
				out = append(out, rows[c.start+int(hit)])
			}
		}
		before += c.count
	}
	return out, n
}
