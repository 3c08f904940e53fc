package atlas_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

func TestGet(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		testWire(t, r, http.MethodGet, "Bearer "+testToken)
		// The one resource version the spec declares for these operations, spelled out here
		// so that a change to the constant cannot pass unnoticed.
		assert.Equal(t, "application/vnd.atlas.2023-01-01+json", r.Header.Get("Accept"))
		assert.Empty(t, r.URL.RawQuery, "query")
		assert.Equal(t, http.NoBody, r.Body, "a GET has no body")
		serveJob(w, r)
	})
	c := newClient(t, srv)

	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	want := &atlas.ExportJob{
		ID:             testExportID,
		SnapshotID:     testSnapshot,
		ExportBucketID: testBucket,
		Prefix:         "/exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045",
		State:          atlas.ExportStateInProgress,
		StateReason:    &atlas.StateReason{ErrorCode: "NONE", Message: "running"},
		ExportStatus:   &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 7},
		CreatedAt:      time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		FinishedAt:     time.Date(2025, 1, 2, 4, 5, 6, 0, time.UTC),
		Components:     []atlas.ExportComponent{{ExportID: "0a0b1c2d3e4f5a6b7c8d9e0f", ReplicaSetName: "shard-0"}},
		CustomData:     []atlas.Label{{Key: "team", Value: "storage"}},
		Links:          []atlas.Link{{Href: "https://cloud.mongodb.com/api/atlas", Rel: "self"}},
	}
	assert.Equal(t, want, job)
	assert.EqualValues(t, 1, srv.Requests())

	// The JSON tags are the wire names: a decoded job marshals back to the document.
	back, err := json.Marshal(job)
	require.NoError(t, err)
	assert.JSONEq(t, jobJSON, string(back))
}

func TestGetKeepsUnknownStateAndIgnoresUnknownFields(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, `{"id":"`+testExportID+`","exportBucketId":"`+testBucket+`",
			"state":"Paused","fieldFromTheFuture":{"nested":[1,2,3]}}`)
	})
	job, err := newClient(t, srv).Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportState("Paused"), job.State)
	assert.False(t, job.State.IsTerminal())
	assert.Nil(t, job.ExportStatus, "absent exportStatus stays nil")
	assert.Nil(t, job.StateReason, "absent stateReason stays nil")
	assert.True(t, job.CreatedAt.IsZero())
}

func TestExportStateIsTerminal(t *testing.T) {
	for state, want := range map[atlas.ExportState]bool{
		atlas.ExportStateQueued:     false,
		atlas.ExportStateInProgress: false,
		atlas.ExportStateSuccessful: true,
		atlas.ExportStateFailed:     true,
		atlas.ExportStateCancelled:  true,
		"":                          false,
		"SomethingNew":              false,
	} {
		assert.Equal(t, want, state.IsTerminal(), "%q", state)
	}
}

func TestGetInvalidArguments(t *testing.T) {
	tests := []struct {
		name                       string
		groupID, cluster, exportID string
		param                      string
	}{
		{"group empty", "", testCluster, testExportID, "groupID"},
		{"group short", "5f1d2e3c4b5a69788796a5b", testCluster, testExportID, "groupID"},
		{"group long", testGroupID + "0", testCluster, testExportID, "groupID"},
		{"group uppercase", "5F1D2E3C4B5A69788796A5B4", testCluster, testExportID, "groupID"},
		{"group non-hex", "5f1d2e3c4b5a69788796a5bg", testCluster, testExportID, "groupID"},
		{"group with slash", "5f1d2e3c4b5/69788796a5b4", testCluster, testExportID, "groupID"},
		{"group with dot-dot", "5f1d2e3c4b5a69788796a../", testCluster, testExportID, "groupID"},
		{"cluster empty", testGroupID, "", testExportID, "clusterName"},
		{"cluster leading dash", testGroupID, "-Cluster0", testExportID, "clusterName"},
		{"cluster slash", testGroupID, "Cluster0/../x", testExportID, "clusterName"},
		{"cluster question mark", testGroupID, "Cluster0?a=b", testExportID, "clusterName"},
		{"cluster percent", testGroupID, "Cluster%2F0", testExportID, "clusterName"},
		{"cluster space", testGroupID, "Cluster 0", testExportID, "clusterName"},
		{"cluster hash", testGroupID, "Cluster#0", testExportID, "clusterName"},
		{"cluster underscore", testGroupID, "Cluster_0", testExportID, "clusterName"},
		{"cluster non-ascii", testGroupID, "Clüster0", testExportID, "clusterName"},
		{"cluster newline", testGroupID, "Cluster0\n", testExportID, "clusterName"},
		{"export empty", testGroupID, testCluster, "", "exportID"},
		{"export short", testGroupID, testCluster, "6a0b1c2d", "exportID"},
		{"export uppercase", testGroupID, testCluster, "6A0B1C2D3E4F5A6B7C8D9E0F", "exportID"},
		{"export non-hex", testGroupID, testCluster, "6a0b1c2d3e4f5a6b7c8d9e0z", "exportID"},
		{"export with query", testGroupID, testCluster, "6a0b1c2d3e4f5a6b7c8d9?x=", "exportID"},
	}
	srv := newServer(t)
	srv.Mux.HandleFunc("/", serveJob)
	c := newClient(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := c.Exports.Get(t.Context(), tt.groupID, tt.cluster, tt.exportID)
			require.Error(t, err)
			assert.Nil(t, job)
			assert.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tt.param, argErr.Name)
			assert.Contains(t, err.Error(), tt.param)
			for _, sentinel := range []error{atlas.ErrNotFound, atlas.ErrServer, atlas.ErrInvalidResponse} {
				assert.NotErrorIs(t, err, sentinel)
			}
		})
	}
	assert.Zero(t, srv.Requests(), "no request may reach the server for a refused argument")
}

