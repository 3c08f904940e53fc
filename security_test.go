package atlas

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// IDs in the spec's example form.
const (
	secGroupID  = "32b6e34b3d91647abb20e7b8"
	secExportID = "32b6e34b3d91647abb20e7b9"
	secCluster  = "Cluster0"
)

// secServer starts a loopback httptest server that is closed when the test ends.
func secServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// secClient builds a client for base with an access token, retries off, and any extra options.
func secClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{WithBaseURL(base), WithRetry(RetryPolicy{MaxAttempts: 1})}, opts...)
	if len(opts) == 0 {
		all = append(all, WithAccessToken("test-token"))
	}
	c, err := NewClient(all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// streamBody writes prefix and then n bytes of 'a' from one small buffer, so that the server
// allocates next to nothing whatever n is, and stops once the client has gone.
func streamBody(w io.Writer, prefix string, n int64) {
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	buf := []byte(strings.Repeat("a", 32<<10))
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

// allocatedBy returns the bytes the process allocated while f ran. Tests that use it do not
// run in parallel, so the count is f's and its server's.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestOversizedSuccessBodyIsRefusedWithBoundedMemory sends a 200 MiB job, with and without a
// Content-Length, and checks that the client refuses it by naming the cap, having allocated
// far less than the body's size.
func TestOversizedSuccessBodyIsRefusedWithBoundedMemory(t *testing.T) {
	const size = 200 << 20
	const prefix = `{"id":"`
	for _, tc := range []struct {
		name       string
		withLength bool
		maxAlloc   uint64 // bytes the client may allocate while refusing
	}{
		// The header alone tells the body is too large: nothing needs reading.
		{"content-length", true, 1 << 20},
		// Chunked: the client must read up to the cap to know, and keeps no more than that.
		{"chunked", false, MaxResponseBytes + 8<<20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := secServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", MediaType)
				if tc.withLength {
					w.Header().Set("Content-Length", strconv.Itoa(len(prefix)+size))
				}
				streamBody(w, prefix, size)
			})
			c := secClient(t, srv.URL)

			var job *ExportJob
			var err error
			alloc := allocatedBy(func() {
				job, err = c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
			})

			if job != nil {
				t.Errorf("Get returned a job with error %v", err)
			}
			if !errors.Is(err, ErrBodyTooLarge) || !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("err = %v, want ErrBodyTooLarge and ErrInvalidResponse", err)
			}
			if want := strconv.Itoa(MaxResponseBytes); !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, does not name the %s-byte cap", err, want)
			}
			t.Logf("allocated %.1f MiB refusing a %d MiB body", float64(alloc)/(1<<20), size>>20)
			if alloc > tc.maxAlloc {
				t.Errorf("allocated %d bytes refusing the body, want at most %d", alloc, tc.maxAlloc)
			}
		})
	}
}

// TestOversizedErrorBodyIsTruncated sends 10 MiB error bodies and checks that the APIError
// keeps at most MaxErrorBytes of them, still valid UTF-8, and that reading them allocated
// next to nothing.
func TestOversizedErrorBodyIsTruncated(t *testing.T) {
	const size = 10 << 20
	for _, tc := range []struct {
		name  string
		chunk string // repeated to make the body
	}{
		{"html", "<p>bad gateway</p>"},
		// Every other byte invalid UTF-8: each becomes a 3-byte U+FFFD when sanitized.
		{"invalid-utf8", "a\xff"},
		// Multi-byte runes that the cap may cut in half.
		{"runes", "€"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := secServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				buf := []byte(strings.Repeat(tc.chunk, (32<<10)/len(tc.chunk)))
				for n := 0; n < size; n += len(buf) {
					if _, err := w.Write(buf); err != nil {
						return
					}
				}
			})
			c := secClient(t, srv.URL)

			var job *ExportJob
			var err error
			alloc := allocatedBy(func() {
				job, err = c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
			})

			var apiErr *APIError
			if job != nil || !errors.As(err, &apiErr) {
				t.Fatalf("Get = %v, %v; want an *APIError", job, err)
			}
			if apiErr.StatusCode != http.StatusBadGateway || !errors.Is(err, ErrServer) {
				t.Errorf("err = %v, want a 502 matching ErrServer", err)
			}
			if n := len(apiErr.Body); n == 0 || n > MaxErrorBytes {
				t.Errorf("len(Body) = %d, want 1 to %d", n, MaxErrorBytes)
			}
			if !utf8.Valid(apiErr.Body) {
				t.Errorf("Body is not valid UTF-8")
			}
			if alloc > 2<<20 {
				t.Errorf("allocated %d bytes for a %d-byte error body, want at most 2 MiB", alloc, size)
			}
		})
	}
}

