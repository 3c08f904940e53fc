package atlas_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// assertOperationOnce checks that an error's text starts by naming the operation and names it
// only there: no layer repeats it, and net/http's `Get "http://..."` form does not appear.
func assertOperationOnce(t *testing.T, err error, method, path string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "atlas: "+method+" "+path+": "), "%q does not start with the operation", msg)
	assert.Equal(t, 1, strings.Count(msg, path), "%q names the path more than once", msg)
	for _, m := range []string{"Get", "Post", "Patch", "Delete"} {
		assert.NotContains(t, msg, m+` "`, "net/http's form of the operation")
	}
	assert.NotContains(t, msg, "http://", "the base URL is not part of the operation")
}

func TestErrorsNameTheOperationOnce(t *testing.T) {
	t.Parallel()
	const unknown = "0123456789abcdef01234567"
	unknownPath := exportsPath + "/" + unknown
	t.Run("an API error", func(t *testing.T) {
		_, c := fakeWithJob(t)
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, unknown)
		require.ErrorIs(t, err, atlas.ErrNotFound)
		assertOperationOnce(t, err, "GET", unknownPath)
		assert.Equal(t, "atlas: GET "+unknownPath+": 404 Not Found (EXPORT_JOB_NOT_FOUND): No export job with ID "+unknown+" exists for cluster "+testCluster+".", err.Error())
	})
	t.Run("a refused grant", func(t *testing.T) {
		srv := atlastest.NewServer()
		t.Cleanup(srv.Close)
		c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), atlas.WithServiceAccount(srv.ClientID, "wrong-secret"))
		require.NoError(t, err)
		_, err = c.Exports.Create(t.Context(), testGroupID, testCluster, createReq)
		require.ErrorIs(t, err, atlas.ErrUnauthorized)
		var grant *atlas.GrantError
		require.ErrorAs(t, err, &grant)
		assertOperationOnce(t, err, "POST", exportsPath)
		assert.True(t, strings.HasPrefix(err.Error(), "atlas: POST "+exportsPath+": service account token grant: 401 Unauthorized (invalid_client): Client authentication failed. Check "), err.Error())
		assert.Equal(t, 1, srv.Requests(atlastest.RouteToken), "one grant tried")
		assert.Zero(t, srv.TokenGrants())
		assert.Zero(t, srv.Requests(atlastest.RouteCreateExport), "the create was never sent")
	})
	t.Run("a connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		c, err := atlas.NewClient(atlas.WithBaseURL("http://"+addr), atlas.WithAccessToken(testToken), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
		require.NoError(t, err)
		_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		assert.Equal(t, "atlas: GET "+jobPath+": dial tcp "+addr+": connect: connection refused", err.Error())
	})
	t.Run("an invalid response", func(t *testing.T) {
		srv := newServer(t)
		srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, "null") })
		_, err := newClient(t, srv).Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.ErrorIs(t, err, atlas.ErrInvalidResponse)
		assertOperationOnce(t, err, "GET", jobPath)
		assert.True(t, strings.HasSuffix(err.Error(), "invalid response: the body is JSON null"), err.Error())
	})
	t.Run("a body over the cap", func(t *testing.T) {
		srv := newServer(t)
		srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(atlas.MaxResponseBytes+1))
			w.WriteHeader(http.StatusOK)
		})
		_, err := newClient(t, srv).Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.ErrorIs(t, err, atlas.ErrBodyTooLarge)
		require.ErrorIs(t, err, atlas.ErrInvalidResponse)
		assert.Equal(t, "atlas: GET "+jobPath+": response body too large: Content-Length 33554433 is over the 33554432-byte cap", err.Error())
	})
	t.Run("the context ended", func(t *testing.T) {
		srv := newServer(t)
		srv.Mux.HandleFunc(jobPath, serveJob)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := newClient(t, srv).Exports.Get(ctx, testGroupID, testCluster, testExportID)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "atlas: GET "+jobPath+": context canceled", err.Error())
	})
}

func TestRequestErrorUnwrapsToItsCause(t *testing.T) {
	t.Parallel()
	cause := &atlas.APIError{StatusCode: 404, ErrorCode: "RESOURCE_NOT_FOUND", Detail: "gone"}
	err := fmt.Errorf("exporting: %w", &atlas.RequestError{Method: "GET", Path: jobPath, Err: cause})
	assert.ErrorIs(t, err, atlas.ErrNotFound)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Same(t, cause, apiErr)
	var reqErr *atlas.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, "atlas: GET "+jobPath+": 404 Not Found (RESOURCE_NOT_FOUND): gone", reqErr.Error())
}