func TestGetEscapingAndBasePath(t *testing.T) {
	// A base URL with a path (a proxy in front of Atlas, say) is kept as a prefix, escaped
	// as it was given, and the request line carries exactly the documented path after it.
	srv := newServer(t)
	var gotURI, gotEscaped string
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gotURI, gotEscaped = r.RequestURI, r.URL.EscapedPath()
		serveJob(w, r)
	})
	c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL+"/atlas%20proxy/v1/"), atlas.WithAccessToken(testToken))
	require.NoError(t, err)

	_, err = c.Exports.Get(t.Context(), testGroupID, "a-Cluster-9", testExportID)
	require.NoError(t, err)
	want := "/atlas%20proxy/v1/api/atlas/v2/groups/" + testGroupID + "/clusters/a-Cluster-9/backup/exports/" + testExportID
	assert.Equal(t, want, gotURI, "request line")
	assert.Equal(t, want, gotEscaped)
}

func TestGetMalformedSuccessBody(t *testing.T) {
	tests := []struct {
		name, contentType, body string
	}{
		{"truncated JSON", atlas.MediaType, jobJSON[:len(jobJSON)/2]},
		{"empty", atlas.MediaType, ""},
		{"whitespace", atlas.MediaType, " \n\t"},
		{"null", atlas.MediaType, "null"},
		{"HTML", "text/html", "<html><body><h1>Welcome to our captive portal</h1></body></html>"},
		{"array", atlas.MediaType, `[{"id":"` + testExportID + `"}]`},
		{"string", atlas.MediaType, `"Successful"`},
		{"number", atlas.MediaType, `42`},
		{"wrong field type", atlas.MediaType, `{"id": 123, "state": "Queued"}`},
		{"wrong nested type", atlas.MediaType, `{"id": "` + testExportID + `", "exportStatus": "3/7"}`},
		{"bad timestamp", atlas.MediaType, `{"id": "` + testExportID + `", "createdAt": "yesterday"}`},
		{"garbage after the document", atlas.MediaType, jobJSON + "garbage"},
		{"two documents", atlas.MediaType, jobJSON + jobJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = w.Write([]byte(tt.body))
			})
			c := newClient(t, srv)
			job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			require.Error(t, err, "a malformed 200 must be an error")
			assert.Nil(t, job, "never a job with an error")
			assert.ErrorIs(t, err, atlas.ErrInvalidResponse)
			var apiErr *atlas.APIError
			assert.False(t, errors.As(err, &apiErr), "a 200 is not an APIError")
			assert.EqualValues(t, 1, srv.Requests(), "a malformed 200 is not retried")
		})
	}
}

func TestGetContextDeadline(t *testing.T) {
	srv := newServer(t)
	released := make(chan struct{})
	t.Cleanup(func() { close(released) }) // runs before the server's Close
	arrived := make(chan struct{}, 1)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-released:
		}
	})
	c := newClient(t, srv)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	job, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, atlas.ErrServer)
	select {
	case <-arrived:
	default:
		t.Fatal("the request never reached the handler, so the deadline was not tested in flight")
	}
	assert.EqualValues(t, 1, srv.Requests(), "a deadline is not retried")
}

func TestGetCancelledContextSendsNothing(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc("/", serveJob)
	c := newClient(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	job, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, srv.Requests())
}

func TestGetConcurrent(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		testWire(t, r, http.MethodGet, "Bearer "+testToken)
		serveJob(w, r)
	})
	c := newClient(t, srv)

	const n = 50
	for _, job := range getTogether(t, c, n) {
		assert.Equal(t, testExportID, job.ID)
	}
	assert.EqualValues(t, n, srv.Requests())
}

func TestRedirectRefused(t *testing.T) {
	// The other server stands for wherever a hostile or misconfigured proxy points: it must
	// not receive the request, nor the credential that would come with it.
	elsewhere := newServer(t)
	elsewhere.Mux.HandleFunc("/", serveJob)
	srv := newServer(t)
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})

	for name, opt := range map[string]atlas.Option{
		"default client": nil,
		// A caller's client that follows redirects does not change the SDK's policy.
		"caller's client": atlas.WithHTTPClient(&http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
		}),
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, srv, atlas.WithAccessToken(testToken), opt)
			job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			assert.Nil(t, job)
			require.ErrorIs(t, err, atlas.ErrRedirect)
			assert.NotContains(t, err.Error(), testToken)
		})
	}
	assert.EqualValues(t, 2, srv.Requests(), "one request per client, not retried")
	assert.Zero(t, elsewhere.Requests(), "the redirect target must receive nothing")
}
