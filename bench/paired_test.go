package bench

import (
	"context"
	"testing"
	"time"
)

// BenchmarkGetPaired is BenchmarkGet/floor against BenchmarkGet/sdk-bearer, timed call by
// call, alternately, each on a warm client of its own. Whatever else the machine runs falls
// on both alike, so the ratio of their times (sdk/floor) is far steadier than the ratio of
// two rows of BenchmarkGet measured seconds apart, which this shared 2-core machine spreads
// by up to ±30 %. It reports floor-ns/op and sdk-ns/op (the mean of one call of each) and
// sdk/floor; ns/op, allocs and bytes are those of a pair of calls and mean nothing alone.
//
// The two clients share one process, so the garbage of each is collected partly on the
// other's time. A Get allocates a few KiB, so that matters little here; for pages, where the
// floor allocates nearly twice the bytes the SDK does (its Decoder's buffer grows by
// doubling), it would credit the SDK with the floor's collections, and pages are not paired.
func BenchmarkGetPaired(b *testing.B) {
	ctx := context.Background()
	floor := getters[0].new(b)
	sdk := sdkGetter(modeBearer)(b)
	paired(b, "floor", func() error { return floor(ctx) }, func() error { return sdk(ctx) })
}

// BenchmarkDigestPaired is BenchmarkGet/legacy-digest against BenchmarkGet/sdk-digest, paired
// as BenchmarkGetPaired pairs the floor and the bearer SDK: it reports legacy-ns/op,
// sdk-ns/op and sdk/legacy, the ratio issue 18 bounds (at most 0.6). The legacy client is
// bounded as the SDK is (bounded) and, for reference, as its README builds it (no-timeout).
func BenchmarkDigestPaired(b *testing.B) {
	ctx := context.Background()
	for _, peer := range []struct {
		name    string
		bounded bool
	}{{"bounded", true}, {"no-timeout", false}} {
		b.Run(peer.name, func(b *testing.B) {
			legacy := legacyGet(newLegacy(b, floorTransport(), peer.bounded))
			sdk := sdkGetter(modeDigest)(b)
			paired(b, "legacy", func() error { return legacy(ctx) }, func() error { return sdk(ctx) })
		})
	}
}

// paired calls floor and sdk b.N times each, in turn, the one or the other first on
// alternate iterations, after one untimed warm-up call of each; base names floor in the
// metrics.
func paired(b *testing.B, base string, floor, sdk func() error) {
	b.Helper()
	for _, f := range []func() error{floor, sdk} {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var tFloor, tSDK time.Duration
	timed := func(f func() error, total *time.Duration) {
		start := time.Now()
		err := f()
		*total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			timed(floor, &tFloor)
			timed(sdk, &tSDK)
		} else {
			timed(sdk, &tSDK)
			timed(floor, &tFloor)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tFloor.Nanoseconds())/float64(b.N), base+"-ns/op")
	b.ReportMetric(float64(tSDK.Nanoseconds())/float64(b.N), "sdk-ns/op")
	b.ReportMetric(float64(tSDK)/float64(tFloor), "sdk/"+base)
}
