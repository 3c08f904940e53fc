package atlas

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// redirectRetries would retry a retryable error at once, so that a redirect wrongly treated
// as retryable shows as a second request instead of a slow test.
var redirectRetries = WithRetry(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond})

// TestRedirectsAreRefusedInEveryAuthMode answers an authenticated request with each redirect
// status, to another server and to the same one, and checks that the client refuses it with
// ErrRedirect and that nothing, credentials included, reaches the redirect's target.
func TestRedirectsAreRefusedInEveryAuthMode(t *testing.T) {
	ops := []struct {
		name string
		call func(*Client) (*ExportJob, error)
	}{
		{"get", func(c *Client) (*ExportJob, error) {
			return c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
		}},
		{"create", func(c *Client) (*ExportJob, error) {
			return c.Exports.Create(context.Background(), secGroupID, secCluster, &CreateExportJobRequest{SnapshotID: secExportID, ExportBucketID: secExportID})
		}},
	}
	for _, mode := range secModes() {
		for _, status := range []int{301, 302, 303, 307, 308} {
			for _, sameHost := range []bool{false, true} {
				for _, op := range ops {
					name := mode.name + "/" + strconv.Itoa(status) + "/same-host=" + strconv.FormatBool(sameHost) + "/" + op.name
					t.Run(name, func(t *testing.T) {
						var elsewhere atomic.Int32
						other := secServer(t, func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) })
						target := other.URL + "/api/atlas/v2/moved"
						if sameHost {
							target = "/api/atlas/v2/moved"
						}
						var redirected, moved atomic.Int32
						srv := secAuthServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
							if r.URL.Path == "/api/atlas/v2/moved" {
								moved.Add(1)
								return
							}
							if !mode.want(r) {
								t.Errorf("the API got Authorization %q, not this mode's credential", r.Header.Get("Authorization"))
							}
							redirected.Add(1)
							w.Header().Set("Location", target)
							w.WriteHeader(status)
						})
						c := secClient(t, srv.URL, mode.option, redirectRetries)

						job, err := op.call(c)
						if job != nil || !errors.Is(err, ErrRedirect) {
							t.Fatalf("got job %v, err %v; want ErrRedirect", job != nil, err)
						}
						if !strings.Contains(err.Error(), "moved") {
							t.Errorf("err = %q, does not say where the redirect pointed", err)
						}
						if n := redirected.Load(); n != 1 {
							t.Errorf("the API redirected %d requests, want 1 (no retry of a refused redirect)", n)
						}
						if n := moved.Load() + elsewhere.Load(); n != 0 {
							t.Errorf("the redirect's target received %d requests, want 0", n)
						}
					})
				}
			}
		}
	}
}

// TestTokenEndpointRedirectIsRefused makes the service-account token endpoint redirect: the
// client secret must not follow it, and no API request goes out without a token.
func TestTokenEndpointRedirectIsRefused(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var elsewhere, grants, api atomic.Int32
			other := secServer(t, func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) })
			srv := secAuthServer(t, func(w http.ResponseWriter, r *http.Request) {
				grants.Add(1)
				w.Header().Set("Location", other.URL+tokenPath)
				w.WriteHeader(status)
			}, func(w http.ResponseWriter, r *http.Request) { api.Add(1) })
			c := secClient(t, srv.URL, WithServiceAccount(canaryClientID, canaryClientSecret), redirectRetries)

			job, err := c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
			if job != nil || !errors.Is(err, ErrRedirect) {
				t.Fatalf("got job %v, err %v; want ErrRedirect", job != nil, err)
			}
			if n := grants.Load(); n != 1 {
				t.Errorf("the token endpoint got %d requests, want 1 (no retry of a refused redirect)", n)
			}
			if n := elsewhere.Load(); n != 0 {
				t.Errorf("the redirect's target received %d requests, want 0", n)
			}
			if n := api.Load(); n != 0 {
				t.Errorf("the API received %d requests without a token, want 0", n)
			}
		})
	}
}
