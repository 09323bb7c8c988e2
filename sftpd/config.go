package sftpd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/internal/throttle"
)

// Defaults the CLI prints at start, so that a developer can log in at once.
const (
	// DefaultAddr is where the server listens unless Config.Addr says
	// otherwise: the loopback interface only.
	DefaultAddr = "127.0.0.1:2222"
	// DefaultUser is the user created when Config.Users is empty.
	DefaultUser = "coupakit"
	// DefaultPassword is DefaultUser's password.
	DefaultPassword = "coupakit"
	// DefaultMaxSessionsPerUser is Coupa's announced limit of concurrent
	// connections per SFTP user, applied to SFTP sessions.
	DefaultMaxSessionsPerUser = 5
	// DefaultIdleTimeout is how long a logged-in connection may send
	// nothing before it is closed. Coupa does not document one; 10 minutes
	// outlasts any pause of a working integration.
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultLoginTimeout bounds the SSH handshake and authentication of
	// one connection (OpenSSH's LoginGraceTime is 2 minutes; a program
	// logs in within seconds).
	DefaultLoginTimeout = 30 * time.Second
	// DefaultMaxPendingLogins bounds the connections that are still
	// logging in, over all users and addresses (OpenSSH's MaxStartups
	// refuses from 10 and always from 100).
	DefaultMaxPendingLogins = 32
)

// Limits of the server and of Coupa's flat-file checks.
const (
	// MinRSABits is the shortest RSA key accepted for login (Coupa supports
	// 2048-bit RSA keys).
	MinRSABits = 2048
	// MaxRows is the most data rows (header excluded) Coupa accepts in one
	// flat file.
	MaxRows = 5000
	// MaxFileBytes is the largest flat file Coupa accepts, "8 MB" read
	// leniently as 8 MiB. A larger file is stored and archived, then
	// reported with a file-level problem.
	MaxFileBytes = 8 << 20
	// MaxUploadBytes is the hard cap on one stored file. A write beyond it
	// fails with SSH_FX_FAILURE, and the partial file is never processed.
	MaxUploadBytes = 16 << 20
	// UserQuotaBytes bounds the memory one user's files may take. When an
	// upload needs room, the oldest archived files are dropped first; a
	// write that still does not fit fails with SSH_FX_FAILURE.
	UserQuotaBytes = 512 << 20
	// MaxProblems is the most problems reported for one file; further bad
	// rows are summarised in one last problem.
	MaxProblems = 100
)

// DefaultStateDir returns where host keys are kept unless Config.StateDir
// says otherwise: "coupakit/sftp" under the user's cache directory (for
// example ~/.cache/coupakit/sftp), or under the temporary directory when
// there is no cache directory.
func DefaultStateDir() string {
	base, err := os.UserCacheDir()
	if err != nil || base == "" {
		return filepath.Join(os.TempDir(), "coupakit", "sftp")
	}
	return filepath.Join(base, "coupakit", "sftp")
}

// Config configures a Server. The zero value is usable: every field
// documents its default.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on. Default
	// DefaultAddr ("127.0.0.1:2222").
	Addr string
	// Users may log in. Default: one user, DefaultUser with
	// DefaultPassword. Names must be unique and non-empty, and every user
	// needs a password, an authorized key, or both.
	Users []User
	// StateDir keeps the host keys between runs; it is created (mode 0700)
	// when missing. Default DefaultStateDir().
	StateDir string
	// ProcessDelay is how long after the first complete file arrives in an
	// /Incoming/ folder that folder is picked up. Default 0: at once.
	ProcessDelay time.Duration
	// Seed makes the export files placed in /Outgoing/ at start, and the
	// contents of the ones DropOutgoing adds, deterministic. Zero is a
	// seed like any other.
	Seed int64
	// MaxSessionsPerUser caps the concurrent SFTP sessions of one user,
	// over all their connections: each session channel counts, and so
	// does a logged-in connection with no session open yet. Zero means
	// DefaultMaxSessionsPerUser (5); a negative value means no limit.
	MaxSessionsPerUser int
	// IdleTimeout closes a logged-in connection that sends nothing for
	// that long. Zero means DefaultIdleTimeout; negative, never.
	IdleTimeout time.Duration
	// LoginTimeout closes a connection that has not logged in that long
	// after it was accepted. Zero means DefaultLoginTimeout.
	LoginTimeout time.Duration
	// MaxPendingLogins caps the connections still logging in; a further
	// connection is closed at once, before the SSH handshake. Zero means
	// DefaultMaxPendingLogins; negative, no cap.
	MaxPendingLogins int
	// Logger receives the server's log lines (logins, refusals, uploads,
	// processing outcomes). Default slog.Default().
	Logger *slog.Logger
	// Recorder receives the outcome of every processed incoming file. Nil
	// means outcomes are only logged.
	Recorder Recorder
	// Tenant, when set, lets users log in to a tenant's tree as
	// <user>+<tenant> (see TenantSeparator); it is asked at every such
	// login and its error refuses the login (an invalid name, too many
	// tenants). Nil: no tenants.
	Tenant func(name string) error
	// Files, when set, gives the files a tenant's trees start with beyond
	// the seeded exports (the mock's fixtures), asked when a tenant's tree
	// is made.
	Files func(tenant string) []File
	// Now is the clock for file times, archive suffixes, export file names
	// and Result.ProcessedAt. Default time.Now. ProcessDelay always runs on
	// real time.
	Now func() time.Time

	// loginPolicy replaces throttle.Default for wrong passwords (tests).
	loginPolicy *throttle.Policy
	// sleep replaces the wait before a slowed login is checked (tests); it
	// reports false when ctx ended the wait.
	sleep func(ctx context.Context, d time.Duration) bool
	// loginNow replaces time.Now as the clock of the wrong-password
	// throttle (tests).
	loginNow func() time.Time
}

