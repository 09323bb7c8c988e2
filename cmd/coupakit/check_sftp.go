package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/conformance/sftpcheck"
)

// checkSFTPUsage is the part of `coupakit check --help` about SFTP.
const checkSFTPUsage = `
SFTP: --sftp sftp://user@host:port also checks the SFTP flat-file exchange
(alone, or with the base URLs): the login, the standard folders in English,
the export files, a session confined to the tree, and, unless --read-only,
the import of files the run uploads to /Incoming/<Object>/ (archived within
--sftp-timeout and, with --base-url, reported through the Core API). Log in
with --sftp-key FILE or a password read from the environment variable named
by --sftp-password-env (never give a password on the command line). A
read-only SFTP run writes nothing a conforming server accepts: it tries to
remove and rename standard folders, which must be refused (a server that
obeys gets them back at once).
`

// sftpFlags are the flags of the SFTP checks.
type sftpFlags struct {
	url, key, passwordEnv, weakKey, knownHosts, folder, goodFile *string
	timeout                                                      *time.Duration
}

func addSFTPFlags(fs *flag.FlagSet) *sftpFlags {
	return &sftpFlags{
		url:         fs.String("sftp", "", "the SFTP endpoint, `sftp://user@host:port`, to check too (port 22 by default; its checks are skipped when empty)"),
		key:         fs.String("sftp-key", "", "private key `file` for the SFTP login (OpenSSH or PEM; an RSA key needs 2048 bits; a passphrase is read from $COUPAKIT_SFTP_KEY_PASSPHRASE)"),
		passwordEnv: fs.String("sftp-password-env", "COUPAKIT_SFTP_PASSWORD", "`name` of the environment variable that holds the SFTP password (a password is never given on the command line)"),
		weakKey:     fs.String("sftp-weak-key", "", "private key `file` of an RSA key under 2048 bits, authorized for the SFTP user, that the server must refuse (sftp.keys.weak-rsa; skipped without it)"),
		knownHosts:  fs.String("sftp-known-hosts", "", "known_hosts `file` to verify the SFTP host key with (default: accept the host key and report its fingerprint)"),
		folder:      fs.String("sftp-folder", sftpcheck.DefaultFolder, "the /Incoming/ `folder` the writing SFTP checks upload to"),
		goodFile:    fs.String("sftp-good-file", "", "CSV `file` uploaded as the good file, one the target imports for --sftp-folder (default: a small file naming the run)"),
		timeout:     fs.Duration("sftp-timeout", 0, "how long an uploaded file may take to be archived and reported (default 10m, or 30s for a host on loopback such as the mock, which processes files at once)"),
	}
}

// readKey reads a private key file.
func readKey(name string) (ssh.Signer, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		pass := os.Getenv("COUPAKIT_SFTP_KEY_PASSPHRASE")
		if pass == "" {
			return nil, fmt.Errorf("%s is protected by a passphrase: set $COUPAKIT_SFTP_KEY_PASSPHRASE", name)
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, []byte(pass))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return signer, nil
}

// target makes the SFTP target of the flags of fs; http is the HTTP
// target, for the run ID, the selection and the progress.
func (f *sftpFlags) target(fs *flag.FlagSet, http conformance.Target) (sftpcheck.Target, error) {
	explicitEnv := false
	fs.Visit(func(fl *flag.Flag) { explicitEnv = explicitEnv || fl.Name == "sftp-password-env" })
	t := sftpcheck.Target{URL: *f.url, ReadOnly: http.ReadOnly, Timeout: *f.timeout, Folder: *f.folder,
		Only: http.Only, RunID: http.RunID, Progress: http.Progress}
	if http.Client != nil {
		t.DialTimeout = http.Client.Timeout
	}
	var err error
	if *f.key != "" {
		if t.Key, err = readKey(*f.key); err != nil {
			return t, fmt.Errorf("--sftp-key %v", err)
		}
	}
	if *f.weakKey != "" {
		if t.WeakKey, err = readKey(*f.weakKey); err != nil {
			return t, fmt.Errorf("--sftp-weak-key %v", err)
		}
	}
	if *f.passwordEnv != "" {
		t.Password = os.Getenv(*f.passwordEnv)
		if t.Password == "" && explicitEnv {
			return t, fmt.Errorf("--sftp-password-env: $%s is empty", *f.passwordEnv)
		}
	}
	if t.Key == nil && t.Password == "" {
		return t, fmt.Errorf("--sftp needs --sftp-key or a password in $%s (see --sftp-password-env)", cmpOr(*f.passwordEnv, "COUPAKIT_SFTP_PASSWORD"))
	}
	if *f.knownHosts != "" {
		if t.HostKeyCallback, err = knownhosts.New(*f.knownHosts); err != nil {
			return t, fmt.Errorf("--sftp-known-hosts: %v", err)
		}
	}
	if *f.goodFile != "" {
		if t.GoodFile, err = os.ReadFile(*f.goodFile); err != nil {
			return t, fmt.Errorf("--sftp-good-file: %v", err)
		}
	}
	if *f.timeout < 0 {
		return t, errors.New("--sftp-timeout must not be negative")
	}
	return t, nil
}

// runSFTP runs the SFTP checks and adds their results to report. With the
// Core API's base URL, a run that writes connects to it to see the outcome
// of its uploads.
func runSFTP(ctx context.Context, t sftpcheck.Target, http conformance.Target, report *conformance.Report) error {
	if http.BaseURL != "" && !t.ReadOnly {
		http.CSOBaseURL, http.Progress, http.Only = "", nil, nil
		core, err := conformance.ConnectCore(ctx, http)
		if err != nil {
			return err
		}
		t.Core = core
	}
	if t.RunID == "" {
		t.RunID = report.RunID
	}
	got, err := sftpcheck.Check(ctx, t)
	report.Add(got.Results, got.Coverage.Operations...)
	if report.Targets == nil {
		report.Targets = map[string]string{}
	}
	for name, addr := range got.Targets {
		report.Targets[name] = addr
	}
	if report.RunID == "" {
		report.RunID = got.RunID
	}
	return err
}
