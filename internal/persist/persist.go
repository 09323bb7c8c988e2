// Package persist keeps a mock's state in a file across restarts: an atomic
// write (temporary file, fsync, rename, fsync of the directory) so that a
// crash leaves the old file or the new one, never half of one, and a Saver
// that writes a snapshot shortly after changes and on Close.
package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// WriteFile writes data to path atomically: into a temporary file in the
// same directory, synced to disk, then renamed over path, and the
// directory synced, so that after a crash path holds either its old
// contents or data.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("persist: write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // not every file system syncs directories
		d.Close()
	}
	return nil
}

// ReadFile reads a state file: ok is false, with no error, when there is
// none yet (a first start); a file that exists but cannot be read is an
// error naming it.
func ReadFile(path string) (data []byte, ok bool, err error) {
	data, err = os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("persist: state file %s: %w", path, err)
	}
	return data, true, nil
}

// DefaultDelay is how long after a change a Saver writes, so that a burst
// of changes is one write and a crash loses well under a second of them.
const DefaultDelay = 200 * time.Millisecond

// Saver writes snapshots of a state to a file: Changed marks the state as
// changed and the Saver writes it within its delay, in the background;
// Close writes the last changes and stops. It is safe for concurrent use,
// and Changed is cheap enough for every request that changes something.
type Saver struct {
	path     string
	delay    time.Duration
	snapshot func() ([]byte, error)
	onError  func(error)

	dirty   atomic.Bool
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	writeMu sync.Mutex // one write at a time
	once    sync.Once
	lastErr error
}

// NewSaver starts a Saver that writes what snapshot returns to path (mode
// 0600) within delay (DefaultDelay when 0) of a change. onError, when set,
// hears of every failed write; the changes stay marked and the next change
// or Close tries again.
func NewSaver(path string, delay time.Duration, snapshot func() ([]byte, error), onError func(error)) *Saver {
	if delay <= 0 {
		delay = DefaultDelay
	}
	s := &Saver{
		path: path, delay: delay, snapshot: snapshot, onError: onError,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go s.loop()
	return s
}

// Changed marks the state as changed.
func (s *Saver) Changed() {
	s.dirty.Store(true)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Flush writes the state now if it changed since the last write.
func (s *Saver) Flush() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !s.dirty.Swap(false) {
		return nil
	}
	data, err := s.snapshot()
	if err == nil {
		err = WriteFile(s.path, data, 0o600)
	} else {
		err = fmt.Errorf("persist: snapshot: %w", err)
	}
	if err != nil {
		s.dirty.Store(true)
		if s.onError != nil {
			s.onError(err)
		}
	}
	return err
}

// Close writes the last changes and stops the Saver; later calls return
// the first call's result.
func (s *Saver) Close() error {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		s.lastErr = s.Flush()
	})
	return s.lastErr
}

func (s *Saver) loop() {
	defer close(s.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-s.kick:
			t.Reset(s.delay)
			select {
			case <-t.C:
				_ = s.Flush()
			case <-s.stop:
				t.Stop()
				return
			}
		}
	}
}
