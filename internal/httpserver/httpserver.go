// Package httpserver makes the HTTP servers coupakit listens with: the
// mock's, the proxy's, and the bare server bench-load measures them
// against, which so pays for the same timeouts.
package httpserver

import (
	"net/http"
	"time"
)

// HeaderTimeout bounds the time a client may take to send a request's
// headers.
const HeaderTimeout = 10 * time.Second

// New wraps a handler in a server with timeouts, so that a slow or stuck
// client cannot hold a connection forever: HeaderTimeout for the headers;
// the body is the handler's to bound (bodyTimeout, after which the mock
// answers 408), with the server's read timeout a backstop just past it; 60 s
// to write an answer; 2 minutes for an idle keep-alive connection; 1 MiB of
// headers.
func New(h http.Handler, bodyTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: HeaderTimeout,
		ReadTimeout:       HeaderTimeout + bodyTimeout + 5*time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
}
