package atlas

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultAttemptTimeout bounds each attempt of a request, from sending it to the last byte of
// its answer, when WithHTTPClient gives no Timeout: it is the Timeout of the *http.Client the
// SDK sends with, so a server that stops answering, before its headers or in the middle of a
// body, ends the attempt rather than holding the call forever. A context that ends sooner ends
// the attempt sooner. An attempt cut off by it fails with an error matching
// context.DeadlineExceeded whose Timeout method reports true; reads are tried again as after
// any timeout.
const DefaultAttemptTimeout = time.Minute

// defaultMaxConns caps the default transport's connections to the API host.
const defaultMaxConns = 64

// newDefaultTransport is a transport tuned for one API host under concurrency, with timeouts
// for dialing and TLS. The response, headers and body alike, is bounded by the attempt's
// timeout (DefaultAttemptTimeout), not by a timer of the transport's own.
//
// MaxConnsPerHost equals MaxIdleConnsPerHost so that connections are opened once and reused:
// without the cap, a request issued just before the previous response's connection returns to
// the idle pool dials another, and a pool already full closes the surplus, so busy clients keep
// dialing (70-80 connections per 10,000 calls from 64 goroutines, see bench/). With it, a call
// beyond the 64th in flight waits for a connection instead, which its context can end.
func newDefaultTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    defaultMaxConns,
		MaxConnsPerHost:        defaultMaxConns,
		MaxResponseHeaderBytes: 64 << 10, // the API's are a few hundred bytes; net/http's default allows 10 MiB
	}
}

// discard reads what little is left of a body the client will not use, so that a short one
// leaves its connection reusable, and closes it. A long or endless body is not read: closing
// drops its connection instead.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}

// closeIdle closes the idle connections of a transport that keeps them.
func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// refuseRedirect is the CheckRedirect of every *http.Client the SDK builds: the API does not
// redirect, and following a redirect would send credentials to wherever it points. The target
// is shown without user info, query or fragment, which can carry credentials. http.Client
// returns the error inside a *url.Error, whose own text has the request's raw URL: callers
// unwrap it before showing it. net/http sets req.Response, the 3xx, on every redirect.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("%w: the server answered %d, redirecting to %s", ErrRedirect, req.Response.StatusCode, shownURL(req.URL))
}
