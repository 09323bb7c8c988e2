package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
)

// TestAdminAccess: beyond loopback the admin routes always want a token,
// generated and printed when none is given; on loopback only when given.
func TestAdminAccess(t *testing.T) {
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	tests := []struct {
		name      string
		token     string
		addrs     []net.Addr
		wantToken bool   // a token is wanted afterwards
		generated bool   // serve made it
		note      string // part of the line printed
	}{
		{"loopback", "", []net.Addr{loop, loop}, false, false, ""},
		{"loopback v6", "", []net.Addr{&net.TCPAddr{IP: net.IPv6loopback}}, false, false, ""},
		{"every interface", "", []net.Addr{loop, &net.TCPAddr{IP: net.IPv4zero, Port: 8081}}, true, true, "0.0.0.0:8081 is not loopback"},
		{"every interface v6", "", []net.Addr{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}}, true, true, "is not loopback"},
		{"a LAN address", "", []net.Addr{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8080}}, true, true, "192.168.1.5:8080"},
		{"given, exposed", "tok", []net.Addr{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}}, true, false, "--admin-token"},
		{"given, loopback", "tok", []net.Addr{loop}, true, false, "--admin-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &serveConfig{adminToken: tt.token}
			note, err := cfg.adminAccess(tt.addrs)
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.adminToken != "") != tt.wantToken {
				t.Fatalf("token %q, want one: %v", cfg.adminToken, tt.wantToken)
			}
			if tt.generated {
				if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(cfg.adminToken) {
					t.Errorf("generated token %q is not 128 random bits in hex", cfg.adminToken)
				}
				if !strings.Contains(note, "Bearer "+cfg.adminToken) {
					t.Errorf("the generated token is not printed: %q", note)
				}
			}
			if !strings.Contains(note, tt.note) {
				t.Errorf("note %q, want it to say %q", note, tt.note)
			}
			if tt.token == "" && !tt.wantToken && note != "" {
				t.Errorf("loopback without a token prints %q", note)
			}
		})
	}
	a, b := &serveConfig{}, &serveConfig{}
	exposed := []net.Addr{&net.TCPAddr{IP: net.IPv4zero}}
	_, _ = a.adminAccess(exposed)
	_, _ = b.adminAccess(exposed)
	if a.adminToken == b.adminToken {
		t.Error("two runs generate the same token")
	}
}

// TestServeAdminToken: serve --admin-token on loopback says so at start and
// the admin routes want the token; health and the APIs do not.
func TestServeAdminToken(t *testing.T) {
	urls, stop, stdout := startServe(t, "--sftp=false", "--auth", "none", "--admin-token", "t0ken", "--body-timeout", "2s")
	defer stop()
	if !strings.Contains(stdout.String(), "/_mock/* wants Authorization: Bearer") {
		t.Errorf("serve does not say the admin routes want a token: %s", stdout)
	}
	core := urls["Core API"]
	if code, body := get(t, core+"/_mock/requests"); code != 401 {
		t.Errorf("without the token: %d %s", code, body)
	}
	if code, body := get(t, core+"/_mock/requests", "Authorization", "Bearer t0ken"); code != 200 {
		t.Errorf("with the token: %d %s", code, body)
	}
	if code, _ := get(t, core+"/_mock/health"); code != 200 {
		t.Errorf("health: %d", code)
	}
	if code, _ := get(t, core+"/api/integration_errors/1"); code != 200 {
		t.Errorf("the API: %d", code)
	}
}
