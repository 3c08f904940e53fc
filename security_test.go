package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
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

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			job, err := c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
			runtime.ReadMemStats(&after)

			if job != nil {
				t.Errorf("Get returned a job with error %v", err)
			}
			if !errors.Is(err, ErrBodyTooLarge) || !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("err = %v, want ErrBodyTooLarge and ErrInvalidResponse", err)
			}
			if want := strconv.Itoa(MaxResponseBytes); !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, does not name the %s-byte cap", err, want)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
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

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			job, err := c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
			runtime.ReadMemStats(&after)

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
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
				t.Errorf("allocated %d bytes for a %d-byte error body, want at most 2 MiB", alloc, size)
			}
		})
	}
}

// TestBodyAtTheCap checks the boundary of MaxResponseBytes: a job of exactly the cap is
// decoded, one byte more is refused, with and without a Content-Length.
func TestBodyAtTheCap(t *testing.T) {
	const prefix, suffix = `{"id":"`, `"}`
	for _, size := range []int{MaxResponseBytes, MaxResponseBytes + 1} {
		for _, withLength := range []bool{true, false} {
			t.Run(strconv.Itoa(size)+"/length="+strconv.FormatBool(withLength), func(t *testing.T) {
				pad := int64(size - len(prefix) - len(suffix))
				srv := secServer(t, func(w http.ResponseWriter, r *http.Request) {
					if withLength {
						w.Header().Set("Content-Length", strconv.Itoa(size))
					}
					streamBody(w, prefix, pad)
					_, _ = io.WriteString(w, suffix)
				})
				c := secClient(t, srv.URL)
				job, err := c.Exports.Get(context.Background(), secGroupID, secCluster, secExportID)
				if size <= MaxResponseBytes {
					if err != nil || job == nil || int64(len(job.ID)) != pad {
						t.Fatalf("Get at the cap: err = %v, want the job", err)
					}
					return
				}
				if job != nil || !errors.Is(err, ErrBodyTooLarge) {
					t.Fatalf("Get over the cap: job = %v, err = %v; want ErrBodyTooLarge", job != nil, err)
				}
			})
		}
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
// api: a digest challenge for requests without digest credentials, and a token endpoint at
// /api/oauth/token that grants canaryGrantedToken (or runs grant when it is not nil). api
// sees only authenticated requests.
func secAuthServer(t *testing.T, grant, api http.HandlerFunc) *httptest.Server {
	t.Helper()
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
	return secServer(t, func(w http.ResponseWriter, r *http.Request) {
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
	})
}