// User is one SFTP account.
type User struct {
	// Name is the login name.
	Name string
	// Password allows password login; empty disables it for this user.
	Password string
	// AuthorizedKeys allow public key login. RSA keys shorter than
	// MinRSABits are refused at login even when listed here.
	AuthorizedKeys []ssh.PublicKey
}

// Result is the outcome of processing one incoming file.
type Result struct {
	// User is the SFTP user who uploaded the file.
	User string
	// Tenant is the tenant whose tree the file was uploaded to ("" for
	// the default tree).
	Tenant string
	// Folder is the /Incoming/ object folder, for example "Invoices".
	Folder string
	// FileName is the file's name as uploaded (integration-filename).
	FileName string
	// Path is where the file was uploaded, for example
	// "/Incoming/Invoices/inv.csv".
	Path string
	// ArchivePath is where the file now is, for example
	// "/Archive/Incoming/Invoices/inv.csv".
	ArchivePath string
	// DocumentType is the Coupa document-type code mapped from Folder (see
	// DocumentType), or "" when none fits.
	DocumentType string
	// Size is the file's size in bytes.
	Size int64
	// Rows counts the data rows read, header excluded.
	Rows int
	// Columns is the header row, when one could be read.
	Columns []string
	// Problems lists what is wrong with the file, in the order found; empty
	// for a good file. At most MaxProblems are listed.
	Problems []Problem
	// ReceivedAt is when the upload handle was closed (Config.Now).
	ReceivedAt time.Time
	// ProcessedAt is when the file was processed (Config.Now).
	ProcessedAt time.Time
}

// OK reports whether the file passed every check.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// Problem is one reason a file was refused.
type Problem struct {
	// Row is the 1-based data row (the header is row 0 and not counted), or
	// 0 for a problem with the whole file.
	Row int
	// Line is the 1-based line of the file where the problem is, or 0 when
	// it concerns the whole file. It differs from Row when quoted values
	// span lines.
	Line int
	// Code is a stable identifier, one of the Code* constants, fit for an
	// integration error's response-code.
	Code string
	// Message says what is wrong, in English, fit for response-message.
	Message string
}

// Problem codes (Problem.Code).
const (
	// CodeTooLarge: the file is larger than MaxFileBytes (file level).
	CodeTooLarge = "file-too-large"
	// CodeByteOrderMark: the file starts with a UTF-8 BOM (file level).
	CodeByteOrderMark = "byte-order-mark"
	// CodeEncoding: the file is not UTF-8 (file level).
	CodeEncoding = "invalid-encoding"
	// CodeEmpty: the file has no header row (file level).
	CodeEmpty = "empty-file"
	// CodeHeader: a header column is unnamed or repeated (file level).
	CodeHeader = "bad-header"
	// CodeSyntax: the header or a row is not RFC 4180 CSV; reading stops
	// there.
	CodeSyntax = "csv-syntax"
	// CodeTooManyRows: more than MaxRows data rows (file level).
	CodeTooManyRows = "too-many-rows"
	// CodeFieldCount: a row's column count differs from the header's.
	CodeFieldCount = "field-count"
	// CodeRequired: a row has no value in a column whose header ends in "*".
	CodeRequired = "required-value-missing"
	// CodeMoreProblems: further problems were found but not listed (file
	// level).
	CodeMoreProblems = "more-problems"
)

