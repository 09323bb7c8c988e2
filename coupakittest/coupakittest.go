// Package coupakittest runs the coupakit mock in process for Go tests, in
// the manner of net/http/httptest: the Core API, the Sourcing API and the
// SFTP server on free loopback ports, with Coupa's authentication, and
// clients that already carry their credentials.
//
//	func TestExport(t *testing.T) {
//		kit := coupakittest.New(t)
//		resp, err := kit.HTTPClient().Get(kit.CoreURL + "/api/integration_errors?status=error")
//		...
//	}
//
// New stops everything when the test ends. Outside a test, Start and Close
// do the same by hand.
package coupakittest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// Option changes how a Kit starts.
type Option func(*config)

type config struct {
	seed      int64
	records   int
	rateLimit bool
	stateDir  string
}

// WithSeed seeds the fake data (default 1, as `coupakit serve`): the same
// seed gives the same records.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithRecords sets how many records of each resource are seeded (default
// 25, as `coupakit serve`).
func WithRecords(n int) Option { return func(c *config) { c.records = n } }

// WithRateLimit turns on Coupa's rate limit (25 requests per second, burst
// 20, per client).
func WithRateLimit() Option { return func(c *config) { c.rateLimit = true } }

// WithStateDir keeps the SFTP host keys in dir. The default is where
// `coupakit serve` keeps them (sftpd.DefaultStateDir), so that they are
// made once per machine rather than once per test (an RSA key takes a
// noticeable fraction of a second).
func WithStateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }

// Kit is a running mock: its addresses, its credentials and clients that
// use them.
type Kit struct {
	// Mock is the mock behind the servers, for what the HTTP API does not
	// show (Alerts, Integrations, Reset).
	Mock *mock.Mock
	// CoreURL is the Core API's base URL (http://127.0.0.1:port); its OAuth
	// token endpoint is CoreURL + "/oauth2/token".
	CoreURL string
	// SourcingURL is the Sourcing API's base URL.
	SourcingURL string
	// SFTPAddr is the SFTP server's host:port.
	SFTPAddr string
	// ClientID and ClientSecret are the OAuth client's credentials (scopes
	// core.integration.read and core.integration.write).
	ClientID, ClientSecret string
	// CSOAPIKey is the Sourcing API's X-CSO-API-KEY.
	CSOAPIKey string
	// SFTPUser and SFTPPassword log in to the SFTP server.
	SFTPUser, SFTPPassword string

	tb testing.TB // nil for a Kit from Start
	// tenant names the Kit's tenant ("" for the default); parent is the
	// Kit whose servers a tenant's Kit shares (nil for the Kit that owns
	// them). See tenant.go.
	tenant               string
	parent               *Kit
	coreOrigin, csOrigin string

	core     *httptest.Server
	sourcing *httptest.Server
	sftpSrv  *sftpd.Server

	mu      sync.Mutex
	token   string // the HTTP client's, with every scope
	closers []io.Closer
	closed  bool
}

// New starts a Kit for tb and stops it when the test ends (tb.Cleanup). A
// failure to start, and later a failure of Token or SFTP, fails the test.
func New(tb testing.TB, opts ...Option) *Kit {
	tb.Helper()
	k, err := Start(opts...)
	if err != nil {
		tb.Fatalf("coupakittest: %v", err)
	}
	k.tb = tb
	tb.Cleanup(k.Close)
	return k
}

