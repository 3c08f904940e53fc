package atlastest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestFaultStatusAndRetryAfter(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})

	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Times: 2, Status: http.StatusServiceUnavailable,
		RetryAfter: 1500 * time.Millisecond})
	srv.InjectFault(atlastest.Fault{Status: http.StatusTooManyRequests})
	assert.Equal(t, 3, srv.PendingFaults())

	// The list route skips the getExport fault and takes the catch-all one.
	resp := bearerGet(t, hc, exportsURL(srv, ""), token)
	requireAPIError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
	for range 2 {
		resp = bearerGet(t, hc, exportsURL(srv, id), token)
		assert.Equal(t, "2", resp.Header.Get("Retry-After"))
		e := requireAPIError(t, resp, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
		assert.Equal(t, "Service Unavailable", e.Reason)
	}
	assert.Zero(t, srv.PendingFaults())
	readJob(t, bearerGet(t, hc, exportsURL(srv, id), token))
	assert.Equal(t, 3, srv.Requests(atlastest.RouteGetExport), "faulted requests count")

	t.Run("raw body", func(t *testing.T) {
		srv.InjectFault(atlastest.Fault{Status: http.StatusBadGateway, Body: []byte("<html>bad gateway</html>"),
			Header: http.Header{"Content-Type": {"text/html"}, rawBodyHeader: {"1"}}})
		resp := bearerGet(t, hc, exportsURL(srv, id), token)
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
		assert.Equal(t, "text/html", resp.Header.Get("Content-Type"))
		drain(resp)
	})
	t.Run("specific errorCode before authentication", func(t *testing.T) {
		srv.InjectFault(atlastest.Fault{Status: http.StatusInternalServerError, ErrorCode: "CLOUD_PROVIDER_UNAVAILABLE"})
		resp, err := hc.Get(exportsURL(srv, id))
		require.NoError(t, err)
		requireAPIError(t, resp, http.StatusInternalServerError, "CLOUD_PROVIDER_UNAVAILABLE")
	})
	t.Run("ClearFaults", func(t *testing.T) {
		srv.InjectFault(atlastest.Fault{Status: http.StatusInternalServerError, Times: 5})
		srv.ClearFaults()
		readJob(t, bearerGet(t, hc, exportsURL(srv, id), token))
	})
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)

	t.Run("then served", func(t *testing.T) {
		srv.InjectFault(atlastest.Fault{Delay: 20 * time.Millisecond})
		start := time.Now()
		resp := bearerGet(t, hc, exportsURL(srv, ""), token)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
		drain(resp)
	})
	t.Run("client gives up", func(t *testing.T) {
		srv.InjectFault(atlastest.Fault{Delay: time.Hour, Route: atlastest.RouteListExports})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, exportsURL(srv, ""), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		_, err := hc.Do(req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("server closes", func(t *testing.T) {
		other := newServer(t)
		other.InjectFault(atlastest.Fault{Delay: time.Hour})
		wrote := make(chan struct{})
		ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) },
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, other.URL+"/api/oauth/token", nil)
		type outcome struct {
			status int
			err    error
		}
		done := make(chan outcome, 1)
		go func() {
			resp, err := newClient(t).Do(req)
			if err != nil {
				done <- outcome{err: err}
				return
			}
			drain(resp)
			done <- outcome{status: resp.StatusCode}
		}()
		<-wrote
		other.Close() // must not wait an hour
		// Either the connection closed under the delayed request or, when Close reached the
		// server before the request did, the request was refused with 503.
		if o := <-done; o.err == nil {
			assert.Equal(t, http.StatusServiceUnavailable, o.status)
		}
	})
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteCreateExport, Drop: true})

	req, _ := http.NewRequest(http.MethodPost, exportsURL(srv, ""), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	_, err := hc.Do(req) // a POST is not retried by the transport
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
	assert.Equal(t, 1, srv.Requests(atlastest.RouteCreateExport))

	resp := bearerGet(t, hc, exportsURL(srv, ""), token)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the next request is served")
	drain(resp)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithRateLimit(rate.Every(30*time.Second), 2))
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	get := func() *http.Response { return bearerGet(t, hc, exportsURL(srv, ""), token) }

	for _, remaining := range []string{"1", "0"} {
		resp := get()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "2", resp.Header.Get("RateLimit-Limit"))
		assert.Equal(t, remaining, resp.Header.Get("RateLimit-Remaining"))
		drain(resp)
	}
	resp := get()
	assert.Equal(t, "2", resp.Header.Get("RateLimit-Limit"))
	assert.Equal(t, "0", resp.Header.Get("RateLimit-Remaining"))
	assert.Equal(t, "30", resp.Header.Get("Retry-After"))
	requireAPIError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")

	clk.Advance(20 * time.Second)
	resp = get()
	assert.Equal(t, "10", resp.Header.Get("Retry-After"))
	requireAPIError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")

	clk.Advance(10 * time.Second)
	resp = get()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	drain(resp)

	// Unauthenticated requests are refused before they reach the bucket.
	resp, err := hc.Get(exportsURL(srv, ""))
	require.NoError(t, err)
	assert.Empty(t, resp.Header.Get("RateLimit-Limit"))
	drain(resp)

	t.Run("no limit, no headers", func(t *testing.T) {
		other := newServer(t)
		resp := bearerGet(t, hc, exportsURL(other, ""), bearerToken(t, hc, other))
		assert.Empty(t, resp.Header.Get("RateLimit-Limit"))
		assert.Empty(t, resp.Header.Get("RateLimit-Remaining"))
		drain(resp)
	})
}

