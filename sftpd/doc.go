// Package sftpd is coupakit's SFTP server: it plays Coupa's SFTP flat-file
// exchange so that an integration's file transfer code runs unchanged against
// the mock.
//
// The server is built on golang.org/x/crypto/ssh and the request-server API of
// github.com/pkg/sftp. Every user sees the same standard tree in a private,
// in-memory virtual filesystem (never the host's filesystem):
//
//	/Outgoing/<7 object folders>          exports from Coupa: download, then delete
//	/Incoming/<20 object folders>         imports to Coupa: upload here
//	/Archive/Incoming/<20 object folders> where processed imports go
//
// The folder names are Coupa's English names (see [OutgoingFolders] and
// [IncomingFolders]). The standard folders cannot be created, removed or
// renamed; files can be written only into /Incoming/<Object>/; paths are
// resolved inside the user's root, so "..", absolute paths and symbolic links
// cannot reach anything else. Refused operations come back as SFTP status codes
// (permission denied, no such file, failure), and the connection stays up.
//
// # Authentication and sessions
//
// Users log in with a password (password or keyboard-interactive
// authentication), an SSH public key, or either (see [User]).
// Coupa documents 2048-bit RSA keys: RSA keys shorter than [MinRSABits] are
// refused. Ed25519 and ECDSA (NIST P-256, P-384, P-521) keys are accepted as
// well, being at least as strong and what ssh-keygen makes by default; DSA
// (ssh-dss), security-key types and certificates are refused (see
// [AcceptedKeyTypes]). A refusal comes with a server log line and an SSH
// banner that say why.
//
// Wrong passwords are slowed down per user and source address: after 5
// failures, each further attempt waits its turn before it is checked, the
// wait doubling from 1 s to at most 1 min with every failure (forgotten 15
// min after the last one, or at a correct login). An attempt whose turn is
// further away than half of Config.LoginTimeout is refused unchecked, with
// a banner saying when to retry. A correct password that follows no
// failures is never slowed, nor are other users or addresses.
//
// A user may hold at most Config.MaxSessionsPerUser concurrent SFTP sessions
// (Coupa announces 5), over all their connections: every session channel
// counts, and a logged-in connection with no session yet holds a slot for
// its first one. A session over the limit is rejected with a "resource
// shortage" message naming the limit; the connection and its other sessions
// stay up. A logged-in connection that sends nothing for Config.IdleTimeout
// (10 minutes) is closed. Before login, a connection has Config.LoginTimeout
// (30 s) to log in, and at most Config.MaxPendingLogins (32) connections may
// be logging in at once: a further one is closed unanswered.
//
// The host keys (Ed25519 and RSA 3072) are generated on first start and kept
// in Config.StateDir, so clients see the same host key after a restart.
//
// # Incoming files
//
// A file written to /Incoming/<Object>/ is picked up only once its upload
// handle is closed cleanly: a file whose connection dropped mid-upload is
// kept where it is, logged, and never processed or archived. A pickup runs
// Config.ProcessDelay after the first complete file is waiting in a folder
// (Coupa polls every few minutes; the default delay is 0) and takes every
// complete file of that folder, in alphanumeric (byte-wise) order of name.
// One upload of a name may be open at a time: a second open for writing
// fails (SSH_FX_FAILURE) until the first is closed, so a file is processed
// as one writer wrote it. An interrupted upload reopened and closed without
// a write stays unprocessed; a write on the reopened handle resumes it. A
// file in /Archive/ or /Outgoing/ cannot be renamed into /Incoming/: a
// processed file is processed once, and is resubmitted by uploading it anew.
// Names that upload tools use for files in transit (*.filepart, *.part,
// *.partial, *.tmp, *.temp, *.upload, *.uploading and dot files) are left
// alone until they are renamed.
//
// Each file is moved to /Archive/Incoming/<Object>/ (under a timestamped name
// if that name is taken: nothing is overwritten) and checked the way Coupa
// checks flat files: UTF-8 without byte order mark, RFC 4180 CSV, a header
// row, every row with the header's column count, a value in every column whose
// header ends in "*", at most [MaxRows] data rows and [MaxFileBytes] bytes.
// The outcome goes to Config.Recorder as a [Result]. The package does not know
// the mock's store: the caller adapts [Recorder] to integration history
// records (a good file) and integration errors (a bad one).
//
// Files live in memory. One file may not exceed [MaxUploadBytes] (a write
// beyond fails with SSH_FX_FAILURE and the file is never processed), and one
// user's files may not exceed [UserQuotaBytes]: the oldest archived files are
// dropped to make room before an upload is refused.
//
// # Outgoing files
//
// At start every user's /Outgoing/ holds deterministic export files derived
// from Config.Seed, named like Coupa's (Invoices_20261123_101500Z.csv).
// [Server.DropOutgoing] places a new export on demand.
package sftpd
