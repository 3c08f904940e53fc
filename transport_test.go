package atlas_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

// redirectRetries would retry a retryable error at once, so that a redirect wrongly treated
// as retryable shows as a second request.
var redirectRetries = atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 3, MinBackoff: 1, MaxBackoff: 1})

// TestRedirectsAreRefused answers an authenticated request with each redirect status, to
// another server and to the same one, in every auth mode: the client refuses it with
// ErrRedirect, and nothing, credentials included, reaches the redirect's target.
func TestRedirectsAreRefused(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	calls := map[string]func(*atlas.Client) (*atlas.ExportJob, error){
		"get": func(c *atlas.Client) (*atlas.ExportJob, error) {
			return c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		},
		"create": func(c *atlas.Client) (*atlas.ExportJob, error) {
			return c.Exports.Create(t.Context(), testGroupID, testCluster, createReq)
		},
	}
	modes := append(authModes(), authMode{"caller's client that follows redirects", atlas.WithHTTPClient(&http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
	}), []atlas.Option{atlas.WithAccessToken(canaryAccessToken)}})
	for _, mode := range modes {
		for _, status := range []int{301, 302, 303, 307, 308} {
			for _, sameHost := range []bool{false, true} {
				for op, call := range calls {
					t.Run(fmt.Sprintf("%s/%d/same host %v/%s", mode.name, status, sameHost, op), func(t *testing.T) {
						target := other.URL + "/api/atlas/v2/moved"
						if sameHost {
							target = "/api/atlas/v2/moved"
						}
						var redirected, moved atomic.Int32
						srv := newFront(t, nil, func(w http.ResponseWriter, r *http.Request) {
							if r.URL.Path == "/api/atlas/v2/moved" {
								moved.Add(1)
								return
							}
							redirected.Add(1)
							w.Header().Set("Location", target)
							w.WriteHeader(status)
						})
						c, err := atlas.NewClient(append([]atlas.Option{atlas.WithBaseURL(srv.URL), mode.option, redirectRetries}, mode.extra...)...)
						require.NoError(t, err)
						before := elsewhere.Load()

						job, err := call(c)
						assert.Nil(t, job)
						require.ErrorIs(t, err, atlas.ErrRedirect)
						assert.Contains(t, err.Error(), fmt.Sprintf("the server answered %d, redirecting to ", status))
						assert.Contains(t, err.Error(), "/api/atlas/v2/moved", "where the redirect pointed")
						assert.EqualValues(t, 1, redirected.Load(), "no retry of a refused redirect")
						assert.Zero(t, moved.Load()+elsewhere.Load()-before, "the redirect's target received nothing")
					})
				}
			}
		}
	}
}

// TestTokenEndpointRedirectIsRefused makes the token endpoint redirect: the client secret must
// not follow it, and no API request goes out without a token.
func TestTokenEndpointRedirectIsRefused(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var grants, api atomic.Int32
			srv := newFront(t, func(w http.ResponseWriter, r *http.Request) {
				grants.Add(1)
				w.Header().Set("Location", other.URL+"/api/oauth/token")
				w.WriteHeader(status)
			}, func(http.ResponseWriter, *http.Request) { api.Add(1) })
			c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), atlas.WithServiceAccount(canaryClientID, canaryClientSecret), redirectRetries)
			require.NoError(t, err)

			job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			assert.Nil(t, job)
			require.ErrorIs(t, err, atlas.ErrRedirect)
			assert.Contains(t, err.Error(), "service account token grant: ")
			assert.EqualValues(t, 1, grants.Load(), "no retry of a refused redirect")
			assert.Zero(t, elsewhere.Load(), "the redirect's target received nothing")
			assert.Zero(t, api.Load(), "no API request without a token")
		})
	}
}

// callerWithoutTransport is a caller's *http.Client without a Transport, which means the
// SDK's default transport, not http.DefaultTransport.
var callerWithoutTransport = authMode{"caller's client without transport", atlas.WithHTTPClient(&http.Client{}),
	[]atlas.Option{atlas.WithAccessToken(canaryAccessToken)}}

// getJobAs makes one Get of the test job from base in mode, retries off.
func getJobAs(t *testing.T, base string, mode authMode) error {
	t.Helper()
	c, err := atlas.NewClient(append([]atlas.Option{atlas.WithBaseURL(base), mode.option, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1})}, mode.extra...)...)
	require.NoError(t, err)
	_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	return err
}

// tlsServer starts a TLS server limited to versions minV to maxV, counting the API requests
// that get through, with its handshake errors kept out of the test's output.
func tlsServer(t *testing.T, minV, maxV uint16, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		serveJob(w, r)
	}))
	srv.TLS = &tls.Config{MinVersion: minV, MaxVersion: maxV}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTLS11ServerIsRefused makes real handshakes: the SDK's default transport, in every auth
