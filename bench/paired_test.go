package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// The paired benchmarks time the floor and the SDK call by call, alternately, each on a warm
// client of its own. Whatever else the machine runs falls on both alike, so the ratio of
// their times (sdk/floor) is far steadier than the ratio of two rows of BenchmarkGet or
// BenchmarkPage500 measured seconds apart, which this shared 2-core machine spreads by up to
// ±30 %. Each reports floor-ns/op and sdk-ns/op (the mean of one call of each) and
// sdk/floor; ns/op, allocs and bytes are those of a pair of calls and mean nothing alone.
// The two clients share one process, so each one's garbage is collected on both one's time:
// the SDK, which allocates less, gives up some of its advantage to the floor.

// BenchmarkGetPaired is BenchmarkGet/floor against BenchmarkGet/sdk-bearer, paired.
func BenchmarkGetPaired(b *testing.B) {
	ctx := context.Background()
	floor := getters[0].new(b)
	sdk := sdkGetter(modeBearer)(b)
	paired(b, func() error { return floor(ctx) }, func() error { return sdk(ctx) })
}

// BenchmarkPage500Paired is BenchmarkPage500's floor against its SDK List, paired, on the
// wire and from memory.
func BenchmarkPage500Paired(b *testing.B) {
	ctx := context.Background()
	opts := &atlas.ListOptions{ItemsPerPage: fakeproc.PageJobs}
	list := func(c *atlas.Client) func() error {
		return func() error {
			p, err := c.Exports.List(ctx, fakeproc.GroupID, fakeproc.PageCluster, opts)
			if err == nil && len(p.Results) != fakeproc.PageJobs {
				b.Fatalf("page has %d jobs", len(p.Results))
			}
			return err
		}
	}
	b.Run("wire", func(b *testing.B) {
		hc := &http.Client{Transport: floorTransport()}
		target := fake.URL + pagePath + pageQuery
		floor := func() error { return floorGet(ctx, hc, target, new(plainPage)) }
		paired(b, floor, list(newSDK(b, modeBearer, nil)))
	})
	b.Run("memory", func(b *testing.B) {
		page := fetchBody(b, pagePath+pageQuery)
		floor := func() error { return json.NewDecoder(bytes.NewReader(page)).Decode(new(plainPage)) }
		paired(b, floor, list(newSDK(b, modeBearer, &http.Client{Transport: cannedTransport(page)})))
	})
}

// paired calls floor and sdk b.N times each, in turn, the one or the other first on
// alternate iterations, after one untimed warm-up call of each.
func paired(b *testing.B, floor, sdk func() error) {
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
	b.ReportMetric(float64(tFloor.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(tSDK.Nanoseconds())/float64(b.N), "sdk-ns/op")
	b.ReportMetric(float64(tSDK)/float64(tFloor), "sdk/floor")
}
