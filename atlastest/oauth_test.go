package atlastest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestTokenGrantBearerExpiryAndRevoke(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	// A secret with characters that RFC 6749 §2.3.1 form-encoding changes.
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTokenLifetime(10*time.Minute),
		atlastest.WithServiceAccount("mdb_sa_id_0123456789abcdef01234567", "s3cr:t/+= %"))
	hc := newClient(t)

	resp := postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	tok := readToken(t, resp)
	assert.Equal(t, 600, tok.ExpiresIn)
	assert.Equal(t, 1, srv.TokenGrants())

	resp = bearerGet(t, hc, exportsURL(srv, ""), tok.AccessToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	drain(resp)

	// A second token for the same account lives independently of the first.
	second := bearerToken(t, hc, srv)
	assert.Equal(t, 2, srv.TokenGrants())

	clk.Advance(10 * time.Minute)
	resp = bearerGet(t, hc, exportsURL(srv, ""), tok.AccessToken)
	assert.Empty(t, resp.Header.Get("WWW-Authenticate"), "a bearer failure carries no digest challenge")
	e := requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	assert.Contains(t, e.Detail, "expired")

	fresh := bearerToken(t, hc, srv)
	revoke(t, hc, srv, fresh)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteRevoke))

	resp = bearerGet(t, hc, exportsURL(srv, ""), fresh)
	e = requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	assert.Contains(t, e.Detail, "revoked")
	assert.Equal(t, 1, srv.TokenRevocations())
	assert.Zero(t, srv.LiveTokens(), "the first two expired, the fresh one is revoked")

	srv.RevokeTokens()
	resp = bearerGet(t, hc, exportsURL(srv, ""), second)
	requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestTokenEndpointRefusals(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	tests := []struct {
		name, id, secret, form string
		status                 int
		code                   string
	}{
		{"wrong secret", srv.ClientID, "nope", "grant_type=client_credentials", http.StatusUnauthorized, "invalid_client"},
		{"unknown client", "mdb_sa_id_ffffffffffffffffffffffff", srv.ClientSecret, "grant_type=client_credentials", http.StatusUnauthorized, "invalid_client"},
		{"password grant", srv.ClientID, srv.ClientSecret, "grant_type=password&username=a&password=b", http.StatusBadRequest, "unsupported_grant_type"},
		{"no grant type", srv.ClientID, srv.ClientSecret, "scope=x", http.StatusBadRequest, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := postToken(t, hc, srv, tt.id, tt.secret, tt.form)
			require.Equal(t, tt.status, resp.StatusCode)
			var e struct {
				Error string `json:"error"`
			}
			decode(t, resp, &e)
			assert.Equal(t, tt.code, e.Error)
		})
	}

	t.Run("no client credentials", func(t *testing.T) {
		resp, err := hc.Post(srv.URL+"/api/oauth/token", "application/x-www-form-urlencoded",
			strings.NewReader("grant_type=client_credentials"))
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
		drain(resp)
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := hc.Get(srv.URL + "/api/oauth/token")
		require.NoError(t, err)
		assert.Equal(t, "POST", resp.Header.Get("Allow"))
		requireAPIError(t, resp, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	})
	t.Run("revoke without token", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/revoke", strings.NewReader("token_type_hint=access_token"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(srv.ClientID, srv.ClientSecret)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		drain(resp)
	})
	t.Run("unknown bearer token", func(t *testing.T) {
		resp := bearerGet(t, hc, exportsURL(srv, ""), "not-a-token")
		requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	})
	assert.Zero(t, srv.TokenGrants())
}

// Atlas's limits hold by default: ten grants a minute per client id, then 429 RATE_LIMITED
// with Atlas's detail and Retry-After; a minute later grants go on.
func TestTokenGrantRateLimit(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now))
	hc := newClient(t)
	for range 10 {
		bearerToken(t, hc, srv)
	}
	resp := postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")
	assert.Equal(t, "6", resp.Header.Get("Retry-After"))
	e := requireAPIError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
	assert.Equal(t, "Resource /api/oauth/token is limited to 10 requests every 1 minutes.", e.Detail)
	assert.Equal(t, 10, srv.TokenGrants())

	clk.Advance(time.Minute)
	for range 10 {
		bearerToken(t, hc, srv)
	}
	assert.Equal(t, 20, srv.TokenGrants())

	t.Run("off", func(t *testing.T) {
		srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTokenRateLimit(rate.Inf, 0))
		for range 30 {
			bearerToken(t, hc, srv)
		}
		assert.Equal(t, 30, srv.TokenGrants())
	})
}

// A service account holds at most 100 live tokens by default: the next grant is refused with
// Atlas's 403 access_denied until one expires or is revoked.
func TestLiveTokenLimit(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTokenRateLimit(rate.Inf, 0))
	hc := newClient(t)
	var first string
	for i := range 100 {
		tok := bearerToken(t, hc, srv)
		if i == 0 {
			first = tok
		}
	}
	assert.Equal(t, 100, srv.LiveTokens())
	resp := postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	decode(t, resp, &e)
	assert.Equal(t, "access_denied", e.Error)
	assert.Equal(t, "Access Token limit reached. Please use the existing Access Tokens or create a new Service Account.", e.Description)

	revoke(t, hc, srv, first)
	assert.Equal(t, 99, srv.LiveTokens())
	bearerToken(t, hc, srv)
	assert.Equal(t, 101, srv.TokenGrants())

	clk.Advance(time.Hour) // every token expires
	assert.Zero(t, srv.LiveTokens())
	bearerToken(t, hc, srv)

	t.Run("set", func(t *testing.T) {
		srv := newServer(t, atlastest.WithLiveTokenLimit(2))
		bearerToken(t, hc, srv)
		bearerToken(t, hc, srv)
		resp := postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		drain(resp)
	})
}

// revoke revokes tok at the revocation endpoint.
func revoke(t *testing.T, hc *http.Client, srv *atlastest.Server, tok string) {
	t.Helper()
	form := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/revoke", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(formEscape(srv.ClientID), formEscape(srv.ClientSecret))
	resp, err := hc.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	drain(resp)
}
