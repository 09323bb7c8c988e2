package persist

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, data := range []string{`{"v":1}`, `{"v":2,"longer":true}`, `{}`} {
		if err := WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		got, ok, err := ReadFile(path)
		if err != nil || !ok || string(got) != data {
			t.Fatalf("read %q, %v, %v; want %q", got, ok, err, data)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want the state file alone (no temporary files left)", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "state.json"), []byte("x"), 0o600); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	if data, ok, err := ReadFile(filepath.Join(dir, "none.json")); err != nil || ok || data != nil {
		t.Fatalf("a missing file: %q, %v, %v; want a first start", data, ok, err)
	}
	if _, _, err := ReadFile(dir); err == nil {
		t.Fatal("a directory read as a state file")
	}
}

func TestSaverWritesShortlyAfterChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	var version atomic.Int64
	var snapshots atomic.Int64
	s := NewSaver(path, 20*time.Millisecond, func() ([]byte, error) {
		snapshots.Add(1)
		return []byte(strconv.FormatInt(version.Load(), 10)), nil
	}, func(err error) { t.Error(err) })
	defer s.Close()

	// A burst of changes from many goroutines.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				version.Add(1)
				s.Changed()
			}
		}()
	}
	wg.Wait()
	waitFor(t, path, "800")
	if n := snapshots.Load(); n > 100 {
		t.Errorf("%d snapshots for one burst of 800 changes", n)
	}
	version.Store(801)
	s.Changed()
	waitFor(t, path, "801")
}

func TestSaverCloseWritesTheLastChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s := NewSaver(path, time.Hour, func() ([]byte, error) { return []byte("last"), nil }, nil)
	s.Changed()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := ReadFile(path); string(got) != "last" {
		t.Fatalf("after Close: %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	// Without changes, Close writes nothing.
	other := filepath.Join(t.TempDir(), "untouched")
	if err := NewSaver(other, 0, func() ([]byte, error) { return []byte("x"), nil }, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ReadFile(other); ok {
		t.Error("Close wrote a state that never changed")
	}
}

func TestSaverRetriesAfterAFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	var fail atomic.Bool
	fail.Store(true)
	var failures atomic.Int64
	s := NewSaver(path, time.Millisecond, func() ([]byte, error) {
		if fail.Load() {
			return nil, errors.New("store busy")
		}
		return []byte("ok"), nil
	}, func(err error) { failures.Add(1) })
	s.Changed()
	deadline := time.Now().Add(5 * time.Second)
	for failures.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the failure was never reported")
		}
		time.Sleep(time.Millisecond)
	}
	fail.Store(false)
	if err := s.Close(); err != nil {
		t.Fatalf("Close after the failure: %v", err)
	}
	if got, _, _ := ReadFile(path); string(got) != "ok" {
		t.Fatalf("the changes were lost after a failed write: %q", got)
	}
}

func waitFor(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _, err := ReadFile(path)
		if err == nil && string(got) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state file %q, want %q", got, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