// patternReader yields n bytes of 'a' from one small buffer, so only the reader's caller
// allocates.
type patternReader struct{ n int64 }

var aaaa = []byte(strings.Repeat("a", 32<<10))

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), r.n)], aaaa)
	r.n -= int64(k)
	return k, nil
}

// TestReadBodyAtTheCap checks the boundary of the cap, where the chunks meet it: a body of
// exactly the cap is read whole, one byte more is refused naming the cap, with and without a
// known length. (End to end, TestOversizedSuccessBodyIsRefusedWithBoundedMemory sends one.)
func TestReadBodyAtTheCap(t *testing.T) {
	for _, size := range []int64{MaxResponseBytes, MaxResponseBytes + 1} {
		for _, known := range []bool{true, false} {
			length := int64(-1)
			if known {
				length = size
			}
			body, err := readBody(&patternReader{n: size}, length, MaxResponseBytes)
			switch {
			case size <= MaxResponseBytes && (err != nil || int64(len(body)) != size):
				t.Errorf("a %d-byte body (length %d): got %d bytes, err %v; want it whole", size, length, len(body), err)
			case size > MaxResponseBytes && (body != nil || !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), strconv.Itoa(MaxResponseBytes))):
				t.Errorf("a %d-byte body (length %d): got %d bytes, err %v; want ErrBodyTooLarge naming the cap", size, length, len(body), err)
			}
		}
	}
	// A body longer than its announced length (a transport other than net/http's could
	// give one) is still held to the cap.
	if body, err := readBody(&patternReader{n: 10}, 4, 8); !errors.Is(err, ErrBodyTooLarge) || body != nil {
		t.Errorf("10 bytes announced as 4 under a cap of 8: got %q, %v; want ErrBodyTooLarge", body, err)
	}
}

// Canary credentials: distinctive strings that must never appear in any text the SDK produces.
const (
	canaryPublicKey    = "canarypublickey"
	canaryPrivateKey   = "CANARY-PRIVATE-KEY-d41f8e"
	canaryClientID     = "mdb_sa_id_canary"
	canaryClientSecret = "CANARY-CLIENT-SECRET-7b2c90"
	canaryAccessToken  = "CANARY-ACCESS-TOKEN-5e17a3"
	canaryGrantedToken = "CANARY-GRANTED-TOKEN-c06b4d"
)

// secMode is one way a client authenticates, with what a test server needs to accept it.
type secMode struct {
	name string
	// option is the auth option under test.
	option Option
	// want reports whether a request to the API carries this mode's credential.
	want func(r *http.Request) bool
}

// secModes lists every auth mode with canary credentials.
func secModes() []secMode {
	bearer := func(tok string) func(*http.Request) bool {
		return func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+tok }
	}
	return []secMode{
		{"digest", WithDigest(canaryPublicKey, canaryPrivateKey), func(r *http.Request) bool {
			return strings.HasPrefix(r.Header.Get("Authorization"), "Digest ")
		}},
		{"service-account", WithServiceAccount(canaryClientID, canaryClientSecret), bearer(canaryGrantedToken)},
		{"access-token", WithAccessToken(canaryAccessToken), bearer(canaryAccessToken)},
		{"token-source", WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: canaryAccessToken})), bearer(canaryAccessToken)},
	}
}

// secAuthServer starts a loopback server that speaks every auth mode's protocol in front of
// api; see secAuthHandler.
func secAuthServer(t *testing.T, grant, api http.HandlerFunc) *httptest.Server {
	t.Helper()
	return secServer(t, secAuthHandler(grant, api))
}

