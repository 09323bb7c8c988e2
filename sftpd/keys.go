package sftpd

import (
	"crypto/rsa"
	"fmt"

	"golang.org/x/crypto/ssh"
)

// acceptedKeyTypes are the public key types that may log in. Coupa documents
// 2048-bit RSA keys; Ed25519 and ECDSA keys are at least as strong, are what
// ssh-keygen makes by default, and are accepted too, so that an integration
// holding one is not turned away by the mock (check with Coupa before
// relying on one in production). DSA (ssh-dss, 1024 bits, removed from
// OpenSSH 9.8), security-key (sk-*) types and certificates are refused.
var acceptedKeyTypes = map[string]bool{
	ssh.KeyAlgoRSA:      true,
	ssh.KeyAlgoED25519:  true,
	ssh.KeyAlgoECDSA256: true,
	ssh.KeyAlgoECDSA384: true,
	ssh.KeyAlgoECDSA521: true,
}

// AcceptedKeyTypes lists the SSH public key types that may log in: RSA (of at
// least MinRSABits), Ed25519 and ECDSA on NIST P-256, P-384 and P-521. Any
// other type, DSA (ssh-dss) included, is refused at login even when
// authorized.
func AcceptedKeyTypes() []string {
	return []string{ssh.KeyAlgoRSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521}
}

// keyProblem says why key may not log in, or returns "" when it may.
func keyProblem(key ssh.PublicKey) string {
	if !acceptedKeyTypes[key.Type()] {
		return fmt.Sprintf("%s keys are not accepted; use RSA of at least %d bits (as Coupa documents), Ed25519 or ECDSA", key.Type(), MinRSABits)
	}
	if bits, ok := rsaBits(key); ok && bits < MinRSABits {
		return fmt.Sprintf("it has %d bits; at least %d are required", bits, MinRSABits)
	}
	return ""
}

// rsaBits returns an RSA key's modulus length.
func rsaBits(key ssh.PublicKey) (int, bool) {
	ck, ok := key.(ssh.CryptoPublicKey)
	if !ok {
		return 0, false
	}
	pk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok {
		return 0, false
	}
	return pk.N.BitLen(), true
}
