package atlas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

// clustersPath is an operation the services do not cover, for Client.Do.
const clustersPath = "/api/atlas/v2/groups/" + testGroupID + "/clusters"

func TestDoRefusesABadRequest(t *testing.T) {
	t.Parallel()
	ok := atlas.Request{Method: http.MethodGet, Path: clustersPath, Version: "2023-01-01"}
	with := func(change func(*atlas.Request)) *atlas.Request {
		r := ok
		change(&r)
		return &r
	}
	tests := []struct {
		name  string
		req   *atlas.Request
		param string
	}{
		{"nil", nil, "req"},
		{"no method", with(func(r *atlas.Request) { r.Method = "" }), "Request.Method"},
		{"lowercase method", with(func(r *atlas.Request) { r.Method = "get" }), "Request.Method"},
		{"CONNECT", with(func(r *atlas.Request) { r.Method = http.MethodConnect }), "Request.Method"},
		{"TRACE", with(func(r *atlas.Request) { r.Method = http.MethodTrace }), "Request.Method"},
		{"OPTIONS", with(func(r *atlas.Request) { r.Method = http.MethodOptions }), "Request.Method"},
		{"no path", with(func(r *atlas.Request) { r.Path = "" }), "Request.Path"},
		{"relative path", with(func(r *atlas.Request) { r.Path = "api/atlas/v2/groups" }), "Request.Path"},
		{"not under /api/", with(func(r *atlas.Request) { r.Path = "/admin/users" }), "Request.Path"},
		{"a whole URL", with(func(r *atlas.Request) { r.Path = "https://evil.example.com/api/atlas/v2" }), "Request.Path"},
		{"another host", with(func(r *atlas.Request) { r.Path = "//evil.example.com/api/atlas/v2" }), "Request.Path"},
		{"a query", with(func(r *atlas.Request) { r.Path = clustersPath + "?pageNum=2" }), "Request.Path"},
		{"an empty query", with(func(r *atlas.Request) { r.Path = clustersPath + "?" }), "Request.Path"},
		{"a fragment", with(func(r *atlas.Request) { r.Path = clustersPath + "#x" }), "Request.Path"},
		{"dot-dot", with(func(r *atlas.Request) { r.Path = "/api/../admin" }), "Request.Path"},
		{"dot-dot at the end", with(func(r *atlas.Request) { r.Path = "/api/atlas/.." }), "Request.Path"},
		{"dot", with(func(r *atlas.Request) { r.Path = "/api/./atlas" }), "Request.Path"},
		{"bad escape", with(func(r *atlas.Request) { r.Path = "/api/%zz" }), "Request.Path"},
		// Escaped dots and slashes: a server or proxy that decodes before resolving the path
		// would leave /api/ (issue 19).
		{"escaped dot-dots", with(func(r *atlas.Request) { r.Path = "/api/%2e%2e/%2e%2e/admin" }), "Request.Path"},
		{"escaped dot-dot in capitals", with(func(r *atlas.Request) { r.Path = "/api/atlas/%2E%2E" }), "Request.Path"},
		{"half-escaped dot-dot", with(func(r *atlas.Request) { r.Path = "/api/.%2e/admin" }), "Request.Path"},
		{"escaped dot", with(func(r *atlas.Request) { r.Path = "/api/%2e/atlas" }), "Request.Path"},
		{"escaped slash", with(func(r *atlas.Request) { r.Path = "/api/..%2fadmin" }), "Request.Path"},
		{"escaped slash in capitals", with(func(r *atlas.Request) { r.Path = clustersPath + "/a%2Fb" }), "Request.Path"},
		{"backslash", with(func(r *atlas.Request) { r.Path = "/api/..\\admin" }), "Request.Path"},
		{"escaped backslash", with(func(r *atlas.Request) { r.Path = "/api/..%5cadmin" }), "Request.Path"},
		{"an empty fragment", with(func(r *atlas.Request) { r.Path = clustersPath + "#" }), "Request.Path"},
		{"no version", with(func(r *atlas.Request) { r.Version = "" }), "Request.Version"},
		{"a media type for a version", with(func(r *atlas.Request) { r.Version = atlas.MediaType }), "Request.Version"},
		{"short date", with(func(r *atlas.Request) { r.Version = "2023-1-1" }), "Request.Version"},
		{"no such date", with(func(r *atlas.Request) { r.Version = "2023-13-01" }), "Request.Version"},
		{"v2", with(func(r *atlas.Request) { r.Version = "v2" }), "Request.Version"},
		{"a body that is not JSON", with(func(r *atlas.Request) { r.Method, r.Body = http.MethodPost, func() {} }), "Request.Body"},
	}
	srv := newServer(t)
	c := newClient(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Do(t.Context(), tt.req, nil)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tt.param, argErr.Name)
			if tt.param == "Request.Path" && tt.req.Path != "" {
				assert.NotContains(t, err.Error(), tt.req.Path, "a refused path is not repeated")
			}
		})
	}
	assert.Zero(t, srv.Requests(), "nothing was sent")
}