// secAuthHandler answers a digest challenge to requests without credentials, and serves a
// token endpoint at /api/oauth/token that grants canaryGrantedToken (or runs grant when it is
// not nil). api sees only requests that carry credentials.
func secAuthHandler(grant, api http.HandlerFunc) http.HandlerFunc {
	if grant == nil {
		grant = func(w http.ResponseWriter, r *http.Request) {
			if id, pw, ok := r.BasicAuth(); !ok || id != canaryClientID || pw != canaryClientSecret {
				http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": canaryGrantedToken, "token_type": "Bearer", "expires_in": 3600})
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			grant(w, r)
			return
		}
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Digest realm="MMS Public API", nonce="bm9uY2U", qop="auth", algorithm=MD5`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		api(w, r)
	}
}

// canaryForms are the canary credentials in every form a text could hold them: raw, in hex
// (what %x prints), and the HTTP Basic credential of the service account (x/oauth2
// query-escapes both halves, which leaves the canaries unchanged).
var canaryForms = func() []string {
	forms := []string{base64.StdEncoding.EncodeToString([]byte(canaryClientID + ":" + canaryClientSecret))}
	for _, c := range []string{canaryPrivateKey, canaryClientSecret, canaryAccessToken, canaryGrantedToken} {
		forms = append(forms, c, hex.EncodeToString([]byte(c)))
	}
	return forms
}()

// echoCredentials is what a careless server might repeat in a body: every credential the
// request carried, in the header and decoded.
func echoCredentials(r *http.Request) string {
	s := "Authorization: " + r.Header.Get("Authorization")
	if id, pw, ok := r.BasicAuth(); ok {
		s += " client " + id + " secret " + pw
	}
	return s
}

// writeJSON writes a JSON document with a status.
func writeJSON(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

// hangUp drops the connection without an answer.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

// leakCase is one error path: the token endpoint and API it runs against (nil means the
// default grant, or an API that must not be reached) and the call that fails.
type leakCase struct {
	grant, api http.HandlerFunc
	call       func(c *Client) (bool, error) // reports whether a result came back
	saOnly     bool                          // the path exists only for the service account
	unlogged   bool                          // the attempt ends without a log record
}

func getJob(ctx context.Context) func(*Client) (bool, error) {
	return func(c *Client) (bool, error) {
		job, err := c.Exports.Get(ctx, secGroupID, secCluster, secExportID)
		return job != nil, err
	}
}

// leakCases builds every error path afresh for one subtest.
func leakCases(t *testing.T) map[string]leakCase {
	bg := context.Background()
	apiError := func(status int, code string, header map[string]string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			writeJSON(w, status, map[string]any{
				"error": status, "errorCode": code, "reason": http.StatusText(status),
				"detail":           "(This is just an example) " + echoCredentials(r),
				"parameters":       []any{echoCredentials(r), map[string]any{"auth": []any{echoCredentials(r)}}},
				"badRequestDetail": map[string]any{"fields": []any{map[string]any{"field": echoCredentials(r), "description": echoCredentials(r)}}},
			})
		}
	}
	raw := func(status int, contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, strings.ReplaceAll(body, "ECHO", echoCredentials(r)))
		}
	}
	ctxCancelled, cancel := context.WithCancel(bg)
	t.Cleanup(cancel)
	cancelAndWait := func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		cancel()
		<-r.Context().Done()
	}
	done, stop := context.WithCancel(bg)
	stop()
	return map[string]leakCase{
		"bad-ids": {call: func(c *Client) (bool, error) {
			// A caller who swapped arguments may pass a secret as an ID.
			job, err := c.Exports.Get(bg, canaryClientSecret, canaryPrivateKey, canaryAccessToken)
			return job != nil, err
		}},
		"bad-cluster": {call: func(c *Client) (bool, error) {
			job, err := c.Exports.Get(bg, secGroupID, "a "+canaryPrivateKey, secExportID)
			return job != nil, err
		}},
		"bad-create": {call: func(c *Client) (bool, error) {
			job, err := c.Exports.Create(bg, secGroupID, secCluster, &CreateExportJobRequest{SnapshotID: canaryAccessToken, ExportBucketID: canaryGrantedToken})
			return job != nil, err
		}},
		"bad-list": {call: func(c *Client) (bool, error) {
			page, err := c.Exports.List(bg, secGroupID, secCluster, &ListOptions{ItemsPerPage: 501})
			return page != nil, err
		}},
		"401":      {api: apiError(401, "NOT_ORG_GROUP_CREATOR", nil)},
		"403":      {api: apiError(403, "CANNOT_CHANGE_GROUP_NAME", nil)},
		"404":      {api: apiError(404, "RESOURCE_NOT_FOUND", nil)},
		"400":      {api: apiError(400, "VALIDATION_ERROR", nil)},
		"429":      {api: apiError(429, "RATE_LIMITED", map[string]string{"Retry-After": "3600", "RateLimit-Limit": "100", "RateLimit-Remaining": "0"})},
		"500":      {api: apiError(500, "UNEXPECTED_ERROR", nil)},
		"503":      {api: apiError(503, "SERVICE_UNAVAILABLE", nil)},
		"html-502": {api: raw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1><pre>ECHO</pre></body></html>")},
		"text-401": {api: raw(401, "text/plain", "ECHO")},
		"bad-200":  {api: raw(200, MediaType, `{"id": "ECHO", "state": 7}`)},
		"cut-200":  {api: raw(200, MediaType, `{"id": "ECHO`)},
		"text-200": {api: raw(200, MediaType, "ECHO")},
		"null-200": {api: raw(200, MediaType, "null")},
		"redirect": {api: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}},
		"hang-up":   {api: func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) }},
		"cancelled": {api: cancelAndWait, call: getJob(ctxCancelled), unlogged: true},
		"done":      {call: getJob(done)},
		"too-large": {api: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(64<<20))
			streamBody(w, `{"id":"`+echoCredentials(r), 64<<20)
		}},

		"grant-oauth-json": {saOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "bad " + echoCredentials(r), "error_uri": "https://x/" + echoCredentials(r)})
		}},
		"grant-api-error": {saOnly: true, grant: apiError(401, "INVALID_CLIENT", nil)},
		"grant-form": {saOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, url.Values{"error": {"invalid_client"}, "error_description": {echoCredentials(r)}}.Encode())
		}},
		"grant-error-code-200": {saOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"error": echoCredentials(r)})
		}},
		"grant-no-token": {saOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"token_type": "Bearer", "note": echoCredentials(r)})
		}},
		"grant-html-500": {saOnly: true, grant: raw(500, "text/html", "<pre>ECHO</pre>")},
		"grant-text-200": {saOnly: true, grant: raw(200, "application/json", "ECHO")},
		"grant-429":      {saOnly: true, grant: apiError(429, "RATE_LIMITED", map[string]string{"Retry-After": "3600"})},
		"grant-redirect": {saOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/api/oauth/elsewhere", http.StatusPermanentRedirect)
		}},
		"grant-hang-up":   {saOnly: true, grant: func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) }},
		"grant-cancelled": {saOnly: true, grant: cancelAndWait, call: getJob(ctxCancelled)},
	}
}

