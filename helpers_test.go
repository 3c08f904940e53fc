package atlas_test

import (
	"bytes"
	"context"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// Identifiers that match the spec's patterns: the one set of test ids of the package.
const (
	testGroupID  = "5f1d2e3c4b5a69788796a5b4"
	testCluster  = "Cluster0"
	testExportID = "6a0b1c2d3e4f5a6b7c8d9e0f"
	testSnapshot = "32b6e34b3d91647abb20e7b8"
	testBucket   = "7c8d9e0f6a0b1c2d3e4f5a6b"
	testRoleID   = "668c5f0ed436263134491592" // the spec's example access role
	testOtherID  = "0123456789abcdef01234567" // an id nothing is stored under

	// testToken is a bearer token; tests search output for it to prove it never leaks.
	testToken = "canary-access-token-3f9a1c"
)

// Paths as the API documents them.
const (
	groupPath     = "/api/atlas/v2/groups/" + testGroupID
	clusterPath   = groupPath + "/clusters/" + testCluster
	exportsPath   = clusterPath + "/backup/exports"
	jobPath       = exportsPath + "/" + testExportID
	bucketsPath   = groupPath + "/backup/exportBuckets"
	bucketPath    = bucketsPath + "/" + testBucket
	snapshotsPath = clusterPath + "/backup/snapshots"
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

// getImpatiently runs n Gets of the test job on c from n goroutines, each with a deadline of
// d, and requires every one to end with its own deadline.
func getImpatiently(t *testing.T, c *atlas.Client, n int, d time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), d)
			defer cancel()
			errs[i] = getTestJob(ctx, c)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
}

// fixture is the fake Atlas of a test, seeded for the export workflow, and a client of it.
type fixture struct {
	srv    *atlastest.Server
	client *atlas.Client
	// wire records every API request the fixture's clients sent, as it left them.
	wire *wire
	// sleeps records the waits the client asked for (backoff and polling); none is slept.
	sleeps *sleeps
}

// testCreatedAt is when the seeded snapshot was taken.
var testCreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// setup starts the fake with opts and seeds it with the test group and cluster, a completed
// replica-set snapshot testSnapshot and an AWS export bucket testBucket, so that an export of
// one to the other is accepted. Its client logs in as the fake's service account (a grant has
// a route of its own, so each API call is one request on its route) and sleeps no backoff.
func setup(t *testing.T, opts ...atlastest.Option) *fixture {
	t.Helper()
	srv := atlastest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddCluster(testGroupID, testCluster)
	srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{ID: testSnapshot, CreatedAt: testCreatedAt})
	srv.AddExportBucket(testGroupID, &atlas.ExportBucket{
		ID: testBucket, CloudProvider: atlas.CloudProviderAWS, BucketName: "export-bucket", IAMRoleID: testRoleID,
	})
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	f := &fixture{srv: srv, wire: &wire{base: transport}}
	f.client = f.connect(t, atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret), 0)
	f.sleeps = recordSleeps(f.client)
	return f
}

// connect builds another client of the fake with the given auth option, whose requests
// f.wire records. timeout, when not zero, bounds each attempt (WithHTTPClient's Timeout).
func (f *fixture) connect(t *testing.T, auth atlas.Option, timeout time.Duration) *atlas.Client {
	t.Helper()
	c, err := atlas.NewClient(
		atlas.WithBaseURL(f.srv.URL),
		auth,
		atlas.WithHTTPClient(&http.Client{Transport: f.wire, Timeout: timeout}),
	)
	require.NoError(t, err)
	return c
}

// addJobs stores n copies of job and returns their ids in the order List returns them.
func (f *fixture) addJobs(n int, job atlas.ExportJob) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.srv.AddExportJob(testGroupID, testCluster, &job)
	}
	return ids
}

// sent is one API request as it left the client, below authentication.
type sent struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// wire is a base transport that records every request a client sends to the API (not to the
// token endpoint) and passes it on.
type wire struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []sent
}