func TestDoSendsTheRequest(t *testing.T) {
	t.Parallel()
	const version = "2024-05-30"
	const mediaType = "application/vnd.atlas." + version + "+json"
	body := map[string]any{"name": "Cluster1", "n": 3}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(clustersPath+"/Cluster%3A1", func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, method, r.Method)
				assert.Equal(t, clustersPath+"/Cluster%3A1", r.URL.EscapedPath(), "the escaped path as given")
				assert.Equal(t, "2", r.URL.Query().Get("pageNum"))
				assert.Equal(t, "a b", r.URL.Query().Get("q"))
				assert.Equal(t, []string{mediaType}, r.Header.Values("Accept"))
				assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"))
				assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
				got, err := io.ReadAll(r.Body)
				assert.NoError(t, err)
				if method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete {
					assert.Empty(t, got)
					assert.Empty(t, r.Header.Values("Content-Type"), "no body, no Content-Type")
				} else {
					assert.JSONEq(t, `{"name":"Cluster1","n":3}`, string(got))
					assert.Equal(t, []string{mediaType}, r.Header.Values("Content-Type"))
				}
				w.Header().Set("Content-Type", mediaType)
				_, _ = io.WriteString(w, `{"ok":true}`)
			})
			req := &atlas.Request{Method: method, Path: clustersPath + "/Cluster%3A1", Version: version,
				Query: url.Values{"pageNum": {"2"}, "q": {"a b"}}}
			if method != http.MethodGet && method != http.MethodHead && method != http.MethodDelete {
				req.Body = body
			}
			require.NoError(t, newClient(t, srv).Do(t.Context(), req, nil))
			assert.EqualValues(t, 1, srv.Requests())
		})
	}
}

func TestDoDecodesTheAnswer(t *testing.T) {
	t.Parallel()
	const answer = `{"results":[{"name":"Cluster0","paused":false}],"totalCount":1}`
	srv := newServer(t)
	srv.Mux.HandleFunc(clustersPath, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, answer) })
	srv.Mux.HandleFunc(clustersPath+"/deleted", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusAccepted, "not JSON: discarded unread")
	})
	c := newClient(t, srv)
	get := &atlas.Request{Method: http.MethodGet, Path: clustersPath, Version: "2023-01-01"}

	var page struct {
		Results []struct {
			Name   string `json:"name"`
			Paused bool   `json:"paused"`
		} `json:"results"`
		TotalCount int `json:"totalCount"`
	}
	require.NoError(t, c.Do(t.Context(), get, &page))
	require.Len(t, page.Results, 1)
	assert.Equal(t, "Cluster0", page.Results[0].Name)
	assert.Equal(t, 1, page.TotalCount)

	var raw json.RawMessage
	require.NoError(t, c.Do(t.Context(), get, &raw))
	assert.JSONEq(t, answer, string(raw))

	require.NoError(t, c.Do(t.Context(), &atlas.Request{Method: http.MethodDelete, Path: clustersPath + "/deleted", Version: "2023-01-01"}, nil),
		"out == nil discards the body, whatever it holds")

	// A body that does not fit the caller's type is an invalid response.
	var wrongShape struct{ Results string }
	err := c.Do(t.Context(), get, &wrongShape)
	require.ErrorIs(t, err, atlas.ErrInvalidResponse)
	// encoding/json's own words differ between Go versions (1.27 names the field by its JSON
	// key); the SDK's part of the text does not.
	assert.True(t, strings.HasPrefix(err.Error(), "atlas: GET "+clustersPath+": invalid response: json: cannot unmarshal array into Go struct field "), err.Error())
}

// A JSON null decodes into anything as nothing at all: Do answers it as the services do,
// with ErrInvalidResponse, whatever out is, rather than nil and a zero value.
func TestDoRefusesAJSONNull(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Mux.HandleFunc(clustersPath, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, " null\n") })
	c := newClient(t, srv)
	get := &atlas.Request{Method: http.MethodGet, Path: clustersPath, Version: "2023-01-01"}
	for _, out := range []any{new(map[string]any), new(any), new(struct{ Name string })} {
		err := c.Do(t.Context(), get, out)
		require.ErrorIs(t, err, atlas.ErrInvalidResponse)
		assert.Contains(t, err.Error(), "the body is JSON null")
	}
}

