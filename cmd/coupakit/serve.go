package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
	_ "time/tzdata" // --time-zone in the image FROM scratch, which has no zoneinfo

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/internal/httpserver"
	"github.com/coupakit/coupakit/internal/tenant"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// serveConfig is what `coupakit serve` is told by its flags.
type serveConfig struct {
	addr, csoAddr string
	seed          int64
	records       int

	sftp             bool
	sftpAddr         string
	sftpUser         string
	sftpPassword     string
	sftpKeys         string
	sftpUsers        string
	stateDir         string
	sftpProcessDelay time.Duration

	authMode    string
	authConfig  string
	clientID    string
	secret      string
	tokenTTL    time.Duration
	allowAPIKey bool
	apiKey      string
	csoAPIKey   string
	rateLimit   bool

	adminToken  string
	bodyTimeout time.Duration

	// Tenants, fixtures and the state file.
	maxTenants int
	dataFile   string
	stateFile  string

	faults     faultFlag // serve_faults.go
	faultsFile string

	// Issue 9: leniency and the instance's time zone.
	strict   bool
	timeZone string
}

// serveUsage is printed above the flags by `coupakit serve --help`.
const serveUsage = `Usage: coupakit serve [flags]

Serves a stateful mock of the Coupa Core API and Sourcing API, seeded with
deterministic fake data, and an SFTP server with Coupa's folders whose
incoming files show up as integration records. Every request is validated
against the specs in openapi/. Admin routes on both HTTP ports:
GET /_mock/health, POST /_mock/reset, GET /_mock/alerts, GET /_mock/requests
(the request journal), POST /_mock/sftp/outgoing/{object}, GET /_mock/tenants,
DELETE /_mock/tenants/{name}, GET and PUT /_mock/state,
POST /_mock/requests/count and /find (verify), /_mock/faults and
/_mock/settings (faults and latency), /_mock/sftp/faults.
Tenants: /t/{tenant}/api/... (or the X-Coupakit-Tenant header) gives a test
its own records, journal and tokens; SFTP users log in as <user>+<tenant>.
The default addresses listen on 127.0.0.1 only; with the environment variable
COUPAKIT_LISTEN_ALL=1 (set in the container image) they listen on 0.0.0.0.
Stop it with Ctrl-C (SIGINT) or SIGTERM: it shuts down gracefully and exits 0.

Flags:
`