// mode, refuses a server that speaks at most TLS 1.1 before any request is sent. Two
// controls keep the test honest: with a TLS 1.2+ server the same client gets past the version
// and fails only on the test server's certificate, which it does not trust; and a client that
// allows TLS 1.0 does reach the TLS 1.1 server.
func TestTLS11ServerIsRefused(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	var modern, old atomic.Int32
	modernSrv := tlsServer(t, tls.VersionTLS12, 0, &modern)
	oldSrv := tlsServer(t, tls.VersionTLS10, tls.VersionTLS11, &old)
	for _, mode := range append(authModes(), callerWithoutTransport) {
		t.Run(mode.name, func(t *testing.T) {
			var certErr *tls.CertificateVerificationError
			require.ErrorAs(t, getJobAs(t, modernSrv.URL, mode), &certErr, "control: past the version, only the certificate fails")
			err := getJobAs(t, oldSrv.URL, mode)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "protocol version")
			assert.NotErrorAs(t, err, &certErr)
		})
	}
	assert.Zero(t, modern.Load()+old.Load(), "no request got through")

	// Control: the server does speak TLS 1.1 to a client that allows it.
	roots := x509.NewCertPool()
	roots.AddCert(oldSrv.Certificate())
	loose := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10}}
	defer loose.CloseIdleConnections()
	resp, err := (&http.Client{Transport: loose}).Get(oldSrv.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NotNil(t, resp.TLS)
	assert.Equal(t, uint16(tls.VersionTLS11), resp.TLS.Version)
}

// failingTransport fails every request: it stands in for http.DefaultTransport to prove that
// the SDK never uses it.
type failingTransport struct{ n atomic.Int64 }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.n.Add(1)
	return nil, fmt.Errorf("http.DefaultTransport was used")
}

func TestDefaultTransportIsTheSDKsOwn(t *testing.T) {
	// Not parallel: it swaps a global, and restores it before any parallel test runs.
	saved := http.DefaultTransport
	failing := &failingTransport{}
	http.DefaultTransport = failing
	t.Cleanup(func() { http.DefaultTransport = saved })

	srv := newFront(t, nil, serveJob)
	for _, mode := range append(authModes(), callerWithoutTransport) {
		require.NoError(t, getJobAs(t, srv.URL, mode), mode.name)
	}
	assert.Zero(t, failing.n.Load())
}

// rawServer answers each connection on a loopback port with the bytes respond returns for its
// request, written as they are: net/http's server would refuse to send what these tests need.
func rawServer(t *testing.T, respond func(r *http.Request) string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			if r, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
				_, _ = io.WriteString(conn, respond(r))
			}
			_ = conn.Close()
		}
	})
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	return "http://" + l.Addr().String()
}

// TestMalformedResponsesQuotingACredential answers with a response net/http cannot parse and
// whose broken part holds the credential the request carried: net/http's error quotes it,
// and the SDK must not pass it on.
func TestMalformedResponsesQuotingACredential(t *testing.T) {
	t.Parallel()
	const granted = "CANARY-GRANTED-TOKEN-c06b4d"
	grant := `{"access_token":"` + granted + `","token_type":"Bearer","expires_in":3600}`
	malformed := map[string]func(cred string) string{
		"header line":       func(cred string) string { return "HTTP/1.1 200 OK\r\nX-Echo " + cred + "\r\n\r\n" },
		"Content-Length":    func(cred string) string { return "HTTP/1.1 200 OK\r\nContent-Length: " + cred + "\r\n\r\n" },
		"Transfer-Encoding": func(cred string) string { return "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + cred + "\r\n\r\n" },
		"status line":       func(cred string) string { return "HTTP/1.1 " + cred + "\r\n\r\n" },
	}
	for what, answer := range malformed {
		for _, mode := range append(authModes(), authMode{"service account grant", atlas.WithServiceAccount(canaryClientID, canaryClientSecret), nil}) {
			t.Run(what+"/"+mode.name, func(t *testing.T) {
				base := rawServer(t, func(r *http.Request) string {
					auth := r.Header.Get("Authorization")
					switch {
					case r.URL.Path == "/api/oauth/token" && mode.name == "service account":
						return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(grant), grant)
					case auth == "": // a digest client's first request
						return "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"MMS Public API\", nonce=\"bm9uY2U\", qop=\"auth\"\r\nContent-Length: 0\r\n\r\n"
					case strings.HasPrefix(auth, "Basic "):
						_, secret, _ := r.BasicAuth()
						return answer(strings.TrimPrefix(auth, "Basic ") + " " + secret)
					}
					// A digest header quotes the path; the echo keeps the operation named once.
					return answer(strings.ReplaceAll(bearerOf(r), r.URL.RequestURI(), "/uri"))
				})
				c, err := atlas.NewClient(atlas.WithBaseURL(base), mode.option, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
				require.NoError(t, err)
				job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
				assert.Nil(t, job)
				require.Error(t, err)
				assertOperationOnce(t, err, "GET", jobPath)
				for _, verb := range []string{"%v", "%+v", "%#v"} {
					assertNoCanary(t, fmt.Sprintf(verb, err), granted)
				}
				assertNoCanary(t, err.Error(), granted)
			})
		}
	}
}

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
