package bench

import (
	"context"
	"reflect"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// TestSetup checks what the benchmarks rely on, without timing anything: every client reads
// the seeded job from the fake in the other process, the SDK decodes the same job as the
// floor, and each auth mode takes the round trips the README reports.
func TestSetup(t *testing.T) {
	ctx := context.Background()
	var floor atlas.ExportJob
	if err := floorGet(ctx, floorClient(floorTransport()), fake.URL+getPath, &floor); err != nil {
		t.Fatal(err)
	}
	if floor.ID != fakeproc.ExportID || floor.ExportStatus == nil || len(floor.Components) != 2 {
		t.Fatalf("floor decoded %+v", floor)
	}
	for _, mode := range []string{modeBearer, modeServiceAccount, modeDigest} {
		c := newSDK(t, mode, nil)
		for i := range 2 {
			before := stats(t)
			job, err := c.Exports.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID)
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			if !reflect.DeepEqual(*job, floor) {
				t.Errorf("%s: got %+v, floor decoded %+v", mode, *job, floor)
			}
			// First call: a grant or a challenge first, except for a static token.
			want := 1
			if i == 0 && mode != modeBearer {
				want = 2
			}
			if got := stats(t).Sub(before).Requests; got != want {
				t.Errorf("%s call %d: %d round trips, want %d", mode, i+1, got, want)
			}
		}
	}
	legacy := newLegacy(t, floorTransport(), true)
	for i := range 2 {
		before := stats(t)
		job, _, err := legacy.CloudProviderSnapshotExportJobs.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID)
		if err != nil {
			t.Fatalf("legacy: %v", err)
		}
		if job.ID != floor.ID || job.State != string(floor.State) {
			t.Errorf("legacy decoded %+v", job)
		}
		if got := stats(t).Sub(before).Requests; got != 2 {
			t.Errorf("legacy call %d: %d round trips, want 2 (challenge, then the request)", i+1, got)
		}
	}
}
