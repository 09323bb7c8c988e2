package httpserver_test

import (
	"testing"
	"time"

	"github.com/coupakit/coupakit/internal/httpserver"
)

func TestNewSetsEveryTimeout(t *testing.T) {
	for _, body := range []time.Duration{time.Second, 30 * time.Second} {
		srv := httpserver.New(nil, body)
		if srv.ReadTimeout <= httpserver.HeaderTimeout+body {
			t.Errorf("body timeout %s: read timeout %s, which must outlast the headers and the body", body, srv.ReadTimeout)
		}
		if srv.ReadHeaderTimeout != httpserver.HeaderTimeout || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
			t.Errorf("body timeout %s: server %+v leaves a bound unset", body, srv)
		}
	}
}