func TestTokenRateLimit(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTokenRateLimit(rate.Every(6*time.Second), 1))
	hc := newClient(t)
	bearerToken(t, hc, srv)
	resp := postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")
	assert.Equal(t, "6", resp.Header.Get("Retry-After"))
	requireAPIError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
	assert.Equal(t, 1, srv.TokenGrants())
	clk.Advance(6 * time.Second)
	bearerToken(t, hc, srv)
	assert.Equal(t, 2, srv.TokenGrants())
}

func TestCounters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	d := newDigest(t, srv)
	drain(d.get(exportsURL(srv, "")))
	drain(d.get(exportsURL(srv, id)))
	drain(d.do(http.MethodPost, exportsURL(srv, ""), []byte(`{}`), http.Header{"Content-Type": {"application/json"}}))
	drain(d.get(srv.URL + "/nowhere"))
	bearerToken(t, newClient(t), srv)

	assert.Equal(t, map[string]int{
		atlastest.RouteListExports: 2, atlastest.RouteGetExport: 1, atlastest.RouteCreateExport: 1,
		atlastest.RouteUnknown: 1, atlastest.RouteToken: 1, atlastest.RouteRevoke: 0,
	}, map[string]int{
		atlastest.RouteListExports:  srv.Requests(atlastest.RouteListExports),
		atlastest.RouteGetExport:    srv.Requests(atlastest.RouteGetExport),
		atlastest.RouteCreateExport: srv.Requests(atlastest.RouteCreateExport),
		atlastest.RouteUnknown:      srv.Requests(atlastest.RouteUnknown),
		atlastest.RouteToken:        srv.Requests(atlastest.RouteToken),
		atlastest.RouteRevoke:       srv.Requests(atlastest.RouteRevoke),
	})
	assert.Equal(t, 6, srv.Requests(""))
	assert.Equal(t, 1, srv.DigestChallenges())
	assert.Equal(t, 1, srv.TokenGrants())

	srv.ResetCounters()
	assert.Zero(t, srv.Requests(""))
	assert.Zero(t, srv.DigestChallenges())
	assert.Zero(t, srv.TokenGrants())
	// Resetting counters keeps the nonce: the client goes on without a new challenge.
	drain(d.get(exportsURL(srv, id)))
	assert.Zero(t, srv.DigestChallenges())
}