// serveFlags defines the flags of `coupakit serve`, one line each.
func serveFlags() (*command, *serveConfig) {
	cfg := &serveConfig{}
	cmd := newCommand("coupakit serve", serveUsage)
	fs := cmd.fs
	host := listenHost()
	fs.StringVar(&cfg.addr, "addr", host+":8080", "`host:port` the Core API (integration_errors, integration_history_records) listens on")
	fs.StringVar(&cfg.csoAddr, "cso-addr", host+":8081", "`host:port` the Sourcing API (events) listens on")
	fs.Int64Var(&cfg.seed, "seed", 1, "seed of the fake data: the same seed gives the same records")
	fs.IntVar(&cfg.records, "records", 25, "how many records of each resource to seed")
	fs.BoolVar(&cfg.sftp, "sftp", true, "serve SFTP with Coupa's folders (--sftp=false to turn it off)")
	fs.StringVar(&cfg.sftpAddr, "sftp-addr", host+":2222", "`host:port` the SFTP server listens on")
	fs.StringVar(&cfg.sftpUser, "sftp-user", sftpd.DefaultUser, "SFTP user `name`")
	fs.StringVar(&cfg.sftpPassword, "sftp-password", sftpd.DefaultPassword, "SFTP user's `password` (empty: keys only)")
	fs.StringVar(&cfg.sftpKeys, "sftp-authorized-keys", "", "authorized_keys `file` of the SFTP user (RSA keys need 2048 bits or more)")
	fs.StringVar(&cfg.sftpUsers, "sftp-users", "", "JSON `file` of SFTP users, in place of --sftp-user: {\"users\": [{\"name\", \"password\", \"authorized_keys_file\"}]}")
	fs.StringVar(&cfg.stateDir, "state-dir", sftpd.DefaultStateDir(), "`dir` that keeps the SFTP host keys between runs")
	fs.DurationVar(&cfg.sftpProcessDelay, "sftp-process-delay", 0, "how long after an upload the incoming folder is processed (Coupa: every few minutes)")
	fs.StringVar(&cfg.authMode, "auth", "oauth", "`mode`: oauth (OAuth 2.0 on the Core API, X-CSO-API-KEY on the Sourcing API, as Coupa) or none (everything passes)")
	fs.StringVar(&cfg.authConfig, "auth-config", "", "JSON `file` of OAuth clients and keys, in place of the flags below: {\"clients\": [{\"id\", \"secret\", \"scopes\"}], \"api_keys\", \"cso_api_keys\", \"token_ttl_seconds\"}")
	fs.StringVar(&cfg.clientID, "client-id", auth.DefaultClientID, "OAuth client `id` (with both scopes)")
	fs.StringVar(&cfg.secret, "client-secret", auth.DefaultClientSecret, "OAuth client `secret`")
	fs.DurationVar(&cfg.tokenTTL, "token-ttl", auth.DefaultTokenTTL, "how long access tokens last")
	fs.BoolVar(&cfg.allowAPIKey, "allow-api-key", false, "accept the legacy X-COUPA-API-KEY header (Coupa refuses it since R35), for old integrations")
	fs.StringVar(&cfg.apiKey, "api-key", "", "the legacy `key` accepted with --allow-api-key (default "+auth.DefaultAPIKey+")")
	fs.StringVar(&cfg.csoAPIKey, "cso-api-key", auth.DefaultCSOAPIKey, "the Sourcing API's X-CSO-API-KEY `key`")
	fs.BoolVar(&cfg.rateLimit, "rate-limit", false, "limit each client to Coupa's 25 requests per second, burst 20 (429 with Retry-After)")
	fs.StringVar(&cfg.adminToken, "admin-token", "", "`token` the /_mock/ routes want as Authorization: Bearer (default: none on loopback; generated and printed when a listen address is not loopback)")
	fs.DurationVar(&cfg.bodyTimeout, "body-timeout", mock.DefaultBodyTimeout, "how long a request body may take to arrive before the answer is 408")
	fs.IntVar(&cfg.maxTenants, "max-tenants", tenant.DefaultMax, "most tenants (/t/{tenant}/...) at once; a request naming one more is refused with 429")
	fs.StringVar(&cfg.dataFile, "data", "", "fixtures `file` (JSON, or YAML: .yaml/.yml) loaded on top of the seeded records, or alone with --records 0; the format of GET /_mock/state")
	fs.StringVar(&cfg.stateFile, "state-file", "", "`file` keeping the default tenant's state across restarts: loaded at start, written shortly after changes and at shutdown")
	fs.Var(&cfg.faults, "fault", faultUsage)
	fs.StringVar(&cfg.faultsFile, "faults", "", "JSON or YAML `file` of fault rules, and optionally the global latency: {\"faults\": [...], \"settings\": {\"delay_ms\", \"jitter_ms\"}}")
	fs.BoolVar(&cfg.strict, "strict", false, "refuse what Coupa reads leniently (underscore names, numeric strings, unknown elements) with a 400 naming the element, instead of a Coupakit-Warning header")
	fs.StringVar(&cfg.timeZone, "time-zone", "UTC", "the instance's time `zone` (an IANA name such as Europe/Berlin) that datetimes are written in")
	return cmd, cfg
}

// listenAllEnv names the environment variable that, set to 1, makes the
// default listen addresses 0.0.0.0 instead of 127.0.0.1: the container image
// sets it, since a port published from a container must not be bound to the
// container's loopback.
const listenAllEnv = "COUPAKIT_LISTEN_ALL"

// listenHost is the host of the default listen addresses.
func listenHost() string {
	if os.Getenv(listenAllEnv) == "1" {
		return "0.0.0.0"
	}
	return "127.0.0.1"
}

