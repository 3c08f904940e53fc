package atlastest_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
)

// TestConcurrentUse drives every kind of state change at once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithAutoAdvance())
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 50}})
	snap := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	seedExportable(t, srv)
	srv.InjectFault(atlastest.Fault{Status: http.StatusServiceUnavailable, Times: 10})

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				url := []string{exportsURL(srv, id), exportsURL(srv, ""), snapshotsURL(srv, "/"+snap),
					srv.URL + groupPath + "/backup/exportBuckets"}[i%4]
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				if resp, err := hc.Do(req); err == nil {
					drain(resp)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
			srv.AdvanceAll()
			srv.ExportJobs(groupID, cluster)
			srv.AdvanceSnapshot(srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{}))
			srv.Snapshots(groupID, cluster)
			srv.AddExportBucket(groupID, &atlas.ExportBucket{})
			srv.ExportBuckets(groupID)
			srv.Requests("")
			srv.ResetCounters()
		}
	})
	wg.Go(func() { // creates, which write under the same lock the reads take
		for range 10 {
			body := `{"snapshotId":"` + snapshot + `","exportBucketId":"` + bucket + `"}`
			drain(bearerDo(t, hc, http.MethodPost, exportsURL(srv, ""), token, body, "Content-Type", "application/json"))
			drain(bearerDo(t, hc, http.MethodPost, snapshotsURL(srv, ""), token, `{}`, "Content-Type", "application/json"))
		}
	})
	wg.Wait()
	assert.Zero(t, srv.PendingFaults())
}
