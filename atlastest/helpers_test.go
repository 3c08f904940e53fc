package atlastest_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ids used across the tests; they match the spec's patterns.
const (
	groupID  = "5f4d3c2b1a0f9e8d7c6b5a49"
	cluster  = "Cluster0"
	snapshot = "6a1b2c3d4e5f60718293a4b5"
	bucket   = "7b2c3d4e5f60718293a4b5c6"
)

var epoch = time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC)

// newServer starts a fake with one cluster and closes it when the test ends.
func newServer(t *testing.T, opts ...atlastest.Option) *atlastest.Server {
	t.Helper()
	srv := atlastest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddCluster(groupID, cluster)
	return srv
}

// seedExportable adds the completed snapshot and the export bucket the constants name, which
// creating an export job needs: the fake refuses exports of unknown or unfinished snapshots
// and to unknown buckets, as Atlas does.
func seedExportable(t *testing.T, srv *atlastest.Server) {
	t.Helper()
	require.Equal(t, snapshot, srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{ID: snapshot}))
	require.Equal(t, bucket, srv.AddExportBucket(groupID, &atlas.ExportBucket{ID: bucket}))
}

// newClient returns an HTTP client whose transport checks every response body against the
// spec's schemas (see conformance_test.go) and whose connections close when the test ends.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: &conformingTransport{t: t, base: base}}
}

// exportsURL is the list/create URL of the test cluster, plus an optional export id.
func exportsURL(srv *atlastest.Server, id string) string {
	u := srv.URL + "/api/atlas/v2/groups/" + groupID + "/clusters/" + cluster + "/backup/exports"
	if id != "" {
		u += "/" + id
	}
	return u
}

// digestClient is an RFC 7616 client written independently of the server: it keeps the last
// challenge and reuses its nonce with an increasing nonce count, as a real client does.
type digestClient struct {
	t          *testing.T
	hc         *http.Client
	user, pass string
	challenge  map[string]string
	nc         int
	retries    int // re-challenges answered over the client's life
}

func newDigest(t *testing.T, srv *atlastest.Server) *digestClient {
	return &digestClient{t: t, hc: newClient(t), user: srv.PublicKey, pass: srv.PrivateKey}
}

var challengeParam = regexp.MustCompile(`(\w+)=(?:"([^"]*)"|([^,\s]*))`)