// TestNoSecretInAnyErrorPath runs every error path in every auth mode with canary
// credentials, and scans every text the SDK produces for them: the error in every fmt form,
// each error it wraps, the APIError's fields, the Client and its options printed, the debug
// log, and the message of any panic.
func TestNoSecretInAnyErrorPath(t *testing.T) {
	for _, mode := range secModes() {
		for name, tc := range leakCases(t) {
			if tc.saOnly && mode.name != "service-account" {
				continue
			}
			t.Run(mode.name+"/"+name, func(t *testing.T) {
				// leakCases again, so that this subtest's contexts and handlers are its own.
				tc := leakCases(t)[name]
				api := tc.api
				if api == nil {
					api = func(w http.ResponseWriter, r *http.Request) { t.Errorf("%s reached the API", r.URL) }
				}
				srv := secAuthServer(t, tc.grant, api)
				var logs bytes.Buffer
				opts := []Option{
					WithBaseURL(srv.URL), mode.option,
					WithRetry(RetryPolicy{MaxAttempts: 2, MinBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}),
					WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				}
				c, err := NewClient(opts...)
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				call := tc.call
				if call == nil {
					call = getJob(context.Background())
				}

				var texts []string
				got, err := func() (got bool, err error) {
					defer func() {
						if p := recover(); p != nil {
							texts = append(texts, fmt.Sprint(p))
							t.Errorf("panic: %v", p)
						}
					}()
					return call(c)
				}()
				if err == nil || got {
					t.Fatalf("got a result %v and error %v; want only an error", got, err)
				}
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
					texts = append(texts, fmt.Sprintf(verb, err), fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, opts))
				}
				for e := range errorTree(err) {
					texts = append(texts, e.Error(), fmt.Sprintf("%#v", e), fmt.Sprintf("%+v", e))
				}
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					texts = append(texts, fmt.Sprintf("%#v", *apiErr), string(apiErr.Body), fmt.Sprintf("%v", apiErr.Parameters))
				}
				texts = append(texts, logs.String())
				if logs.Len() == 0 && tc.api != nil && !tc.unlogged {
					t.Errorf("no debug record was logged")
				}
				for _, text := range texts {
					for _, canary := range canaryForms {
						if strings.Contains(text, canary) {
							t.Errorf("a credential leaked:\n%s", text)
						}
					}
				}
			})
		}
	}
}

// errorTree yields err and every error it wraps, through Unwrap() error and Unwrap() []error.
func errorTree(err error) iter.Seq[error] {
	return func(yield func(error) bool) {
		var walk func(error) bool
		walk = func(e error) bool {
			if e == nil {
				return true
			}
			if !yield(e) {
				return false
			}
			switch u := e.(type) {
			case interface{ Unwrap() error }:
				return walk(u.Unwrap())
			case interface{ Unwrap() []error }:
				for _, e := range u.Unwrap() {
					if !walk(e) {
						return false
					}
				}
			}
			return true
		}
		walk(err)
	}
}

