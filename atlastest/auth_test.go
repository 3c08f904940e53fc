package atlastest_test

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGeneratedCredentialsLookReal(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+$`, srv.URL)
	assert.Regexp(t, `^[a-z]{8}$`, srv.PublicKey)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, srv.PrivateKey)
	assert.Regexp(t, `^mdb_sa_id_[0-9a-f]{24}$`, srv.ClientID)
	assert.Regexp(t, `^mdb_sa_sk_[a-z]{40}$`, srv.ClientSecret)

	other := newServer(t, atlastest.WithAPIKey("pub", "priv"), atlastest.WithServiceAccount("id", "secret"))
	assert.Equal(t, []string{"pub", "priv", "id", "secret"},
		[]string{other.PublicKey, other.PrivateKey, other.ClientID, other.ClientSecret})
}

func TestDigestReusesNonce(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	d := newDigest(t, srv)

	for range 5 {
		resp := d.get(exportsURL(srv, id) + "?pretty=true")
		assert.Equal(t, id, readJob(t, resp).ID)
	}
	// One challenge, then every call authenticates on the first try with nc 1..5.
	assert.Equal(t, 1, srv.DigestChallenges())
	assert.Equal(t, 6, srv.Requests(atlastest.RouteGetExport))
	assert.Equal(t, 5, d.nc)
}

func TestDigestChallengeShape(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	resp, err := newClient(t).Get(exportsURL(srv, ""))
	require.NoError(t, err)
	h := resp.Header.Get("WWW-Authenticate")
	e := requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	assert.Contains(t, e.Detail, "not authorized")
	c := parseChallenge(t, h)
	assert.Equal(t, "MMS Public API", c["realm"])
	assert.Equal(t, "auth", c["qop"])
	assert.Equal(t, "MD5", c["algorithm"])
	assert.Equal(t, "false", c["stale"])
	assert.NotEmpty(t, c["nonce"])
	assert.NotEmpty(t, c["opaque"])
	assert.Equal(t, 1, srv.DigestChallenges())
}

func TestDigestRefusals(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	url := exportsURL(srv, "")
	resp, err := newClient(t).Get(url)
	require.NoError(t, err)
	challenge := parseChallenge(t, resp.Header.Get("WWW-Authenticate"))
	drain(resp)

	sign := func(user, pass, method, uri string) string {
		d := &digestClient{user: user, pass: pass, challenge: challenge}
		return d.authorization(method, uri)
	}
	tests := []struct {
		name, authorization, detail string
	}{
		{"wrong private key", sign(srv.PublicKey, "nope", "GET", "/api/atlas/v2/groups/"+groupID+"/clusters/"+cluster+"/backup/exports"), "digest response"},
		{"unknown public key", sign("someoneelse", srv.PrivateKey, "GET", "/x"), "Invalid API key"},
		{"uri of another resource", sign(srv.PublicKey, srv.PrivateKey, "GET", "/api/atlas/v2/groups"), "uri"},
		{"hash over another method", sign(srv.PublicKey, srv.PrivateKey, "POST", "/api/atlas/v2/groups/"+groupID+"/clusters/"+cluster+"/backup/exports"), "digest response"},
		{"wrong opaque", strings.Replace(sign(srv.PublicKey, srv.PrivateKey, "GET", "/api/atlas/v2/groups/"+groupID+"/clusters/"+cluster+"/backup/exports"), challenge["opaque"], "0000", 1), "opaque"},
		{"qop auth-int", strings.Replace(sign(srv.PublicKey, srv.PrivateKey, "GET", "/"), "qop=auth", "qop=auth-int", 1), "qop"},
		{"SHA-256", strings.Replace(sign(srv.PublicKey, srv.PrivateKey, "GET", "/"), "algorithm=MD5", "algorithm=SHA-256", 1), "algorithm"},
		{"no cnonce", regexp.MustCompile(`cnonce="[^"]*", `).ReplaceAllString(sign(srv.PublicKey, srv.PrivateKey, "GET", "/"), ""), "cnonce"},
		{"garbage", `Digest username="unterminated`, "Malformed"},
		{"basic", "Basic cHViOnByaXY=", "Unsupported authorization scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", tt.authorization)
			resp, err := newClient(t).Do(req)
			require.NoError(t, err)
			c := parseChallenge(t, resp.Header.Get("WWW-Authenticate"))
			assert.Equal(t, "false", c["stale"], "wrong credentials are never merely stale")
			e := requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
			assert.Contains(t, e.Detail, tt.detail)
		})
	}
}

func TestDigestStaleNonce(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	for _, tt := range []struct {
		name string
		opts []atlastest.Option
		// before the third call: whatever makes the nonce stale
		wear func(srv *atlastest.Server, d *digestClient)
	}{
		{"use count", []atlastest.Option{atlastest.WithNonceUses(2)}, func(*atlastest.Server, *digestClient) {}},
		{"lifetime", []atlastest.Option{atlastest.WithNonceLifetime(time.Minute)}, func(*atlastest.Server, *digestClient) { clk.Advance(time.Minute) }},
		{"ExpireNonces", nil, func(srv *atlastest.Server, _ *digestClient) { srv.ExpireNonces() }},
		{"replayed nonce count", nil, func(_ *atlastest.Server, d *digestClient) { d.nc-- }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, append(tt.opts, atlastest.WithClock(clk.Now))...)
			d := newDigest(t, srv)
			url := exportsURL(srv, "")
			for range 2 {
				resp := d.get(url)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				drain(resp)
			}
			first := d.challenge["nonce"]
			tt.wear(srv, d)

			// Sign the third call with the worn nonce by hand to see the stale answer.
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", d.authorization(http.MethodGet, req.URL.RequestURI()))
			resp, err := d.hc.Do(req)
			require.NoError(t, err)
			c := parseChallenge(t, resp.Header.Get("WWW-Authenticate"))
			assert.Equal(t, "true", c["stale"])
			assert.NotEqual(t, first, c["nonce"])
			e := requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
			assert.Contains(t, e.Detail, "nonce")

			// A client answers the stale challenge without asking its user again.
			d.challenge, d.nc = c, 0
			resp = d.get(url)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			drain(resp)
			assert.Equal(t, 2, srv.DigestChallenges())
		})
	}
}

// TestNonceTableIsBounded: requests without credentials, each challenged with a new nonce,
// leave the server holding at most MaxNonces of them, the oldest dropped first; a digest
// client whose nonce was dropped is told it is stale and recovers on its own.
func TestNonceTableIsBounded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	c := newSDK(t, srv, atlas.WithDigest(srv.PublicKey, srv.PrivateKey))
	_, err := c.Exports.Get(t.Context(), groupID, cluster, id)
	require.NoError(t, err)
	require.Equal(t, 1, srv.Nonces())

	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	const flood = atlastest.MaxNonces + 500
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < flood; i += 8 {
				resp, err := hc.Get(exportsURL(srv, id))
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
					_ = resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, atlastest.MaxNonces, srv.Nonces(), "bounded")
	assert.Equal(t, 1+flood, srv.DigestChallenges(), "every request was challenged")

	// The client's nonce was the oldest, so it was dropped: one stale answer, then success.
	before := srv.Requests(atlastest.RouteGetExport)
	_, err = c.Exports.Get(t.Context(), groupID, cluster, id)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport)-before)
	assert.Equal(t, atlastest.MaxNonces, srv.Nonces())
}
