package atlas_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

// Identifiers that match the spec's patterns.
const (
	testGroupID  = "5f1d2e3c4b5a69788796a5b4"
	testCluster  = "Cluster0"
	testExportID = "6a0b1c2d3e4f5a6b7c8d9e0f"
	testSnapshot = "32b6e34b3d91647abb20e7b8"
	testBucket   = "7c8d9e0f6a0b1c2d3e4f5a6b"

	// testToken is a bearer token; tests search output for it to prove it never leaks.
	testToken = "canary-access-token-3f9a1c"
)

// Paths as the API documents them.
const (
	exportsPath = "/api/atlas/v2/groups/" + testGroupID + "/clusters/" + testCluster + "/backup/exports"
	jobPath     = exportsPath + "/" + testExportID
)

// jobJSON is a DiskBackupExportJob carrying every field of the schema.
const jobJSON = `{
  "id": "6a0b1c2d3e4f5a6b7c8d9e0f",
  "snapshotId": "32b6e34b3d91647abb20e7b8",
  "exportBucketId": "7c8d9e0f6a0b1c2d3e4f5a6b",
  "prefix": "/exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045",
  "state": "InProgress",
  "stateReason": {"errorCode": "NONE", "message": "running"},
  "exportStatus": {"exportedCollections": 3, "totalCollections": 7},
  "createdAt": "2025-01-02T03:04:05Z",
  "finishedAt": "2025-01-02T04:05:06Z",
  "components": [{"exportId": "0a0b1c2d3e4f5a6b7c8d9e0f", "replicaSetName": "shard-0"}],
  "customData": [{"key": "team", "value": "storage"}],
  "links": [{"href": "https://cloud.mongodb.com/api/atlas", "rel": "self"}]
}`

// server is an httptest server with a mux of its own and a count of every request that
// reached it, whatever the route.
type server struct {
	*httptest.Server
	Mux      *http.ServeMux
	requests atomic.Int64
}

// newServer starts a loopback server that a test's handlers register on; it closes with the test.
func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{Mux: http.NewServeMux()}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.Mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests is how many requests reached the server.
func (s *server) Requests() int64 { return s.requests.Load() }

// newClient builds a client for srv with opts; with no opts at all it uses
// WithAccessToken(testToken).
func newClient(t *testing.T, srv *server, opts ...atlas.Option) *atlas.Client {
	t.Helper()
	all := []atlas.Option{atlas.WithBaseURL(srv.URL)}
	if len(opts) == 0 {
		all = append(all, atlas.WithAccessToken(testToken))
	}
	c, err := atlas.NewClient(append(all, opts...)...)
	require.NoError(t, err)
	return c
}

// Handler-side checks. They use assert, not require: a handler runs on the server's
// goroutine, where FailNow must not be called.

// testWire checks what every request carries: the method, the one media type, the
// SDK's User-Agent and the expected Authorization.
func testWire(t *testing.T, r *http.Request, method, authorization string) {
	t.Helper()
	assert.Equal(t, method, r.Method, "method")
	assert.Equal(t, []string{atlas.MediaType}, r.Header.Values("Accept"), "Accept")
	assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"), "User-Agent")
	assert.Equal(t, authorization, r.Header.Get("Authorization"), "Authorization")
}

// testBody checks that the request body is the JSON document want, sent as the media type.
func testBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, atlas.MediaType, r.Header.Get("Content-Type"), "Content-Type")
	got, err := io.ReadAll(r.Body)
	assert.NoError(t, err)
	assert.JSONEq(t, want, string(got), "body")
}

// writeJSON answers with status and body as the API does: the media type on success,
// application/json on errors.
func writeJSON(w http.ResponseWriter, status int, body string) {
	if status >= 200 && status <= 299 {
		w.Header().Set("Content-Type", atlas.MediaType)
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// serveJob answers every request with the job document.
func serveJob(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, jobJSON) }

// recordSleeps replaces c's backoff sleep with one that returns at once and records the
// waits asked for, so tests observe backoff without spending it.
func recordSleeps(c *atlas.Client) *sleeps {
	s := &sleeps{}
	atlas.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		s.mu.Lock()
		s.waits = append(s.waits, d)
		s.mu.Unlock()
		return ctx.Err()
	})
	return s
}

// sleeps is the log of waits a client asked for.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Waits returns the waits asked for so far.
func (s *sleeps) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// getTogether runs n Gets of the test job on c from n goroutines released at once, and
// requires every one to succeed.
func getTogether(t *testing.T, c *atlas.Client, n int) []*atlas.ExportJob {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, n)
	jobs := make([]*atlas.ExportJob, n)
	for i := range n {
		wg.Go(func() {
			<-start
			jobs[i], errs[i] = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return jobs
}
