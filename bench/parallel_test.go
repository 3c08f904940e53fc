package bench

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// Shape of the concurrency benchmark: one op is calls Gets spread over workers goroutines
// that share one new client, so -benchtime=1x stays bounded at 10,000 calls.
const (
	workers = 64
	calls   = 10_000
)

// parallelClient builds a fresh client for one op and returns its call and a cleanup.
type parallelClient func(tb testing.TB) (get func(context.Context) error, done func())

// BenchmarkParallel64 runs 10,000 Gets from 64 goroutines sharing one client, built fresh
// for each op so that every op starts cold (no connection, token or challenge yet).
// conns/10k is TCP connections the fake accepted per 10,000 calls; calls/s is throughput;
// rt/call includes token grants and digest challenges.
func BenchmarkParallel64(b *testing.B) {
	sdk := func(mode string) parallelClient {
		return func(tb testing.TB) (func(context.Context) error, func()) {
			c := newSDK(tb, mode, nil) // the SDK's default transport
			return func(ctx context.Context) error {
				_, err := c.Exports.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID)
				return err
			}, func() {}
		}
	}
	floor := func(tr *http.Transport) (func(context.Context) error, func()) {
		hc := floorClient(tr)
		target := fake.URL + getPath
		return func(ctx context.Context) error {
			return floorGet(ctx, hc, target, new(atlas.ExportJob))
		}, tr.CloseIdleConnections
	}
	cases := []struct {
		name string
		new  parallelClient
	}{
		// Plain net/http with http.DefaultTransport's settings: MaxIdleConnsPerHost is 2, so
		// 62 of 64 goroutines find no idle connection and dial.
		{"floor-default-transport", func(testing.TB) (func(context.Context) error, func()) {
			return floor(floorTransport())
		}},
		// The same, tuned as the SDK's default transport is.
		{"floor-64-idle", func(testing.TB) (func(context.Context) error, func()) {
			tr := floorTransport()
			tr.MaxIdleConnsPerHost = workers
			return floor(tr)
		}},
		{"sdk-bearer", sdk(modeBearer)},
		{"sdk-service-account", sdk(modeServiceAccount)},
		{"sdk-digest", sdk(modeDigest)},
		// The legacy client on http.DefaultTransport's settings, as digest.NewTransport uses.
		{"legacy-digest", func(tb testing.TB) (func(context.Context) error, func()) {
			tr := floorTransport()
			return legacyGetter(tb, tr), tr.CloseIdleConnections
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			var total fakeproc.Stats
			var took time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				get, done := tc.new(b)
				before := stats(b)
				start := time.Now()
				b.StartTimer()
				err := fanOut(ctx, get)
				b.StopTimer()
				took += time.Since(start)
				total = addStats(total, stats(b).Sub(before))
				done()
				if err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(total.Conns)/n, "conns/10k")
			b.ReportMetric(float64(total.Requests)/(n*calls), "rt/call")
			b.ReportMetric(n*calls/took.Seconds(), "calls/s")
		})
	}
}

// fanOut makes calls calls of get from workers goroutines and returns the first error.
func fanOut(ctx context.Context, get func(context.Context) error) error {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= calls && first.Load() == nil {
				if err := get(ctx); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return *p
	}
	return nil
}

func addStats(a, b fakeproc.Stats) fakeproc.Stats {
	return fakeproc.Stats{Conns: a.Conns + b.Conns, Requests: a.Requests + b.Requests, Challenges: a.Challenges + b.Challenges, Grants: a.Grants + b.Grants}
}
