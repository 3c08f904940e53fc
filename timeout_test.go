package atlas_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

// TestAttemptTimeoutEndsAStalledAnswer stalls the server before its headers and in the middle
// of a body: each attempt ends at the attempt timeout with an error that says so, whatever
// the caller's context. A read is tried again, as after any timeout; a create whose request
// may have arrived is not.
func TestAttemptTimeoutEndsAStalledAnswer(t *testing.T) {
	t.Parallel()
	stalls := map[string]func(w http.ResponseWriter){
		"before the headers": func(http.ResponseWriter) {},
		"in the middle of the body": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"id":"`)
			_ = http.NewResponseController(w).Flush()
		},
	}
	for name, stall := range stalls {
		for _, create := range []bool{false, true} {
			op := "read"
			if create {
				op = "create"
			}
			t.Run(name+"/"+op, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t)
				released := make(chan struct{})
				t.Cleanup(func() { close(released) }) // before the server closes
				srv.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
					stall(w)
					select {
					case <-r.Context().Done():
					case <-released:
					}
				})
				c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry),
					atlas.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
				var (
					job *atlas.ExportJob
					err error
				)
				if create {
					job, err = c.Exports.Create(context.Background(), testGroupID, testCluster, createReq)
				} else {
					job, err = c.Exports.Get(context.Background(), testGroupID, testCluster, testExportID)
				}
				assert.Nil(t, job)
				require.ErrorIs(t, err, context.DeadlineExceeded)
				var timeout interface{ Timeout() bool }
				require.ErrorAs(t, err, &timeout)
				assert.True(t, timeout.Timeout())
				assert.Contains(t, err.Error(), "no complete answer within the 50ms attempt timeout")
				want := int64(fastRetry.MaxAttempts)
				if create {
					want = 1
				}
				assert.Equal(t, want, srv.Requests())
			})
		}
	}
}

// TestASoonerCallerDeadlineIsKept checks the context each attempt's request carries on the
// wire: the caller's own, deadline and all, when it ends before the attempt timeout would
// (the attempt then costs no clock entry), and otherwise one that the client can end, without
// a deadline of its own (the client's clock ends it: timeout_internal_test.go).
func TestASoonerCallerDeadlineIsKept(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		timeout time.Duration // WithHTTPClient's
		caller  time.Duration // until the caller's deadline; zero for none
		kept    bool          // the request carries the caller's deadline
	}{
		{"no deadline anywhere", 0, 0, false},
		{"the caller's, later than the default", 0, 2 * time.Hour, false},
		{"the caller's, sooner than the default", 0, 30 * time.Second, true},
		{"the caller's, later than the Timeout", time.Second, 30 * time.Second, false},
		{"the caller's, sooner than the Timeout", 5 * time.Minute, 2 * time.Minute, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, serveJob)
			var (
				deadline   time.Time
				bounded    bool
				cancelable bool
			)
			record := roundTripper(func(req *http.Request) (*http.Response, error) {
				deadline, bounded = req.Context().Deadline()
				cancelable = req.Context().Done() != nil
				return http.DefaultTransport.RoundTrip(req)
			})
			c := newClient(t, srv, atlas.WithAccessToken(testToken),
				atlas.WithHTTPClient(&http.Client{Transport: record, Timeout: tt.timeout}))
			ctx := context.Background()
			if tt.caller > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.caller)
				defer cancel()
			}
			_, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
			require.NoError(t, err)
			assert.True(t, cancelable, "every attempt can be ended")
			callers, hasDeadline := ctx.Deadline()
			assert.Equal(t, hasDeadline, bounded)
			if tt.kept {
				assert.Equal(t, callers, deadline)
			}
		})
	}
}

// roundTripper is a func as an http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