func TestDoRetriesByMethod(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		method   string
		status   int
		attempts int
	}{
		{http.MethodGet, 503, 3},
		{http.MethodHead, 503, 3},
		{http.MethodPut, 503, 3},
		{http.MethodPatch, 503, 3},
		{http.MethodDelete, 503, 3},
		{http.MethodPost, 503, 1}, // may have created something
		{http.MethodPost, 429, 3}, // refused unprocessed
	} {
		t.Run(fmt.Sprint(tt.method, " ", tt.status), func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(clustersPath, func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, tt.status, fmt.Sprintf(`{"error":%d,"errorCode":"X","reason":"r"}`, tt.status))
			})
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			err := c.Do(t.Context(), &atlas.Request{Method: tt.method, Path: clustersPath, Version: "2023-01-01", Body: map[string]int{}}, nil)
			var reqErr *atlas.RequestError
			require.ErrorAs(t, err, &reqErr)
			assert.Equal(t, tt.method, reqErr.Method)
			assert.Equal(t, clustersPath, reqErr.Path)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.EqualValues(t, tt.attempts, srv.Requests())
			assert.Len(t, slept.Waits(), tt.attempts-1)
		})
	}
}

// contextCalls calls every exported method that takes a context with ctx, and otherwise
// valid arguments.
func contextCalls(c *atlas.Client, ctx context.Context) map[string]func() (any, error) {
	const g, cl, id = testGroupID, testCluster, testExportID
	first := func(seq func(func(any, error) bool)) (any, error) {
		var v any
		var err error
		seq(func(x any, e error) bool { v, err = x, e; return false })
		return v, err
	}
	bucket := &atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderAWS, BucketName: "exports", IAMRoleID: testBucket}
	return map[string]func() (any, error){
		"Exports.Get":    func() (any, error) { return c.Exports.Get(ctx, g, cl, id) },
		"Exports.List":   func() (any, error) { return c.Exports.List(ctx, g, cl, nil) },
		"Exports.Create": func() (any, error) { return c.Exports.Create(ctx, g, cl, createReq) },
		"Exports.Ensure": func() (any, error) { return c.Exports.Ensure(ctx, g, cl, createReq) },
		"Exports.Wait":   func() (any, error) { return c.Exports.Wait(ctx, g, cl, id, nil) },
		"Exports.All": func() (any, error) {
			return first(func(y func(any, error) bool) {
				for j, err := range c.Exports.All(ctx, g, cl, nil) {
					if !y(j, err) {
						return
					}
				}
			})
		},
		"ExportBuckets.List":   func() (any, error) { return c.ExportBuckets.List(ctx, g, nil) },
		"ExportBuckets.Get":    func() (any, error) { return c.ExportBuckets.Get(ctx, g, testBucket) },
		"ExportBuckets.Create": func() (any, error) { return c.ExportBuckets.Create(ctx, g, bucket) },
		"ExportBuckets.Update": func() (any, error) {
			return c.ExportBuckets.Update(ctx, g, testBucket, &atlas.UpdateExportBucketRequest{})
		},
		"ExportBuckets.Delete": func() (any, error) { return nil, c.ExportBuckets.Delete(ctx, g, testBucket) },
		"ExportBuckets.All": func() (any, error) {
			return first(func(y func(any, error) bool) {
				for b, err := range c.ExportBuckets.All(ctx, g, nil) {
					if !y(b, err) {
						return
					}
				}
			})
		},
		"Snapshots.List":        func() (any, error) { return c.Snapshots.List(ctx, g, cl, nil) },
		"Snapshots.ListSharded": func() (any, error) { return c.Snapshots.ListSharded(ctx, g, cl, nil) },
		"Snapshots.Get":         func() (any, error) { return c.Snapshots.Get(ctx, g, cl, testSnapshot) },
		"Snapshots.GetSharded":  func() (any, error) { return c.Snapshots.GetSharded(ctx, g, cl, testSnapshot) },
		"Snapshots.Take":        func() (any, error) { return c.Snapshots.Take(ctx, g, cl, nil) },
		"Snapshots.Latest":      func() (any, error) { return c.Snapshots.Latest(ctx, g, cl) },
		"Snapshots.Wait":        func() (any, error) { return c.Snapshots.Wait(ctx, g, cl, testSnapshot, nil) },
		"Snapshots.All": func() (any, error) {
			return first(func(y func(any, error) bool) {
				for s, err := range c.Snapshots.All(ctx, g, cl, nil) {
					if !y(s, err) {
						return
					}
				}
			})
		},
		"Client.Do": func() (any, error) {
			return nil, c.Do(ctx, &atlas.Request{Method: http.MethodGet, Path: clustersPath, Version: "2023-01-01"}, nil)
		},
	}
}

