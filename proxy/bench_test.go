package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// BenchmarkAddedLatency measures, in one run, the latency of a 50-record
// list (limit=50, JSON, about 46 KB) through a plain httputil.ReverseProxy
// and through the validating proxy, both in front of an upstream that
// serves the mock's page as fixed bytes. Requests alternate between the
// two; each iteration sends one of each. It reports both medians and the
// added latency (proxy median minus plain median), judging included: the
// proxy judges every request and answer beside the exchange, and the run
// checks that every exchange was judged, with no violation.
func BenchmarkAddedLatency(b *testing.B) { benchAdded(b, false) }

// BenchmarkAddedLatencyEnforce is BenchmarkAddedLatency with Enforce: the
// proxy judges the request and the whole answer before it answers.
func BenchmarkAddedLatencyEnforce(b *testing.B) { benchAdded(b, true) }

func benchAdded(b *testing.B, enforce bool) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 60})
	if err != nil {
		b.Fatal(err)
	}
	const path = "/api/integration_errors?limit=50"
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "application/json")
	m.CoreHandler().ServeHTTP(rec, req)
	page, ctype := rec.Body.Bytes(), rec.Header().Get("Content-Type")
	if rec.Code != http.StatusOK || len(page) < 40000 {
		b.Fatalf("the mock's page: %d, %d bytes", rec.Code, len(page))
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(page)
	}))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	plain := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }})
	defer plain.Close()
	servers := map[string]string{"plain": plain.URL}
	proxies := map[string]*proxy.Proxy{}
	for _, name := range []string{"proxy"} {
		p, err := proxy.New(proxy.Options{Upstream: up.URL, Enforce: enforce})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		srv := httptest.NewServer(p.CoreHandler())
		defer srv.Close()
		servers[name], proxies[name] = srv.URL, p
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(base string) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK || n != int64(len(page)) {
			b.Fatalf("%s: %d, %d bytes", base, resp.StatusCode, n)
		}
		return d
	}
	order := []string{"plain", "proxy"}
	for _, name := range order { // warm the connections
		get(servers[name])
	}
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		for j := range order {
			name := order[(i+j)%len(order)]
			times[name] = append(times[name], get(servers[name]))
		}
	}
	b.StopTimer()
	for name, p := range proxies {
		if vs := p.Violations(); len(vs) != 0 {
			b.Fatalf("%s: %d violations: %+v", name, len(vs), vs[0])
		}
		rep := p.Report()
		for _, oc := range rep.Coverage.Operations {
			if oc.Operation == "listIntegrationErrors" && oc.Requests != b.N+1 {
				b.Fatalf("%s judged %d exchanges of %d", name, oc.Requests, b.N+1)
			}
		}
	}
	quantile := func(ds []time.Duration, q float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[int(q*float64(len(s)-1))]) / float64(time.Microsecond)
	}
	median := func(ds []time.Duration) float64 { return quantile(ds, 0.5) }
	b.ReportMetric(median(times["plain"]), "µs-plain-median")
	b.ReportMetric(median(times["proxy"]), "µs-proxy-median")
	b.ReportMetric(median(times["proxy"])-median(times["plain"]), "µs-added-median")
	b.ReportMetric(quantile(times["plain"], 0.9), "µs-plain-p90")
	b.ReportMetric(quantile(times["proxy"], 0.9), "µs-proxy-p90")
}