func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if !strings.HasPrefix(req.URL.Path, "/api/oauth/") {
		w.mu.Lock()
		w.sent = append(w.sent, sent{req.Method, req.URL.Path, req.URL.Query(), req.Header.Clone(), body})
		w.mu.Unlock()
	}
	return w.base.RoundTrip(req)
}

// requests returns what was sent so far.
func (w *wire) requests() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.sent)
}

// only requires that exactly one request was sent and returns it.
func (w *wire) only(t *testing.T) sent {
	t.Helper()
	all := w.requests()
	require.Len(t, all, 1, "requests sent")
	return all[0]
}

// reset forgets what was sent so far.
func (w *wire) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = nil
}

// assertSent checks a request as it left the client: its method and path, the operation's
// resource version as Accept, the SDK's User-Agent and a bearer token, and its body: exactly
// the bytes of body sent with the same version as Content-Type, or no body and no
// Content-Type when body is empty.
func assertSent(t *testing.T, s sent, method, path, version, body string) {
	t.Helper()
	assert.Equal(t, method, s.Method, "method")
	assert.Equal(t, path, s.Path, "path")
	assert.Equal(t, []string{version}, s.Header.Values("Accept"), "Accept")
	assert.Equal(t, "atlas-go/"+atlas.Version, s.Header.Get("User-Agent"), "User-Agent")
	assert.True(t, strings.HasPrefix(s.Header.Get("Authorization"), "Bearer "), "Authorization")
	if body == "" {
		assert.Empty(t, s.Body, "body")
		assert.Empty(t, s.Header.Values("Content-Type"), "Content-Type")
		return
	}
	assert.Equal(t, body, string(s.Body), "body")
	assert.Equal(t, []string{version}, s.Header.Values("Content-Type"), "Content-Type")
}

// collect runs an All walk to its end, requiring every page to succeed, and returns the ids
// of what it yielded.
func collect[T any](t *testing.T, seq iter.Seq2[T, error], id func(T) string) []string {
	t.Helper()
	var ids []string
	for v, err := range seq {
		require.NoError(t, err)
		ids = append(ids, id(v))
	}
	return ids
}

// The ids of the three resources, for collect.
func jobID(j *atlas.ExportJob) string       { return j.ID }
func bucketID(b *atlas.ExportBucket) string { return b.ID }
func snapshotID(s *atlas.Snapshot) string   { return s.ID }

// assertNothingSent checks that a call refused its arguments before any I/O: an
// *InvalidArgumentError for name, no result, and not one request at the fake, not even a
// token grant.
func assertNothingSent(t *testing.T, f *fixture, err error, name string) {
	t.Helper()
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	var argErr *atlas.InvalidArgumentError
	require.ErrorAs(t, err, &argErr)
	assert.Equal(t, name, argErr.Name)
	assert.Zero(t, f.srv.Requests(""), "no request reached the fake")
}

// assertAPIError requires err to be the server's answer with status and errorCode.
func assertAPIError(t *testing.T, err error, status int, code string) *atlas.APIError {
	t.Helper()
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode, "status")
	assert.Equal(t, code, apiErr.ErrorCode, "errorCode")
	return apiErr
}

// assertAnotherIDRefused checks that a read by id answered with a document about another id
// is ErrInvalidResponse, with no result and no retry. call runs the read on a client of a
// server that answers every request with doc.
func assertAnotherIDRefused(t *testing.T, doc string, call func(*atlas.Client) (any, error)) {
	t.Helper()
	srv := newServer(t)
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, doc) })
	got, err := call(newClient(t, srv))
	assert.Nil(t, got)
	require.ErrorIs(t, err, atlas.ErrInvalidResponse)
	assert.Contains(t, err.Error(), "asked for")
	assert.EqualValues(t, 1, srv.Requests(), "not retried")
}
