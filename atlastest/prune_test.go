package atlastest

import "testing"

func TestPruneMapIsAmortisedAndBounded(t *testing.T) {
	t.Parallel()
	m := map[int]bool{}
	next := 0
	scans := 0
	stale := func(dead bool) bool { scans++; return dead }

	// Stale entries never pile up past the threshold.
	for i := range 1000 {
		m[i] = true
		pruneMap(m, &next, stale)
		if len(m) > 64 {
			t.Fatalf("after %d stale inserts the map holds %d", i+1, len(m))
		}
	}
	// Live entries are kept, and the scans stay linear in the inserts, not quadratic.
	clear(m)
	next, scans = 0, 0
	for i := range 1000 {
		m[i] = false
		pruneMap(m, &next, stale)
	}
	if len(m) != 1000 {
		t.Fatalf("live entries were pruned: %d left of 1000", len(m))
	}
	if scans > 2*1000 {
		t.Fatalf("%d stale checks for 1000 inserts: pruning is not amortised", scans)
	}
}