// TestDefaultTransportRequiresTLS12 checks the setting itself: every client built without a
// transport of its own gets it.
func TestDefaultTransportRequiresTLS12(t *testing.T) {
	if v := newDefaultTransport().TLSClientConfig.MinVersion; v < tls.VersionTLS12 {
		t.Fatalf("the default transport's MinVersion is %s, want TLS 1.2 or newer", tls.VersionName(v))
	}
}

// tlsServer starts a TLS server whose versions are limited by minV and maxV, speaking every
// auth mode, counting the API requests that get through, with its handshake errors kept out
// of the test's output.
func tlsServer(t *testing.T, minV, maxV uint16, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(secAuthHandler(nil, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", MediaType)
		_, _ = io.WriteString(w, `{"id":"`+secExportID+`","exportBucketId":"`+secGroupID+`"}`)
	}))
	srv.TLS = &tls.Config{MinVersion: minV, MaxVersion: maxV}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTLS11ServerIsRefused makes one real handshake with a server that speaks at most TLS 1.1:
// the client's default transport must refuse it. Two controls keep the test honest: the same
// client, trusting the same kind of certificate, succeeds with a TLS 1.2+ server, and a
// transport that allows TLS 1.0 does get through to the TLS 1.1 server.
func TestTLS11ServerIsRefused(t *testing.T) {
	for _, mode := range secModes() {
		t.Run(mode.name, func(t *testing.T) {
			get := func(srv *httptest.Server) (*ExportJob, error) {
				c := secClient(t, srv.URL, mode.option)
				tr := defaultTransportOf(c)
				if tr == nil {
					t.Fatal("the client does not use the default transport")
				}
				roots := x509.NewCertPool()
				roots.AddCert(srv.Certificate())
				tr.TLSClientConfig.RootCAs = roots
				t.Cleanup(tr.CloseIdleConnections)
				return c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
			}

			var modern, old atomic.Int32
			if job, err := get(tlsServer(t, tls.VersionTLS12, 0, &modern)); err != nil || job == nil {
				t.Fatalf("control: Get from a TLS 1.2+ server failed: %v", err)
			}

			srv := tlsServer(t, tls.VersionTLS10, tls.VersionTLS11, &old)
			job, err := get(srv)
			if err == nil || job != nil {
				t.Fatalf("Get from a TLS 1.1 server succeeded, want a handshake failure")
			}
			if !strings.Contains(err.Error(), "protocol version") {
				t.Errorf("err = %v, want a protocol version failure", err)
			}
			if n := old.Load(); n != 0 {
				t.Errorf("the TLS 1.1 server handled %d requests, want 0", n)
			}

			// Control: the server does speak TLS 1.1 to a client that allows it.
			roots := x509.NewCertPool()
			roots.AddCert(srv.Certificate())
			loose := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10}}
			defer loose.CloseIdleConnections()
			resp, err := (&http.Client{Transport: loose}).Get(srv.URL)
			if err != nil {
				t.Fatalf("control: a TLS 1.0+ client cannot reach the TLS 1.1 server: %v", err)
			}
			_ = resp.Body.Close()
			if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS11 {
				t.Fatalf("control: the server did not speak TLS 1.1")
			}
		})
	}
}

// TestPlainHTTPOnlyToLoopback checks that NewClient refuses plain http to any host that is
// not loopback, and never repeats a password given in the URL.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, base := range []string{
		"http://cloud.mongodb.com",
		"http://example.com:80",
		"http://10.0.0.1:8080",
		"http://0.0.0.0:8080",
		"http://localhost.example.com",
		"http://127.0.0.1.nip.io",
		"http://2130706433", // 127.0.0.1 as one number: not an address Go parses as loopback
		"http://[fe80::1]",
		"ftp://127.0.0.1",
		"http://user:" + canaryPrivateKey + "@example.com",
		"https://user:" + canaryPrivateKey + "@example.com",
	} {
		_, err := NewClient(WithBaseURL(base), WithAccessToken("t"))
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewClient(%s) err = %v, want ErrInvalidArgument", base, err)
		}
		if err != nil && strings.Contains(err.Error(), canaryPrivateKey) {
			t.Errorf("NewClient(%s) err = %q repeats the URL's password", base, err)
		}
	}
	for _, base := range []string{"http://127.0.0.1:1", "http://127.9.9.9", "http://localhost:8080", "http://LOCALHOST", "http://[::1]:8080", "https://example.com"} {
		if _, err := NewClient(WithBaseURL(base), WithAccessToken("t")); err != nil {
			t.Errorf("NewClient(%s) = %v, want it accepted", base, err)
		}
	}
}
