package mock_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/mock"
)

// lockedBuffer is a bytes.Buffer safe for the server's error log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bigIntegrations creates n integrations whose descriptions are as long as
// the spec allows, of characters every encoding escapes, straight through
// h (these answers are not what the test is about).
func bigIntegrations(tb testing.TB, h http.Handler, n int) {
	tb.Helper()
	desc := strings.Repeat("<&>", 65535/3)
	for i := range n {
		body := fmt.Sprintf(`{"code":"BIG_%02d","name":"Big %d","description":%q}`, i, i, desc)
		req := httptest.NewRequest("POST", "/api/integrations", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			tb.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
}

// TestDroppedAnswerLogsNothing: a client that drops a large answer half
// read leaves no "superfluous response.WriteHeader call" (or any other
// line) in the server's error log, JSON or XML.
func TestDroppedAnswerLogsNothing(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 0})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	srv := httptest.NewUnstartedServer(m.CoreHandler())
	srv.Config.ErrorLog = log.New(logs, "", 0)
	srv.Start()
	defer srv.Close()
	bigIntegrations(t, m.CoreHandler(), 50)
	for _, accept := range []string{"application/json", "application/xml"} {
		for range 3 {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "GET /api/integrations?limit=50 HTTP/1.1\r\nHost: x\r\nAccept: %s\r\n\r\n", accept)
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(conn, make([]byte, 4096)); err != nil {
				t.Fatalf("%s: no answer: %v", accept, err)
			}
			conn.(*net.TCPConn).SetLinger(0) // a reset, as a client that gives up
			conn.Close()
		}
	}
	// Every handler journals its request once it has returned: wait for
	// the six dropped answers' entries.
	for deadline := time.Now().Add(20 * time.Second); len(m.Requests()) < 50+6; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests journaled", len(m.Requests()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := logs.String(); got != "" {
		t.Errorf("the server logged:\n%s", got)
	}
}