func TestInvalidArgumentError(t *testing.T) {
	t.Parallel()
	err := error(&atlas.InvalidArgumentError{Name: "groupID", Reason: "is empty"})
	assert.ErrorIs(t, err, atlas.ErrInvalidArgument)
	assert.Equal(t, "atlas: invalid groupID: is empty", err.Error())
}

func TestGrantErrorTemporary(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"429", &atlas.APIError{StatusCode: 429}, true},
		{"500", &atlas.APIError{StatusCode: 500}, true},
		{"503", &atlas.APIError{StatusCode: 503}, true},
		{"400 invalid_request", &atlas.APIError{StatusCode: 400, ErrorCode: "invalid_request"}, false},
		{"401 invalid_client", &atlas.APIError{StatusCode: 401, ErrorCode: "invalid_client"}, false},
		{"403", &atlas.APIError{StatusCode: 403}, false},
		{"no token in the answer", fmt.Errorf("%w: no access_token", atlas.ErrInvalidResponse), false},
		{"an endless answer", fmt.Errorf("%w: over the cap", atlas.ErrBodyTooLarge), false},
		{"redirected", fmt.Errorf("%w: to elsewhere", atlas.ErrRedirect), false},
		{"unreachable", dial, true},
		{"something else", errors.New("tls: handshake failure"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &atlas.GrantError{RetryAfter: time.Second, Err: tt.err}
			assert.Equal(t, tt.want, g.Temporary())
			assert.Equal(t, "service account token grant: "+strings.TrimPrefix(tt.err.Error(), "atlas: "), g.Error(), "the package is named once")
			assert.ErrorIs(t, g, tt.err)
		})
	}
}

func TestWaitErrorsSayWhatEnded(t *testing.T) {
	t.Parallel()
	job := &atlas.ExportJob{ID: testExportID, State: atlas.ExportStateFailed,
		StateReason: &atlas.StateReason{ErrorCode: "EXPORT_FAILED", Message: "bucket access denied"}}
	var err error = &atlas.ExportFailedError{Job: job}
	assert.ErrorIs(t, err, atlas.ErrExportFailed)
	assert.Equal(t, "atlas: export job "+testExportID+" ended Failed (EXPORT_FAILED): bucket access denied", err.Error())
	err = &atlas.ExportFailedError{Job: &atlas.ExportJob{ID: testExportID, State: atlas.ExportStateCancelled}}
	assert.Equal(t, "atlas: export job "+testExportID+" ended Cancelled", err.Error())

	err = &atlas.SnapshotFailedError{Snapshot: &atlas.Snapshot{ID: testSnapshot, Status: atlas.SnapshotStatusFailed}}
	assert.ErrorIs(t, err, atlas.ErrSnapshotFailed)
	assert.NotErrorIs(t, err, atlas.ErrExportFailed)
	assert.Equal(t, "atlas: snapshot "+testSnapshot+" ended failed", err.Error())
}

// TestFailedErrorsQuoteControlCharacters: the server's words in a failure are quoted when
// they hold a character a terminal or a log would act on; an error without its job or
// snapshot still has a text.
func TestFailedErrorsQuoteControlCharacters(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ message, want string }{
		{"plain words, ünïcode too", "plain words, ünïcode too"},
		{"line\r\nforged", `"line\r\nforged"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"c1 \u009b", `"c1 \u009b"`},
		{"del \x7f", `"del \x7f"`},
		{"bidi \u202e", `"bidi \u202e"`},
		{"bad \xff utf-8", `"bad \xff utf-8"`},
	} {
		err := &atlas.ExportFailedError{Job: &atlas.ExportJob{ID: testExportID, State: atlas.ExportStateFailed, StateReason: &atlas.StateReason{Message: tt.message}}}
		assert.Equal(t, "atlas: export job "+testExportID+" ended Failed: "+tt.want, err.Error())
	}
	err := &atlas.SnapshotFailedError{Snapshot: &atlas.Snapshot{ID: "x\ny", Status: "failed\x1b"}}
	assert.Equal(t, `atlas: snapshot "x\ny" ended "failed\x1b"`, err.Error())

	assert.Equal(t, atlas.ErrExportFailed.Error(), (&atlas.ExportFailedError{}).Error())
	assert.Equal(t, atlas.ErrSnapshotFailed.Error(), (&atlas.SnapshotFailedError{}).Error())
}

// Zero values a caller builds by hand (in a test double, say) print and fail without a panic.
func TestZeroValuesDoNotPanic(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "atlas:  : unknown", (&atlas.RequestError{}).Error())
	assert.Equal(t, "service account token grant: unknown", (&atlas.GrantError{}).Error())
	var c atlas.Client
	err := c.Do(t.Context(), &atlas.Request{Method: "GET", Path: "/api/atlas/v2", Version: "2023-01-01"}, nil)
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	require.ErrorIs(t, c.Close(t.Context()), atlas.ErrInvalidArgument)
}
