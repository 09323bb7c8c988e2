package sftpd

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// hostKeySpec names a host key file and how to make the key.
type hostKeySpec struct {
	file string
	gen  func() (crypto.Signer, error)
}

// hostKeySpecs lists the host keys, preferred first: Ed25519 for modern
// clients, RSA for older integration stacks that know nothing else.
var hostKeySpecs = []hostKeySpec{
	{"ssh_host_ed25519_key", func() (crypto.Signer, error) {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}},
	{"ssh_host_rsa_key", func() (crypto.Signer, error) {
		return rsa.GenerateKey(rand.Reader, 3072)
	}},
}

// loadHostKeys reads the host keys from dir, generating and saving any that
// are missing. Keys are written in OpenSSH format, mode 0600, next to a .pub
// file; a key that exists is never replaced, so two processes starting
// together agree on it.
func loadHostKeys(dir string) ([]ssh.Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sftpd: state dir: %w", err)
	}
	signers := make([]ssh.Signer, 0, len(hostKeySpecs))
	for _, spec := range hostKeySpecs {
		s, err := loadHostKey(filepath.Join(dir, spec.file), spec.gen)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
}

func loadHostKey(path string, gen func() (crypto.Signer, error)) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = createHostKey(path, gen)
	}
	if err != nil {
		return nil, fmt.Errorf("sftpd: host key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("sftpd: host key %s: %w (delete the file to make a new key)", path, err)
	}
	return s, nil
}

// createHostKey generates a key and links it into place, or returns the key
// another process put there first.
func createHostKey(path string, gen func() (crypto.Signer, error)) ([]byte, error) {
	key, err := gen()
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(key, "coupakit sftp host key")
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(block)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hostkey-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return os.ReadFile(path)
		}
		return nil, err
	}
	signer, err := ssh.NewSignerFromSigner(key)
	if err != nil {
		return nil, err
	}
	// The .pub file is a convenience for known_hosts; failing to write it
	// does not matter.
	_ = os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644)
	return data, nil
}
