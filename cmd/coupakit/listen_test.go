package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDefaultListenAddresses(t *testing.T) {
	tests := []struct {
		env, host string
	}{
		{"", "127.0.0.1"},
		{"0", "127.0.0.1"},
		{"1", "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			t.Setenv(listenAllEnv, tt.env)
			_, cfg := serveFlags()
			for name, got := range map[string]string{"addr": cfg.addr, "cso-addr": cfg.csoAddr, "sftp-addr": cfg.sftpAddr} {
				port := map[string]string{"addr": "8080", "cso-addr": "8081", "sftp-addr": "2222"}[name]
				if want := tt.host + ":" + port; got != want {
					t.Errorf("--%s defaults to %s, want %s", name, got, want)
				}
			}
			var out bytes.Buffer
			if code := runServe(context.Background(), []string{"-h"}, &out, &bytes.Buffer{}); code != 0 {
				t.Fatalf("serve -h: exit %d", code)
			}
			if !strings.Contains(out.String(), `(default "`+tt.host+`:8080")`) || !strings.Contains(out.String(), listenAllEnv+"=1") {
				t.Errorf("serve -h does not show the defaults or the variable:\n%s", out.String())
			}
		})
	}
}
