package bench

import (
	"context"
	"net/http"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// getter is one way of fetching the export job; each returns the job it decoded.
type getter struct {
	name string
	new  func(tb testing.TB) func(ctx context.Context) error
}

// getters lists the clients compared: the floor, the SDK in each auth mode and the legacy
// official client with digest, every one with an attempt bound; then, for reference, the floor
// and the legacy client without one, as their own docs build them.
var getters = []getter{
	{"floor", func(tb testing.TB) func(context.Context) error {
		hc := floorClient(floorTransport())
		target := fake.URL + getPath
		return func(ctx context.Context) error {
			return floorGet(ctx, hc, target, new(atlas.ExportJob))
		}
	}},
	{"sdk-bearer", sdkGetter(modeBearer)},
	{"sdk-service-account", sdkGetter(modeServiceAccount)},
	{"sdk-digest", sdkGetter(modeDigest)},
	{"legacy-digest", func(tb testing.TB) func(context.Context) error {
		return legacyGetter(tb, floorTransport())
	}},
	{"floor-no-timeout", func(tb testing.TB) func(context.Context) error {
		hc := &http.Client{Transport: floorTransport()}
		target := fake.URL + getPath
		return func(ctx context.Context) error {
			return floorGet(ctx, hc, target, new(atlas.ExportJob))
		}
	}},
	{"legacy-digest-no-timeout", func(tb testing.TB) func(context.Context) error {
		return legacyGet(newLegacy(tb, floorTransport(), false))
	}},
}

func sdkGetter(mode string) func(tb testing.TB) func(context.Context) error {
	return func(tb testing.TB) func(context.Context) error {
		c := newSDK(tb, mode, nil) // the SDK's default transport
		return func(ctx context.Context) error {
			_, err := c.Exports.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID)
			return err
		}
	}
}

// BenchmarkGet fetches one export job serially through one warmed-up client: the
// connection is open, the token granted, the digest challenge held. rt/op is HTTP requests
// the fake received per call, token grants and challenges included; cpu-ns/op is the CPU
// time this (client) process spent per call.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, g := range getters {
		b.Run(g.name, func(b *testing.B) {
			get := g.new(b)
			if err := get(ctx); err != nil {
				b.Fatal(err)
			}
			before := stats(b)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				if err := get(ctx); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			b.StopTimer()
			d := stats(b).Sub(before)
			b.ReportMetric(float64(d.Requests)/float64(b.N), "rt/op")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkGetCold builds a new client for each call on a shared transport, so every call
// pays what a client's first call pays: the token grant or the digest challenge. The TCP
// connection is reused, so only auth round trips show in rt/op.
func BenchmarkGetCold(b *testing.B) {
	ctx := context.Background()
	tr := floorTransport()
	hc := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	cold := map[string]func() error{
		"sdk-bearer":          func() error { return sdkGetOnce(ctx, b, modeBearer, hc) },
		"sdk-service-account": func() error { return sdkGetOnce(ctx, b, modeServiceAccount, hc) },
		"sdk-digest":          func() error { return sdkGetOnce(ctx, b, modeDigest, hc) },
		"legacy-digest":       func() error { return legacyGetter(b, tr)(ctx) },
	}
	for _, name := range []string{"sdk-bearer", "sdk-service-account", "sdk-digest", "legacy-digest"} {
		b.Run(name, func(b *testing.B) {
			call := cold[name]
			if err := call(); err != nil {
				b.Fatal(err)
			}
			before := stats(b)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			d := stats(b).Sub(before)
			b.ReportMetric(float64(d.Requests)/float64(b.N), "rt/op")
		})
	}
}

func sdkGetOnce(ctx context.Context, tb testing.TB, mode string, hc *http.Client) error {
	_, err := newSDK(tb, mode, hc).Exports.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID)
	return err
}

// BenchmarkGetMemory is BenchmarkGet/floor and /sdk-bearer without a socket: both read the
// fake's job bytes, fetched once, from an in-memory RoundTripper, so only the client's own
// request path and decode are timed, free of the loopback's noise.
func BenchmarkGetMemory(b *testing.B) {
	ctx := context.Background()
	canned := floorClient(cannedTransport(fetchBody(b, getPath)))
	b.Run("floor", func(b *testing.B) {
		run(b, func() {
			if err := floorGet(ctx, canned, fake.URL+getPath, new(atlas.ExportJob)); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("sdk-bearer", func(b *testing.B) {
		c := newSDK(b, modeBearer, canned)
		run(b, func() {
			if _, err := c.Exports.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID); err != nil {
				b.Fatal(err)
			}
		})
	})
}