// parseChallenge reads a WWW-Authenticate: Digest value into its parameters.
func parseChallenge(t *testing.T, h string) map[string]string {
	t.Helper()
	rest, ok := strings.CutPrefix(h, "Digest ")
	require.True(t, ok, "challenge %q is not Digest", h)
	p := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(rest, -1) {
		p[m[1]] = m[2] + m[3]
	}
	return p
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// authorization computes the Authorization header for a request from the stored challenge.
func (d *digestClient) authorization(method, uri string) string {
	d.nc++
	c := d.challenge
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	cnonce := hex.EncodeToString(b)
	nc := fmt.Sprintf("%08x", d.nc)
	ha1 := md5hex(d.user + ":" + c["realm"] + ":" + d.pass)
	ha2 := md5hex(method + ":" + uri)
	resp := md5hex(ha1 + ":" + c["nonce"] + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s", response="%s", opaque="%s"`,
		d.user, c["realm"], c["nonce"], uri, nc, cnonce, resp, c["opaque"])
}

// do sends a request, answering up to two challenges (a first one and a stale one).
func (d *digestClient) do(method, url string, body []byte, header http.Header) *http.Response {
	d.t.Helper()
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		require.NoError(d.t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		if d.challenge != nil {
			req.Header.Set("Authorization", d.authorization(method, req.URL.RequestURI()))
		}
		resp, err := d.hc.Do(req)
		require.NoError(d.t, err)
		if resp.StatusCode != http.StatusUnauthorized || attempt == 2 {
			return resp
		}
		h := resp.Header.Get("WWW-Authenticate")
		if h == "" {
			return resp
		}
		ch := parseChallenge(d.t, h)
		if d.challenge != nil && ch["stale"] != "true" {
			return resp // the credentials are wrong: answering again will not help
		}
		_ = resp.Body.Close()
		d.challenge, d.nc = ch, 0
		d.retries++
	}
}

// get is do for a GET with no extra headers.
func (d *digestClient) get(url string) *http.Response {
	d.t.Helper()
	return d.do(http.MethodGet, url, nil, nil)
}

// bearerToken fetches an access token with a raw client-credentials grant.
func bearerToken(t *testing.T, hc *http.Client, srv *atlastest.Server) string {
	t.Helper()
	return readToken(t, postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")).AccessToken
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// readToken decodes a granted token, which must be a bearer token.
func readToken(t *testing.T, resp *http.Response) tokenAnswer {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok tokenAnswer
	decode(t, resp, &tok)
	require.Equal(t, "Bearer", tok.TokenType)
	require.NotEmpty(t, tok.AccessToken)
	return tok
}

// postToken posts a form to the token endpoint with form-encoded Basic client credentials.
func postToken(t *testing.T, hc *http.Client, srv *atlastest.Server, id, secret, form string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/token", strings.NewReader(form))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(formEscape(id), formEscape(secret))
	resp, err := hc.Do(req)
	require.NoError(t, err)
	return resp
}

// formEscape is RFC 6749 §2.3.1's application/x-www-form-urlencoded encoding of a credential.
func formEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._*", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// bearerGet sends a GET with a bearer token.
func bearerGet(t *testing.T, hc *http.Client, url, token string, header ...string) *http.Response {
	t.Helper()
	return bearerDo(t, hc, http.MethodGet, url, token, "", header...)
}

// bearerDo sends a request with a bearer token, a body (none when empty) and headers given as
// name, value pairs.
func bearerDo(t *testing.T, hc *http.Client, method, url, token, body string, header ...string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	return resp
}

// decode reads a JSON body into v and closes it.
func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// apiErr is the ApiError body as tests read it.
type apiErr struct {
	BadRequestDetail *struct {
		Fields []struct {
			Description string `json:"description"`
			Field       string `json:"field"`
		} `json:"fields"`
	} `json:"badRequestDetail"`
	Detail    string `json:"detail"`
	Error     int    `json:"error"`
	ErrorCode string `json:"errorCode"`
	Reason    string `json:"reason"`
}

// requireAPIError checks status, media type and errorCode of an error answer and returns it.
func requireAPIError(t *testing.T, resp *http.Response, status int, code string) apiErr {
	t.Helper()
	require.Equal(t, status, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var e apiErr
	decode(t, resp, &e)
	require.Equal(t, status, e.Error)
	require.Equal(t, code, e.ErrorCode, "detail: %s", e.Detail)
	require.Equal(t, http.StatusText(status), e.Reason)
	require.NotEmpty(t, e.Detail)
	return e
}

// violated is the fields a 400 answer's badRequestDetail names, each with a description.
func violated(t *testing.T, e apiErr) []string {
	t.Helper()
	require.NotNil(t, e.BadRequestDetail)
	var fields []string
	for _, f := range e.BadRequestDetail.Fields {
		fields = append(fields, f.Field)
		assert.NotEmpty(t, f.Description, f.Field)
	}
	return fields
}

// readOK decodes a 200 answer of the given resource version into v.
func readOK(t *testing.T, resp *http.Response, mediaType string, v any) {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, mediaType, resp.Header.Get("Content-Type"))
	decode(t, resp, v)
}

// readJob decodes a 200 job answer.
func readJob(t *testing.T, resp *http.Response) *atlas.ExportJob {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/vnd.atlas.2023-01-01+json", resp.Header.Get("Content-Type"))
	var j atlas.ExportJob
	decode(t, resp, &j)
	return &j
}

// drain discards and closes a body.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}
