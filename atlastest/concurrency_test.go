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
	srv := newServer(t, atlastest.WithAutoAdvance())
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 50}})
	srv.InjectFault(atlastest.Fault{Status: http.StatusServiceUnavailable, Times: 10})

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				url := exportsURL(srv, id)
				if i%2 == 0 {
					url = exportsURL(srv, "")
				}
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
			srv.Requests("")
			srv.ResetCounters()
		}
	})
	wg.Wait()
	assert.Zero(t, srv.PendingFaults())
}