// Start starts a Kit outside a test; Close stops it. Where a Kit from New
// fails its test, a Kit from Start panics (Token, SFTP).
func Start(opts ...Option) (*Kit, error) {
	cfg := config{seed: 1, records: 25, stateDir: sftpd.DefaultStateDir()}
	for _, o := range opts {
		o(&cfg)
	}
	client := auth.DefaultClient()
	m, err := mock.New(mock.Options{Seed: cfg.seed, Records: cfg.records, Auth: &auth.Config{
		Clients: []auth.Client{client}, CSOAPIKeys: []string{auth.DefaultCSOAPIKey}, RateLimit: cfg.rateLimit,
	}})
	if err != nil {
		return nil, err
	}
	k := &Kit{
		Mock: m, ClientID: client.ID, ClientSecret: client.Secret, CSOAPIKey: auth.DefaultCSOAPIKey,
		SFTPUser: sftpd.DefaultUser, SFTPPassword: sftpd.DefaultPassword,
	}
	k.sftpSrv, err = sftpd.New(sftpd.Config{
		Users:    []sftpd.User{{Name: k.SFTPUser, Password: k.SFTPPassword}},
		StateDir: cfg.stateDir, Seed: cfg.seed, Recorder: m, Tenant: m.OpenTenant, Files: m.SFTPFiles,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = k.sftpSrv.Serve(ln) }()
	m.AttachSFTP(k.sftpSrv)
	k.SFTPAddr = ln.Addr().String()
	k.core, k.sourcing = httptest.NewServer(m.CoreHandler()), httptest.NewServer(m.SourcingHandler())
	k.CoreURL, k.SourcingURL = k.core.URL, k.sourcing.URL
	k.coreOrigin, k.csOrigin = k.core.URL, k.sourcing.URL
	return k, nil
}

// Close stops the servers and closes the clients SFTP opened. It may be
// called more than once.
func (k *Kit) Close() {
	if k.parent != nil {
		k.closeTenant()
		return
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.closed = true
	closers := k.closers
	k.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		_ = closers[i].Close()
	}
	k.core.Close()
	k.sourcing.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = k.sftpSrv.Shutdown(ctx)
}

// Requests returns the request journal of the Kit's tenant: the newest
// requests the APIs answered, oldest first.
func (k *Kit) Requests() []mock.Request { return k.Mock.TenantRequests(k.tenant) }

// Token returns a fresh access token for the Core API with the scopes asked
// for (all of the client's when none), from the mock's OAuth token
// endpoint.
func (k *Kit) Token(scopes ...string) string {
	if k.tb != nil {
		k.tb.Helper()
	}
	tok, err := k.fetchToken(scopes)
	k.check(err)
	return tok
}

func (k *Kit) fetchToken(scopes []string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {k.ClientID}, "client_secret": {k.ClientSecret}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	resp, err := http.PostForm(k.CoreURL+"/oauth2/token", form)
	if err != nil {
		return "", fmt.Errorf("coupakittest: token: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("coupakittest: token: %d, %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("coupakittest: token: %d %s: %s", resp.StatusCode, body.Error, body.ErrorDescription)
	}
	return body.AccessToken, nil
}

// HTTPClient returns a client that adds the credentials each API needs to
// requests that have none: a bearer token with every scope to the Core
// API's, X-CSO-API-KEY to the Sourcing API's. Other hosts get nothing.
func (k *Kit) HTTPClient() *http.Client {
	return &http.Client{Transport: &credentials{k: k, base: http.DefaultTransport}, Timeout: 30 * time.Second}
}

type credentials struct {
	k    *Kit
	base http.RoundTripper
}

func (c *credentials) RoundTrip(r *http.Request) (*http.Response, error) {
	origin := r.URL.Scheme + "://" + r.URL.Host
	switch {
	case origin == c.k.coreOrigin && r.Header.Get("Authorization") == "" && !strings.HasSuffix(r.URL.Path, "/oauth2/token"):
		tok, err := c.k.clientToken()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
	case origin == c.k.csOrigin && r.Header.Get("X-CSO-API-KEY") == "":
		r = r.Clone(r.Context())
		r.Header.Set("X-CSO-API-KEY", c.k.CSOAPIKey)
	}
	return c.base.RoundTrip(r)
}

// clientToken is the HTTP client's token, fetched once.
func (k *Kit) clientToken() (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.token != "" {
		return k.token, nil
	}
	tok, err := k.fetchToken(nil)
	if err == nil {
		k.token = tok
	}
	return tok, err
}

// SFTP returns a client logged in to the SFTP server, closed with the Kit.
func (k *Kit) SFTP() *sftp.Client {
	if k.tb != nil {
		k.tb.Helper()
	}
	c, err := k.dialSFTP()
	k.check(err)
	return c
}

func (k *Kit) dialSFTP() (*sftp.Client, error) {
	conn, err := ssh.Dial("tcp", k.SFTPAddr, &ssh.ClientConfig{
		User:            k.SFTPUser,
		Auth:            []ssh.AuthMethod{ssh.Password(k.SFTPPassword)},
		HostKeyCallback: k.hostKey,
		Timeout:         10 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("coupakittest: SFTP: %w", err)
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("coupakittest: SFTP: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		c.Close()
		conn.Close()
		return nil, errors.New("coupakittest: SFTP: the kit is closed")
	}
	k.closers = append(k.closers, conn, c)
	return c, nil
}

// hostKey accepts the SFTP server's own host keys only.
func (k *Kit) hostKey(_ string, _ net.Addr, key ssh.PublicKey) error {
	srv := k.sftpSrv
	if k.parent != nil {
		srv = k.parent.sftpSrv
	}
	for _, hk := range srv.HostKeys() {
		if bytes.Equal(hk.Marshal(), key.Marshal()) {
			return nil
		}
	}
	return fmt.Errorf("coupakittest: SFTP: the server shows host key %s, not its own", ssh.FingerprintSHA256(key))
}

func (k *Kit) check(err error) {
	if err == nil {
		return
	}
	if k.tb != nil {
		k.tb.Helper()
		k.tb.Fatal(err)
	}
	panic(err)
}
