package tenant

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestFromRequest(t *testing.T) {
	tests := []struct {
		name, path, header string
		wantTenant         string
		wantPath           string
		wantErr            string
	}{
		{name: "none", path: "/api/integration_errors", wantPath: "/api/integration_errors"},
		{name: "prefix", path: "/t/acme/api/integration_errors/3", wantTenant: "acme", wantPath: "/api/integration_errors/3"},
		{name: "prefix of the token endpoint", path: "/t/run-42.a_b/oauth2/token", wantTenant: "run-42.a_b", wantPath: "/oauth2/token"},
		{name: "prefix alone", path: "/t/acme", wantTenant: "acme", wantPath: "/"},
		{name: "header", path: "/api/events", header: "acme", wantTenant: "acme", wantPath: "/api/events"},
		{name: "prefix and the same header", path: "/t/acme/api/events", header: "acme", wantTenant: "acme", wantPath: "/api/events"},
		{name: "prefix and another header", path: "/t/acme/api/events", header: "other", wantErr: `names tenant "acme" and the X-Coupakit-Tenant header "other"`},
		{name: "empty prefix name", path: "/t//api/events", wantErr: `tenant "": a tenant name is 1 to 64`},
		{name: "bad header name", path: "/api/events", header: "a b", wantErr: `tenant "a b"`},
		{name: "name too long", path: "/t/" + strings.Repeat("a", 65) + "/api", wantErr: "1 to 64"},
		{name: "not a prefix", path: "/tenants/acme", wantPath: "/tenants/acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://127.0.0.1"+tt.path+"?limit=1", nil)
			if tt.header != "" {
				r.Header.Set(Header, tt.header)
			}
			name, r2, err := FromRequest(r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to hold %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.wantTenant || r2.URL.Path != tt.wantPath || r2.URL.RawQuery != "limit=1" {
				t.Fatalf("tenant %q, path %q, query %q; want %q, %q", name, r2.URL.Path, r2.URL.RawQuery, tt.wantTenant, tt.wantPath)
			}
			if tt.wantTenant != "" && strings.HasPrefix(tt.path, Prefix) && r.URL.Path != tt.path {
				t.Error("FromRequest changed the caller's request")
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	h := Middleware(func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		http.Error(w, msg, status)
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", Name(r.Context()), r.URL.Path)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for path, want := range map[string]string{
		"/t/acme/api/events": "200 acme /api/events",
		"/api/events":        "200  /api/events",
		"/t/a%20b/api":       "400",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = fmt.Fprint(&b, resp.StatusCode)
		if resp.StatusCode == 200 {
			buf := make([]byte, 100)
			n, _ := resp.Body.Read(buf)
			b.WriteString(" " + string(buf[:n]))
		}
		resp.Body.Close()
		if got := b.String(); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

func TestRegistry(t *testing.T) {
	var created atomic.Int64
	g := NewRegistry(200, func(name string) (*string, error) {
		created.Add(1)
		if name == "broken" {
			return nil, errors.New("cannot seed")
		}
		return &name, nil
	})
	// 200 tenants, each asked for by 5 goroutines at once.
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("t%03d", i%200)
			v, err := g.Get(name)
			if err != nil || *v != name {
				t.Errorf("Get(%s) = %v, %v", name, v, err)
			}
		}()
	}
	wg.Wait()
	if n := created.Load(); n != 200 {
		t.Fatalf("created %d states for 200 tenants", n)
	}
	if _, err := g.Get("one-too-many"); !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "at most 200") {
		t.Fatalf("past the maximum: %v", err)
	}
	if list := g.List(); len(list) != 200 || list[0].Name != "t000" || list[199].Name != "t199" || list[0].CreatedAt.IsZero() {
		t.Fatalf("list of %d, first %+v", len(list), list[0])
	}
	if !g.Delete("t000") || g.Delete("t000") {
		t.Fatal("Delete reports wrongly")
	}
	if _, ok := g.Lookup("t000"); ok {
		t.Fatal("a deleted tenant is still there")
	}
	if _, err := g.Get("broken"); err == nil || err.Error() != "cannot seed" {
		t.Fatalf("a failed creation: %v", err)
	}
	if _, ok := g.Lookup("broken"); ok || len(g.List()) != 199 {
		t.Fatal("a failed creation left a tenant behind")
	}
	v, err := g.Get("t000")
	if err != nil || *v != "t000" || created.Load() != 202 {
		t.Fatalf("a deleted tenant is created afresh on its next use: %v, %v, %d", v, err, created.Load())
	}
	n := 0
	g.Each(func(string, *string) { n++ })
	if n != 200 {
		t.Errorf("Each saw %d tenants", n)
	}
}
