package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// burstSizes are the cold bursts measured: as many first calls as the default transport has
// connections, and four times that.
var burstSizes = []int{64, 256}

// maxBurstChallenges is the target for a cold digest burst: the first call fetches the
// challenge and every other waits for it, so a burst takes one challenge (two if the fetch
// raced a nonce the fake had already replaced).
const maxBurstChallenges = 2

// burst makes n concurrent calls of get, started together, and fails tb on any error.
func burst(tb testing.TB, n int, get func(context.Context) error) {
	tb.Helper()
	ctx := context.Background()
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			errs <- get(ctx)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// TestDigestColdBurst checks, untimed, that 64 and 256 concurrent first calls on a fresh
// digest client take at most maxBurstChallenges challenges, where the legacy client takes one
// per call.
func TestDigestColdBurst(t *testing.T) {
	for _, n := range burstSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			get := sdkGetter(modeDigest)(t)
			before := stats(t)
			burst(t, n, get)
			d := stats(t).Sub(before)
			if d.Challenges > maxBurstChallenges {
				t.Errorf("%d cold calls took %d challenges, want at most %d", n, d.Challenges, maxBurstChallenges)
			}
			if d.Requests != n+d.Challenges {
				t.Errorf("%d cold calls made %d requests with %d challenges, want %d", n, d.Requests, d.Challenges, n+d.Challenges)
			}
		})
	}
}

// BenchmarkDigestColdBurst times n concurrent first calls on a fresh digest client (one op is
// one burst, the client built untimed) and reports challenges/burst: the SDK single-flights
// the first challenge; the legacy client asks for one before every request.
func BenchmarkDigestColdBurst(b *testing.B) {
	for _, name := range []string{"sdk-digest", "legacy-digest"} {
		for _, n := range burstSizes {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				var total fakeproc.Stats
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					var get func(context.Context) error
					var done func()
					if name == "sdk-digest" {
						get, done = sdkGetter(modeDigest)(b), func() {}
					} else {
						tr := floorTransport()
						get, done = legacyGetter(b, tr), tr.CloseIdleConnections
					}
					before := stats(b)
					b.StartTimer()
					burst(b, n, get)
					b.StopTimer()
					total = addStats(total, stats(b).Sub(before))
					done()
				}
				b.ReportMetric(float64(total.Challenges)/float64(b.N), "challenges/burst")
				b.ReportMetric(float64(total.Requests)/float64(b.N*n), "rt/call")
			})
		}
	}
}