// runServe runs the mock servers until ctx is done.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, cfg := serveFlags()
	if code, ok := cmd.parse(args, stdout, stderr); !ok {
		return code
	}
	authCfg, err := cfg.auth()
	if err != nil {
		fmt.Fprintf(stderr, "coupakit serve: %v\n", err)
		return 2
	}
	if cfg.bodyTimeout <= 0 {
		fmt.Fprintf(stderr, "coupakit serve: --body-timeout must be positive, not %s\n", cfg.bodyTimeout)
		return 2
	}
	loc, err := time.LoadLocation(cfg.timeZone)
	if err != nil {
		fmt.Fprintf(stderr, "coupakit serve: --time-zone: %v\n", err)
		return 2
	}
	rules, latency, err := cfg.faultOptions()
	if err != nil {
		fmt.Fprintf(stderr, "coupakit serve: %v\n", err)
		return 2
	}
	apis := []struct {
		name, addr string
	}{
		{"Core API", cfg.addr},
		{"Sourcing API", cfg.csoAddr},
	}
	var listeners []net.Listener
	for _, api := range apis {
		ln, err := net.Listen("tcp", api.addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			fmt.Fprintf(stderr, "coupakit serve: %s: %v\n", api.name, err)
			return 1
		}
		listeners = append(listeners, ln)
	}
	addrs := make([]net.Addr, len(listeners))
	for i, ln := range listeners {
		addrs[i] = ln.Addr()
	}
	adminNote, err := cfg.adminAccess(addrs)
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		fmt.Fprintf(stderr, "coupakit serve: %v\n", err)
		return 1
	}
	m, err := mock.New(mock.Options{Seed: cfg.seed, Records: cfg.records, Auth: authCfg, AdminToken: cfg.adminToken, BodyTimeout: cfg.bodyTimeout, Faults: rules, Latency: latency,
		Strict: cfg.strict, Location: loc,
		MaxTenants: cfg.maxTenants, DataFile: cfg.dataFile, StateFile: cfg.stateFile,
		OnSaveError: func(err error) { fmt.Fprintf(stderr, "coupakit serve: %v\n", err) }})
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		fmt.Fprintf(stderr, "coupakit serve: %v\n", err)
		return 2
	}
	defer m.Close() // after a failed start too: the saver stops
	var servers []*http.Server
	for i, h := range []http.Handler{m.CoreHandler(), m.SourcingHandler()} {
		servers = append(servers, httpserver.New(h, cfg.bodyTimeout))
		fmt.Fprintf(stdout, "%-13s http://%s\n", apis[i].name+":", listeners[i].Addr())
	}
	errc := make(chan error, len(servers)+1)
	var sftpSrv *sftpd.Server
	if cfg.sftp {
		var err error
		sftpSrv, err = startSFTP(cfg, m, stdout, stderr, errc)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			fmt.Fprintf(stderr, "coupakit serve: SFTP: %v\n", err)
			return 1
		}
		m.AttachSFTP(sftpSrv)
	}
	if listenHost() != "127.0.0.1" {
		fmt.Fprintf(stdout, "%s=1: the default addresses listen on every interface (0.0.0.0)\n", listenAllEnv)
	}
	fmt.Fprint(stdout, adminNote)
	fmt.Fprint(stdout, m.Authority().Describe())
	if cfg.dataFile != "" {
		fmt.Fprintf(stdout, "fixtures from %s\n", cfg.dataFile)
	}
	if cfg.stateFile != "" {
		fmt.Fprintf(stdout, "state kept in %s\n", cfg.stateFile)
	}
	fmt.Fprintf(stdout, "seed %d, %d records per resource; Ctrl-C to stop\n", cfg.seed, cfg.records)

	code := serveHTTP(ctx, "coupakit serve", servers, listeners, errc, stderr, func(shutdownCtx context.Context) {
		if sftpSrv != nil {
			_ = sftpSrv.Shutdown(shutdownCtx)
		}
	})
	if err := m.Close(); err != nil {
		fmt.Fprintf(stderr, "coupakit serve: %v\n", err)
		code = 1
	}
	fmt.Fprintln(stdout, "stopped")
	return code
}

// serveHTTP serves each server on its listener until ctx is done or one of
// them (or another sender on errc) fails, then shuts every server down
// gracefully, calls also with the same shutdown context (nil: nothing
// else), waits for them and returns the exit code: 0, or 1 after a
// failure, which it prints with the command's name.
func serveHTTP(ctx context.Context, name string, servers []*http.Server, listeners []net.Listener, errc chan error, stderr io.Writer, also func(context.Context)) int {
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	code := 0
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	if also != nil {
		also(shutdownCtx)
	}
	wg.Wait()
	return code
}

