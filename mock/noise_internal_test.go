package mock

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// syncLog collects a server's error log.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestErrorAfterAnswerBegunIsDropped: a handler whose answer has begun and
// then fails (a write to a client that left) answers nothing more: the
// journal's status writer passes one status on, and responseError adds
// no second answer, so the server logs no superfluous WriteHeader call.
func TestErrorAfterAnswerBegunIsDropped(t *testing.T) {
	logs := &syncLog{}
	var seen *statusWriter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		seen = sw
		sw.Header().Set("Content-Type", "application/json")
		sw.WriteHeader(http.StatusOK)
		_, _ = sw.Write([]byte(`[{"id":1}`))
		responseError(sw, r, errors.New("write tcp: broken pipe"))
		sw.WriteHeader(http.StatusInternalServerError)
	}))
	srv.Config.ErrorLog = log.New(logs, "", 0)
	srv.Start()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `[{"id":1}` {
		t.Errorf("answer %d %q, want the 200 as begun and nothing after it", resp.StatusCode, body)
	}
	if seen.status != http.StatusOK {
		t.Errorf("journaled status %d, want the 200 the client got", seen.status)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if got := logs.b.String(); got != "" {
		t.Errorf("the server logged:\n%s", got)
	}
}