func TestNilContextIsAnInvalidArgument(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Mux.HandleFunc("/", serveJob)
	c := newClient(t, srv)
	calls := contextCalls(c, nil)
	require.Len(t, calls, 21, "every exported method that takes a context")
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var v any
			var err error
			require.NotPanics(t, func() { v, err = call() })
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, "ctx", argErr.Name)
			assert.Nil(t, v, "no result with an error")
		})
	}
	assert.Zero(t, srv.Requests(), "nothing was sent")
}

func TestEndedContextSendsNothing(t *testing.T) {
	t.Parallel()
	// A call whose context has already ended sends nothing, in any auth mode: no grant that
	// would outlive it, no challenge, no request.
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	modes := map[string]atlas.Option{
		"access token":    atlas.WithAccessToken(testToken),
		"service account": atlas.WithServiceAccount("mdb_sa_id_0123", "mdb_sa_sk_0123"),
		"digest":          atlas.WithDigest("public", "private"),
	}
	for mode, auth := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.Mux.HandleFunc("/", serveJob)
			c := newClient(t, srv, auth)
			for name, call := range contextCalls(c, ended) {
				var v any
				var err error
				require.NotPanics(t, func() { v, err = call() }, name)
				require.ErrorIs(t, err, context.Canceled, name)
				assert.Nil(t, v, "%s: no result with an error", name)
			}
			// Close waits for a grant in flight; revoking what it granted would be counted too.
			require.NoError(t, c.Close(t.Context()))
			assert.Zero(t, srv.Requests(), "nothing was sent")
		})
	}
}

func TestGetAnsweringAboutAnotherResourceIsInvalid(t *testing.T) {
	t.Parallel()
	// A server, or something between, that answers with another document than the one asked
	// for is not answering the question: the caller must not act on it.
	const other = "0123456789abcdef01234567"
	srv := newServer(t)
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"id":"`+other+`","_id":"`+other+`","state":"Successful","status":"completed"}`)
	})
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
	snapshots := "/api/atlas/v2/groups/" + testGroupID + "/clusters/" + testCluster + "/backup/snapshots/"
	bucket := "/api/atlas/v2/groups/" + testGroupID + "/backup/exportBuckets/" + testBucket
	for _, tt := range []struct {
		name, method, path, what, id string
		call                         func() (any, error)
	}{
		{"Exports.Get", "GET", jobPath, "export job", testExportID, func() (any, error) {
			return c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		}},
		{"Exports.Wait", "GET", jobPath, "export job", testExportID, func() (any, error) {
			return c.Exports.Wait(t.Context(), testGroupID, testCluster, testExportID, nil)
		}},
		{"Snapshots.Get", "GET", snapshots + testSnapshot, "snapshot", testSnapshot, func() (any, error) {
			return c.Snapshots.Get(t.Context(), testGroupID, testCluster, testSnapshot)
		}},
		{"Snapshots.GetSharded", "GET", snapshots + "shardedCluster/" + testSnapshot, "snapshot", testSnapshot, func() (any, error) {
			return c.Snapshots.GetSharded(t.Context(), testGroupID, testCluster, testSnapshot)
		}},
		{"Snapshots.Wait", "GET", snapshots + testSnapshot, "snapshot", testSnapshot, func() (any, error) {
			return c.Snapshots.Wait(t.Context(), testGroupID, testCluster, testSnapshot, nil)
		}},
		{"ExportBuckets.Get", "GET", bucket, "export bucket", testBucket, func() (any, error) {
			return c.ExportBuckets.Get(t.Context(), testGroupID, testBucket)
		}},
		{"ExportBuckets.Update", "PATCH", bucket, "export bucket", testBucket, func() (any, error) {
			return c.ExportBuckets.Update(t.Context(), testGroupID, testBucket, &atlas.UpdateExportBucketRequest{})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Requests()
			v, err := tt.call()
			assert.Nil(t, v)
			require.ErrorIs(t, err, atlas.ErrInvalidResponse)
			assert.Equal(t, fmt.Sprintf("atlas: %s %s: invalid response: asked for %s %s, got %q", tt.method, tt.path, tt.what, tt.id, other), err.Error())
			assert.Equal(t, before+1, srv.Requests(), "one request: an answer about something else is not retried")
		})
	}
}