// Recorder receives processing outcomes. The mock implements it on top of
// its store: an integration history record for a good file, integration
// errors for a bad one. RecordFile is called from one goroutine at a time,
// in processing order; an error is logged and otherwise ignored. RecordFile
// must not call Server.WaitIdle or Server.Shutdown, which wait for it.
type Recorder interface {
	RecordFile(ctx context.Context, r Result) error
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(ctx context.Context, r Result) error

// RecordFile calls f(ctx, r).
func (f RecorderFunc) RecordFile(ctx context.Context, r Result) error { return f(ctx, r) }

// ParseAuthorizedKeys parses OpenSSH authorized_keys text: one key per line,
// blank lines and # comments ignored. A line that does not parse is an error
// naming the line.
func ParseAuthorizedKeys(data []byte) ([]ssh.PublicKey, error) {
	var keys []ssh.PublicKey
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, _, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// LoadAuthorizedKeys reads an OpenSSH authorized_keys file (see
// ParseAuthorizedKeys), as given to --sftp-authorized-keys.
func LoadAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sftpd: authorized keys: %w", err)
	}
	keys, err := ParseAuthorizedKeys(data)
	if err != nil {
		return nil, fmt.Errorf("sftpd: authorized keys %s: %w", path, err)
	}
	return keys, nil
}

// usersFile is the JSON form LoadUsers reads.
type usersFile struct {
	Users []struct {
		Name               string   `json:"name"`
		Password           string   `json:"password"`
		AuthorizedKeys     []string `json:"authorized_keys"`
		AuthorizedKeysFile string   `json:"authorized_keys_file"`
	} `json:"users"`
}

// LoadUsers reads a small JSON users file:
//
//	{"users": [
//	  {"name": "acme", "password": "secret"},
//	  {"name": "erp", "authorized_keys_file": "erp.pub",
//	   "authorized_keys": ["ssh-ed25519 AAAA... erp@host"]}
//	]}
//
// A relative authorized_keys_file is relative to the users file's
// directory. Unknown fields, duplicate or empty names and users with neither
// password nor key are errors.
func LoadUsers(path string) ([]User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sftpd: users file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f usersFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("sftpd: users file %s: %w", path, err)
	}
	users := make([]User, 0, len(f.Users))
	for i, u := range f.Users {
		user := User{Name: u.Name, Password: u.Password}
		keys, err := ParseAuthorizedKeys([]byte(strings.Join(u.AuthorizedKeys, "\n")))
		if err != nil {
			return nil, fmt.Errorf("sftpd: users file %s: user %d (%q) authorized_keys: %w", path, i+1, u.Name, err)
		}
		user.AuthorizedKeys = keys
		if u.AuthorizedKeysFile != "" {
			kf := u.AuthorizedKeysFile
			if !filepath.IsAbs(kf) {
				kf = filepath.Join(filepath.Dir(path), kf)
			}
			keys, err := LoadAuthorizedKeys(kf)
			if err != nil {
				return nil, fmt.Errorf("sftpd: users file %s: user %d (%q): %w", path, i+1, u.Name, err)
			}
			user.AuthorizedKeys = append(user.AuthorizedKeys, keys...)
		}
		users = append(users, user)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("sftpd: users file %s: no users", path)
	}
	if err := validateUsers(users); err != nil {
		return nil, fmt.Errorf("sftpd: users file %s: %w", path, err)
	}
	return users, nil
}

// validateUsers checks names and credentials.
func validateUsers(users []User) error {
	seen := make(map[string]bool, len(users))
	var errs []error
	for i, u := range users {
		switch {
		case u.Name == "":
			errs = append(errs, fmt.Errorf("user %d has no name", i+1))
		case strings.ContainsAny(u.Name, "\x00\r\n"):
			errs = append(errs, fmt.Errorf("user %d: name %q has control characters", i+1, u.Name))
		case seen[u.Name]:
			errs = append(errs, fmt.Errorf("user %q is listed twice", u.Name))
		}
		seen[u.Name] = true
		if u.Password == "" && len(u.AuthorizedKeys) == 0 {
			errs = append(errs, fmt.Errorf("user %q has neither a password nor an authorized key", u.Name))
		}
	}
	return errors.Join(errs...)
}