// auth turns the auth flags into the mock's authentication.
func (cfg *serveConfig) auth() (*auth.Config, error) {
	if cfg.authMode != "oauth" && cfg.authMode != "none" {
		return nil, fmt.Errorf("--auth must be oauth or none, not %q", cfg.authMode)
	}
	var c auth.Config
	if cfg.authConfig != "" {
		var err error
		if c, err = auth.LoadConfig(cfg.authConfig); err != nil {
			return nil, err
		}
	} else {
		c.Clients = []auth.Client{{ID: cfg.clientID, Secret: cfg.secret, Scopes: []string{auth.ScopeRead, auth.ScopeWrite}}}
		c.TokenTTL = cfg.tokenTTL
		c.CSOAPIKeys = []string{cfg.csoAPIKey}
		if cfg.apiKey != "" {
			c.APIKeys = []string{cfg.apiKey}
		}
	}
	c.Disabled = cfg.authMode == "none"
	c.AllowAPIKey = cfg.allowAPIKey
	c.RateLimit = cfg.rateLimit
	return &c, nil
}

// startSFTP starts the SFTP server, recording processed files in the mock.
func startSFTP(cfg *serveConfig, m *mock.Mock, stdout, stderr io.Writer, errc chan<- error) (*sftpd.Server, error) {
	var users []sftpd.User
	switch {
	case cfg.sftpUsers != "":
		var err error
		if users, err = sftpd.LoadUsers(cfg.sftpUsers); err != nil {
			return nil, err
		}
	default:
		u := sftpd.User{Name: cfg.sftpUser, Password: cfg.sftpPassword}
		if cfg.sftpKeys != "" {
			keys, err := sftpd.LoadAuthorizedKeys(cfg.sftpKeys)
			if err != nil {
				return nil, err
			}
			u.AuthorizedKeys = keys
		}
		users = []sftpd.User{u}
	}
	srv, err := sftpd.New(sftpd.Config{
		Users:        users,
		StateDir:     cfg.stateDir,
		ProcessDelay: cfg.sftpProcessDelay,
		Seed:         cfg.seed,
		Logger:       slog.New(slog.NewTextHandler(stderr, nil)),
		Recorder:     m,
		Tenant:       m.OpenTenant,
		Files:        m.SFTPFiles,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.sftpAddr)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, sftpd.ErrServerClosed) {
			errc <- err
		}
	}()
	for _, u := range users {
		login := "key"
		if u.Password != "" {
			login = fmt.Sprintf("password %q", u.Password)
		}
		fmt.Fprintf(stdout, "%-13s sftp://%s@%s (%s)\n", "SFTP:", u.Name, ln.Addr(), login)
	}
	fmt.Fprintf(stdout, "%-13s %s (kept in %s)\n", "host key:", srv.HostKeyFingerprint(), cfg.stateDir)
	return srv, nil
}

// adminAccess decides whether the /_mock/ routes want a token: always with
// --admin-token, and, when a listener is not on loopback, with one
// generated here. It returns the line serve prints about it.
func (cfg *serveConfig) adminAccess(addrs []net.Addr) (string, error) {
	exposed := ""
	for _, a := range addrs {
		if !isLoopback(a) {
			exposed = a.String()
			break
		}
	}
	switch {
	case cfg.adminToken != "" && exposed != "":
		return fmt.Sprintf("%-13s /_mock/* wants Authorization: Bearer <--admin-token> (%s is not loopback)\n", "admin:", exposed), nil
	case cfg.adminToken != "":
		return fmt.Sprintf("%-13s /_mock/* wants Authorization: Bearer <--admin-token>\n", "admin:"), nil
	case exposed == "":
		return "", nil
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("cannot make an admin token: %w", err)
	}
	cfg.adminToken = hex.EncodeToString(buf)
	return fmt.Sprintf("%-13s %s is not loopback: /_mock/* (but GET /_mock/health) wants Authorization: Bearer %s (or set --admin-token)\n", "admin:", exposed, cfg.adminToken), nil
}

// isLoopback reports whether a listener's address is on loopback only
// (0.0.0.0 and :: are every interface).
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
